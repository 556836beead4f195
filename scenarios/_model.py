"""A loaded scenario: plain values, durations already in seconds, each part knowing the YAML
lines it came from. The loader builds it; the runner only reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from hooksim.simulator import Behaviour

from ._results import SourceSpan

#: What a receiver does with one request (status, latency, hang, refuse or reset, headers,
#: body): the simulator's recording receiver's `Behaviour`, which a phase chooses.
Response: TypeAlias = Behaviour

__all__ = [
    "Expectation",
    "Phase",
    "ReceiverSpec",
    "Response",
    "Scenario",
    "Step",
    "SubscriptionSpec",
]


@dataclass(frozen=True, slots=True)
class Phase:
    """A response and when it applies: all given conditions must hold (none: always)."""

    response: Response
    start: float | None = None  # virtual time since the scenario started, inclusive
    end: float | None = None  # exclusive
    requests: tuple[int, int | None] | None = None  # request numbers to this receiver
    attempts: tuple[int, int | None] | None = None  # copies of the same data.id received
    probability: float | None = None  # seeded: flapping
    #: A periodic window: from `start` (0 when not given), every `every` seconds, open for
    #: `window` seconds (a 30-second blip at the top of every hour: every 1h, for 30s).
    every: float | None = None
    window: float | None = None
    methods: tuple[str, ...] | None = None  # upper case

    def matches_without_chance(
        self, t: float, request: int, attempt: int, method: str = "POST"
    ) -> bool:
        if self.start is not None and t < self.start:
            return False
        if self.end is not None and t >= self.end:
            return False
        if self.every is not None and self.window is not None:
            # A hair of tolerance: a window opening at 3600 s holds an attempt at 3600 s
            # measured as 3599.9999999.
            into = (t - (self.start or 0.0) + 1e-9) % self.every
            if into >= self.window:
                return False
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return _within(request, self.requests) and _within(attempt, self.attempts)


def _within(number: int, bounds: tuple[int, int | None] | None) -> bool:
    if bounds is None:
        return True
    low, high = bounds
    return number >= low and (high is None or number <= high)


@dataclass(frozen=True, slots=True)
class ReceiverSpec:
    name: str
    phases: tuple[Phase, ...] = (Phase(Response()),)
    verify_signatures: bool = True
    reject_bad_signatures: bool = False
    dedupe: bool = False
    #: The secret the receiver is configured with: for a scripted one, a wrong secret on
    #: purpose; for a real one (`url`), what the subscriptions to it are given.
    secret: str | None = None
    #: A real endpoint (the user's receiver): deliveries are forwarded to it, not scripted.
    url: str | None = None
    #: Where the real receiver tells what it acted on (`{"effects": {data.id: n}}`): a URL,
    #: or a path on the receiver itself.
    effects_url: str | None = None

    @property
    def real(self) -> bool:
        return self.url is not None


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    """A subscription as the scenario declares it; `body` is what the API is sent."""

    name: str
    body: dict[str, Any]
    receiver: str | None
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Step:
    kind: str  # publish, advance, subscribe, ... ("at" alone: advance to that time)
    args: dict[str, Any]
    span: SourceSpan
    at: float | None = None  # advance to this time (since the start) before the step
    #: Repeated every `every` seconds from its first time until (before) `until`.
    every: float | None = None
    until: float | None = None

    def times(self, first: float) -> list[float]:
        """When the step runs, from `first` (its `at`, or the clock when it is reached)."""
        if self.every is None or self.until is None:
            return [first]
        count = max(0, int((self.until - first - 1e-9) // self.every) + 1)
        return [first + n * self.every for n in range(count)]


@dataclass(frozen=True, slots=True)
class Expectation:
    kind: str  # attempts, delivered, undelivered, receiver, subscription, analytics, response
    args: dict[str, Any]
    span: SourceSpan
    description: str | None = None


@dataclass(slots=True)
class Scenario:
    name: str
    file: str  # as shown in results: relative as given, or library/<name>.yaml
    description: str = ""
    clauses: list[str] = field(default_factory=list)
    seed: int | None = None
    #: The platform profile it names (a bundled name or a file's path), None: the run's.
    profile: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # Settings keyword arguments
    receivers: dict[str, ReceiverSpec] = field(default_factory=dict)
    subscriptions: list[SubscriptionSpec] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)
