"""hooksim.strategies generates only valid values: the contract, the platform, its API and the
scenario language accept every one of them."""

from __future__ import annotations

import doctest
import json
import random
import warnings
from typing import Any

import pytest
import yaml
from _property_settings import PLATFORM, PURE
from hooksim.contracts import validate_payload
from hooksim.scenarios import ReceiverSpec, ScenarioReceiver, load_text
from hooksim.simulator import (
    EVENT_TYPES,
    Platform,
    ReceivedRequest,
    Settings,
    VirtualClock,
    make_app,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import NonInteractiveExampleWarning
from werkzeug.test import Client

import hooksim._faults as faults_module
import hooksim.strategies as hs

pytestmark = pytest.mark.clause("EVENT-PAYLOAD", "SUB-FIELDS", "SETTINGS")

ENV = "dev"


@PURE
@given(hs.event_types())
def test_event_types_are_the_known_events(name: str) -> None:
    assert name in EVENT_TYPES


@PURE
@given(hs.envelopes())
def test_events_wrapped_in_an_envelope_are_valid_payloads(body: dict[str, Any]) -> None:
    validate_payload(body)
    validate_payload(json.dumps(body).encode())  # and as the bytes a receiver gets


@PURE
@given(hs.events(types=["card-completed", "card-published"]), st.data())
def test_events_keep_to_the_types_asked_for(data: dict[str, Any], more: st.DataObject) -> None:
    assert data["analyticsEvent"] in ("card-completed", "card-published")
    if data["analyticsEvent"] == "card-completed":
        assert "values" in data["properties"]
    overridden = more.draw(hs.events(overrides={"cardContext.cardTemplateId": "7", "x": 1}))
    assert overridden["cardContext"]["cardTemplateId"] == "7" and overridden["x"] == 1
    validate_payload(
        {
            "requestId": "r",
            "environmentId": "e",
            "webhookId": "w",
            "isBatched": False,
            "data": overridden,
        }
    )


def _platform() -> tuple[Platform, Client, dict[str, str]]:
    platform = Platform(clock=VirtualClock(), token_clock=VirtualClock())
    platform.create_environment(ENV)
    credential = platform.auth.create_client(ENV, "workbench")
    token = platform.auth.issue_token(credential.client_id, credential.secret).value
    headers = {"User-Agent": "hooksim-tests", "Authorization": f"Bearer {token}"}
    return platform, Client(make_app(platform)), headers


@PLATFORM
@given(hs.subscriptions())
def test_subscribe_bodies_are_accepted_by_the_platform_and_its_api(body: dict[str, Any]) -> None:
    platform, client, headers = _platform()
    subscription = platform.subscribe(ENV, body)
    assert subscription.types == list(dict.fromkeys(body["types"]))
    response = client.post(f"/v1/{ENV}/webhook", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)


@PLATFORM
@given(st.sampled_from(["X-Hook-Signature", "x-atomic-signature"]), st.data())
def test_subscribe_bodies_never_set_the_signature_header(name: str, data: st.DataObject) -> None:
    body = data.draw(hs.subscriptions(signature_header=name))
    assert name.lower() not in {header.lower() for header in body.get("headers", {})}
    platform = Platform(clock=VirtualClock(), settings=Settings(signature_header=name))
    platform.create_environment(ENV)
    platform.subscribe(ENV, body)


@PURE
@given(hs.settings())
def test_settings_are_valid_and_a_scenario_accepts_them(settings: Settings) -> None:
    assert Settings(**settings.to_dict()) == settings
    document = {"name": "settings", "settings": settings.to_dict()}
    load_text(yaml.safe_dump(document), "<settings>")


@PURE
@given(hs.settings(retry_window=None, max_retries=None))
def test_settings_without_a_window_get_a_retry_count(settings: Settings) -> None:
    assert settings.retry_window is None and settings.max_retries is not None


@PURE
@given(
    hs.fault_schedules(),
    st.lists(st.tuples(st.floats(0, 4000), st.integers(1, 20), st.integers(1, 20)), max_size=20),
)
def test_a_fault_schedule_means_the_same_as_its_scenario_behaviour(
    schedule: hs.FaultSchedule, probes: list[tuple[float, int, int]]
) -> None:
    """Written as YAML and loaded by the scenario loader, a schedule answers every request
    (time, request number, copy number) the way it does itself."""
    receiver = ScenarioReceiver(
        ReceiverSpec("r", phases=schedule.phases()),
        now=lambda: 0.0,
        rng=random.Random(0),
        signature_header="X-Atomic-Signature",
    )
    for t, request, copy in probes:
        fault = schedule.choose(t=t, request=request, copy=copy)
        response = receiver.choose(t, request, copy)
        behaviour = fault.behaviour()
        assert response.hang == (fault.failure == "hang")
        if fault.failure is None:
            assert (response.status, response.latency) == (fault.status, fault.latency)
            assert sorted(response.headers) == sorted(behaviour.headers)
        elif fault.failure != "hang":
            assert response.fail == behaviour.fail


@PURE
@given(
    hs.fault_schedules(),
    st.lists(st.tuples(st.sampled_from(["a", "b", None]), st.floats(0, 4000)), max_size=15),
)
def test_a_responder_plays_the_schedule_for_a_recording_receiver(
    schedule: hs.FaultSchedule, requests: list[tuple[str | None, float]]
) -> None:
    """The responder counts copies of each data.id itself and measures time from its origin."""
    origin = 1000.0
    respond = schedule.responder(origin)
    copies: dict[str, int] = {}
    for number, (data_id, t) in enumerate(requests, start=1):
        copy = copies[data_id] = copies.get(data_id, 0) + 1 if data_id else 1
        request = ReceivedRequest("POST", "/", {}, b"", origin + t, None, None, False, data_id)
        expected = schedule.choose(t=t, request=number, copy=copy if data_id else 1).behaviour()
        assert respond(number, request) == expected


def test_the_docstring_examples_run() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        for module in (hs, faults_module):
            failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
            assert tried and not failed, module.__name__


def test_the_public_names_are_pinned() -> None:
    assert sorted(hs.__all__) == [
        "Fault",
        "FaultSchedule",
        "envelopes",
        "event_types",
        "events",
        "fault_schedules",
        "faults",
        "settings",
        "subscriptions",
        "webhook_urls",
    ]
