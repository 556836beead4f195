"""The served API's connections are bounded (issue 10, item 6): a connection silent while
its request is read is dropped after the read timeout, one that trickles is shut down at
its read deadline, and past `max_connections` a new one is answered 503 at once, while the
API goes on answering.

Time here is only a liveness bound: each test checks what the server did (closed the
connection, answered 503, how many bytes it took) rather than how fast."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from contextlib import ExitStack

import pytest
import requests
from _serve_helpers import token_for, wait_until
from hooksim.simulator._serve import ServedPlatform

pytestmark = pytest.mark.served

#: How long a test waits on one socket before calling the server stuck.
LIVENESS = 60.0


def _connect(served: ServedPlatform) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", served.port), timeout=LIVENESS)
    return connection


def _half_a_body(served: ServedPlatform, token: str) -> socket.socket:
    connection = _connect(served)
    connection.sendall(
        (
            "POST /v1/dev/webhook HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            'Content-Length: 100\r\n\r\n{"types": '
        ).encode()
    )
    return connection


def _closed_by_server(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (fails if it never does)."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def _api_answers(served: ServedPlatform, token: str) -> bool:
    response = requests.get(
        f"{served.base_url}/v1/dev/webhook",
        headers={"User-Agent": "t", "Authorization": f"Bearer {token}"},
        timeout=LIVENESS,
    )
    return response.status_code == 200


def test_connections_that_send_half_a_body_are_dropped_and_the_api_answers(
    serve: Callable[..., ServedPlatform],
) -> None:
    served = serve(clock="virtual", read_timeout=1.0)
    token = token_for(served)
    with ExitStack() as stack:
        held = [stack.enter_context(_half_a_body(served, token)) for _ in range(40)]
        assert _api_answers(served, token)
        for connection in held:
            answer = _closed_by_server(connection)
            # The body never came: a 400 naming it, or the connection simply closed.
            assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert served.platform.subscriptions("dev") == []
    assert _api_answers(served, token)


def test_a_trickling_connection_is_shut_down_at_its_read_deadline(
    serve: Callable[..., ServedPlatform],
) -> None:
    # A byte every 0.2 s never trips a 1 s read timeout; the deadline (6 s) ends it.
    served = serve(clock="virtual", read_timeout=1.0)
    connection = _connect(served)
    sent = 0
    with connection:
        connection.sendall(b"POST /v1/dev/webhook HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        try:
            for _ in range(600):  # two minutes of trickling if nothing stopped it
                connection.sendall(b"a")
                sent += 1
                time.sleep(0.2)
        except OSError:
            pass  # shut down by the server
    assert sent < 600, "the server let the request trickle in for two minutes"
    assert served.server.read_deadlines.expired >= 1


def test_past_max_connections_a_new_one_is_answered_503_at_once(
    serve: Callable[..., ServedPlatform],
) -> None:
    served = serve(clock="virtual", max_connections=4, read_timeout=60.0)
    token = token_for(served)
    # The token's connection holds its slot until its thread has finished.
    wait_until(lambda: _busy(served) == 0, "the token's connection to be released")
    with ExitStack() as stack:
        idle = [stack.enter_context(_connect(served)) for _ in range(4)]
        wait_until(lambda: _busy(served) == 4, "four idle connections to be held")
        assert served.server.turned_away == 0
        with _connect(served) as extra:
            answer = _closed_by_server(extra)
        assert answer.startswith(b"HTTP/1.1 503"), answer[:200]
        assert b"Retry-After: 1" in answer and b"too_many_connections" in answer
        assert served.server.turned_away >= 1
        for connection in idle:
            connection.close()
    wait_until(lambda: _busy(served) == 0, "the held connections to be released")
    assert _api_answers(served, token)


def _busy(served: ServedPlatform) -> int:
    server = served.server
    return server.max_connections - server._slots._value  # type: ignore[attr-defined]
