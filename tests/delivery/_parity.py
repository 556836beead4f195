"""One WSGI receiver, reached two ways: mounted on `InProcessTransport`, or served by werkzeug
on 127.0.0.1 and reached by `HttpTransport`. The behaviour tests in `test_transport_parity.py`
run against both.

What is an answer (a status, headers, a body) comes from the same receiver either way. What is
not an answer is played by each transport's own means:

- slower than the timeout: in-process, the receiver declares virtual latency far beyond it;
  over HTTP, it holds the request on a latch until the test releases it;
- refused: in-process, nothing is mounted at the URL; over HTTP, nothing listens on the port;
- reset: in-process, the receiver raises `SimulatedConnectionError("reset")`; over HTTP, a
  bare socket reads the request and closes with SO_LINGER 0, which sends RST.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from hooksim.simulator import LATENCY_KEY, InProcessTransport, SimulatedConnectionError, Transport
from hooksim.simulator._http_transport import HttpTransport
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

__all__ = ["Answer", "Harness", "InProcess", "OverHttp", "ParityReceiver", "Seen", "make_harness"]


@dataclass(frozen=True)
class Seen:
    """One request as the receiver saw it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b"ok"
    #: Answer only after the platform's timeout has passed.
    slow: bool = False


class ParityReceiver:
    """Records every request; answers request n (1, 2, ...) with `script(n)`."""

    def __init__(self, hold: Callable[[dict[str, Any]], None]) -> None:
        self.script: Callable[[int], Answer] = lambda number: Answer()
        self.seen: list[Seen] = []
        self._hold = hold
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_data()
        seen = Seen(
            request.method,
            request.path,
            environ.get("QUERY_STRING", ""),
            dict(request.headers),
            body,
        )
        with self._lock:
            self.seen.append(seen)
            number = len(self.seen)
        answer = self.script(number)
        if answer.slow:
            self._hold(environ)
        reason = HTTP_STATUS_CODES.get(answer.status, "Unknown")
        start_response(f"{answer.status} {reason}", list(answer.headers))
        return [answer.body]


class Harness(Protocol):
    name: str
    transport: Transport
    receiver: ParityReceiver
    url: str  # the receiver, at /hook
    refused_url: str
    reset_url: str

    def release(self) -> None:
        """Let a held (slow) request answer."""

    def close(self) -> None: ...


class InProcess:
    name = "in-process"

    def __init__(self) -> None:
        self.transport = InProcessTransport()
        self.receiver = ParityReceiver(hold=self._slow)
        self.url = "http://receiver.test/hook"
        self.refused_url = "http://refused.test/hook"  # nothing mounted
        self.reset_url = "http://reset.test/hook"
        self.transport.mount(self.url, self.receiver)
        self.transport.mount(self.reset_url, _resetting_app)

    @staticmethod
    def _slow(environ: dict[str, Any]) -> None:
        environ[LATENCY_KEY] = 3600.0  # virtual seconds: far beyond any timeout here

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass


def _resetting_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    raise SimulatedConnectionError("reset")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class OverHttp:
    name = "http"

    def __init__(self) -> None:
        self._latch = threading.Event()
        self.receiver = ParityReceiver(hold=self._hold)
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self.receiver, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.port}/hook"
        self.refused_url = f"http://127.0.0.1:{_free_port()}/hook"
        self._reset = _ResettingServer()
        self.reset_url = self._reset.url
        self.transport = HttpTransport()

    def _hold(self, environ: dict[str, Any]) -> None:
        self._latch.wait(30)  # a liveness bound: the test releases it after the attempt

    def release(self) -> None:
        latch, self._latch = self._latch, threading.Event()
        latch.set()

    def close(self) -> None:
        self._latch.set()
        self.transport.close()
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
        self._reset.close()


class _ResettingServer:
    """A bare TCP server on 127.0.0.1: reads a request, answers with RST."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/hook"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                except OSError:
                    continue
                # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()


def _free_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_harness(name: str) -> Harness:
    return InProcess() if name == "in-process" else OverHttp()
