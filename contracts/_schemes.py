"""The signing schemes of other webhook senders, as code: what a platform profile signs with and
what a receiver of that sender verifies with.

- **Standard Webhooks** (standard-webhooks/standard-webhooks, `spec/standard-webhooks.md`,
  "Signature scheme" and "Webhook headers"): HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed
  with the base64-decoded part of a `whsec_` secret, sent as `v1,<base64>`; the header holds
  one or more such entries separated by spaces (secret rotation). Svix sends the same with
  `svix-` header names (svix/svix-webhooks, `server/svix-server/src/worker.rs`).
- **Stripe** (docs.stripe.com/webhooks, "Verify signatures manually"; stripe-python
  `stripe/_webhook.py`): `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
  "{t}.{body}">`, keyed with the whole secret as UTF-8 (its `whsec_` prefix included), with
  one `v1=` entry per secret during rotation.
- **GitHub** (docs.github.com, "Validating webhook deliveries"): `X-Hub-Signature-256:
  sha256=<hex HMAC-SHA256 of the body>`, keyed with the secret as UTF-8.

Pure functions: time is an argument (`now`), never read here. Verification compares in
constant time and says why it refused (`SignatureError.reason`, never the secret).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "DEFAULT_TOLERANCE",
    "WHSEC_PREFIX",
    "SignatureError",
    "github_sign",
    "github_verify",
    "standard_webhooks_headers",
    "standard_webhooks_key",
    "standard_webhooks_sign",
    "standard_webhooks_verify",
    "stripe_sign",
    "stripe_verify",
]

#: The secret prefix of Standard Webhooks (and Svix, and Stripe's secrets' look).
WHSEC_PREFIX = "whsec_"
#: Seconds a timestamp may differ from the receiver's clock: the reference libraries' 5 minutes
#: (standardwebhooks `webhooks.py`, stripe-python `Webhook.DEFAULT_TOLERANCE`).
DEFAULT_TOLERANCE = 300.0
_UNIX_SECONDS = re.compile(r"[0-9]{1,20}")


class SignatureError(ValueError):
    """A request a receiver must refuse, and why (`reason`: no secret in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _check_time(timestamp: str, now: float, tolerance: float | None, future: bool) -> int:
    """The timestamp as whole Unix seconds, within `tolerance` of `now` (in the past, and in
    the future too when `future`); SignatureError otherwise."""
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise SignatureError(f"timestamp {timestamp[:24]!r} is not whole Unix seconds")
    value = int(timestamp)
    if tolerance is not None:
        if value < now - tolerance:
            raise SignatureError(f"timestamp {value} is older than {tolerance:g} s")
        if future and value > now + tolerance:
            raise SignatureError(f"timestamp {value} is more than {tolerance:g} s ahead")
    return value


# Standard Webhooks and Svix --------------------------------------------------------------------
def standard_webhooks_key(secret: str | bytes) -> bytes:
    """The HMAC key of a Standard Webhooks secret: the base64 after `whsec_` (padding optional,
    as the reference libraries accept it), or raw bytes given as they are."""
    if isinstance(secret, bytes):
        key = secret
    else:
        text = secret[len(WHSEC_PREFIX) :] if secret.startswith(WHSEC_PREFIX) else secret
        try:
            key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except binascii.Error:
            raise SignatureError("the secret is not base64 after its whsec_ prefix") from None
    if not key:
        raise SignatureError("the secret is empty")
    return key


def standard_webhooks_sign(
    secret: str | bytes, message_id: str, timestamp: int | str, body: str | bytes
) -> str:
    """One signature entry, `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`."""
    content = f"{message_id}.{timestamp}.".encode() + _bytes(body)
    digest = hmac.new(standard_webhooks_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def standard_webhooks_headers(
    secrets: Sequence[str | bytes],
    message_id: str,
    timestamp: float,
    body: str | bytes,
    *,
    prefix: str = "webhook",
) -> dict[str, str]:
    """`{prefix}-id`, `{prefix}-timestamp` (whole seconds) and `{prefix}-signature` (one
    entry per secret, space separated: the current secret and, during a rotation, the old)."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    seconds = str(math.floor(timestamp))
    entries = " ".join(standard_webhooks_sign(s, message_id, seconds, body) for s in secrets)
    return {
        f"{prefix}-id": message_id,
        f"{prefix}-timestamp": seconds,
        f"{prefix}-signature": entries,
    }


def standard_webhooks_verify(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: str | bytes,
    *,
    now: float,
    tolerance: float | None = DEFAULT_TOLERANCE,
    prefixes: Iterable[str] = ("webhook",),
) -> str:
    """Verify a request; returns its message id, or raises SignatureError.

    The headers are looked up under each of `prefixes` (Svix: `("svix", "webhook")`). The
    timestamp must be whole Unix seconds within `tolerance` of `now` in both directions
    (None: no time check, which leaves replays open). Any one `v1` entry of the signature
    list that matches accepts; other versions (`v1a`) and malformed entries are skipped."""
    found = _lowered(headers)
    values: dict[str, str] = {}
    for part in ("id", "timestamp", "signature"):
        for prefix in prefixes:
            value = found.get(f"{prefix}-{part}")
            if value:
                values[part] = value
                break
    missing = [part for part in ("id", "timestamp", "signature") if part not in values]
    if missing:
        raise SignatureError("missing header(s): " + ", ".join(missing))
    message_id, stamp = values["id"], values["timestamp"]
    _check_time(stamp, now, tolerance, future=True)
    expected = standard_webhooks_sign(secret, message_id, stamp, body).encode()
    for entry in values["signature"].split(" "):
        if hmac.compare_digest(expected, entry.encode()):
            return message_id
    raise SignatureError("no signature in the list matches")


# Stripe ----------------------------------------------------------------------------------------
def _stripe_hex(secret: str, timestamp: int | str, body: str | bytes) -> str:
    content = f"{timestamp}.".encode() + _bytes(body)
    return hmac.new(secret.encode("utf-8"), content, hashlib.sha256).hexdigest()


def stripe_sign(secrets: Sequence[str], timestamp: float, body: str | bytes) -> str:
    """`t=<seconds>,v1=<hex>[,v1=<hex>...]`: one `v1` per secret (rotation)."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    seconds = str(math.floor(timestamp))
    return ",".join([f"t={seconds}", *(f"v1={_stripe_hex(s, seconds, body)}" for s in secrets)])


def stripe_verify(
    secret: str,
    header: str | None,
    body: str | bytes,
    *,
    now: float,
    tolerance: float | None = DEFAULT_TOLERANCE,
    future: bool = True,
) -> int:
    """Verify a `Stripe-Signature` header; returns its timestamp, or raises SignatureError.

    Any `v1` entry that matches accepts (other schemes, such as `v0`, are ignored). The
    timestamp must be within `tolerance` of `now`: in the past, and in the future too unless
    `future=False` (stripe-python checks only the past)."""
    if not header:
        raise SignatureError("no Stripe-Signature header")
    stamps, signatures = [], []
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            stamps.append(value)
        elif key == "v1":
            signatures.append(value)
    if len(stamps) != 1:
        raise SignatureError("the header needs exactly one t= timestamp")
    if not signatures:
        raise SignatureError("no v1= signature in the header")
    timestamp = _check_time(stamps[0], now, tolerance, future)
    expected = _stripe_hex(secret, stamps[0], body).encode()
    if not any(hmac.compare_digest(expected, s.encode()) for s in signatures):
        raise SignatureError("no v1 signature matches")
    return timestamp


# GitHub ----------------------------------------------------------------------------------------
def github_sign(secret: str, body: str | bytes) -> str:
    """The `X-Hub-Signature-256` value: `sha256=` and the lowercase hex HMAC of the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), _bytes(body), hashlib.sha256).hexdigest()


def github_verify(secret: str, header: str | None, body: str | bytes) -> None:
    """Raise SignatureError unless `header` is exactly `github_sign(secret, body)`."""
    if not header:
        raise SignatureError("no X-Hub-Signature-256 header")
    if not hmac.compare_digest(github_sign(secret, body).encode(), header.encode()):
        raise SignatureError("the signature does not match")
