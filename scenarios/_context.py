"""The state of one scenario while it runs: the platform under test (a `Backend`, in process
or a target), its receivers, and the names the scenario gave to subscriptions, events,
responses and downloads."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from hooksim.simulator import Settings, format_duration

from ._backend import Backend, BackendHooks, Session
from ._errors import StepFailed
from ._gateway import ApiGateway, ApiResponse
from ._loader import RECEIVER_BASE_URL
from ._model import Scenario
from ._receivers import ScenarioReceiver
from ._results import ExpectationResult, SourceSpan

__all__ = ["RunContext", "StatusEntry"]


@dataclass(frozen=True, slots=True)
class StatusEntry:
    t: float
    subscription_id: str
    status: str
    reason: str | None


class RunContext:
    def __init__(self, scenario: Scenario, seed: int, session: Session) -> None:
        self.scenario = scenario
        self.seed = seed
        self.settings = Settings(**scenario.settings)
        self.receivers: dict[str, ScenarioReceiver] = {
            name: ScenarioReceiver(
                spec,
                now=self.now,
                rng=random.Random(f"{seed}:{name}"),
                signature_header=self.settings.signature_header,
            )
            for name, spec in scenario.receivers.items()
        }
        self.history: list[StatusEntry] = []
        self.clock_advances: list[tuple[float, float]] = []
        self.backend: Backend = session.open(
            seed=seed,
            settings=self.settings,
            receivers=self.receivers,
            hooks=BackendHooks(self._status_changed, self._clock_advanced),
        )
        self.start = self.backend.start
        self.environment_id = self.backend.environment_id
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

    # time --------------------------------------------------------------------------
    def now(self) -> float:
        """Virtual seconds since the scenario started."""
        backend = getattr(self, "backend", None)
        return backend.now() - self.start if backend is not None else 0.0

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
