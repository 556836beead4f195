"""The state of one scenario while it runs: its platform, environment, receivers, and the
names the scenario gave to subscriptions, events, responses and downloads."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from hooksim.simulator import (
    ATOMIC_PROFILE,
    ClockAdvanced,
    EventPublished,
    InProcessTransport,
    Platform,
    Profile,
    Signal,
    SubscriptionChanged,
    VirtualClock,
)

from ._errors import StepFailed
from ._gateway import ApiGateway, ApiResponse
from ._loader import receiver_url
from ._model import Scenario
from ._profile_receivers import profile_reader
from ._receivers import ScenarioReceiver
from ._results import ExpectationResult, SourceSpan

__all__ = ["RunContext", "StatusEntry"]

_STATUS_AFTER = {"created": "active", "enabled": "active", "disabled": "disabled"}


@dataclass(frozen=True, slots=True)
class StatusEntry:
    t: float
    subscription_id: str
    status: str
    reason: str | None


class RunContext:
    def __init__(self, scenario: Scenario, seed: int, profile: Profile | None = None) -> None:
        self.scenario = scenario
        self.seed = seed
        # A platform profile (another sender's rules) supplies the default settings.
        self.profile = profile if profile is not None else ATOMIC_PROFILE
        self.settings = self.profile.default_settings(**scenario.settings)
        self.transport = InProcessTransport()
        self.clock = VirtualClock()
        self.platform = Platform(
            clock=self.clock,
            settings=self.settings,
            transport=self.transport,
            seed=seed,
            # Tokens live on a clock of their own that stands still: simulated hours never
            # log the scenario out, and a run stays the same from one machine to the next.
            token_clock=VirtualClock(),
            profile=self.profile,
        )
        self.start = self.clock.now()
        self.environment_id = self.platform.create_environment(settings=self.settings).id
        self.platform.add_listener(self._on_signal)
        self._api: ApiGateway | None = None
        self.receivers: dict[str, ScenarioReceiver] = {}
        for name, spec in scenario.receivers.items():
            receiver = ScenarioReceiver(
                spec,
                now=self.now,
                rng=random.Random(f"{seed}:{name}"),
                signature_header=self.settings.signature_header,
                reader=profile_reader(self.profile, self.clock.now),
            )
            self.receivers[name] = receiver
            self.transport.mount(receiver_url(name), receiver)
        self.subscriptions: dict[str, str] = {}  # scenario name -> subscription id
        self.subscription_names: dict[str, str] = {}  # id -> scenario name
        self.subscription_receivers: dict[str, str | None] = {}  # id -> receiver name
        self.secrets: dict[str, str] = {}  # subscription id -> secret
        self.event_refs: dict[str, list[str]] = {}  # explicit ids and `as` labels -> ids
        self.published: list[str] = []
        self.event_types: dict[str, str] = {}
        self.responses: dict[str, ApiResponse] = {}
        self.downloads: dict[str, list[dict[str, Any]]] = {}
        self.credentials: dict[str, tuple[str, str]] = {}
        self.tokens: dict[str, str] = {}
        self.history: list[StatusEntry] = []
        self.clock_advances: list[tuple[float, float]] = []
        self.results: list[ExpectationResult] = []

    # time --------------------------------------------------------------------------
    def now(self) -> float:
        """Virtual seconds since the scenario started."""
        return self.clock.now() - self.start

    def advance_to(self, t: float, span: SourceSpan) -> None:
        now = self.now()
        if t < now - 1e-9:
            raise StepFailed(
                f"{span.label()}: cannot go back to {t:g} s: the clock is already at {now:g} s"
            )
        self.platform.advance(t - now)

    # the API -----------------------------------------------------------------------
    @property
    def api(self) -> ApiGateway:
        if self._api is None:
            self._api = ApiGateway(self.platform, self.environment_id)
        return self._api

    # names -------------------------------------------------------------------------
    def subscription_id(self, name: str, span: SourceSpan | None = None) -> str:
        try:
            return self.subscriptions[name]
        except KeyError:
            where = f"{span.label()}: " if span is not None else ""
            raise StepFailed(
                f"{where}subscription {name!r} was never created (did its subscribe step fail?)"
            ) from None

    def register_subscription(
        self, name: str | None, data: dict[str, Any], receiver: str | None
    ) -> None:
        sub_id = str(data["id"])
        if name is not None:
            self.subscriptions[name] = sub_id
        self.subscription_names[sub_id] = name or sub_id
        self.secrets[sub_id] = str(data.get("secret", ""))
        self.attach(sub_id, receiver)

    def attach(self, sub_id: str, receiver: str | None) -> None:
        """Tell a receiver the secret of a subscription that now points at it."""
        self.subscription_receivers[sub_id] = receiver
        if receiver is not None and sub_id in self.secrets:
            self.receivers[receiver].secrets[sub_id] = self.secrets[sub_id]

    def events(self, ref: str) -> list[str]:
        if ref == "*":
            return list(self.published)
        return list(self.event_refs.get(ref, []))

    def events_of(self, refs: list[str]) -> list[str]:
        ids: dict[str, None] = {}
        for ref in refs:
            ids.update(dict.fromkeys(self.events(ref)))
        return list(ids)

    # signals -----------------------------------------------------------------------
    def _on_signal(self, signal: Signal) -> None:
        if isinstance(signal, EventPublished):
            self.event_types[signal.event.id] = signal.event.type
        elif isinstance(signal, SubscriptionChanged):
            if signal.change == "deleted":
                status, reason = "deleted", None
            elif signal.change in _STATUS_AFTER:
                status = _STATUS_AFTER[signal.change]
                reason = signal.reason if status == "disabled" else None
            else:
                return
            self.history.append(
                StatusEntry(signal.time - self.start, signal.subscription.id, status, reason)
            )
        elif isinstance(signal, ClockAdvanced):
            self.clock_advances.append((signal.start - self.start, signal.end - self.start))

    def status_at(self, sub_id: str, t: float) -> tuple[str, str | None] | None:
        """A subscription's status and reason at virtual time `t` (None: not yet created)."""
        found = None
        for entry in self.history:
            if entry.subscription_id == sub_id and entry.t <= t + 1e-9:
                found = (entry.status, entry.reason)
        return found
