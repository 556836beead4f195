"""The source of `contracts/signing-vectors.json`: every vector, why it is there, and how its
header value was made.

The published file is what implementers use; this script is how it is made, so that a change
is a reviewed change of this file plus a regenerated JSON file (and a new `version` when a
verdict, a body or a header value changes). `tests/contracts/test_signing_vectors.py` fails
when the two disagree.

    .venv/bin/python tests/contracts/make_signing_vectors.py     # rewrite the JSON file

Header values are computed here with `hmac`/`hashlib` directly, never with
`hooksim.contracts.sign`: the vectors judge that function, they are not made by it.
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

#: Bump when a vector's verdict, body, secret or header value changes, or one is removed.
VERSION = 1
HEADER = "X-Atomic-Signature"
TARGET = Path(__file__).resolve().parents[2] / "contracts" / "signing-vectors.json"

#: The seed's example subscription secret.
SEED_SECRET = "0217309e-3c74-41b5-82e9-bd60e5db9bdb"
NON_ASCII_SECRET = "clé-secrète-ünïcode-🔑"
LONG_SECRET = "long-secret-" + "0123456789abcdef" * 6  # 108 bytes: longer than SHA-256's block
OTHER_SECRET = "7c1f4d2a-0000-4000-8000-5ea1ed5ec7e7"

#: RFC 4231, section 4.3: HMAC-SHA-256 of "what do ya want for nothing?" keyed with "Jefe".
RFC4231_CASE_2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

SIGNING = ("SIGN-HMAC",)
RAW = ("SIGN-HMAC", "SIGN-RAW-BYTES")
EXACT = ("SIGN-HMAC", "SIGN-TIMING-SAFE")


def hmac_hex(secret: str | bytes, body: bytes, digest: str = "sha256") -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, body, digest).hexdigest()


def compact(document: Any, *, ascii_only: bool = False) -> bytes:
    """JSON as the platform writes it (or, with `ascii_only`, as Python's default does)."""
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=ascii_only)
    return text.encode("utf-8")


def envelope(data_id: str, event: str = "card-completed", **data: Any) -> dict[str, Any]:
    return {
        "requestId": "6f1c8a52-3b1e-4e0a-9d4f-2a7c6e1b9d30",
        "environmentId": "7GbY2xLq",
        "webhookId": "2nBrJUjz",
        "isBatched": False,
        "data": {
            "id": data_id,
            "analyticsEvent": event,
            "endUserId": "user-1138",
            "timestamp": "2021-03-26T00:46:50.711Z",
            **data,
        },
    }


PLATFORM_BODY = compact(
    envelope(
        "01H8X3ZP6Q3V5K2J7D9RTEYB4M",
        cardContext={"cardInstanceId": "1", "cardTemplateId": "42", "cardTemplateVersion": 1},
        properties={"values": {"rating": 5, "comment": "Great, thanks!"}},
    )
)

CAFE = envelope("01H8X3ZP6Q3V5K2J7D9RTEYB4N", properties={"values": {"place": "Café Noël"}})
#: The same document twice: non-ASCII written as `\u00e9` escapes, and as raw UTF-8 bytes.
ESCAPED_BODY = compact(CAFE, ascii_only=True)
RAW_UTF8_BODY = compact(CAFE)

WHITESPACE_BODY = (
    b' {\r\n\t"requestId" : "b2d0f7e4-9a43-4c8e-8f0e-1d6a5c3b2a10" ,\r\n'
    b'\t"environmentId":"7GbY2xLq",   "webhookId":\t"2nBrJUjz",\r\n'
    b'\t"isBatched" : false,\r\n'
    b'\t"data" : {"id" : "01H8X3ZP6Q3V5K2J7D9RTEYB4P", "analyticsEvent" : "card-dismissed",'
    b' "properties" : {"url" : "https:\\/\\/example.com\\/a\\/b", "score" : 1.0 } }\r\n'
    b"}  \n\n"
)

