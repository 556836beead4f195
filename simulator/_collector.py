"""Fewer garbage collections while the engine runs a batch of work.

A delivery leaves a few long-lived objects behind (the event, its delivery, the log row), so
a batch of thousands of them triggers the collector's youngest generation every 700 or so
and, through it, the older ones, which walk everything the store keeps; none of it is
garbage (a bulk `publish` and an `advance` make no reference cycles). `batch_of_work()`
raises the youngest generation's threshold for the duration of such a batch and then puts
the caller's thresholds back, so the collector runs about 30 times less often inside it.

Measured on 20,000 generated events published in one call and delivered in process (median
of 5 rounds, CPU, against the signing floor of the same round): 0.251 -> 0.302 of the floor.
Single-event calls (`publish_data`) are not wrapped: the young generation's count carries
over from call to call, so a short window would only move a collection, not save it.
"""

from __future__ import annotations

import gc
import threading
from types import TracebackType

__all__ = ["batch_of_work"]

#: The youngest generation's threshold during a batch (CPython's default is 700). At 20,000
#: the gain was the same as at 100,000 or with the collector off; cyclic garbage made in the
#: meantime waits at most that many allocations.
BATCH_THRESHOLD = 20_000

_lock = threading.Lock()
_depth = 0  # batches running now, in any thread: the first saves, the last restores
_saved: tuple[int, ...] = ()


class _BatchOfWork:
    __slots__ = ()

    def __enter__(self) -> None:
        global _depth, _saved
        with _lock:
            if _depth == 0:
                _saved = gc.get_threshold()
                # A threshold of 0 means automatic collection is off: leave it off.
                if 0 < _saved[0] < BATCH_THRESHOLD:
                    gc.set_threshold(BATCH_THRESHOLD, *_saved[1:])
            _depth += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)


_BATCH = _BatchOfWork()


def batch_of_work() -> _BatchOfWork:
    """`with batch_of_work(): ...` runs the block with fewer garbage collections."""
    return _BATCH
