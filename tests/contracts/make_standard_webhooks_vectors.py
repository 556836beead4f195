"""The source of `contracts/standard-webhooks-vectors.json`: shared test vectors for the
Standard Webhooks signature scheme (standard-webhooks/standard-webhooks asks for them in
issues #10 and #21), each with why it is there and how its header value was made.

    .venv/bin/python tests/contracts/make_standard_webhooks_vectors.py   # rewrite the JSON file

A vector is a request as a receiver gets it (secret, the three `webhook-*` headers, the exact
body bytes) and the receiver's clock (`now`, Unix seconds); the verdict assumes the reference
libraries' tolerance of 5 minutes, both ways, inclusive. Signatures are computed here with
`hmac`, `hashlib` and `base64` directly, never with `hooksim.contracts`: the vectors judge that
code, they are not made by it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Bump when a vector's verdict, secret, headers, body or clock changes, or one is removed.
VERSION = 1
TARGET = Path(__file__).resolve().parents[2] / "contracts" / "standard-webhooks-vectors.json"
TOLERANCE = 300

#: 24 bytes (the spec's minimum) and 32 bytes; the second's base64 ends with padding.
KEY = bytes(range(24))
KEY_PADDED = bytes(range(100, 125))  # 25 bytes: base64 of 36 characters, two of them "=="
OTHER_KEY = bytes(range(50, 82))
SECRET = "whsec_" + base64.b64encode(KEY).decode()
SECRET_PADDED = "whsec_" + base64.b64encode(KEY_PADDED).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(OTHER_KEY).decode()
NOW = 1_700_000_000
MSG = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"


def sign(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def compact(document: Any, *, ascii_only: bool = False) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=ascii_only).encode()


EVENT = {
    "type": "card-completed",
    "timestamp": "2023-11-14T22:13:20.000Z",
    "data": {"id": "01H8X3ZP6Q3V5K2J7D9RTEYB4M", "analyticsEvent": "card-completed"},
}
UNICODE_EVENT = {
    "type": "card-completed",
    "timestamp": "2023-11-14T22:13:20.000Z",
    "data": {"id": "01H8X3ZP6Q3V5K2J7D9RTEYB4N", "comment": "Très bien, merci — été 👍"},
}


@dataclass(frozen=True)
class Vector:
    name: str
    description: str
    accept: bool
    body: bytes
    signature: str
    secret: str = SECRET
    msg_id: str = MSG
    timestamp: str = str(NOW)
    now: int = NOW


def vectors() -> list[Vector]:
    body = compact(EVENT)
    raw = compact(UNICODE_EVENT)
    escaped = compact(UNICODE_EVENT, ascii_only=True)
    spaced = json.dumps(EVENT, indent=2).encode() + b"\n"
    good = sign(KEY, MSG, str(NOW), body)
    other = sign(OTHER_KEY, MSG, str(NOW), body)
    not_utf8 = b'{"data":"\xff\xfe bytes that are not UTF-8"}'

    def at(delta: int) -> tuple[str, str]:
        stamp = str(NOW + delta)
        return stamp, sign(KEY, MSG, stamp, body)

    stale, stale_sig = at(-TOLERANCE - 1)
    edge_old, edge_old_sig = at(-TOLERANCE)
    ahead, ahead_sig = at(TOLERANCE + 1)
    edge_new, edge_new_sig = at(TOLERANCE)
    millis = str(NOW * 1000)
    return [
        Vector("compact-json", "A compact JSON body, one v1 signature.", True, body, good),
        Vector(
            "whitespace-body",
            "A body with indentation and a trailing newline: the bytes are signed as they are "
            "(a receiver that re-serialises the JSON fails it).",
            True,
            spaced,
            sign(KEY, MSG, str(NOW), spaced),
        ),
        Vector(
            "unicode-raw-utf8",
            "Non-ASCII text as raw UTF-8 bytes (é, —, an emoji).",
            True,
            raw,
            sign(KEY, MSG, str(NOW), raw),
        ),
        Vector(
            "unicode-escaped",
            "The same document with \\u escapes: other bytes, another signature.",
            True,
            escaped,
            sign(KEY, MSG, str(NOW), escaped),
        ),
        Vector(
            "signature-over-escaped-body",
            "The raw UTF-8 body with the signature of its \\u-escaped form (what a receiver "
            "that re-encodes with ensure_ascii computes): refused.",
            False,
            raw,
            sign(KEY, MSG, str(NOW), escaped),
        ),
        Vector(
            "body-not-utf8",
            "Bytes that are not UTF-8: signed and verified as bytes.",
            True,
            not_utf8,
            sign(KEY, MSG, str(NOW), not_utf8),
        ),
        Vector("empty-body", "An empty body.", True, b"", sign(KEY, MSG, str(NOW), b"")),
        Vector(
            "several-signatures-valid-last",
            "Three entries (another secret's v1, a v1a, then the valid v1), space separated, "
            "as during a secret rotation: any one valid entry accepts.",
            True,
            body,
            f"{other} v1a,{base64.b64encode(bytes(64)).decode()} {good}",
        ),
        Vector(
            "several-signatures-valid-first",
            "The valid entry first, another secret's after it.",
            True,
            body,
            f"{good} {other}",
        ),
        Vector(
            "several-signatures-none-valid",
            "Two entries, neither made with this secret.",
            False,
            body,
            f"{other} {sign(OTHER_KEY, MSG, str(NOW), b'')}",
        ),
        Vector(
            "secret-unpadded",
            "A secret whose base64 padding (==) was left off: its key is the same 25 bytes.",
            True,
            body,
            sign(KEY_PADDED, MSG, str(NOW), body),
            secret=SECRET_PADDED.rstrip("="),
        ),
        Vector(
            "secret-padded",
            "The same secret with its padding.",
            True,
            body,
            sign(KEY_PADDED, MSG, str(NOW), body),
            secret=SECRET_PADDED,
        ),
        Vector(
            "key-is-secret-text",
            "Signed with the secret's text as the key instead of its base64-decoded bytes.",
            False,
            body,
            sign(SECRET.encode(), MSG, str(NOW), body),
        ),
        Vector(
            "timestamp-at-old-edge",
            "The timestamp exactly 300 s before the receiver's clock: inside the tolerance.",
            True,
            body,
            edge_old_sig,
            timestamp=edge_old,
        ),
        Vector(
            "timestamp-too-old",
            "301 s before the receiver's clock: refused, even though correctly signed.",
            False,
            body,
            stale_sig,
            timestamp=stale,
        ),
        Vector(
            "timestamp-at-future-edge",
            "Exactly 300 s ahead of the receiver's clock: inside the tolerance.",
            True,
            body,
            edge_new_sig,
            timestamp=edge_new,
        ),
        Vector(
            "timestamp-too-far-ahead",
            "301 s ahead: refused (a one-sided tolerance check accepts it).",
            False,
            body,
            ahead_sig,
            timestamp=ahead,
        ),
        Vector(
            "timestamp-in-milliseconds",
            "The attempt's time in milliseconds (13 digits), correctly signed: read as seconds "
            "it is tens of thousands of years ahead, refused.",
            False,
            body,
            sign(KEY, MSG, millis, body),
            timestamp=millis,
        ),
        Vector(
            "tampered-body",
            "One byte of the body changed after signing.",
            False,
            body.replace(b"card-completed", b"card-dismissed", 1),
            good,
        ),
        Vector(
            "id-not-the-signed-one",
            "The webhook-id header is not the one signed.",
            False,
            body,
            good,
            msg_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f4X",
        ),
        Vector(
            "timestamp-not-the-signed-one",
            "The webhook-timestamp header is one second off the signed one.",
            False,
            body,
            good,
            timestamp=str(NOW - 1),
        ),
        Vector(
            "hex-signature",
            "The HMAC as hex instead of base64.",
            False,
            body,
            "v1," + hmac.new(KEY, f"{MSG}.{NOW}.".encode() + body, hashlib.sha256).hexdigest(),
        ),
        Vector("no-version", "The base64 HMAC without its v1, prefix.", False, body, good[3:]),
        Vector(
            "body-alone-signed",
            "The HMAC of the body alone, without the id and timestamp.",
            False,
            body,
            "v1," + base64.b64encode(hmac.new(KEY, body, hashlib.sha256).digest()).decode(),
        ),
        Vector("empty-signature", "An empty webhook-signature header.", False, body, ""),
    ]


def entry(vector: Vector) -> dict[str, Any]:
    body: dict[str, str] = {"base64": base64.b64encode(vector.body).decode()}
    with contextlib.suppress(UnicodeDecodeError):
        body["utf8"] = vector.body.decode("utf-8")
    return {
        "name": vector.name,
        "description": vector.description,
        "expected": "accept" if vector.accept else "reject",
        "secret": vector.secret,
        "now": vector.now,
        "headers": {
            "webhook-id": vector.msg_id,
            "webhook-timestamp": vector.timestamp,
            "webhook-signature": vector.signature,
        },
        "body": body,
    }


def document() -> dict[str, Any]:
    return {
        "version": VERSION,
        "description": (
            "Test vectors for the Standard Webhooks signature scheme "
            "(standard-webhooks/standard-webhooks, spec/standard-webhooks.md): "
            "webhook-signature lists space-separated 'v1,<base64 HMAC-SHA256 of "
            '"{webhook-id}.{webhook-timestamp}.{body}">\' entries, keyed with the base64-decoded '
            "part of the whsec_ secret; any one valid v1 entry accepts. The verdict also "
            "requires webhook-timestamp, whole Unix seconds, to be within tolerance_seconds of "
            "the receiver's clock `now`, in both directions, inclusive (the reference "
            "libraries' 5 minutes)."
        ),
        "schema": "standard-webhooks-vectors.schema.json",
        "tolerance_seconds": TOLERANCE,
        "vectors": [entry(vector) for vector in vectors()],
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    from make_signing_vectors import write_or_check

    return write_or_check(argv, TARGET, render(), len(vectors()), VERSION)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
