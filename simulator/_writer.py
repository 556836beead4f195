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
as the delivery log shows it (credential headers as placeholders) that finishes itself when it
is sent (`transmit`): render the mapping and sign what it rendered, apply the credential (which
may ask an identity endpoint for a token, through the same transport), send, and add the time
the credential took to the attempt's. What cannot be done (a mapping that fails or reaches its
bounds, a credential that was deleted, an identity endpoint that fails) is a failed attempt
with its reason.

A mapping renders when its request is sent, never when it is written, and in this one place
for a delivery's attempts, a batch's and copies: the executor writes under the platform's lock
but, under the wall clock, sends on a delivery worker outside it, so the time a template takes
(bounded, in a worker process: `_mapping.py`) holds up no other delivery and no API call. The
logged request gets the rendered body and its signature then (`ExtendedRequest.settle`),
before anything reads it; until then, and when it cannot be rendered, its body is empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from hooksim.contracts import sign

from ._clock import Clock
from ._credentials import CredentialFailure, TokenCache, authenticate, placeholder_headers
from ._encoding import encoded_data
from ._exchange import OutgoingRequest, Transport, TransportResult
from ._mapping import MappingFailure, MappingLimits, render_mapping
from ._models import DeliveryCredential, Event, Outcome, Subscription
from ._settings import Settings

__all__ = [
    "ATOMIC_ENVELOPE",
    "ATOMIC_SIGNING",
    "USER_AGENT",
    "EncodeEnvelope",
    "Envelope",
    "EnvelopeHeaders",
    "ExtendedRequest",
    "RequestWriter",
    "SigningScheme",
    "atomic_envelope",
    "atomic_signature",
    "transmit",
]

USER_AGENT = "hooksim/0.1 (Atomic webhooks reference platform)"


#: The body's bytes: `(request_id, environment_id, webhook_id, events, batched)`, one event,
#: or (`batched`) a list of them. JSON: a subscription's mapping template reads its fields.
EncodeEnvelope = Callable[[str, str, str, Sequence[Event], bool], bytes]
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


ATOMIC_ENVELOPE = Envelope(atomic_envelope)
ATOMIC_SIGNING: SigningScheme = atomic_signature


def _refuse(transport: Transport) -> TransportResult:  # pragma: no cover - replaced per request
    return TransportResult(Outcome.ERROR, error="request was not prepared")


@dataclass(frozen=True, slots=True)
class ExtendedRequest(OutgoingRequest):
    """A request as logged, and how to send it for real (`transmit(transport)`)."""

    finish: Callable[[Transport], TransportResult] = field(default=_refuse, compare=False)

    def transmit(self, transport: Transport) -> TransportResult:
        return self.finish(transport)

    def settle(self, body: bytes, proof: dict[str, str]) -> None:
        """The body a mapping rendered and the headers that sign it, as the log shows them:
        known only once the request is sent (nothing reads a request's body or headers
        before its answer is in; frozen for everyone but its own `finish`)."""
        object.__setattr__(self, "body", body)
        self.headers.update(proof)


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
        body = self._encode(request_id, events[0].environment_id, subscription.id, events, batched)
        headers = {
            **subscription.headers,
            "Content-Type": "application/json",
            "User-Agent": self.user_agent,
        }
        if self._envelope_headers is not None:
            headers.update(self._envelope_headers(events, subscription.id))
        if subscription.mapping is None:
            self._sign(headers, subscription.secret, body, settings, events[0].id, now)
            if subscription.credential_id is None:
                return OutgoingRequest(
                    subscription.method, subscription.url, headers, body, settings.timeout
                )
        failure: str | None = None
        if subscription.credential_id is not None and credential is None:
            failure = f"delivery credential {subscription.credential_id!r} no longer exists"
        return self._extended(
            subscription, settings, headers, body, credential, failure, events[0].id, now
        )

    def _extended(
        self,
        subscription: Subscription,
        settings: Settings,
        headers: dict[str, str],
        body: bytes,
        credential: DeliveryCredential | None,
        failure: str | None,
        message_id: str,
        now: float,
    ) -> ExtendedRequest:
        """A request that finishes itself when sent: `headers` are signed already unless
        the subscription has a mapping (then what it renders is signed, when it is sent; the
        log shows an empty body, unsigned, for a mapped request that was never sent)."""
        method, url, timeout, mapping = (
            subscription.method,
            subscription.url,
            settings.timeout,
            subscription.mapping,
        )
        real_headers = dict(headers)
        if credential is not None:
            headers.update(placeholder_headers(credential))
        clock, tokens, user_agent = self._clock, self._tokens, self.user_agent

        def finish(transport: Transport) -> TransportResult:
            if failure is not None:
                return TransportResult(Outcome.ERROR, error=failure)
            request = OutgoingRequest(method, url, real_headers, body, timeout)
            if mapping is not None:
                try:
                    rendered = render_mapping(mapping, body, MappingLimits.of(settings))
                except MappingFailure as exc:
                    return TransportResult(Outcome.ERROR, error=exc.reason)
                # Signed as rendered; the log shows that body and those headers from now on.
                proof: dict[str, str] = {}
                self._sign(proof, subscription.secret, rendered, settings, message_id, now)
                logged.settle(rendered, proof)
                request = OutgoingRequest(method, url, {**real_headers, **proof}, rendered, timeout)
            spent = 0.0
            if credential is not None:
                try:
                    request, spent = authenticate(
                        credential,
                        request,
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

        logged = ExtendedRequest(
            method, url, headers, body if mapping is None else b"", timeout, finish=finish
        )
        return logged
