"""The run loop: it owns time. Advance a virtual clock, run what is due, wait for work.

Work that is due (first attempts, retries, the answers of slow receivers) sits in a
`Scheduler` in time order. Under a virtual clock the loop moves the clock itself, from one
timer's instant to the next (`advance`), so that each piece of work sees the instant it was
scheduled for. Under any other clock a driver thread (`_driver.py`) calls `run_due` and
sleeps in `wait_for_work` until the next timer or new work.

This is the only place that knows whether the clock is virtual: the executor asks it to
`settle` after adding work (run what is due now, or wake the driver), and for the
`dispatcher` (real sends off the lock, never under a virtual clock, whose runs stay
sequential and deterministic).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from ._clock import Clock, VirtualClock
from ._collector import batch_of_work
from ._errors import InvalidInput
from ._scheduler import Scheduler, Timer
from ._signals import ClockAdvanced, Emitter
from ._storage import Store

__all__ = ["Dispatcher", "RunLoop"]

#: The longest `advance` accepted in one call.
_MAX_ADVANCE = 10 * 365 * 86400


class Dispatcher(Protocol):
    """Runs real sends off the platform lock (the wall-clock driver's bounded worker pool).

    `endpoint` (scheme://host:port) lets it limit concurrent requests per receiver.
    """

    def submit(self, endpoint: str, job: Callable[[], None]) -> None: ...


class RunLoop:
    """Due work in time order on `clock`, run under `lock` in one store transaction a run."""

    def __init__(self, clock: Clock, lock: threading.RLock, store: Store, emitter: Emitter):
        self.clock = clock
        self.lock = lock
        self._store = store
        self._emitter = emitter
        self.scheduler = Scheduler()
        #: The clock this loop moves, when it is a virtual one.
        self._virtual = clock if isinstance(clock, VirtualClock) else None
        self._work_added = threading.Condition(lock)
        #: Set by the wall-clock driver: real (non-simulated) requests are then sent by its
        #: workers outside the lock, and their answers finish the attempt under the lock.
        self.dispatcher: Dispatcher | None = None

    # scheduling ---------------------------------------------------------------------------
    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run `callback(*args)` at `when`, or at once (in time order) if that has passed."""
        return self.scheduler.call_at(max(when, self.clock.now()), callback, *args)

    def cancel(self, timer: Timer) -> None:
        self.scheduler.cancel(timer)

    def settle(self) -> None:
        """Work was added: under the virtual clock, run whatever is due at the current
        instant; under the wall clock, wake the driver (only a driver waits for work, and it
        refuses a virtual clock)."""
        if self.clock.is_virtual:
            self._run_until(self.clock.now())
        else:
            self._work_added.notify_all()

    @property
    def dispatching(self) -> Dispatcher | None:
        """Where real sends go off the lock now: the installed `dispatcher`, never under a
        virtual clock."""
        return None if self.clock.is_virtual else self.dispatcher

    # a restart ----------------------------------------------------------------------------
    def resume_at(self, when: float) -> None:
        """A restarted virtual clock goes on from the time its store saved (never back)."""
        if self._virtual is not None:
            self._virtual.jump_to(max(when, self._virtual.now()))

    # virtual time -------------------------------------------------------------------------
    def advance(self, seconds: float) -> float:
        """Move a virtual clock forward, running everything due on the way in time order.

        Answers only once every attempt due in that span has finished and been logged.
        """
        clock = self._virtual
        if clock is None:
            raise InvalidInput(
                "only a virtual clock can be advanced; this platform follows the wall clock"
            )
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds < _MAX_ADVANCE
        ):
            raise InvalidInput("seconds must be a number from 0 to ten years", "seconds")
        with self.lock, self._store.transaction(sync=False), batch_of_work():
            start = clock.now()
            target = start + seconds
            self._run_until(target)
            clock.jump_to(target)
            self._emitter.emit(ClockAdvanced(start, target))
            return target

    def advance_to(self, when: float) -> float:
        return self.advance(max(0.0, when - self.clock.now()))

    def run_pending(self, limit: float = 366 * 86400.0) -> float:
        """Advance a virtual clock until nothing is pending (at most `limit` seconds)."""
        with self.lock:
            deadline = self.clock.now() + limit
            while (due := self.scheduler.next_due()) is not None and due <= deadline:
                self.advance_to(due)
            return self.clock.now()

    def _run_until(self, target: float) -> None:
        clock = self._virtual
        pop_due = self.scheduler.pop_due
        while (timer := pop_due(target)) is not None:
            if clock is not None and timer.when > clock.now():
                clock.jump_to(timer.when)
            timer.callback(*timer.args)

    # the wall clock -----------------------------------------------------------------------
    def run_due(self) -> int:
        """Run everything due now (for a driver thread under the wall clock)."""
        with self.lock, self._store.transaction(sync=False), batch_of_work():
            ran = 0
            while (timer := self.scheduler.pop_due(self.clock.now())) is not None:
                timer.callback(*timer.args)
                ran += 1
            return ran

    def next_due(self) -> float | None:
        with self.lock:
            return self.scheduler.next_due()

    def wait_for_work(self, timeout: float) -> None:
        """Block a driver thread until work is added or `timeout` passes (wall clock only)."""
        with self._work_added:
            self._work_added.wait(timeout)

    def wake(self) -> None:
        """Wake a driver blocked in `wait_for_work` (to stop it, or to look again)."""
        with self._work_added:
            self._work_added.notify_all()

    @property
    def pending(self) -> int:
        return len(self.scheduler)
