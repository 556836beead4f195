"""Scenario receivers as real HTTP servers, for a platform under test that delivers over the
network (target mode).

One listener on 127.0.0.1 serves every receiver of the run, each under its own path
(`/<scenario key>/<receiver>/...`); a scenario's receivers are dropped when it ends, so a late
request of an earlier scenario finds nothing (404). A receiver is the scenario language's
own WSGI app; `HttpReceiver` plays for real what it plays in process:
- latency (platform seconds) is said in the answer's `Sim-Latency` header, never slept: the
  platform's test build lets that much of its virtual time pass (control feature
  `simulated-latency`); a receiver that hangs answers `Sim-Latency: inf`;
- a refused or reset connection drops the connection without an answer (one listener cannot
  refuse a connection for one path only: the platform sees a connection dropped).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterable
from typing import Any

from hooksim.simulator import LATENCY_KEY, SIMULATED_LATENCY_HEADER, SimulatedConnectionError
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

__all__ = ["HttpReceiver", "ReceiverListener"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_error(self, format: str, *args: Any) -> None:
        pass


class HttpReceiver:
    """A scenario receiver (an in-process WSGI app) served over real HTTP."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        try:
            body = b"".join(self.app(environ, capture))
        except SimulatedConnectionError as exc:
            if environ.get(LATENCY_KEY) == float("inf"):  # it hangs: never answers in time
                start_response("504 Gateway Timeout", [(SIMULATED_LATENCY_HEADER, "inf")])
                return [b""]
            _drop(environ, exc.kind)
            raise ConnectionResetError(exc.kind) from None
        status, headers = captured
        latency = float(environ.get(LATENCY_KEY) or 0.0)
        if latency > 0:
            headers = [*headers, (SIMULATED_LATENCY_HEADER, f"{latency:g}")]
        start_response(status, headers)
        return [body]


def _drop(environ: dict[str, Any], kind: str) -> None:
    """Close the connection without an answer; a reset sends RST rather than FIN."""
    sock = environ.get("werkzeug.socket")
    if not isinstance(sock, socket.socket):
        return
    with contextlib.suppress(OSError):
        if kind == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)


class ReceiverListener:
    """One real HTTP server on 127.0.0.1 for every receiver of a run."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._apps: dict[str, WSGIApp] = {}
        self._lock = threading.Lock()
        self._server: BaseWSGIServer = make_server(
            host, 0, self._route, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="hooksim-receivers",
            daemon=True,
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def mount(self, prefix: str, app: WSGIApp) -> str:
        """Serve `app` below `/<prefix>`; answers its base URL."""
        with self._lock:
            self._apps[prefix] = app
        return f"{self.base_url}/{prefix}"

    def unmount(self, prefix: str) -> None:
        with self._lock:
            self._apps.pop(prefix, None)

    def _route(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        parts = path.lstrip("/").split("/", 2)
        prefix = "/".join(parts[:2])
        with self._lock:
            app = self._apps.get(prefix)
        if app is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no receiver here (its scenario has ended)"]
        # The receiver sees the path below its mount point, as in process.
        environ["SCRIPT_NAME"] = "/" + prefix
        environ["PATH_INFO"] = "/" + parts[2] if len(parts) > 2 else ""
        return app(environ, start_response)

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
