"""Requests for subscriptions with a credential, a mapping or batching.

The engine builds a plain subscription's request itself (the hot path, untouched). For a
subscription that has any of these, `build_request` builds an `ExtendedRequest`: the request
as the delivery log shows it (mapped and signed body, credential headers as placeholders)
that also knows how to finish itself when it is sent (`transmit`): render the mapping, apply
the credential (which may ask an identity endpoint for a token, through the same transport),
send, and add the time the credential took to the attempt's. What cannot be done (a mapping
that fails or reaches its bounds, an identity endpoint that fails) is a failed attempt
(`error`) with its reason, never a crash.

A mapping is rendered when the request is sent, not when it is built: under the wall clock
that is on a delivery worker, outside the platform's lock, so the time a template takes
(bounded, see `_mapping.py`) holds up no other delivery and no API call. The logged request
gets the rendered body and its signature then, before anything reads it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hooksim.contracts._signing import sign

from ._clock import Clock
from ._credentials import CredentialFailure, DeliveryCredential, authenticate, placeholder_headers
from ._mapping import DEFAULT_LIMITS, MappingFailure, MappingLimits, render_mapping
from ._models import Event, Outcome, Subscription
from ._transport import OutgoingRequest, Transport, TransportResult

__all__ = ["ExtendedRequest", "build_request", "envelope_bytes", "transmit"]


def _refuse(transport: Transport) -> TransportResult:  # pragma: no cover - replaced per request
    return TransportResult(Outcome.ERROR, error="request was not prepared")


@dataclass(frozen=True, slots=True)
class ExtendedRequest(OutgoingRequest):
    """A request as logged, and how to send it for real (`transmit(transport)`)."""

    finish: Callable[[Transport], TransportResult] = field(default=_refuse, compare=False)

    def transmit(self, transport: Transport) -> TransportResult:
        return self.finish(transport)

    def _settle_body(self, body: bytes, signature_header: str, signature: str) -> None:
        """The body a mapping rendered, and its signature, as the log shows them: known
        only once the request is sent (frozen for everyone else; nothing reads a request's
        body or headers before it is sent)."""
        object.__setattr__(self, "body", body)
        self.headers[signature_header] = signature


def transmit(transport: Transport, request: OutgoingRequest) -> TransportResult:
    """Send `request`; an ExtendedRequest first finishes itself (credential, mapping)."""
    if isinstance(request, ExtendedRequest):
        return request.transmit(transport)
    return transport.send(request)


def _data_bytes(event: Event) -> bytes:
    data = event.data_json
    if data is None:
        data = event.data_json = json.dumps(
            event.data, separators=(",", ":"), ensure_ascii=False
        ).encode()
    return data


def envelope_bytes(
    request_id: str, environment_id: str, webhook_id: str, events: Sequence[Event], batched: bool
) -> bytes:
    """The envelope as the engine writes it; with `batched`, `data` is the list of events."""
    head = json.dumps(
        {
            "requestId": request_id,
            "environmentId": environment_id,
            "webhookId": webhook_id,
            "isBatched": batched,
        },
        separators=(",", ":"),
    )
    if batched:
        data = b"[" + b",".join(_data_bytes(event) for event in events) + b"]"
    else:
        data = _data_bytes(events[0])
    return head[:-1].encode() + b',"data":' + data + b"}"


def build_request(
    *,
    request_id: str,
    events: Sequence[Event],
    subscription: Subscription,
    credential: DeliveryCredential | None,
    signature_header: str,
    timeout: float,
    clock: Clock,
    user_agent: str,
    batched: bool,
    mapping_limits: MappingLimits = DEFAULT_LIMITS,
) -> ExtendedRequest:
    """The request for `events` (one, or a batch when `batched`) to `subscription`."""
    environment_id = events[0].environment_id
    body = envelope_bytes(request_id, environment_id, subscription.id, events, batched)
    mapping = subscription.mapping
    failure: str | None = None
    if subscription.credential_id is not None and credential is None:
        failure = f"delivery credential {subscription.credential_id!r} no longer exists"
    headers = dict(subscription.headers)
    headers["Content-Type"] = "application/json"
    headers["User-Agent"] = user_agent
    if mapping is None:
        headers[signature_header] = sign(subscription.secret, body)
    real_headers = dict(headers)
    if credential is not None:
        headers.update(placeholder_headers(credential))

    def finish(transport: Transport) -> TransportResult:
        if failure is not None:
            return TransportResult(Outcome.ERROR, error=failure)
        real = OutgoingRequest(subscription.method, subscription.url, real_headers, body, timeout)
        if mapping is not None:
            try:
                mapped = render_mapping(mapping, body, mapping_limits)
            except MappingFailure as exc:
                logged._settle_body(b"", signature_header, sign(subscription.secret, b""))
                return TransportResult(Outcome.ERROR, error=exc.reason)
            signature = sign(subscription.secret, mapped)
            logged._settle_body(mapped, signature_header, signature)
            real = OutgoingRequest(
                subscription.method,
                subscription.url,
                {**real_headers, signature_header: signature},
                mapped,
                timeout,
            )
        request, spent = real, 0.0
        if credential is not None:
            try:
                request, spent = authenticate(
                    credential, real, transport=transport, now=clock.now(), user_agent=user_agent
                )
            except CredentialFailure as exc:
                return TransportResult(Outcome.ERROR, latency=exc.latency, error=exc.reason)
        result = transport.send(request)
        if spent:
            result.latency += spent
        return result

    logged = ExtendedRequest(
        subscription.method, subscription.url, headers, body, timeout, finish=finish
    )
    return logged
