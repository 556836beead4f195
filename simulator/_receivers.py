"""A scriptable in-process receiver that records what it was sent.

It is a WSGI app: mount it on a platform's `InProcessTransport`. Its behaviour for each
request comes from a `respond` callable (or a fixed status), and it can verify signatures and
de-duplicate by `data.id` like a well-written client would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hooksim.contracts import DEFAULT_SIGNATURE_HEADER, verify

from ._transport import LATENCY_KEY, SimulatedConnectionError

__all__ = ["Behaviour", "ReceivedRequest", "RecordingReceiver"]


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What the receiver does with one request."""

    status: int = 200
    latency: float = 0.0  # virtual seconds before the answer (beyond the timeout: a timeout)
    fail: str | None = None  # "refused" or "reset": no HTTP answer at all
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b'{"ok":true}'


@dataclass(slots=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    time: float
    status: int | None
    signature_valid: bool | None
    processed: bool  # False for a duplicate the receiver recognised and skipped
    data_id: str | None = None
    event_type: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RecordingReceiver:
    """Records every request; answers by `respond(request_number, request)` or `status`."""

    status: int = 200
    respond: Callable[[int, ReceivedRequest], Behaviour] | None = None
    secret: str | None = None
    signature_header: str = DEFAULT_SIGNATURE_HEADER
    reject_bad_signatures: bool = False
    dedupe: bool = False
    now: Callable[[], float] = field(default=lambda: 0.0)
    #: Replaces the Atomic verification (a platform profile's): `(body, headers) -> valid`.
    check: Callable[[bytes, dict[str, str]], bool] | None = None
    requests: list[ReceivedRequest] = field(default_factory=list)
    processed_ids: list[str] = field(default_factory=list)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if "CONTENT_TYPE" in environ:
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        data_id, event_type = _identify(body)
        signature = environ.get("HTTP_" + self.signature_header.upper().replace("-", "_"))
        if self.check is not None:
            valid: bool | None = self.check(body, headers)
        else:
            valid = verify(self.secret, body, signature) if self.secret is not None else None
        request = ReceivedRequest(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO", "/"),
            headers=headers,
            body=body,
            time=self.now(),
            status=None,
            signature_valid=valid,
            processed=False,
            data_id=data_id,
            event_type=event_type,
        )
        self.requests.append(request)
        behaviour = (
            self.respond(len(self.requests), request) if self.respond else Behaviour(self.status)
        )
        environ[LATENCY_KEY] = behaviour.latency
        if behaviour.fail is not None:
            raise SimulatedConnectionError(behaviour.fail)
        status = behaviour.status
        if self.reject_bad_signatures and valid is False:
            status = 401
        request.status = status
        if 200 <= status < 300:
            duplicate = self.dedupe and data_id in self.processed_ids
            if data_id is not None and not duplicate:
                self.processed_ids.append(data_id)
                request.processed = True
        start_response(
            f"{status} {_REASONS.get(status, 'Status')}",
            [("Content-Type", "application/json"), *behaviour.headers],
        )
        return [behaviour.body]

    # what it ended up with -------------------------------------------------------------
    @property
    def data_ids(self) -> list[str]:
        return [r.data_id for r in self.requests if r.data_id is not None]

    @property
    def unique_ids(self) -> set[str]:
        return set(self.data_ids)

    def copies_of(self, data_id: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.data_id == data_id]

    def clear(self) -> None:
        self.requests.clear()
        self.processed_ids.clear()


_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _identify(body: bytes) -> tuple[str | None, str | None]:
    try:
        payload = json.loads(body)
        data = payload.get("data")
        if isinstance(data, dict) and "id" not in data and isinstance(data.get("object"), dict):
            data = data["object"]  # a Stripe event (a platform profile's envelope)
        if isinstance(data, dict):
            return (str(data["id"]) if "id" in data else None, data.get("analyticsEvent"))
    except (ValueError, AttributeError):
        pass
    return None, None
