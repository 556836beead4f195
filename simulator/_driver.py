"""The wall-clock driver: the adapter that lets real time pass for a served platform.

The engine never sleeps; under a `WallClock` something must wait until work is due and then
run it. `Driver` is that thread. It also owns a `DeliveryPool`, the bounded set of workers
that send real requests outside the platform lock, so that one slow receiver delays neither
the other receivers nor the management API.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from ._platform import Platform
from ._settings import Settings

__all__ = ["DEFAULT_PER_ENDPOINT", "DEFAULT_WORKERS", "MAX_WORKERS", "DeliveryPool", "Driver"]

log = logging.getLogger("hooksim.serve")

#: Requests sent at once, at most (`hooksim serve --workers`).
DEFAULT_WORKERS = 64
#: Requests in flight to one endpoint at once, at most (`hooksim serve --per-endpoint`).
DEFAULT_PER_ENDPOINT = 2
#: The most workers a pool may have (each is a thread).
MAX_WORKERS = 1024


class DeliveryPool:
    """Worker threads for real sends: at most `max_workers` requests at once, and at most
    `per_endpoint` to any one endpoint (scheme://host:port).

    Jobs for an endpoint at its limit wait in that endpoint's queue without holding a
    worker, so a slow receiver with a backlog never starves the others. Endpoints with work
    are served in turn (round robin); each endpoint's jobs run in the order submitted.
    """

    def __init__(
        self, max_workers: int = DEFAULT_WORKERS, per_endpoint: int = DEFAULT_PER_ENDPOINT
    ) -> None:
        if max_workers < 1 or per_endpoint < 1:
            raise ValueError("max_workers and per_endpoint must be at least 1")
        self.max_workers = max_workers
        self.per_endpoint = per_endpoint
        self._cond = threading.Condition()
        self._queues: dict[str, deque[Callable[[], None]]] = {}
        self._active: dict[str, int] = {}
        self._ready: deque[str] = deque()  # endpoints with queued work and a free slot
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._closed = False

    def submit(self, endpoint: str, job: Callable[[], None]) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("the delivery pool is shut down")
            self._queues.setdefault(endpoint, deque()).append(job)
            self._mark_ready(endpoint)
            if self._idle == 0 and len(self._threads) < self.max_workers:
                thread = threading.Thread(
                    target=self._work, name=f"hooksim-delivery-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            self._cond.notify()

    def _mark_ready(self, endpoint: str) -> None:
        if (
            self._queues.get(endpoint)
            and self._active.get(endpoint, 0) < self.per_endpoint
            and endpoint not in self._ready
        ):
            self._ready.append(endpoint)

    def _next(self) -> tuple[str, Callable[[], None]] | None:
        with self._cond:
            while not self._ready and not self._closed:
                self._idle += 1
                self._cond.wait()
                self._idle -= 1
            if self._closed:
                return None
            endpoint = self._ready.popleft()
            queue = self._queues[endpoint]
            job = queue.popleft()
            if not queue:
                del self._queues[endpoint]
            self._active[endpoint] = self._active.get(endpoint, 0) + 1
            self._mark_ready(endpoint)  # round robin: back of the line if it has more
            return endpoint, job

    def _work(self) -> None:
        while (item := self._next()) is not None:
            endpoint, job = item
            try:
                job()
            except Exception:
                log.exception("a delivery job for %s failed", endpoint)
            finally:
                with self._cond:
                    self._active[endpoint] -= 1
                    if not self._active[endpoint]:
                        del self._active[endpoint]
                    self._mark_ready(endpoint)
                    if self._ready:
                        self._cond.notify()

    @property
    def queued(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._queues.values())

    @property
    def running(self) -> int:
        with self._cond:
            return sum(self._active.values())

    def shutdown(self, timeout: float | None = None) -> int:
        """Stop taking jobs; wait up to `timeout` for running ones. Answers how many queued
        jobs were dropped (their deliveries stay pending in the platform)."""
        with self._cond:
            self._closed = True
            dropped = sum(len(q) for q in self._queues.values())
            self._queues.clear()
            self._ready.clear()
            self._cond.notify_all()
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
        return dropped


class Driver:
    """Runs a wall-clock platform's due work on a thread of its own.

    `start()` installs the delivery pool as the platform's dispatcher (real transports only);
    `stop()` wakes the thread, joins it and shuts the pool down.
    """

    def __init__(
        self,
        platform: Platform,
        *,
        pool: DeliveryPool | None = None,
        max_wait: float = 1.0,
        shutdown_timeout: float | None = None,
    ) -> None:
        if platform.clock.is_virtual:
            raise ValueError("a virtual clock is moved by advance(), not by a driver")
        self.platform = platform
        self.pool = pool if pool is not None else DeliveryPool()
        #: The longest the driver sleeps without looking again (a safety net: new work
        #: wakes it at once).
        self.max_wait = max_wait
        self.shutdown_timeout = shutdown_timeout
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Driver:
        if self._thread is not None:
            raise RuntimeError("the driver is already started")
        if not self.platform.transport.simulated:
            self.platform.dispatcher = self.pool
        self._thread = threading.Thread(target=self._run, name="hooksim-driver", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        platform = self.platform
        while not self._stopping.is_set():
            try:
                platform.run_due()
                with platform.lock:  # no work can be added between looking and waiting
                    if self._stopping.is_set():
                        break
                    due = platform.next_due()
                    now = platform.clock.now()
                    wait = self.max_wait if due is None else min(self.max_wait, due - now)
                    if wait > 0:
                        platform.wait_for_work(wait)
            except Exception:
                log.exception("the driver failed to run due work; trying again")
                self._stopping.wait(self.max_wait)

    def stop(self) -> None:
        self._stopping.set()
        self.platform.wake()
        if self._thread is not None:
            self._thread.join()
        with self.platform.lock:
            if self.platform.dispatcher is self.pool:
                self.platform.dispatcher = None
        timeout = self.shutdown_timeout
        if timeout is None:
            timeout = max(s.timeout for s in self._settings()) + 1.0
        if self.pool.running:
            log.warning(
                "waiting up to %.0f s for %d deliveries in flight", timeout, self.pool.running
            )
        dropped = self.pool.shutdown(timeout)
        if dropped:
            log.warning("%d queued deliveries were not sent (stopping)", dropped)

    def _settings(self) -> list[Settings]:
        store = self.platform.store
        return [env.settings for env in store.environments.values()] or [self.platform.settings]

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Driver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
