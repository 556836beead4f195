"""What the runner's platform would refuse, asked before anything runs.

The loader refuses at load time (exit 2, naming the line) what would make a scenario fail
at run time for reasons in the file itself: an `advance` the platform refuses, overrides it
cannot send, a subscription body it refuses where the runner needs it to succeed. Rather
than restating the platform's rules here (they would drift), `Probe` asks a scratch
platform of its own, through the same public calls the runner makes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hooksim.simulator import HooksimError, Platform, Settings

__all__ = ["PLACEHOLDER", "Probe", "without_runtime_values"]

#: What a step's strings may hold for the run to fill in (`_steps._placeholders`).
PLACEHOLDER = re.compile(r"\{(env|subscription\.[^{}]+|event\.[^{}]+|response\.[^{}]+)\}")
#: Fields whose value names something created at run time.
_RUNTIME_FIELDS = frozenset({"credentialId"})
_SUBSCRIPTIONS, _EVENTS = "subscriptions", "events"


def _mentions_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return bool(PLACEHOLDER.search(value))
    if isinstance(value, Mapping):
        return any(_mentions_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(_mentions_placeholder(v) for v in value)
    return False


def without_runtime_values(body: Mapping[str, Any]) -> dict[str, Any]:
    """`body` without the fields only the run can fill in (placeholders, credential ids)."""
    return {
        name: value
        for name, value in body.items()
        if name not in _RUNTIME_FIELDS and not _mentions_placeholder(value)
    }


class Probe:
    """A scratch platform with the scenario's settings, started on first use."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self._settings = settings
        self._platform: Platform | None = None
        self._base: str | None = None  # a subscription to try updates on

    @property
    def platform(self) -> Platform:
        if self._platform is None:
            try:
                settings = Settings(**self._settings)
            except (HooksimError, TypeError):  # reported by the loader already
                settings = Settings()
            platform = Platform(settings=settings)
            # As many subscriptions as the file creates: the limit is not the question here.
            platform.create_environment(
                _SUBSCRIPTIONS, settings.with_changes(max_subscriptions=10**6)
            )
            platform.create_environment(_EVENTS, settings)
            self._platform = platform
        return self._platform

    def subscribe(self, body: Mapping[str, Any]) -> HooksimError | None:
        """Why the platform would refuse to create this subscription, or None."""
        return self._ask(lambda: self.platform.subscribe(_SUBSCRIPTIONS, body))

    def update(self, changes: Mapping[str, Any]) -> HooksimError | None:
        """Why the platform would refuse these changes to a subscription, or None."""
        if self._base is None:
            base = {"types": ["card-published"], "url": "https://probe.hooksim.test/"}
            self._base = self.platform.subscribe(_SUBSCRIPTIONS, base).id
        base_id = self._base
        return self._ask(
            lambda: self.platform.update_subscription(_SUBSCRIPTIONS, base_id, changes)
        )

    def publish(self, event_type: str, overrides: Mapping[str, Any] | None) -> HooksimError | None:
        """Why the platform would refuse to publish with these overrides, or None."""
        return self._ask(lambda: self.platform.publish(_EVENTS, event_type, overrides=overrides))

    def advance(self, seconds: float) -> HooksimError | None:
        """Why the platform would refuse to advance its clock by `seconds`, or None (its
        clock is empty of work: trying costs nothing)."""
        return self._ask(lambda: self.platform.advance(seconds))

    @staticmethod
    def _ask(call: Any) -> HooksimError | None:
        try:
            call()
        except HooksimError as refused:
            return refused
        return None
