"""Fixtures of the example project. hooksim's fixtures come from its pytest plugin."""

from __future__ import annotations

import pytest
from hooksim.simulator import Settings
from receiver_app import CardReceiver

SECRET = "example-secret-5b1f"
TYPES = ["card-completed", "card-dismissed"]


@pytest.fixture
def hooksim_settings() -> Settings:
    """Our Atomic environment gives up after 5 retries and disables after 10 failures.

    Overriding this fixture changes the retry policy of every `hooksim_platform` here.
    """
    return Settings(max_retries=5, disable_threshold=10)


@pytest.fixture
def app() -> CardReceiver:
    return CardReceiver(secret=SECRET)


@pytest.fixture
def app_url(hooksim_platform, hooksim_mount, app) -> str:
    """The app mounted on the test platform and subscribed to card events with its secret."""
    url = hooksim_mount(app, path="/hooks/atomic")
    hooksim_platform.subscribe(url, TYPES, secret=SECRET)
    return url
