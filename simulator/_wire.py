"""What goes on the wire for one attempt, and how its answer is judged and logged.

Pure functions of their arguments, shared by the engine's delivery path, copies and tests,
and the batcher.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ._exchange import OutgoingRequest, Transport, TransportResult
from ._models import AttemptRecord, Outcome
from ._rules import Answer
from ._settings import Settings
from ._writer import transmit

__all__ = [
    "answer_record",
    "endpoint_of",
    "redact",
    "send_safely",
]


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
    answer: Answer,
    settings: Settings,
    keep_body: bool,
    event_ids: tuple[str, ...] = (),
) -> AttemptRecord:
    """The delivery log's row for an answered request (copies, tests and batches; the
    per-delivery hot path builds its row inline)."""
    return AttemptRecord(
        environment_id=environment_id,
        event_id=event_id,
        subscription_id=subscription_id,
        attempt=attempt,
        kind=kind,
        scheduled_at=scheduled_at,
        started_at=started,
        finished_at=started + answer.duration,
        outcome=answer.outcome,
        status_code=answer.status_code,
        duration=answer.duration,
        request_id=request_id,
        method=request.method,
        url=request.url,
        headers=redact(request.headers, settings.signature_header),
        error=answer.error,
        body=request.body if keep_body else b"",
        event_ids=event_ids,
    )


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