TRAILING_NEWLINE_BODY = compact(envelope("01H8X3ZP6Q3V5K2J7D9RTEYB4Q", "card-published")) + b"\n"

#: Not UTF-8: a Latin-1 é (0xE9), a 0xFF byte and a NUL. The signature covers bytes, whatever
#: they are; a verifier that decodes the body to text first loses them.
NOT_UTF8_BODY = b'{"data":{"id":"01H8X3ZP6Q3V5K2J7D9RTEYB4R","note":"caf\xe9 \xff\x00"}}'

BOM_BODY = b"\xef\xbb\xbf" + compact(envelope("01H8X3ZP6Q3V5K2J7D9RTEYB4S", "card-snoozed"))


def large_body() -> bytes:
    """A compact envelope of about 80 KiB whose 65,536th byte is the first of a two-byte `é`:
    a verifier that hashes only the first 64 KiB read, or decodes each read as text on its
    own, gets it wrong."""
    head = compact(envelope("01H8X3ZP6Q3V5K2J7D9RTEYB4T", properties={"values": {"a": "@"}}))
    before, after = head.split(b'"@"')
    filler = 65535 - len(before) - 1  # the opening quote of the value, then filler bytes
    line = "I would like to tell you more about my experience with this offer. "
    text = (line * 1000)[:filler] + "é" + ("Très bien. " * 1500)
    body = before + json.dumps(text, ensure_ascii=False).encode("utf-8") + after
    assert body[65535:65537] == "é".encode(), "the é must straddle the 64 KiB boundary"
    return body


LARGE_BODY = large_body()


@dataclass(frozen=True)
class Vector:
    name: str
    description: str
    secret: str
    body: bytes
    signature: str
    expected: str
    clauses: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"base64": base64.b64encode(self.body).decode("ascii")}
        with contextlib.suppress(UnicodeDecodeError):  # no readable copy of other bytes
            body["utf8"] = self.body.decode("utf-8")
        return {
            "name": self.name,
            "description": self.description,
            "expected": self.expected,
            "secret": self.secret,
            "body": body,
            "header": {"name": HEADER, "value": self.signature},
            "clauses": list(self.clauses),
        }


def accept(name: str, description: str, body: bytes, secret: str = SEED_SECRET,
           clauses: tuple[str, ...] = SIGNING, published: str | None = None) -> Vector:  # fmt: skip
    signature = hmac_hex(secret, body)
    assert published in (None, signature), f"{name}: hmac disagrees with the published value"
    return Vector(name, description, secret, body, published or signature, "accept", clauses)


def reject(name: str, description: str, body: bytes, signature: str, secret: str = SEED_SECRET,
           clauses: tuple[str, ...] = SIGNING) -> Vector:  # fmt: skip
    assert signature != hmac_hex(secret, body), f"{name}: a reject vector must not verify"
    return Vector(name, description, secret, body, signature, "reject", clauses)


