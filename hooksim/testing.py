"""Helpers for tests that use hooksim's pytest fixtures: assertions that explain themselves,
and the types the fixtures return.

    from hooksim.testing import assert_delivered_once, assert_subscription_active

    def test_survives_an_outage(hooksim_platform, hooksim_receiver):
        shop = hooksim_receiver(down_until="45m")
        shop.subscribe(["card-published"])
        event = hooksim_platform.publish("card-published")
        hooksim_platform.advance("2h")
        assert_delivered_once(shop, event)
        assert_subscription_active(shop)

A failing assertion lists what was delivered and when: virtual offsets from the test's start,
attempt numbers, outcomes.
"""

from __future__ import annotations

from hooksim._plugin._assertions import (
    DeliveryAssertionError,
    assert_attempt_times,
    assert_delivered_once,
    assert_each_event_processed_once,
    assert_subscription_active,
    assert_subscription_disabled,
    describe_deliveries,
    format_offset,
)
from hooksim._plugin._client import ApiResponse, HooksimClient, UnexpectedResponse
from hooksim._plugin._harness import HooksimPlatform, MountedURL, StatusRecord
from hooksim._plugin._receiver import ScriptedReceiver

__all__ = [
    "ApiResponse",
    "DeliveryAssertionError",
    "HooksimClient",
    "HooksimPlatform",
    "MountedURL",
    "ScriptedReceiver",
    "StatusRecord",
    "UnexpectedResponse",
    "assert_attempt_times",
    "assert_delivered_once",
    "assert_each_event_processed_once",
    "assert_subscription_active",
    "assert_subscription_disabled",
    "describe_deliveries",
    "format_offset",
]
