"""The signature rule, written again from the contract for the delivery judge: lowercase hex
HMAC-SHA256 of the raw request body, keyed with the subscription's secret, 64 characters,
nothing around it (SIGN-HMAC, SIGN-RAW-BYTES).

Deliberately independent of `hooksim.contracts.sign`/`verify` (the code the reference
platform signs with): a platform that signs with another hash, in upper case or over a
re-serialised body must fail here even if the shared code were changed the same way. When a
signature is wrong, the judge says what it looks like instead (which hash, which body), so a
platform team sees the cause, not only the symptom.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["SignatureProblem", "expected_signature", "judge_signature"]

_WELL_FORMED = re.compile(r"[0-9a-f]{64}")
_HEX = re.compile(r"[0-9a-fA-F]+")

#: Other keyed hashes a platform might use by mistake, by the length of their hex digest.
_OTHER_HASHES: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("HMAC-SHA1", hashlib.sha1),
    ("HMAC-SHA512", hashlib.sha512),
    ("HMAC-SHA384", hashlib.sha384),
    ("HMAC-SHA224", hashlib.sha224),
    ("HMAC-MD5", hashlib.md5),
    ("HMAC-SHA3-256", hashlib.sha3_256),
)


@dataclass(frozen=True, slots=True)
class SignatureProblem:
    clause: str  # SIGN-HMAC or SIGN-RAW-BYTES
    expected: str
    got: str


def expected_signature(secret: str, body: bytes) -> str:
    """What the contract says the header holds for `body`."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _short(value: str, keep: int = 16) -> str:
    return value if len(value) <= keep + 3 else value[:keep] + "..."


def judge_signature(value: str, secret: str, body: bytes) -> SignatureProblem | None:
    """None when `value` is exactly the contract's signature of `body`; else what is wrong."""
    expected = expected_signature(secret, body)
    if value == expected:  # the usual case: nothing else to compute
        return None
    wanted = f"lowercase hex HMAC-SHA256 of the {len(body)} raw body bytes ({_short(expected)})"
    got = repr(_short(value, 24))
    if not _WELL_FORMED.fullmatch(value):
        return SignatureProblem("SIGN-HMAC", wanted, got + _form_diagnosis(value, secret, body))
    # Well formed, but not over these bytes with this secret: say what it does match.
    for label, candidate in _reserialised(body):
        if hmac.compare_digest(expected_signature(secret, candidate), value):
            return SignatureProblem(
                "SIGN-RAW-BYTES", wanted, f"{got}, the HMAC of the body re-serialised ({label})"
            )
    if hmac.compare_digest(hashlib.sha256(body).hexdigest(), value):
        return SignatureProblem("SIGN-HMAC", wanted, f"{got}, a plain SHA-256 without the secret")
    if hmac.compare_digest(hmac.new(secret.encode(), body, hashlib.sha3_256).hexdigest(), value):
        return SignatureProblem("SIGN-HMAC", wanted, f"{got}, an HMAC-SHA3-256")
    return SignatureProblem(
        "SIGN-HMAC", wanted, f"{got}, which is not the HMAC of these bytes with this secret"
    )


def _form_diagnosis(value: str, secret: str, body: bytes) -> str:
    """Why a value is not 64 lowercase hex digits, naming the likely mistake."""
    stripped = value.strip()
    if stripped != value:
        inner = _form_diagnosis(stripped, secret, body)
        return " (with surrounding whitespace" + (f"; {inner[2:-1]})" if inner else ")")
    prefix, separator, rest = value.partition("=")
    if separator and prefix and _HEX.fullmatch(rest):
        inner = _form_diagnosis(rest, secret, body)
        return f" (a {prefix + '='!r} prefix" + (f"; {inner[2:-1]})" if inner else ")")
    if not _HEX.fullmatch(value):
        return " (not hexadecimal)"
    lower = value.lower()
    if lower == expected_signature(secret, body):
        return " (upper-case hex)"
    for label, hash_function in _OTHER_HASHES:
        if hmac.compare_digest(hmac.new(secret.encode(), body, hash_function).hexdigest(), lower):
            case = "" if lower == value else ", upper-case"
            return f" ({label} of the raw body{case})"
    if len(value) != 64:
        return f" ({len(value)} hex digits, not 64)"
    return " (upper-case hex of another value)" if lower != value else ""


def _reserialised(body: bytes) -> list[tuple[str, bytes]]:
    """The body as a platform that signs its own re-encoding of the JSON might have signed."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return []
    variants = [
        ("json.dumps defaults", json.dumps(parsed).encode()),
        ("compact, ASCII escapes", json.dumps(parsed, separators=(",", ":")).encode()),
        ("sorted keys", json.dumps(parsed, sort_keys=True).encode()),
        (
            "compact, sorted keys",
            json.dumps(parsed, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode(),
        ),
        ("indented", json.dumps(parsed, indent=2).encode()),
        ("compact UTF-8", json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode()),
    ]
    return [(label, candidate) for label, candidate in variants if candidate != body]
