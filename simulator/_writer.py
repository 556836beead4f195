"""The request writer: the one place that turns events into the request a receiver gets.

Every request the platform sends is written here: a delivery's attempts, a batch's, a test
delivery and a duplicate. Two parts make it, each behind a small interface so that a platform
profile can supply its own without touching the executor:

- the **envelope** (`Envelope`): the body's bytes for one event, or a batch of them
  (`atomic_envelope`: `{"requestId", "environmentId", "webhookId", "isBatched", "data"}`,
  DELIVERY-ENVELOPE), and the same envelope as data for a subscription's mapping;
- the **signing scheme** (`SigningScheme`): the headers that prove the body's origin
  (`atomic_signature`: HMAC-SHA256 of the exact bytes, lowercase hex, in the header the
  `signature_header` setting names: SIGN-HMAC, SIGN-RAW-BYTES). This is the only place
  `sign` is called.

A subscription with a mapping or a delivery credential gets an `ExtendedRequest`: the request
as the delivery log shows it (mapped and signed body, credential headers as placeholders)
that finishes itself when it is sent (`transmit`): apply the credential (which may ask an
identity endpoint for a token, through the same transport), send, and add the time the
credential took to the attempt's. What cannot be done (a mapping that fails, a credential that
was deleted, an identity endpoint that fails) is a failed attempt with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hooksim.contracts import sign

from ._clock import Clock
from ._credentials import CredentialFailure, TokenCache, authenticate, placeholder_headers
from ._encoding import encoded_data
from ._exchange import OutgoingRequest, Transport, TransportResult
from ._mapping import MappingFailure, render_mapping
from ._models import DeliveryCredential, Event, Outcome, Subscription
from ._settings import Settings

__all__ = [
    "ATOMIC_ENVELOPE",
    "ATOMIC_SIGNING",
    "USER_AGENT",
    "EncodeEnvelope",
    "Envelope",
    "EnvelopeHeaders",
    "EnvelopeFields",
    "ExtendedRequest",
    "RequestWriter",
    "SigningScheme",
    "atomic_envelope",
    "atomic_envelope_fields",
    "atomic_signature",
    "transmit",
]

USER_AGENT = "hooksim/0.1 (Atomic webhooks reference platform)"


#: The body's bytes: `(request_id, environment_id, webhook_id, events, batched)`, one event,
#: or (`batched`) a list of them.
EncodeEnvelope = Callable[[str, str, str, Sequence[Event], bool], bytes]
#: The same envelope as data, for a subscription's mapping template (same arguments).
EnvelopeFields = Callable[[str, str, str, Sequence[Event], bool], dict[str, Any]]
#: Adds the headers that sign a body to a request's headers:
#: `(headers, secret, body, settings, message_id, timestamp)`. `message_id` (the event's id,
#: the same on every attempt) and `timestamp` (platform time of the attempt) are there for
#: schemes that sign them too (Standard Webhooks, Stripe); Atomic's signs the body alone.
SigningScheme = Callable[[dict[str, str], str, bytes, Settings, str, float], None]


#: Headers that name what a body carries, for envelopes that say it in headers too (GitHub's
#: `X-GitHub-Event`): `(events, subscription_id)`.
EnvelopeHeaders = Callable[[Sequence[Event], str], dict[str, str]]


@dataclass(frozen=True, slots=True)
class Envelope:
    """How events are wrapped in a request body (and, for some senders, its headers)."""

    encode: EncodeEnvelope
    fields: EnvelopeFields
    headers: EnvelopeHeaders | None = None


#: `json.dumps(..., separators=(",", ":"))` without building an encoder per call.
_HEAD = json.JSONEncoder(separators=(",", ":"))


@lru_cache(maxsize=4096)
def _envelope_middle(environment_id: str, webhook_id: str, batched: bool) -> bytes:
    """The envelope between the request id and the data: the same for every request to one
    subscription, so it is encoded once."""
    tail = _HEAD.encode(
        {"environmentId": environment_id, "webhookId": webhook_id, "isBatched": batched}
    )
    return ('",' + tail[1:-1] + ',"data":').encode()


def atomic_envelope(
    request_id: str,
    environment_id: str,
    webhook_id: str,
    events: Sequence[Event],
    batched: bool,
) -> bytes:
    """`{"requestId":...,"environmentId":...,"webhookId":...,"isBatched":...,"data":...}`,
    compact, `data` as the event's own bytes (`encoded_data`: encoded once per event)."""
    if batched:
        data = b"[" + b",".join([encoded_data(event) for event in events]) + b"]"
    else:
        data = encoded_data(events[0])
    # A request id is a UUID: nothing in it needs escaping.
    return b"".join(
        (
            b'{"requestId":"',
            request_id.encode(),
            _envelope_middle(environment_id, webhook_id, batched),
            data,
            b"}",
        )
    )


