"""The state of one scenario while it runs: the platform under test (a `Backend`, in process
or a target), its receivers, and the names the scenario gave to subscriptions, events,
responses and downloads."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hooksim.simulator import ATOMIC_PROFILE, Profile, Settings, format_duration

from ._backend import Backend, BackendHooks, Session
from ._errors import StepFailed
from ._gateway import ApiGateway, ApiResponse
from ._loader import RECEIVER_BASE_URL
from ._model import Scenario
from ._profile_receivers import profile_reader
from ._real_receivers import Binding, RealReceiver, ReceiverTarget
from ._receivers import ScenarioReceiver
from ._results import ExpectationResult, SourceSpan

__all__ = ["Receiver", "RunContext", "StatusEntry"]

#: A scenario's receiver: scripted by the scenario, or the user's own (forwarded to).
Receiver = ScenarioReceiver | RealReceiver


@dataclass(frozen=True, slots=True)
class StatusEntry:
    t: float
    subscription_id: str
    status: str
    reason: str | None


class RunContext:
    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        session: Session,
        bindings: Mapping[str, ReceiverTarget | Binding] | None = None,
        profile: Profile | None = None,
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        # A platform profile (another sender's rules) supplies the default settings.
        self.profile = profile if profile is not None else ATOMIC_PROFILE
        self.settings: Settings = self.profile.default_settings(**scenario.settings)
        bound = dict(bindings or {})
        self.receivers: dict[str, Receiver] = {}
        for name, spec in scenario.receivers.items():
            given = bound.get(name)
            binding = Binding.of(given) if given is not None else None
            if binding is not None:
                spec = binding.spec(spec)
            target = binding.target if binding is not None else spec.url
            if target is not None:
                self.receivers[name] = RealReceiver(
                    spec, target, now=self.now, signature_header=self.settings.signature_header
                )
            else:
                self.receivers[name] = ScenarioReceiver(
                    spec,
                    now=self.now,
                    rng=random.Random(f"{seed}:{name}"),
                    signature_header=self.settings.signature_header,
                    reader=profile_reader(self.profile, self._platform_now),
                )
        #: A real receiver may check timestamps: the platform's clock then starts at the real
        #: time (virtual time still runs ahead of it as the scenario advances).
        real = any(isinstance(r, RealReceiver) for r in self.receivers.values())
        self.history: list[StatusEntry] = []
        self.clock_advances: list[tuple[float, float]] = []
        self.backend: Backend = session.open(
            seed=seed,
            settings=self.settings,
            receivers=self.receivers,
            hooks=BackendHooks(self._status_changed, self._clock_advanced),
            start=round(time.time(), 3) if real else None,
            profile=self.profile,
        )
        self.start = self.backend.start
        self.environment_id = self.backend.environment_id
        for name, receiver in self.receivers.items():
            if isinstance(receiver, RealReceiver):
                receiver.mount_path = urlsplit(self.backend.receiver_url(name)).path
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
        self.results: list[ExpectationResult] = []
        self.api.observers.append(self._learn_secret)

    def close(self) -> None:
        self.backend.close()
        for receiver in self.receivers.values():
            if isinstance(receiver, RealReceiver):
                receiver.close()

    # time --------------------------------------------------------------------------
    def now(self) -> float:
        """Virtual seconds since the scenario started."""
        backend = getattr(self, "backend", None)
        return backend.now() - self.start if backend is not None else 0.0

    def _platform_now(self) -> float:
        """The platform's own time (absolute): what a sender's timestamps are signed with."""
        return self.backend.now()

    def advance_to(self, t: float, span: SourceSpan) -> None:
        now = self.now()
        if t < now - 1e-9:
            raise StepFailed(
                f"{span.label()}: cannot go back to {format_duration(t)}: the clock is "
                f"already at {format_duration(now)}"
            )
        self.backend.advance(t - now)

    # the API -----------------------------------------------------------------------
    @property
    def api(self) -> ApiGateway:
        return self.backend.api

    def receiver_url(self, name: str, path: str = "") -> str:
        return self.backend.receiver_url(name, path)

    def rewrite_urls(self, value: Any) -> Any:
        """A scenario writes receivers' URLs as `https://receivers.hooksim.test/NAME`; the
        platform under test is given where they really are."""
        if isinstance(value, dict):
            return {k: self.rewrite_urls(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite_urls(v) for v in value]
        if isinstance(value, str) and value.startswith(RECEIVER_BASE_URL):
            name, _, path = value[len(RECEIVER_BASE_URL) :].partition("/")
            return self.receiver_url(name, "/" + path if path else "")
        return value

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
        self.fix_secret(sub_id, receiver)

    def fix_secret(self, sub_id: str, receiver: str | None) -> None:
        """A real receiver is configured with its secret before the subscription exists:
        the subscription is given that secret (the control contract's `fixed-secrets`)."""
        if receiver is None:
            return
        real = self.receivers[receiver]
        if not isinstance(real, RealReceiver) or real.spec.secret is None:
            return
        self.backend.require("fixed-secrets", f"receiver {receiver} has a fixed secret")
        answer = self.api.call(
            "PUT", f"/_sim/webhook/{sub_id}/secret", body={"secret": real.spec.secret}
        )
        if answer.status != 200:
            why = answer.summary()
            raise StepFailed(f"giving subscription {sub_id} its receiver's secret: {why}")

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

    def _learn_secret(self, response: ApiResponse) -> None:
        """A subscription's secret as the API last showed it (it can be given a known one):
        its receiver verifies with that, like a receiver configured from the API would."""
        data = response.body.get("data") if isinstance(response.body, dict) else None
        if not (200 <= response.status < 300 and isinstance(data, dict)):
            return
        sub_id, secret = str(data.get("id")), data.get("secret")
        if sub_id in self.subscription_receivers and isinstance(secret, str):
            self.secrets[sub_id] = secret
            self.attach(sub_id, self.subscription_receivers[sub_id])

    # what the backend tells -----------------------------------------------------------
    def _status_changed(self, t: float, sub_id: str, status: str, reason: str | None) -> None:
        self.history.append(StatusEntry(t - self.start, sub_id, status, reason))

    def _clock_advanced(self, start: float, end: float) -> None:
        self.clock_advances.append((start - self.start, end - self.start))

    def status_at(self, sub_id: str, t: float) -> tuple[str, str | None] | None:
        """A subscription's status and reason at virtual time `t` (None: not yet created)."""
        found = None
        for entry in self.history:
            if entry.subscription_id == sub_id and entry.t <= t + 1e-9:
                found = (entry.status, entry.reason)
        return found
