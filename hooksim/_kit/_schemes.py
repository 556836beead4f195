"""How the kit writes and signs a delivery in a platform profile's terms: the sender's envelope
around the event, its message id, its signature headers (`hooksim.contracts`), and the
variations its checks need (another timestamp, several signatures, the signature header's
value replaced).

The Atomic scheme is the kit's original one: the Atomic envelope, the signature in the
configured header, no id or timestamp.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hooksim.contracts import (
    SignatureError,
    github_sign,
    sign,
    standard_webhooks_headers,
    standard_webhooks_key,
    stripe_sign,
)
from hooksim.simulator import InvalidInput, Profile, format_time

from ._payloads import Payloads

__all__ = ["KitScheme"]


def _hmac(key: bytes, content: bytes) -> bytes:
    return hmac.new(key, content, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


_STANDARD = {"standard-webhooks": "webhook", "svix": "svix"}
_SIGNATURE_HEADERS = {
    "standard-webhooks": "webhook-signature",
    "svix": "svix-signature",
    "stripe": "Stripe-Signature",
    "github": "X-Hub-Signature-256",
}


@dataclass(frozen=True, slots=True)
class KitScheme:
    profile: Profile
    #: The header that carries the signature (Atomic's is configurable).
    signature_header: str

    @classmethod
    def of(cls, profile: Profile, atomic_header: str) -> KitScheme:
        return cls(profile, _SIGNATURE_HEADERS.get(profile.signing, atomic_header))

    @property
    def name(self) -> str:
        return self.profile.signing

    def reserved(self) -> frozenset[str]:
        """Header names (lower case) the scheme writes itself: no custom header may."""
        names = {self.signature_header.lower()}
        if self.name in _STANDARD:
            prefix = _STANDARD[self.name]
            names |= {f"{prefix}-id", f"{prefix}-timestamp", f"{prefix}-signature"}
        if self.name == "github":
            names |= {"x-github-event", "x-github-delivery", "x-github-hook-id"}
        return frozenset(names)

    @property
    def timestamped(self) -> bool:
        """Whether the scheme signs a timestamp (and a receiver must check its age)."""
        return self.name in ("standard-webhooks", "svix", "stripe")

    @property
    def several_signatures(self) -> bool:
        """Whether the signature header may list several signatures (secret rotation)."""
        return self.name in ("standard-webhooks", "svix", "stripe")

    def check_secret(self, secret: str) -> None:
        """InvalidInput when `secret` cannot be this sender's (never showing it)."""
        if self.name in _STANDARD:
            try:
                standard_webhooks_key(secret)
            except SignatureError:
                raise InvalidInput(
                    f"a {self.profile.title} secret is whsec_ followed by base64",
                    field="secret",
                ) from None

    # the body -------------------------------------------------------------------------------
    def envelope(
        self, payloads: Payloads, data: Mapping[str, Any] | list[Any], **extra: Any
    ) -> dict[str, Any]:
        """The sender's body around `data` (`extra`: more top-level fields)."""
        if self.profile.envelope == "atomic":
            return payloads.envelope(data, **extra)
        first = data[0] if isinstance(data, list) else data
        kind = str(first.get("analyticsEvent", "card-published"))
        body: dict[str, Any]
        if self.profile.envelope == "stripe":
            body = {
                "id": "evt_" + str(first.get("id")),
                "object": "event",
                "api_version": "2024-06-20",
                "created": int(payloads.now()),
                "data": {"object": data},
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": kind,
            }
        elif self.profile.envelope == "github":
            body = {"action": kind, "data": data}
        else:
            body = {"type": kind, "timestamp": format_time(payloads.now()), "data": data}
        body.update(extra)
        return body

    def data_of(self, envelope: Mapping[str, Any]) -> Any:
        data = envelope.get("data")
        if self.profile.envelope == "stripe" and isinstance(data, Mapping):
            return data.get("object")
        return data

    def message_id(self, envelope: Mapping[str, Any]) -> str:
        """The id every copy of this envelope's event carries."""
        data = self.data_of(envelope)
        data_id = str(data.get("id")) if isinstance(data, Mapping) else uuid.uuid4().hex
        if self.name in _STANDARD:
            return "msg_" + data_id
        if self.name == "stripe":
            return str(envelope.get("id") or "evt_" + data_id)
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "hooksim-kit:" + data_id))

    # the headers ----------------------------------------------------------------------------
    def headers(
        self,
        secrets: Sequence[str],
        body: bytes,
        envelope: Mapping[str, Any],
        message_id: str,
        timestamp: float,
    ) -> dict[str, str]:
        """Every header the sender adds for this body: ids, timestamp, signatures (one per
        secret, where the scheme lists several) and envelope headers (GitHub's)."""
        if self.name in _STANDARD:
            return standard_webhooks_headers(
                secrets, message_id, timestamp, body, prefix=_STANDARD[self.name]
            )
        if self.name == "stripe":
            return {"Stripe-Signature": stripe_sign(secrets, timestamp, body)}
        if self.name == "github":
            data = self.data_of(envelope)
            kind = data.get("analyticsEvent") if isinstance(data, Mapping) else None
            return {
                "X-GitHub-Event": str(kind or envelope.get("action", "")),
                "X-GitHub-Delivery": message_id,
                "X-GitHub-Hook-ID": "hooksim-kit",
                "X-Hub-Signature-256": github_sign(secrets[0], body),
            }
        return {self.signature_header: sign(secrets[0], body)}

    def signature_value(
        self,
        secret: str,
        body: bytes,
        envelope: Mapping[str, Any],
        message_id: str,
        timestamp: float,
    ) -> str:
        """The signature header's value, signed with `secret` alone."""
        return self.headers([secret], body, envelope, message_id, timestamp)[self.signature_header]

    def wrong_signatures(
        self,
        secret: str,
        body: bytes,
        envelope: Mapping[str, Any],
        message_id: str,
        timestamp: float,
        other_secret: str,
    ) -> list[tuple[str, str]]:
        """Signature header values a receiver must refuse, each with what is wrong: another
        secret, and the ways a verifier commonly goes wrong for this scheme (a receiver making
        the same mistake accepts them)."""
        other = self.signature_value(other_secret, body, envelope, message_id, timestamp)
        seconds = str(int(timestamp))
        if self.name in _STANDARD:
            content = f"{message_id}.{seconds}.".encode() + body
            return [
                ("signed with another secret", other),
                (
                    "keyed with the secret's text instead of its base64-decoded bytes",
                    "v1," + _b64(_hmac(secret.encode(), content)),
                ),
                (
                    "the HMAC of the body alone (id and timestamp not signed)",
                    "v1," + _b64(_hmac(standard_webhooks_key(secret), body)),
                ),
            ]
        if self.name == "stripe":
            content = f"{seconds}.".encode() + body
            key = secret.removeprefix("whsec_").encode()
            return [
                ("signed with another secret", other),
                (
                    "keyed without the secret's whsec_ prefix",
                    f"t={seconds},v1={_hmac(key, content).hex()}",
                ),
                (
                    "the HMAC of the body alone (t. not signed)",
                    f"t={seconds},v1={_hmac(secret.encode(), body).hex()}",
                ),
            ]
        empty = self.signature_value("", body, envelope, message_id, timestamp)
        return [
            ("signed with another secret", other),
            ("signed with an empty secret (a missing secret setting)", empty),
        ]

    def listing(self, valid: str, others: Sequence[str]) -> str:
        """A signature header listing `others` (malformed or foreign entries, each written
        as the scheme writes one) and then the valid value's own entries."""
        if self.name == "stripe":
            stamp, _, signatures = valid.partition(",")
            return ",".join([stamp, *others, signatures])
        return " ".join([*others, valid])
