"""What the model checker raises when the platform breaks a promise.

A `Violation` says which invariant broke and how, and carries what a YAML scenario needs to
show the same failure: scenario expectations that the model stands behind, the instant to stop
the scenario at (`cut`), and optionally a subscription to `freeze` there (disable it, then let
a timeout pass) so that attempts already sent are in the delivery log when it is checked and
no later attempt muddies the expectation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["INVARIANTS", "Violation"]

#: Invariant name -> the contract clauses it stands for.
INVARIANTS: dict[str, tuple[str, ...]] = {
    "nothing-lost": ("NOTHING-LOST", "DELIVERY-UNDELIVERED", "FILTER-TYPES"),
    "no-attempt-after-disable": ("DISABLE-STOPS-DELIVERY", "DISABLED-NOT-ATTEMPTED"),
    "disable-at-threshold": ("DISABLE-THRESHOLD", "DISABLE-RESET", "DISABLE-OPT-OUT"),
    "retry-window": ("RETRY-WINDOW", "RETRY-MAX-RETRIES"),
    "retry-schedule": ("RETRY-SCHEDULE", "RETRY-MAX-DELAY", "RETRY-AFTER"),
    "outcome": ("DELIVERY-SUCCESS-2XX", "DELIVERY-TIMEOUT"),
    "signature": ("SIGN-HMAC", "SIGN-RAW-BYTES"),
    "copies": ("DELIVERY-ENVELOPE", "AT-LEAST-ONCE"),
    "request": ("DELIVERY-METHOD", "DELIVERY-HEADERS", "EVENT-PAYLOAD"),
    "duplicates": ("DUPLICATE-INJECTION", "API-TEST"),
    "api": ("API-SUBSCRIBE", "API-UPDATE", "API-DISABLE", "API-ENABLE", "API-DELETE"),
    "log": ("LOG-ATTEMPTS", "SIGNALS"),
}


@dataclass(eq=False)
class Violation(AssertionError):
    """The platform broke `invariant`; `message` says how, for a person."""

    invariant: str
    message: str
    cut: float | None = None  # seconds since the start: where a reproduction should stop
    freeze: str | None = None  # a subscription name to disable at the cut
    expect: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        AssertionError.__init__(self, str(self))

    def __str__(self) -> str:
        return f"[{self.invariant}] {self.message}"

    @property
    def clauses(self) -> tuple[str, ...]:
        return INVARIANTS.get(self.invariant, ())
