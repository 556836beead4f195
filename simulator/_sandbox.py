"""Worker processes that compile and render mapping templates under hard bounds.

An adapter: it starts processes, waits on pipes with deadlines (it reads the monotonic wall
clock for its last-resort deadline), and kills what overruns. The bounds themselves are
enforced inside each worker by the operating system (`_mapping_worker.py`: a CPU-time timer
and an address-space limit per request), so no template can hold the platform's process:
its CPU, its memory, its interpreter lock or its shutdown. The engine asks through
`_mapping.py`; a platform without mappings never starts a worker.

Workers are shared by every platform in the process (started on first use, at most
`max_workers` at once, reused; a caller waits for a free one) and stopped at exit. A worker
ends with its parent: it exits when its stdin closes.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import _mapping_worker as protocol

__all__ = ["SandboxAnswer", "SandboxPool", "default_pool"]

_WORKER = Path(protocol.__file__)
#: A worker that has not answered within this many seconds of wall time beyond its CPU
#: bound (itself stopped within about a second of CPU over it) is killed: it is stuck.
GRACE = 10.0
#: Workers at once, at most: mapped deliveries beyond it wait for a free one.
DEFAULT_MAX_WORKERS = max(2, min(4, os.cpu_count() or 2))


@dataclass(frozen=True, slots=True)
class SandboxAnswer:
    """What a worker answered: `status` (OK, FAILED, TIMEOUT, MEMORY of the protocol) and
    the payload (the rendered body, or the reason of a failure)."""

    status: int
    payload: bytes = b""


class _WorkerLost(Exception):
    def __init__(self, answer: SandboxAnswer) -> None:
        super().__init__(answer.payload.decode("utf-8", "replace"))
        self.answer = answer


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own script, no shell
            [sys.executable, "-I", str(_WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,  # Ctrl-C in a terminal is the parent's to handle
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        # One poller per direction, registered once: a wait is then one system call.
        self._writable = select.poll()
        self._writable.register(self._in, select.POLLOUT)
        self._readable = select.poll()
        self._readable.register(self._out, select.POLLIN)

    def call(self, frame: bytes, deadline: float) -> tuple[SandboxAnswer, bool]:
        """Send one request and wait for its reply; (answer, whether the worker retires)."""
        self._write(frame, deadline)
        header = self._read(protocol.REPLY.size, deadline)
        status, length = protocol.REPLY.unpack(header)
        payload = self._read(length, deadline) if length else b""
        retiring = bool(status & protocol.RETIRING)
        return SandboxAnswer(status & ~protocol.RETIRING, payload), retiring

    def _wait(self, poller: select.poll, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining > 0 and poller.poll(remaining * 1000):
            return  # ready, or the other end closed (the read or write then says so)
        self.kill()
        raise _WorkerLost(SandboxAnswer(protocol.TIMEOUT, b"the worker did not answer in time"))

    def _write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._in, view)
            except BlockingIOError:
                self._wait(self._writable, deadline)
                continue
            except (BrokenPipeError, ConnectionResetError):
                raise self._lost() from None
            view = view[written:]

    def _read(self, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        while size:
            try:
                chunk = os.read(self._out, min(size, 1 << 20))
            except BlockingIOError:
                self._wait(self._readable, deadline)
                continue
            if not chunk:
                raise self._lost()
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _lost(self) -> _WorkerLost:
        """The worker ended while it had our request: why, from how it ended."""
        try:
            code = self.process.wait(timeout=GRACE)
        except subprocess.TimeoutExpired:
            code = None
        self.kill()
        if code == -signal.SIGXCPU:
            return _WorkerLost(SandboxAnswer(protocol.TIMEOUT))
        if code == -signal.SIGKILL:  # the kernel's out-of-memory killer, most likely
            return _WorkerLost(SandboxAnswer(protocol.MEMORY))
        reason = f"the mapping's worker process ended unexpectedly (exit status {code})"
        return _WorkerLost(SandboxAnswer(protocol.FAILED, reason.encode()))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def close(self) -> None:
        """Ask it to end (stdin closed) and wait a moment; kill it if it does not."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=2)
        self.kill()


class SandboxPool:
    """Up to `max_workers` worker processes, started on demand and reused."""

    def __init__(self, max_workers: int = DEFAULT_MAX_WORKERS) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._count = 0  # workers alive, idle or busy
        self._closed = False
        #: Workers started so far (a fresh one replaces each that retired or was killed).
        self.started = 0

    def run(self, op: int, source: str, envelope: bytes, cpu: float, memory: int) -> SandboxAnswer:
        """Run one request on a worker, under `cpu` seconds of CPU time and `memory` bytes."""
        encoded = source.encode("utf-8", "surrogatepass")
        frame = (
            protocol.REQUEST.pack(op, cpu, memory, len(encoded), len(envelope)) + encoded + envelope
        )
        worker = self._acquire()
        try:
            answer, retiring = worker.call(frame, time.monotonic() + cpu + GRACE)
        except _WorkerLost as lost:
            self._release(None)
            return lost.answer
        except BaseException:
            worker.kill()
            self._release(None)
            raise
        if retiring:
            worker.close()
            self._release(None)
        else:
            self._release(worker)
        return answer

    def _acquire(self) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the mapping sandbox is closed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker
                    worker.kill()
                    self._count -= 1
                if self._count < self.max_workers:
                    self._count += 1
                    break
                self._cond.wait()
        try:
            worker = _Worker()
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise
        self.started += 1
        return worker

    def _release(self, worker: _Worker | None) -> None:
        with self._cond:
            if worker is None:
                self._count -= 1
            elif self._closed:
                self._count -= 1
                worker.close()
            else:
                self._idle.append(worker)
            self._cond.notify()

    def close(self) -> None:
        """Stop every idle worker; busy ones stop when their request ends."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._cond.notify_all()
        for worker in idle:
            worker.close()


_default: SandboxPool | None = None
_default_lock = threading.Lock()


def default_pool() -> SandboxPool:
    """The process's pool, started on first use and closed at exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = SandboxPool()
            atexit.register(_default.close)
        return _default
