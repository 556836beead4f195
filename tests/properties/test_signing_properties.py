"""Signing for any bytes and any secret: what `sign` makes, `verify` accepts; any change of
the body, the signature or the secret fails (SIGN-HMAC, SIGN-RAW-BYTES, SIGN-TIMING-SAFE)."""

from __future__ import annotations

import pytest
from _property_settings import PURE
from hooksim.contracts import sign, verify
from hypothesis import assume, given
from hypothesis import strategies as st

pytestmark = pytest.mark.clause("SIGN-HMAC", "SIGN-RAW-BYTES", "SIGN-TIMING-SAFE")

secrets = st.text(min_size=1, max_size=64) | st.binary(min_size=1, max_size=64)
bodies = st.binary(max_size=4096)


@PURE
@given(secrets, bodies)
def test_verify_accepts_what_sign_made(secret: str | bytes, body: bytes) -> None:
    signature = sign(secret, body)
    assert len(signature) == 64 and signature == signature.lower()
    assert verify(secret, body, signature)
    assert verify(secret, body, signature.encode("ascii"))
    # Exactly that form: not upper case (when the digest has a letter), not between blanks.
    if signature != signature.upper():
        assert not verify(secret, body, signature.upper())
    assert not verify(secret, body, f" {signature}")
    assert not verify(secret, body, f"{signature}\n")


@PURE
@given(secrets, bodies.filter(bool), st.data())
def test_any_single_byte_change_of_the_body_fails(
    secret: str | bytes, body: bytes, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(body) - 1), label="index")
    value = data.draw(st.integers(0, 255).filter(lambda b: b != body[index]), label="byte")
    changed = body[:index] + bytes([value]) + body[index + 1 :]
    assert not verify(secret, changed, sign(secret, body))


@PURE
@given(secrets, bodies, st.data())
def test_any_change_of_the_signature_fails(
    secret: str | bytes, body: bytes, data: st.DataObject
) -> None:
    signature = sign(secret, body)
    index = data.draw(st.integers(0, len(signature) - 1), label="index")
    digit = data.draw(st.sampled_from("0123456789abcdef").filter(lambda c: c != signature[index]))
    assert not verify(secret, body, signature[:index] + digit + signature[index + 1 :])
    assert not verify(secret, body, signature[:index])  # a prefix
    assert not verify(secret, body, "sha256=" + signature)
    assert not verify(secret, body, None)


@PURE
@given(secrets, secrets, bodies)
def test_another_secret_fails(secret: str | bytes, other: str | bytes, body: bytes) -> None:
    raw = secret.encode() if isinstance(secret, str) else secret
    other_raw = other.encode() if isinstance(other, str) else other
    assume(raw != other_raw)
    assert not verify(other, body, sign(secret, body))
