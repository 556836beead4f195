"""The signing rule receivers import: sign() and a timing-safe verify() over raw bytes."""

from __future__ import annotations

import hashlib
import hmac
import json

import hooksim.contracts._signing as signing
import pytest
from hooksim.contracts import DEFAULT_SIGNATURE_HEADER, sign, verify
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.clause("SIGN-HMAC")

SECRET = "0217309e-3c74-41b5-82e9-bd60e5db9bdb"  # the seed's example secret
BODY = b'{"requestId":"r","data":{"id":"e"}}'


def test_sign_is_lowercase_hex_hmac_sha256() -> None:
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY) == expected
    assert len(expected) == 64 and expected == expected.lower()
    assert sign(SECRET.encode(), BODY.decode()) == expected  # str and bytes alike (UTF-8)
    assert DEFAULT_SIGNATURE_HEADER == "X-Atomic-Signature"


def test_sign_matches_a_known_vector() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    assert sign("Jefe", "what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_verify_accepts_the_signature_and_rejects_everything_else() -> None:
    signature = sign(SECRET, BODY)
    assert verify(SECRET, BODY, signature)
    assert verify(SECRET, BODY, signature.encode())
    assert not verify(SECRET + "x", BODY, signature)
    assert not verify(SECRET, BODY + b" ", signature)
    assert not verify(SECRET, BODY, signature[:-1])
    assert not verify(SECRET, BODY, signature + "0")
    assert not verify(SECRET, BODY, "")
    assert not verify(SECRET, BODY, None)
    assert not verify(SECRET, BODY, "sha256=" + signature)
    # The contract pins the exact form: the same digest in upper case or between blanks fails.
    assert not verify(SECRET, BODY, signature.upper())
    assert not verify(SECRET, BODY, f" {signature} ")
    assert not verify(SECRET, BODY, f"{signature}\n")


@pytest.mark.clause("SIGN-RAW-BYTES")
def test_verify_needs_the_exact_bytes_not_equal_json() -> None:
    body = '{"data":{"id":"e","name":"Zoë"}}'.encode()
    signature = sign(SECRET, body)
    same_json = [
        json.dumps(json.loads(body)).encode(),  # spaces after separators, \u escapes
        b'{"data":{"name":"Zo\xc3\xab","id":"e"}}',  # another key order
        body + b"\n",
    ]
    for other in same_json:
        assert json.loads(other) == json.loads(body)
        assert not verify(SECRET, other, signature)
    assert verify(SECRET, body, signature)


@pytest.mark.clause("SIGN-TIMING-SAFE")
def test_verify_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    signature = sign(SECRET, BODY)
    assert verify(SECRET, BODY, signature)
    assert not verify(SECRET, BODY, "0" * 64)
    assert not verify(SECRET, BODY, "short")  # a different length goes through it too
    assert len(calls) == 3
    assert calls[0] == (signature.encode(), signature.encode())


@given(secret=st.text(min_size=1), body=st.binary())
def test_any_body_verifies_with_its_own_signature_only(secret: str, body: bytes) -> None:
    signature = sign(secret, body)
    assert verify(secret, body, signature)
    assert not verify(secret, body + b"x", signature)