def vectors() -> list[Vector]:
    good = hmac_hex(SEED_SECRET, PLATFORM_BODY)
    reserialised = compact(json.loads(WHITESPACE_BODY))
    tampered = PLATFORM_BODY.replace(b"user-1138", b"user-1139")
    return [
        # --- accept: the exact lowercase hex HMAC-SHA256 of the exact bytes ----------------
        accept("platform-envelope",
               "A compact envelope exactly as the platform sends it, signed with the seed's "
               "example secret.", PLATFORM_BODY),
        accept("rfc4231-test-case-2",
               "RFC 4231 test case 2 (key \"Jefe\"): the header value is the RFC's published "
               "HMAC-SHA256, so this vector does not depend on any implementation here.",
               b"what do ya want for nothing?", secret="Jefe", published=RFC4231_CASE_2),
        accept("empty-body", "An empty body has a signature too: HMAC-SHA256 of zero bytes.",
               b""),
        accept("unusual-whitespace",
               "Valid JSON written unusually: CRLF line ends, tabs, spaces around ':' and ',', "
               "escaped slashes, 1.0, leading and trailing blanks. Verify the bytes as "
               "received, never a re-serialised copy.", WHITESPACE_BODY, clauses=RAW),
        accept("unicode-escaped",
               "Non-ASCII characters written as \\u00e9-style escapes (the body is pure ASCII): "
               "its own signature verifies.", ESCAPED_BODY, clauses=RAW),
        accept("unicode-raw-utf8",
               "The same document as unicode-escaped, with é written as raw UTF-8 bytes: "
               "different bytes, so a different signature, and its own verifies.",
               RAW_UTF8_BODY, clauses=RAW),
        accept("trailing-newline",
               "A body ending in a newline: the newline is signed; do not strip the body.",
               TRAILING_NEWLINE_BODY, clauses=RAW),
        accept("large-body",
               f"An envelope of {len(LARGE_BODY) // 1024} KiB whose 65,536th byte starts a "
               "two-byte é: hash every byte of the whole body, as bytes.", LARGE_BODY, clauses=RAW),
        accept("secret-non-ascii",
               "A secret with non-ASCII characters: the HMAC key is the secret's UTF-8 bytes.",
               PLATFORM_BODY, secret=NON_ASCII_SECRET),
        accept("secret-longer-than-block",
               "A 108-byte secret, longer than SHA-256's 64-byte block: HMAC hashes such a key "
               "first (RFC 2104); hand-written HMACs often get this wrong.",
               PLATFORM_BODY, secret=LONG_SECRET),
        accept("body-not-utf8",
               "Bytes that are not UTF-8 (a Latin-1 é, 0xFF, NUL): the signature covers bytes; "
               "a verifier that decodes the body to text first changes them. No utf8 copy.",
               NOT_UTF8_BODY, clauses=RAW),
        accept("body-with-utf8-bom",
               "A body starting with a UTF-8 byte order mark: the BOM is signed. Text "
               "decoders that drop it (utf-8-sig, .NET StreamReader, TextDecoder) break this.",
               BOM_BODY, clauses=RAW),
        # --- reject: the header value is not that exact form -------------------------------
        reject("uppercase-hex",
               "The right digest in upper-case hex: the contract pins lowercase, so a receiver "
               "compares exactly and rejects it.", PLATFORM_BODY, good.upper(), clauses=EXACT),
        reject("truncated-signature", "The signature without its last hex digit.",
               PLATFORM_BODY, good[:-1], clauses=EXACT),
        reject("half-signature",
               "The first 32 hex digits only: a verifier comparing a prefix accepts it.",
               PLATFORM_BODY, good[:32], clauses=EXACT),
        reject("extended-signature", "The signature with one more hex digit.",
               PLATFORM_BODY, good + "0", clauses=EXACT),
        reject("sha256-prefix",
               "The signature behind a 'sha256=' prefix (GitHub's form): not this contract's.",
               PLATFORM_BODY, "sha256=" + good, clauses=EXACT),
        reject("whitespace-around-signature",
               "The signature between spaces. HTTP servers strip the blanks around a header "
               "value before your code sees it; a verifier handed them must not trim them.",
               PLATFORM_BODY, f" {good} ", clauses=EXACT),
        reject("empty-signature", "An empty header value.", PLATFORM_BODY, "", clauses=EXACT),
        reject("non-hex-signature", "64 characters that are not hex digits.",
               PLATFORM_BODY, "z" * 64, clauses=EXACT),
        reject("base64-digest",
               "The right HMAC encoded in base64 (as Stripe-like senders do), not hex.",
               PLATFORM_BODY,
               base64.b64encode(bytes.fromhex(good)).decode("ascii"), clauses=EXACT),
        reject("wrong-secret", "Signed with another subscription's secret.",
               PLATFORM_BODY, hmac_hex(OTHER_SECRET, PLATFORM_BODY)),
        reject("empty-secret",
               "Signed with an empty secret, as a sender with a missing secret setting would.",
               PLATFORM_BODY, hmac_hex("", PLATFORM_BODY)),
        reject("secret-encoded-latin1",
               "The HMAC keyed with the non-ASCII secret's Latin-1 bytes ('?' for what Latin-1 "
               "cannot hold) instead of its UTF-8 bytes.",
               PLATFORM_BODY,
               hmac_hex(NON_ASCII_SECRET.encode("latin-1", "replace"), PLATFORM_BODY),
               secret=NON_ASCII_SECRET),
        reject("hmac-sha1", "HMAC-SHA1 of the right bytes with the right secret (40 hex).",
               PLATFORM_BODY, hmac_hex(SEED_SECRET, PLATFORM_BODY, "sha1")),
        reject("hmac-sha512", "HMAC-SHA512 of the right bytes with the right secret (128 hex).",
               PLATFORM_BODY, hmac_hex(SEED_SECRET, PLATFORM_BODY, "sha512")),
        reject("sha256-without-key", "A plain SHA-256 of the body, with no key at all.",
               PLATFORM_BODY, hashlib.sha256(PLATFORM_BODY).hexdigest()),
        reject("secret-and-body-swapped", "HMAC keyed with the body over the secret.",
               PLATFORM_BODY,
               hmac.new(PLATFORM_BODY, SEED_SECRET.encode(), hashlib.sha256).hexdigest()),
        reject("tampered-body", "The body changed after signing (one character of endUserId).",
               tampered, good, clauses=RAW),
        reject("signature-over-reserialised-body",
               "The body as in unusual-whitespace, the signature over its compact "
               "re-serialisation: what a verifier that parses and re-serialises computes.",
               WHITESPACE_BODY, hmac_hex(SEED_SECRET, reserialised), clauses=RAW),
        reject("signature-over-escaped-unicode",
               "The raw UTF-8 body of unicode-raw-utf8 with the signature of its \\u00e9 form.",
               RAW_UTF8_BODY, hmac_hex(SEED_SECRET, ESCAPED_BODY), clauses=RAW),
        reject("signature-over-raw-utf8",
               "The \\u00e9 body of unicode-escaped with the signature of its raw UTF-8 form.",
               ESCAPED_BODY, hmac_hex(SEED_SECRET, RAW_UTF8_BODY), clauses=RAW),
        reject("signature-over-stripped-body",
               "The body of trailing-newline with the signature of the body without its "
               "newline: what a verifier that strips the body computes.",
               TRAILING_NEWLINE_BODY, hmac_hex(SEED_SECRET, TRAILING_NEWLINE_BODY.rstrip()),
               clauses=RAW),
        reject("signature-over-empty-body",
               "A body with the signature of zero bytes: what a verifier computes when the "
               "body stream was already read by a parser.",
               PLATFORM_BODY, hmac_hex(SEED_SECRET, b""), clauses=RAW),
    ]  # fmt: skip


def document() -> dict[str, Any]:
    return {
        "version": VERSION,
        "description": (
            "Signing test vectors for the Atomic Webhooks API as hooksim's contract pins it "
            "(contracts/README.md, SIGN-*). The header value is the HMAC-SHA256 of the exact "
            "body bytes, keyed with the UTF-8 bytes of the subscription secret, as lowercase "
            "hex (64 characters). A receiver accepts a request only when the header value is "
            "exactly that string, compared in constant time."
        ),
        "schema": "signing-vectors.schema.json",
        "vectors": [vector.as_json() for vector in vectors()],
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def write_or_check(argv: list[str], target: Path, text: str, count: int, version: int) -> int:
    """Write `text` to `target`, or with `--check` say (exit 1) whether it differs."""
    if argv[1:] == ["--check"]:
        return 0 if target.read_text(encoding="utf-8") == text else 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({count} vectors, version {version})")
    return 0


def main(argv: list[str]) -> int:
    return write_or_check(argv, TARGET, render(), len(vectors()), VERSION)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
