"""Receiver fault schedules: what a receiver answers, request by request, over virtual time.

A `FaultSchedule` is an ordered list of `Fault` rules; the first whose conditions hold answers
(none: a plain 200). It has the meaning of a scenario receiver's `behaviour` list
(`scenarios/README.md`): `to_yaml()` writes it in that form, `phases()` loads it back through
the scenario loader (so a schedule used in a property test and the same schedule in a YAML
file can never mean two different things), and `responder()` drives a `RecordingReceiver`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from hooksim.simulator import Behaviour, ReceivedRequest

__all__ = ["FAILURES", "Fault", "FaultSchedule", "Range"]

#: Ways to fail without an HTTP answer: refused or reset connections, or no answer at all.
FAILURES = ("refuse", "reset", "hang")

#: Inclusive request or copy numbers: (3, 3), (1, 3), or (4, None) for "4 and after".
Range = tuple[int, int | None]


@dataclass(frozen=True, slots=True)
class Fault:
    """One rule: a response, and the conditions under which it answers.

    Conditions (all that are given must hold): `requests`, the request's number at this
    receiver (1-based, every request counted); `attempts`, how many copies of the same
    `data.id` this receiver has seen, this one included (1: a first delivery, 2: the first
    retry or duplicate, ...); `start`/`end`, seconds since the schedule's origin (the
    scenario's start), `start` inclusive and `end` exclusive.

    The response: `status` after `latency` virtual seconds (beyond the platform's timeout it
    is a timeout), or a `failure` (`refuse`, `reset`, `hang`) instead of an answer;
    `retry_after` adds a `Retry-After` header (seconds), `redirect` a `Location` (3xx only).
    """

    status: int = 200
    latency: float = 0.0
    failure: str | None = None
    retry_after: float | None = None
    redirect: str | None = None
    requests: Range | None = None
    attempts: Range | None = None
    start: float | None = None
    end: float | None = None

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status (100-599), not {self.status!r}")
        if self.failure is not None and self.failure not in FAILURES:
            raise ValueError(f"failure must be one of {', '.join(FAILURES)}, not {self.failure!r}")
        for name in ("latency", "retry_after", "start", "end"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value < 0):
                raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")
        if self.redirect is not None and not 300 <= self.status < 400:
            raise ValueError(f"a redirect answers a 3xx status, not {self.status}")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must come after start")
        for name in ("requests", "attempts"):
            bounds = getattr(self, name)
            if bounds is not None and (
                bounds[0] < 1 or (bounds[1] is not None and bounds[1] < bounds[0])
            ):
                raise ValueError(f"{name} must be a range starting at 1, not {bounds!r}")

    def applies(self, *, t: float, request: int, copy: int) -> bool:
        if self.start is not None and t < self.start:
            return False
        if self.end is not None and t >= self.end:
            return False
        return _within(request, self.requests) and _within(copy, self.attempts)

    def headers(self) -> tuple[tuple[str, str], ...]:
        headers = []
        if self.redirect is not None:
            headers.append(("Location", self.redirect))
        if self.retry_after is not None:
            headers.append(("Retry-After", f"{self.retry_after:g}"))
        return tuple(headers)

    def behaviour(self) -> Behaviour:
        """This response as a `RecordingReceiver` behaviour."""
        if self.failure == "hang":
            return Behaviour(status=self.status, latency=math.inf)
        return Behaviour(
            status=self.status,
            latency=self.latency,
            fail={"refuse": "refused", "reset": "reset"}.get(self.failure or ""),
            headers=self.headers(),
        )

    def to_yaml(self) -> Any:
        """The scenario form: a bare status when nothing else is set, else a response object."""
        item: dict[str, Any] = {}
        for key, value in (
            ("from", self.start),
            ("until", self.end),
            ("requests", _range_text(self.requests)),
            ("attempts", _range_text(self.attempts)),
        ):
            if value is not None:
                item[key] = value
        if self.failure is not None:
            item[self.failure] = True
            if self.failure != "hang" and self.latency:
                item["latency"] = self.latency
            return item
        if self.redirect is not None:
            item["redirect"] = self.redirect
        item["status"] = self.status
        if self.latency:
            item["latency"] = self.latency
        if self.retry_after is not None:
            item["retry_after"] = self.retry_after
        return self.status if list(item) == ["status"] else item


@dataclass(frozen=True, slots=True)
class FaultSchedule:
    """What one receiver answers: the first `Fault` that applies, else a 200.

    >>> schedule = FaultSchedule((Fault(status=503, attempts=(1, 2)),))
    >>> schedule.choose(t=0.0, request=1, copy=1).status
    503
    >>> schedule.choose(t=0.0, request=3, copy=3).status
    200
    >>> schedule.to_yaml()
    [{'attempts': '1-2', 'status': 503}, 200]
    """

    faults: tuple[Fault, ...] = ()

    def choose(self, *, t: float, request: int, copy: int) -> Fault:
        for fault in self.faults:
            if fault.applies(t=t, request=request, copy=copy):
                return fault
        return _OK

    def to_yaml(self) -> list[Any]:
        """The scenario `behaviour` list (ends with a plain 200 for whatever no rule took)."""
        return [fault.to_yaml() for fault in self.faults] + [200]

    def phases(self) -> tuple[Any, ...]:
        """The scenario receiver phases this schedule means, built by the scenario loader."""
        return _phases(yaml.safe_dump(self.to_yaml(), sort_keys=False))

    def responder(self, origin: float = 0.0) -> Callable[[int, ReceivedRequest], Behaviour]:
        """A `respond` callable for `RecordingReceiver`; `origin` is time 0 of the schedule.

        It counts copies of each `data.id` itself, so use one responder per receiver:

        >>> from hooksim.simulator import RecordingReceiver
        >>> receiver = RecordingReceiver(respond=FaultSchedule().responder())
        """
        copies: dict[str, int] = {}

        def respond(number: int, request: ReceivedRequest) -> Behaviour:
            copy = 1
            if request.data_id is not None:
                copy = copies[request.data_id] = copies.get(request.data_id, 0) + 1
            return self.choose(t=request.time - origin, request=number, copy=copy).behaviour()

        return respond


_OK = Fault()


def _within(number: int, bounds: Range | None) -> bool:
    if bounds is None:
        return True
    low, high = bounds
    return number >= low and (high is None or number <= high)


def _range_text(bounds: Range | None) -> int | str | None:
    if bounds is None:
        return None
    low, high = bounds
    if high == low:
        return low
    return f"{low}-" if high is None else f"{low}-{high}"


@functools.lru_cache(maxsize=512)
def _phases(behaviour_yaml: str) -> tuple[Any, ...]:
    from hooksim.scenarios import load_text

    document = {
        "name": "fault schedule",
        "receivers": {"r": {"behaviour": yaml.safe_load(behaviour_yaml)}},
    }
    scenario = load_text(yaml.safe_dump(document, sort_keys=False), "<fault schedule>")
    return scenario.receivers["r"].phases
