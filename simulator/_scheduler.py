"""Due work, in time order: a heap of timers with lazy cancellation.

Timers due at the same instant run in the order they were scheduled (the sequence number
breaks ties), which is what makes a run deterministic. The heap holds `(when, seq, timer)`
tuples, which compare in C (a `Timer.__lt__` in Python was 3% of an in-process delivery).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any

__all__ = ["Scheduler", "Timer"]


class Timer:
    __slots__ = ("args", "callback", "cancelled", "seq", "when")

    def __init__(self, when: float, seq: int, callback: Callable[..., Any], args: tuple) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._live = 0

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Timer:
        seq = next(self._seq)
        timer = Timer(when, seq, callback, args)
        heapq.heappush(self._heap, (when, seq, timer))
        self._live += 1
        return timer

    def cancel(self, timer: Timer) -> None:
        if not timer.cancelled:
            timer.cancel()
            self._live -= 1

    def _drop_cancelled(self) -> None:
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)

    def next_due(self) -> float | None:
        """When the earliest live timer is due, or None when nothing is pending."""
        self._drop_cancelled()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, until: float) -> Timer | None:
        """The earliest live timer due at or before `until`, removed from the queue."""
        heap = self._heap
        while heap and heap[0][2].cancelled:  # `_drop_cancelled`, inline: twice per delivery
            heapq.heappop(heap)
        if heap and heap[0][0] <= until:
            timer = heapq.heappop(heap)[2]
            self._live -= 1
            # Marked so that a later cancel() of a timer that already ran changes nothing.
            timer.cancelled = True
            return timer
        return None

    def __len__(self) -> int:
        return self._live
