"""Request bodies sent with `Transfer-Encoding: chunked` (issue 10, item 2): the same 1 MiB
limit as with Content-Length (413, never a body cut short and accepted), and a malformed
chunk is the client's mistake (400), never a 500."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import pytest
import requests
from _serve_helpers import token_for
from hooksim.simulator._serve import ServedPlatform
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.served

MiB = 1024 * 1024


def _chunked(body: bytes, size: int = 65536) -> bytes:
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


def _exchange(served: ServedPlatform, path: str, token: str, payload: bytes) -> tuple[int, bytes]:
    """Send a chunked POST over a raw socket; answer the status and the response body."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: hooksim-tests\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        try:
            sock.sendall(head + payload)
            sock.shutdown(socket.SHUT_WR)  # the body ends here, whatever it promised
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (and close) before reading everything
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    header, _, body = received.partition(b"\r\n\r\n")
    return int(header.split(b" ", 2)[1]), body


def _subscription(padding: int) -> bytes:
    """A valid subscribe body followed by `padding` spaces: still valid JSON when cut."""
    body = {"types": ["card-completed"], "url": "http://127.0.0.1:9/hook"}
    return json.dumps(body).encode() + b" " * padding


@pytest.fixture
def served(serve: Callable[..., ServedPlatform]) -> ServedPlatform:
    return serve(clock="virtual")


def test_a_chunked_body_over_1_mib_is_a_413_and_creates_nothing(served: ServedPlatform) -> None:
    token = token_for(served)
    status, body = _exchange(
        served, "/v1/dev/webhook", token, _chunked(_subscription(int(2.5 * MiB)))
    )
    assert status == 413, body
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert served.platform.subscriptions("dev") == []


def test_a_chunked_body_of_one_byte_over_is_a_413(served: ServedPlatform) -> None:
    token = token_for(served)
    payload = _subscription(0)
    payload += b" " * (MiB + 1 - len(payload))
    status, _ = _exchange(served, "/v1/dev/webhook", token, _chunked(payload))
    assert status == 413
    assert served.platform.subscriptions("dev") == []


def test_a_chunked_body_of_exactly_1_mib_is_accepted(served: ServedPlatform) -> None:
    token = token_for(served)
    payload = _subscription(0)
    payload += b" " * (MiB - len(payload))
    status, body = _exchange(served, "/v1/dev/webhook", token, _chunked(payload))
    assert status == 201, body
    assert len(served.platform.subscriptions("dev")) == 1


@pytest.mark.parametrize(
    "payload",
    [
        b"zz\r\nabc\r\n0\r\n\r\n",  # not a hexadecimal size
        b"-5\r\nabcde\r\n0\r\n\r\n",  # a negative size
        b"5\r\nabcdeXX0\r\n\r\n",  # no line end after the chunk
        b'5\r\n{"a":',  # the body ends inside a chunk
        b"\r\n\r\n",  # an empty size line
    ],
    ids=["not-hex", "negative", "no-terminator", "truncated", "empty-size"],
)
def test_a_malformed_chunked_body_is_a_400_naming_the_body(
    served: ServedPlatform, payload: bytes
) -> None:
    token = token_for(served)
    status, body = _exchange(served, "/v1/dev/webhook", token, payload)
    assert status == 400, body
    error = json.loads(body)["error"]
    assert error["field"] == "body"
    assert served.platform.subscriptions("dev") == []


# The class, generated: any chunking of any body is answered as the same body with a
# Content-Length is, and a damaged chunked encoding is a 4xx with a JSON error, never a 500.

#: Half the suite's fuzz examples: each sends up to 2 MiB twice.
_PROFILE = settings.get_profile("hooksim-fuzz")
FUZZ = settings(_PROFILE, max_examples=_PROFILE.max_examples // 2)

_publication = json.dumps({"environmentId": "dev", "type": "card-completed"}).encode()
bodies = st.one_of(
    st.builds(
        lambda pad: _publication + b" " * pad,
        st.sampled_from(
            [0, 1, 1000, MiB - len(_publication), MiB - len(_publication) + 1, 2 * MiB]
        ),
    ),
    st.binary(max_size=300),
    st.just(_publication[:-1]),
)


@st.composite
def chunkings(draw: st.DrawFn, body: bytes) -> bytes:
    """`body` as a chunked encoding with drawn chunk sizes (hex in either case), chunk
    extensions and trailer fields, all of which RFC 9112 allows."""
    out, at = [], 0
    while at < len(body):
        size = min(len(body) - at, draw(st.sampled_from([1, 7, 4096, 65536, 400_000])))
        digits = (b"%x" if draw(st.booleans()) else b"%X") % size
        extension = draw(st.sampled_from([b"", b";name=value"]))
        out.append(digits + extension + b"\r\n" + body[at : at + size] + b"\r\n")
        at += size
    trailers = draw(st.sampled_from([b"", b"X-Checksum: abc\r\n", b"A: 1\r\nB: 2\r\n"]))
    return b"".join(out) + b"0\r\n" + trailers + b"\r\n"


def _with_length(served: ServedPlatform, token: str, body: bytes) -> int:
    response = requests.post(
        served.base_url + "/_sim/events",
        data=body,
        headers={
            "User-Agent": "hooksim-tests",
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    return response.status_code


@pytest.mark.fuzz
def test_any_chunking_is_answered_like_the_same_body_with_a_length(served: ServedPlatform) -> None:
    token = token_for(served)

    @FUZZ
    @given(data=st.data(), body=bodies)
    def check(data: st.DataObject, body: bytes) -> None:
        chunked = data.draw(chunkings(body))
        status, answer = _exchange(served, "/_sim/events", token, chunked)
        assert status == _with_length(served, token, body), answer
        if status >= 400:
            assert json.loads(answer)["error"]["message"]

    check()


@pytest.mark.fuzz
def test_a_damaged_chunked_encoding_is_a_4xx_never_a_500(served: ServedPlatform) -> None:
    token = token_for(served)

    @FUZZ
    @given(data=st.data(), body=bodies.filter(lambda b: len(b) < 4096))
    def check(data: st.DataObject, body: bytes) -> None:
        chunked = bytearray(data.draw(chunkings(body)))
        for _ in range(data.draw(st.integers(1, 3))):
            at = data.draw(st.integers(0, len(chunked)))
            action = data.draw(st.sampled_from(["insert", "delete", "replace", "cut"]))
            byte = data.draw(st.sampled_from(b"0aZ;\r\n -\x00\xff"))
            if action == "insert":
                chunked[at:at] = bytes([byte])
            elif action == "delete":
                del chunked[at : at + 1]
            elif action == "replace":
                chunked[at : at + 1] = bytes([byte])
            else:
                del chunked[at:]
        status, answer = _exchange(served, "/_sim/events", token, bytes(chunked))
        assert status in (200, 400, 413), answer
        if status != 200:
            assert json.loads(answer)["error"]["message"]

    check()
