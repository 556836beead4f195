"""A platform under test, driven the way a user drives it, with everything it does observed.

Subscriptions go through the management API (`make_app` behind werkzeug's test client),
events and time through the simulation API; duplicates are injected on the platform itself.
Receivers are the scenario language's own (`ScenarioReceiver`), so a case found here replays
identically as a YAML scenario. Every action, every request a receiver gets and every signal
the platform emits lands in one ordered log, which the model checker reads after each step.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from werkzeug.test import Client

from hooksim._faults import FaultSchedule
from hooksim.scenarios import RECEIVER_BASE_URL, ReceiverSpec, ScenarioReceiver
from hooksim.simulator import Platform, PlatformHarness, Settings, Signal, make_app

__all__ = [
    "Arrival",
    "Begin",
    "End",
    "Harness",
    "PlatformFactory",
    "receiver_url",
]

PlatformFactory = Callable[..., Platform]


def receiver_url(name: str) -> str:
    """Where the scenario runner mounts receiver `name` (its `receiver:` URLs)."""
    return RECEIVER_BASE_URL + name


_USER_AGENT = "hooksim-model/0.1"


@dataclass(frozen=True, slots=True)
class Begin:
    """The harness is about to do something (`kind`, with what the model needs to know)."""

    kind: str
    args: dict[str, Any]


@dataclass(frozen=True, slots=True)
class End:
    """It is done: the API's status and parsed answer (None for direct platform calls)."""

    kind: str
    status: int | None
    body: Any
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Arrival:
    """A request reached a receiver; `headers` are the ones it answered with."""

    receiver: str
    request: Any  # hooksim.scenarios.Received
    headers: dict[str, str] = field(default_factory=dict)


Entry: TypeAlias = Begin | End | Arrival | Signal


class _Observed:
    """Wraps a receiver to log each request it got, and the headers it answered with."""

    def __init__(self, name: str, receiver: ScenarioReceiver, log: list[Entry]) -> None:
        self.name = name
        self.receiver = receiver
        self.log = log

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        sent: dict[str, str] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            sent.update(headers)
            return start_response(status, headers, exc_info)

        before = len(self.receiver.requests)
        try:
            return self.receiver(environ, capture)
        finally:
            if len(self.receiver.requests) > before:
                self.log.append(Arrival(self.name, self.receiver.requests[-1], sent))


class Harness:
    def __init__(
        self,
        settings: Settings,
        schedules: Mapping[str, FaultSchedule],
        *,
        platform_factory: PlatformFactory = Platform,
        seed: int = 0,
    ) -> None:
        self.settings = settings
        self.seed = seed
        # The harness the scenario runner's in-process backend builds, on the platform the
        # model tests, with its environment and no clients yet (the workbench's comes last).
        self.harness = PlatformHarness(
            settings, seed=seed, roles=(), platform_factory=platform_factory
        )
        self.clock = self.harness.clock
        self.transport = self.harness.transport
        self.platform = self.harness.platform
        self.start = self.harness.start
        self.env = self.harness.environment_id
        self.log: list[Entry] = []
        self.platform.add_listener(self.log.append)
        self.receivers: dict[str, ScenarioReceiver] = {}
        self.schedules: dict[str, FaultSchedule] = {}
        for name, schedule in schedules.items():
            receiver = ScenarioReceiver(
                ReceiverSpec(name, phases=schedule.phases()),
                now=self.now,
                rng=random.Random(f"{seed}:{name}"),
                signature_header=settings.signature_header,
            )
            self.receivers[name] = receiver
            self.schedules[name] = schedule
            self.harness.mount(receiver_url(name), _Observed(name, receiver, self.log))
        self.client = Client(make_app(self.platform))
        credential = self.platform.auth.create_client(self.env, "workbench")
        self._token = self.platform.auth.issue_token(credential.client_id, credential.secret).value

    def now(self) -> float:
        """Virtual seconds since the start (the scenario runner's time)."""
        return self.harness.elapsed()

    # the APIs ------------------------------------------------------------------------
    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"User-Agent": _USER_AGENT, "Authorization": f"Bearer {self._token}"}
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = self.client.open(path.replace("{env}", self.env), method=method, **kwargs)
        data = response.get_data()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode("utf-8", "replace")
        return response.status_code, parsed

    def act(self, kind: str, args: dict[str, Any], run: Callable[[], tuple[int, Any]]) -> Any:
        """Run one action between a Begin and an End in the log; answer the parsed body."""
        self.log.append(Begin(kind, args))
        status, body = run()
        self.log.append(End(kind, status, body))
        return body

    def webhook_path(self, sub_id: str, suffix: str = "") -> str:
        return f"/v1/{self.env}/webhook/{sub_id}{suffix}"

    def set_schedule(self, name: str, schedule: FaultSchedule) -> None:
        self.log.append(Begin("set_behaviour", {"receiver": name}))
        self.receivers[name].phases = schedule.phases()
        self.schedules[name] = schedule
        self.log.append(End("set_behaviour", None, None))

    def inject_duplicate(self, event_id: str, sub_id: str | None) -> str | None:
        """Inject on the platform (no API offers it); answers the error it raised, if any."""
        self.log.append(Begin("inject_duplicate", {"event": event_id, "subscription": sub_id}))
        error = None
        try:
            self.platform.inject_duplicate(self.env, event_id, sub_id)
        except Exception as exc:  # the model decides whether an error was right
            error = f"{type(exc).__name__}: {exc}"
        self.log.append(End("inject_duplicate", None, None, error))
        return error

    def attach(self, receiver: str, sub_id: str, secret: str) -> None:
        """Tell a receiver the secret of a subscription pointing at it (as the runner does)."""
        self.receivers[receiver].secrets[sub_id] = secret

    def take_log(self) -> list[Entry]:
        entries = list(self.log)
        self.log.clear()
        return entries
