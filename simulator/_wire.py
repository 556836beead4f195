"""What goes on the wire for one attempt, and how its answer is judged and logged.

Pure functions of their arguments, shared by the engine's delivery path, copies and tests,
and the batcher.
"""

from __future__ import annotations

import json
import math
from datetime import UTC
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urlsplit

from ._encoding import encoded_data
from ._models import AttemptRecord, Delivery, Event, Outcome, Subscription
from ._outgoing import ExtendedRequest, transmit
from ._settings import Settings
from ._transport import OutgoingRequest, Transport, TransportResult

__all__ = [
    "answer_record",
    "endpoint_of",
    "envelope",
    "judge",
    "redact",
    "retry_after_delay",
    "send_safely",
    "unprepared_record",
    "unsendable_request",
]


#: `json.dumps(..., separators=(",", ":"))` without building an encoder per call.
_HEAD = json.JSONEncoder(separators=(",", ":"))


@lru_cache(maxsize=4096)
def envelope_middle(environment_id: str, webhook_id: str) -> bytes:
    """The envelope between the request id and the event's data: the same for every request
    to one subscription, so it is encoded once."""
    tail = _HEAD.encode(
        {"environmentId": environment_id, "webhookId": webhook_id, "isBatched": False}
    )
    return ('",' + tail[1:-1] + ',"data":').encode()


def envelope(request_id: str, event: Event, webhook_id: str) -> bytes:
    """`{"requestId":...,"environmentId":...,"webhookId":...,"isBatched":false,"data":...}`
    (a request id is a UUID: nothing in it needs escaping)."""
    return b"".join(
        (
            b'{"requestId":"',
            request_id.encode(),
            envelope_middle(event.environment_id, webhook_id),
            encoded_data(event),
            b"}",
        )
    )


def endpoint_of(url: str) -> str:
    """scheme://host:port of a URL: the unit a dispatcher limits concurrency by."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return url
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def send_safely(transport: Transport, request: OutgoingRequest) -> TransportResult:
    """A transport that raises still ends the attempt (as an error): nothing is lost."""
    try:
        return transmit(transport, request)
    except Exception as exc:
        return TransportResult(Outcome.ERROR, error=f"transport raised {type(exc).__name__}: {exc}")


def _failure(what: str, exc: BaseException) -> str:
    # The exception's type and the start of its message, for whoever looks into the bug;
    # never the request, which may hold credentials.
    message = str(exc)
    if len(message) > 200:
        message = message[:197] + "..."
    return f"hooksim could not {what} ({type(exc).__name__}: {message})"


def unsendable_request(
    subscription: Subscription, timeout: float, exc: BaseException
) -> ExtendedRequest:
    """A request that could not be built: sending it fails at once, with the reason."""
    result = TransportResult(Outcome.ERROR, error=_failure("build this request", exc))

    def fail(transport: Transport) -> TransportResult:
        return result

    return ExtendedRequest(subscription.method, subscription.url, {}, b"", timeout, finish=fail)


def unprepared_record(
    delivery: Delivery,
    subscription: Subscription,
    scheduled_at: float,
    now: float,
    exc: BaseException,
    event_ids: tuple[str, ...] = (),
) -> AttemptRecord:
    """The log's row for an attempt whose request could not be built: nothing was sent, and
    the delivery (or batch) ends undelivered."""
    return AttemptRecord(
        environment_id=delivery.environment_id,
        event_id=delivery.event_id,
        subscription_id=delivery.subscription_id,
        attempt=delivery.attempts,
        kind="delivery",
        scheduled_at=scheduled_at,
        started_at=now,
        finished_at=now,
        outcome=Outcome.ERROR,
        status_code=None,
        duration=0.0,
        request_id="",
        method=subscription.method,
        url=subscription.url,
        headers={},
        error=_failure("build this request; the delivery ends undelivered (internal-error)", exc),
        event_ids=event_ids,
    )


def answer_record(
    environment_id: str,
    event_id: str,
    subscription_id: str,
    attempt: int,
    kind: str,
    *,
    scheduled_at: float,
    started: float,
    request: OutgoingRequest,
    request_id: str,
    result: TransportResult,
    settings: Settings,
    keep_body: bool,
    event_ids: tuple[str, ...] = (),
) -> AttemptRecord:
    """The delivery log's row for an answered request (copies, tests and batches; the
    per-delivery hot path builds its row inline)."""
    duration, outcome = judge(result, settings.timeout)
    timed_out = outcome is Outcome.TIMEOUT
    return AttemptRecord(
        environment_id=environment_id,
        event_id=event_id,
        subscription_id=subscription_id,
        attempt=attempt,
        kind=kind,
        scheduled_at=scheduled_at,
        started_at=started,
        finished_at=started + duration,
        outcome=outcome,
        status_code=None if timed_out else result.status_code,
        duration=duration,
        request_id=request_id,
        method=request.method,
        url=request.url,
        headers=redact(request.headers, settings.signature_header),
        error=f"no answer within {settings.timeout:g} s" if timed_out else result.error,
        body=request.body if keep_body else b"",
        event_ids=event_ids,
    )


def judge(result: TransportResult, timeout: float) -> tuple[float, Outcome]:
    if result.latency > timeout:
        return timeout, Outcome.TIMEOUT
    return result.latency, result.outcome


def retry_after_delay(
    result: TransportResult, settings: Settings, scheduled_at: float
) -> float | None:
    """Seconds after the attempt's scheduled start that the receiver asked the next retry to
    wait, or None. Retry-After is delta-seconds or an HTTP-date (RFC 9110); a date is read
    on the platform's own clock (virtual in a simulation), like every other time here."""
    if result.status_code not in settings.retry_after_statuses:
        return None
    value = result.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None  # unreadable: the backoff delay stands
        if moment.tzinfo is None:  # an HTTP-date is always GMT
            moment = moment.replace(tzinfo=UTC)
        seconds = moment.timestamp() - scheduled_at
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


_REDACTED = "[redacted]"
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie"})


def redact(headers: dict[str, str], signature_header: str) -> dict[str, str]:
    """Headers as they may appear in logs: credentials never do. Usually none is a
    credential, and the log then shares the request's dict (nothing changes a request's
    headers once it is built) rather than copying it for every attempt."""
    if _SECRET_HEADERS.isdisjoint(map(str.lower, headers)):
        return headers
    return {
        name: _REDACTED if name.lower() in _SECRET_HEADERS else value
        for name, value in headers.items()
    }
