"""The real HTTP transport against receivers on 127.0.0.1: every way an attempt can end."""

from __future__ import annotations

import shutil
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from _serve_helpers import Receiver, free_port, keep_alive_server, raw_server
from hooksim.simulator import Outcome, OutgoingRequest
from hooksim.simulator._http_transport import HttpTransport
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

pytestmark = pytest.mark.served


def post(url: str, timeout: float = 5.0, body: bytes = b'{"a":1}') -> OutgoingRequest:
    headers = {"Content-Type": "application/json", "X-Atomic-Signature": "abc"}
    return OutgoingRequest("POST", url, headers, body, timeout)


def test_success_sends_method_headers_and_exact_body(
    transport: HttpTransport, receiver: Receiver
) -> None:
    body = b'{"z": 1, "a": "\\u00e9"}'
    request = OutgoingRequest(
        "PUT", receiver.url + "/hook?x=1", {"My-Custom-Header": "123"}, body, 5.0
    )
    result = transport.send(request)
    assert (result.outcome, result.status_code, result.body) == (Outcome.SUCCESS, 200, b"ok")
    (seen,) = receiver.requests
    assert (seen.method, seen.path, seen.body) == ("PUT", "/hook", body)
    assert seen.headers["My-Custom-Header"] == "123"
    assert "Authorization" not in seen.headers
    assert transport.simulated is False
    assert result.latency > 0


def test_connections_are_kept_alive_and_reused(transport: HttpTransport) -> None:
    with keep_alive_server() as (url, client_ports):
        for _ in range(3):
            assert transport.send(post(url)).outcome is Outcome.SUCCESS
    assert len(client_ports) == 3
    assert len(set(client_ports)) == 1


def test_error_status_is_a_failed_attempt_with_its_headers(
    transport: HttpTransport, receiver_factory: Callable[..., Receiver]
) -> None:
    receiver = receiver_factory(
        lambda request: Response("slow down", status=429, headers={"Retry-After": "120"})
    )
    result = transport.send(post(receiver.url))
    assert (result.outcome, result.status_code) == (Outcome.HTTP_ERROR, 429)
    assert result.headers["retry-after"] == "120"


def test_redirect_is_a_failure_and_never_followed(
    transport: HttpTransport, receiver_factory: Callable[..., Receiver]
) -> None:
    def handler(request: Request) -> Response:
        if request.path == "/moved":
            return Response("", status=307, headers={"Location": "/target?token=secret"})
        return Response("ok")

    receiver = receiver_factory(handler)
    result = transport.send(post(receiver.url + "/moved"))
    assert (result.outcome, result.status_code) == (Outcome.REDIRECT, 307)
    assert receiver.paths() == ["/moved"]
    assert result.error is not None and "not followed" in result.error
    assert "secret" not in result.error


def test_connection_refused(transport: HttpTransport) -> None:
    port = free_port()
    result = transport.send(post(f"http://127.0.0.1:{port}/"))
    assert result.outcome is Outcome.REFUSED
    assert result.error == f"connection refused by 127.0.0.1:{port}"
    assert result.status_code is None


def _reset(conn: socket.socket) -> None:
    conn.recv(65536)
    # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_connection_reset(transport: HttpTransport) -> None:
    with raw_server(_reset) as url:
        result = transport.send(post(url))
    assert result.outcome is Outcome.RESET
    assert result.error is not None and "dropped" in result.error


def test_closed_without_an_answer_is_a_reset(transport: HttpTransport) -> None:
    with raw_server(lambda conn: conn.recv(65536)) as url:
        result = transport.send(post(url))
    assert result.outcome is Outcome.RESET


def test_no_answer_within_the_timeout(
    transport: HttpTransport, receiver_factory: Callable[..., Receiver]
) -> None:
    release = threading.Event()

    def held(request: Request) -> Response:
        release.wait(30)
        return Response("late")

    receiver = receiver_factory(held)
    try:
        result = transport.send(post(receiver.url, timeout=0.3))
    finally:
        release.set()
    assert result.outcome is Outcome.TIMEOUT
    assert result.status_code is None


def test_a_body_that_trickles_past_the_timeout_is_a_timeout(transport: HttpTransport) -> None:
    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        while not stop.wait(0.05):
            try:
                conn.sendall(b"x")
            except OSError:
                return

    with raw_server(trickle) as url:
        try:
            result = transport.send(post(url, timeout=0.5))
        finally:
            stop.set()
    assert result.outcome is Outcome.TIMEOUT


def test_the_answer_read_is_capped_and_the_connection_not_reused(
    receiver_factory: Callable[..., Receiver],
) -> None:
    sent = []

    total = 64 << 20  # far more than socket buffers hold: only a reader takes it all

    def huge(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % total)
        try:
            for _ in range(total // 65536):
                conn.sendall(b"x" * 65536)
                sent.append(65536)
        except OSError:
            pass  # the transport hung up: it read what it keeps, not the rest

    with raw_server(huge) as url, HttpTransport(max_body=1000) as transport:
        result = transport.send(post(url))
        assert (result.outcome, result.status_code) == (Outcome.SUCCESS, 200)
        assert len(result.body) == 1000
        # The rest was never read, so the connection is not reused: the next request works.
        assert transport.send(post(url)).outcome is Outcome.SUCCESS
    assert sum(sent) < total


def test_default_cap_is_64_kib(transport: HttpTransport, receiver_factory) -> None:  # type: ignore[no-untyped-def]
    receiver = receiver_factory(lambda request: Response(b"y" * 200_000))
    assert len(transport.send(post(receiver.url)).body) == 64 * 1024


def test_non_http_url_is_an_error(transport: HttpTransport) -> None:
    result = transport.send(post("ftp://127.0.0.1/x"))
    assert result.outcome is Outcome.ERROR


def test_concurrent_sends_share_one_transport(transport: HttpTransport, receiver: Receiver) -> None:
    results = []
    lock = threading.Lock()

    def send() -> None:
        outcome = transport.send(post(receiver.url)).outcome
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [Outcome.SUCCESS] * 20
    assert len(receiver.requests) == 20


# TLS ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    # The TLS tests are part of the contract (TLS verified by default): without openssl they
    # fail loudly rather than skip quietly.
    assert openssl is not None, "the TLS tests need the openssl command (Debian: openssl)"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_url(certificate: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server = make_server("127.0.0.1", 0, Response("secure"), threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.port}/hook"
    server.shutdown()
    thread.join()


def test_tls_is_verified_by_default(transport: HttpTransport, tls_url: str) -> None:
    result = transport.send(post(tls_url))
    assert result.outcome is Outcome.ERROR
    assert result.error is not None and result.error.startswith("TLS with 127.0.0.1")


def test_tls_with_a_ca_bundle(certificate: tuple[Path, Path], tls_url: str) -> None:
    with HttpTransport(ca_bundle=str(certificate[0])) as transport:
        result = transport.send(post(tls_url))
    assert (result.outcome, result.body) == (Outcome.SUCCESS, b"secure")