def atomic_envelope_fields(
    request_id: str,
    environment_id: str,
    webhook_id: str,
    events: Sequence[Event],
    batched: bool,
) -> dict[str, Any]:
    return {
        "requestId": request_id,
        "environmentId": environment_id,
        "webhookId": webhook_id,
        "isBatched": batched,
        "data": [event.data for event in events] if batched else events[0].data,
    }


def atomic_signature(
    headers: dict[str, str],
    secret: str,
    body: bytes,
    settings: Settings,
    message_id: str,
    timestamp: float,
) -> None:
    """HMAC-SHA256 of the exact body bytes, lowercase hex, in the configured header."""
    headers[settings.signature_header] = sign(secret, body)


ATOMIC_ENVELOPE = Envelope(atomic_envelope, atomic_envelope_fields)
ATOMIC_SIGNING: SigningScheme = atomic_signature


def _refuse(transport: Transport) -> TransportResult:  # pragma: no cover - replaced per request
    return TransportResult(Outcome.ERROR, error="request was not prepared")


@dataclass(frozen=True, slots=True)
class ExtendedRequest(OutgoingRequest):
    """A request as logged, and how to send it for real (`transmit(transport)`)."""

    finish: Callable[[Transport], TransportResult] = field(default=_refuse, compare=False)

    def transmit(self, transport: Transport) -> TransportResult:
        return self.finish(transport)


def transmit(transport: Transport, request: OutgoingRequest) -> TransportResult:
    """Send `request`; an ExtendedRequest first finishes itself (credential, mapping)."""
    if isinstance(request, ExtendedRequest):
        return request.transmit(transport)
    return transport.send(request)


class RequestWriter:
    """Writes requests with one envelope and one signing scheme (Atomic's by default)."""

    def __init__(
        self,
        *,
        clock: Clock,
        tokens: TokenCache,
        envelope: Envelope = ATOMIC_ENVELOPE,
        signing: SigningScheme = ATOMIC_SIGNING,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._clock = clock
        self._tokens = tokens
        self._encode = envelope.encode
        self._fields = envelope.fields
        self._envelope_headers = envelope.headers
        self._sign = signing
        self.user_agent = user_agent

    def write(
        self,
        request_id: str,
        events: Sequence[Event],
        subscription: Subscription,
        settings: Settings,
        credential: DeliveryCredential | None,
        batched: bool,
        now: float,
    ) -> OutgoingRequest:
        """The request carrying `events` (one, or a batch when `batched`) to `subscription`
        at platform time `now`; `credential` is the one it names (None when it names none,
        or it was deleted)."""
        environment_id = events[0].environment_id
        body = self._encode(request_id, environment_id, subscription.id, events, batched)
        failure: str | None = None
        if subscription.mapping is not None:
            envelope = self._fields(request_id, environment_id, subscription.id, events, batched)
            try:
                body = render_mapping(subscription.mapping, envelope)
            except MappingFailure as exc:
                failure, body = exc.reason, b""
        headers = {
            **subscription.headers,
            "Content-Type": "application/json",
            "User-Agent": self.user_agent,
        }
        if self._envelope_headers is not None:
            headers.update(self._envelope_headers(events, subscription.id))
        self._sign(headers, subscription.secret, body, settings, events[0].id, now)
        if subscription.credential_id is None and failure is None:
            return OutgoingRequest(
                subscription.method, subscription.url, headers, body, settings.timeout
            )
        if subscription.credential_id is not None and credential is None and failure is None:
            failure = f"delivery credential {subscription.credential_id!r} no longer exists"
        return self._extended(subscription, settings, headers, body, credential, failure)

    def _extended(
        self,
        subscription: Subscription,
        settings: Settings,
        headers: dict[str, str],
        body: bytes,
        credential: DeliveryCredential | None,
        failure: str | None,
    ) -> ExtendedRequest:
        real = OutgoingRequest(
            subscription.method, subscription.url, dict(headers), body, settings.timeout
        )
        if credential is not None:
            headers.update(placeholder_headers(credential))
        clock, tokens, user_agent = self._clock, self._tokens, self.user_agent

        def finish(transport: Transport) -> TransportResult:
            if failure is not None:
                return TransportResult(Outcome.ERROR, error=failure)
            request, spent = real, 0.0
            if credential is not None:
                try:
                    request, spent = authenticate(
                        credential,
                        real,
                        transport=transport,
                        tokens=tokens,
                        now=clock.now(),
                        user_agent=user_agent,
                    )
                except CredentialFailure as exc:
                    return TransportResult(Outcome.ERROR, latency=exc.latency, error=exc.reason)
            result = transport.send(request)
            if spent:
                result.latency += spent
            return result

        return ExtendedRequest(
            subscription.method, subscription.url, headers, body, settings.timeout, finish=finish
        )
