"""The signing rule: HMAC-SHA256 over the exact bytes of the body, lowercase hex.

Receivers may import `verify` from `hooksim.contracts`; it compares in constant time, as the
seed asks ("use a timing-safe comparison function rather than comparing the raw strings").
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["DEFAULT_SIGNATURE_HEADER", "sign", "verify"]

#: The seed does not name the header; this is hooksim's decision (configurable per platform).
DEFAULT_SIGNATURE_HEADER = "X-Atomic-Signature"


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def sign(secret: str | bytes, body: str | bytes) -> str:
    """The signature the platform sends for `body`: lowercase hex HMAC-SHA256."""
    return hmac.new(_as_bytes(secret), _as_bytes(body), hashlib.sha256).hexdigest()


def verify(secret: str | bytes, body: str | bytes, signature: str | bytes | None) -> bool:
    """True when `signature` is exactly `sign(secret, body)`: 64 lowercase hex digits.

    Pass the raw request body, never a re-serialised copy of its JSON: any change of
    whitespace, key order or escaping changes the signature. The header value is compared as
    given, in constant time: upper-case hex, a `sha256=` prefix, surrounding blanks or another
    length fail (SIGN-TIMING-SAFE; `contracts/signing-vectors.json` has a case of each). HTTP
    servers strip the blanks around a header value before it reaches your code.
    """
    if not signature:
        return False
    expected = sign(secret, body).encode("ascii")
    return hmac.compare_digest(expected, _as_bytes(signature))
