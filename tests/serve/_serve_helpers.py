"""Helpers for tests that need a real socket: a receiver on 127.0.0.1 and a served platform.

Every server binds 127.0.0.1 on an ephemeral port and is closed by its fixture.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from hooksim.simulator._serve import ServedPlatform
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Receiver:
    """A webhook receiver on 127.0.0.1: records every request, answers with `handler`."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler: Handler = handler or (lambda request: Response("ok"))
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    def _app(self, environ: dict, start_response: Callable) -> object:
        request = Request(environ)
        body = request.get_data()
        with self._lock:
            self.requests.append(
                Received(
                    request.method,
                    request.path,
                    dict(request.headers),
                    body,
                    int(environ.get("REMOTE_PORT", 0)),
                )
            )
        return self.handler(request)(environ, start_response)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()


def free_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], object], what: str, limit: float = 15.0) -> None:
    """Poll until `condition()` is true; fail (not a timing assert: a liveness bound)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for: {what}")
        time.sleep(0.01)


@contextmanager
def raw_server(behaviour: Callable[[socket.socket], None]) -> Iterator[str]:
    """A bare TCP server on 127.0.0.1 that runs `behaviour(conn)` for each connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                behaviour(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()


class _KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open (werkzeug's server never does)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.client_ports.append(self.client_address[1])  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def keep_alive_server() -> Iterator[tuple[str, list[int]]]:
    """An HTTP/1.1 server on 127.0.0.1 that keeps connections alive; yields its URL and
    the client port of every request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    server.daemon_threads = True
    server.client_ports = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.client_ports  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def token_for(served: ServedPlatform) -> str:
    """A bearer token for the served platform's workbench client (as the seed's set-up)."""
    response = requests.post(
        served.base_url + "/oauth2/token",
        auth=(served.client.client_id, served.client.secret),
        data={"grant_type": "client_credentials"},
        headers={"User-Agent": "curl/8.5.0"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
