"""Clocks: the only source of "now" for the platform.

Core code never asks the operating system for the time; it asks the clock it was given.
`VirtualClock` only moves when told to, which is what lets hours of retries play out in
milliseconds; `WallClock` follows the real time for `hooksim serve`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol, runtime_checkable

__all__ = ["DEFAULT_START", "Clock", "VirtualClock", "WallClock", "format_time", "parse_time"]

#: Where every virtual clock starts unless told otherwise, so that runs are reproducible.
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC).timestamp()


@runtime_checkable
class Clock(Protocol):
    """Tells the time as POSIX seconds (a float)."""

    @property
    def is_virtual(self) -> bool: ...

    def now(self) -> float: ...


class VirtualClock:
    """A clock that stands still until it is moved forward.

    The platform moves it while it runs due work (see `Platform.advance`), so that each piece
    of work sees the instant it was scheduled for.
    """

    is_virtual = True

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._now = float(start)
        self.start = float(start)

    def now(self) -> float:
        return self._now

    def jump_to(self, when: float) -> None:
        if when < self._now:
            raise ValueError(f"a virtual clock never goes backwards ({when} < {self._now})")
        self._now = float(when)

    def jump(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a virtual clock never goes backwards")
        self._now += seconds

    @property
    def elapsed(self) -> float:
        """Virtual seconds since the clock started."""
        return self._now - self.start

    def __repr__(self) -> str:
        return f"VirtualClock(now={format_time(self._now)})"


class WallClock:
    """The real time, for a platform serving real receivers."""

    is_virtual = False

    def now(self) -> float:
        return time.time()

    def __repr__(self) -> str:
        return "WallClock()"


# Cached: every event of a bulk publish carries the same instant (three times), and each
# formatting costs as much as signing a body.
@lru_cache(maxsize=1024)
def format_time(ts: float) -> str:
    """ISO-8601 UTC with milliseconds, the format the seed's examples use."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> float:
    """Parse an ISO-8601 instant; a value without an offset is taken as UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
