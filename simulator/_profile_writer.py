"""A profile's request writing: its envelope, its signing scheme and the look of its secrets,
plugged into the request writer's seams (`_writer.py`). The signing itself is the contract's
code (`hooksim.contracts`: `standard_webhooks_headers`, `stripe_sign`, `github_sign`).

Envelopes (the analytics event's `data` is the same bytes in every one, as in Atomic's):
- `standard-webhooks` (the spec's "Payload structure", used for Svix too):
  `{"type": <analytics event>, "timestamp": <its time>, "data": <event data>}`;
- `stripe` (an Event object, docs.stripe.com/api/events/object): `{"id": "evt_<event id>",
  "object": "event", "api_version", "created", "data": {"object": <event data>},
  "livemode": false, "pending_webhooks": 1, "request": {...}, "type"}`;
- `github`: `{"action": <analytics event>, "data": <event data>}`, with the event type in
  `X-GitHub-Event`, a GUID per event in `X-GitHub-Delivery` (the same on every redelivery,
  github/docs#32822) and the subscription's id in `X-GitHub-Hook-ID`.

Which id stays the same across retries: the message id is the event's (`msg_<event id>` in
`webhook-id`, `evt_<event id>`, the delivery GUID); the timestamp is each attempt's.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from hooksim.contracts import github_sign, standard_webhooks_headers, stripe_sign

from ._clock import format_time
from ._encoding import COMPACT, encoded_data
from ._ids import IdSource
from ._models import Event
from ._profile import Profile
from ._settings import Settings
from ._writer import ATOMIC_ENVELOPE, ATOMIC_SIGNING, Envelope, SigningScheme

__all__ = [
    "STRIPE_API_VERSION",
    "github_delivery_id",
    "make_secret",
    "message_id",
    "profile_envelope",
    "profile_signing",
]

#: The `api_version` the Stripe envelope names (any published version: hooksim sends its own
#: objects, not Stripe's).
STRIPE_API_VERSION = "2024-06-20"
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_GITHUB_NAMESPACE = uuid.UUID("6f1c8a52-3b1e-4e0a-9d4f-2a7c6e1b9d30")


def message_id(scheme: str, event_id: str) -> str:
    """The id a scheme's receivers dedupe by, the same on every attempt of the event."""
    if scheme in ("standard-webhooks", "svix"):
        return "msg_" + event_id
    if scheme == "stripe":
        return "evt_" + event_id
    if scheme == "github":
        return github_delivery_id(event_id)
    return event_id


def github_delivery_id(event_id: str) -> str:
    """A GUID per event (name-based, so that every redelivery carries the same one)."""
    return str(uuid.uuid5(_GITHUB_NAMESPACE, event_id))


# envelopes -----------------------------------------------------------------------------------
def _data(events: Sequence[Event], batched: bool) -> bytes:
    if batched:
        return b"[" + b",".join([encoded_data(event) for event in events]) + b"]"
    return encoded_data(events[0])


def _text(value: Any) -> bytes:
    return COMPACT.encode(value).encode()


def _standard_encode(
    request_id: str, environment_id: str, webhook_id: str, events: Sequence[Event], batched: bool
) -> bytes:
    first = events[0]
    return b"".join(
        (
            b'{"type":',
            _text(first.type),
            b',"timestamp":',
            _text(format_time(first.published_at)),
            b',"data":',
            _data(events, batched),
            b"}",
        )
    )


def _stripe_head(events: Sequence[Event]) -> dict[str, Any]:
    first = events[0]
    return {
        "id": message_id("stripe", first.id),
        "object": "event",
        "api_version": STRIPE_API_VERSION,
        "created": int(first.published_at),
    }


_STRIPE_TAIL = (
    b',"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null}'
)


def _stripe_encode(
    request_id: str, environment_id: str, webhook_id: str, events: Sequence[Event], batched: bool
) -> bytes:
    head = _text(_stripe_head(events))
    return b"".join(
        (
            head[:-1],
            b',"data":{"object":',
            _data(events, batched),
            b"}",
            _STRIPE_TAIL,
            b',"type":',
            _text(events[0].type),
            b"}",
        )
    )


def _github_encode(
    request_id: str, environment_id: str, webhook_id: str, events: Sequence[Event], batched: bool
) -> bytes:
    return b'{"action":' + _text(events[0].type) + b',"data":' + _data(events, batched) + b"}"


def _github_headers(events: Sequence[Event], subscription_id: str) -> dict[str, str]:
    return {
        "X-GitHub-Event": events[0].type,
        "X-GitHub-Delivery": github_delivery_id(events[0].id),
        "X-GitHub-Hook-ID": subscription_id,
    }


_ENVELOPES = {
    "atomic": ATOMIC_ENVELOPE,
    "standard-webhooks": Envelope(_standard_encode),
    "stripe": Envelope(_stripe_encode),
    "github": Envelope(_github_encode, _github_headers),
}


def profile_envelope(profile: Profile) -> Envelope:
    return _ENVELOPES[profile.envelope]


# signing -------------------------------------------------------------------------------------
def _standard_webhooks_signer(prefix: str, scheme: str) -> SigningScheme:
    def sign(
        headers: dict[str, str],
        secret: str,
        body: bytes,
        settings: Settings,
        event_id: str,
        timestamp: float,
    ) -> None:
        headers.update(
            standard_webhooks_headers(
                [secret], message_id(scheme, event_id), timestamp, body, prefix=prefix
            )
        )

    return sign


def _stripe_signer(
    headers: dict[str, str],
    secret: str,
    body: bytes,
    settings: Settings,
    event_id: str,
    timestamp: float,
) -> None:
    headers["Stripe-Signature"] = stripe_sign([secret], timestamp, body)


def _github_signer(
    headers: dict[str, str],
    secret: str,
    body: bytes,
    settings: Settings,
    event_id: str,
    timestamp: float,
) -> None:
    headers["X-Hub-Signature-256"] = github_sign(secret, body)


_SIGNERS: dict[str, SigningScheme] = {
    "atomic": ATOMIC_SIGNING,
    "standard-webhooks": _standard_webhooks_signer("webhook", "standard-webhooks"),
    "svix": _standard_webhooks_signer("svix", "svix"),
    "stripe": _stripe_signer,
    "github": _github_signer,
}


def profile_signing(profile: Profile) -> SigningScheme:
    return _SIGNERS[profile.signing]


# secrets -------------------------------------------------------------------------------------
def _whsec_base64(ids: IdSource) -> str:
    # 24 bytes: the spec's minimum and Svix's size (32 base64 characters).
    return "whsec_" + base64.b64encode(ids.secret_bytes(24)).decode("ascii")


def _whsec_text(ids: IdSource) -> str:
    raw = ids.secret_bytes(32)
    return "whsec_" + "".join(_ALNUM[b % len(_ALNUM)] for b in raw)


_SECRETS: dict[str, Callable[[IdSource], str]] = {
    "uuid": IdSource.secret_uuid,
    "whsec-base64": _whsec_base64,
    "whsec-text": _whsec_text,
    "hex": lambda ids: ids.secret_bytes(20).hex(),
}


def make_secret(profile: Profile) -> Callable[[IdSource], str]:
    """How a new subscription's secret is drawn under `profile`."""
    return _SECRETS[profile.secret_format]
