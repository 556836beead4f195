"""The one in-process receiver: a WSGI endpoint that records what it was sent.

Mount it on a platform's `InProcessTransport` (or serve it: it is thread-safe). It records
every request as it arrived (raw bytes, headers, method, path, time), verifies its signature
and de-duplicates by `data.id` like a well-written client would, and counts what it
processed. What it answers is decided on top of it, by a `respond` callable (or a fixed
status): the pytest plugin's scripted receiver, the scenario language's phases and the
scenario forwarder to the user's own receiver (which keeps its own books) are three.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from hooksim.contracts import DEFAULT_SIGNATURE_HEADER, verify

from ._transport import LATENCY_KEY, SimulatedConnectionError

__all__ = [
    "Behaviour",
    "ReceivedRequest",
    "RecordingReceiver",
    "RequestReading",
    "identify_body",
    "request_headers",
]

#: What a receiver answers when it turns a request away for its signature.
BAD_SIGNATURE_BODY = b'{"error":"bad signature"}'


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What the receiver does with one request."""

    status: int = 200
    latency: float = 0.0  # virtual seconds before the answer (beyond the timeout: a timeout)
    fail: str | None = None  # "refused" or "reset": no HTTP answer at all
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b'{"ok":true}'
    hang: bool = False  # never answers (the platform times out)


@dataclass(slots=True)
class ReceivedRequest:
    """One request as the receiver saw it (or one event it recovered by replay)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    time: float  # virtual seconds since the start (of the test, or of the scenario)
    status: int | None
    signature_valid: bool | None
    processed: bool  # False for a duplicate the receiver recognised and skipped
    data_id: str | None = None
    event_type: str | None = None
    number: int = 0  # 1-based request number at this receiver (0 for a replayed event)
    webhook_id: str | None = None  # the subscription it names (Atomic's `webhookId`)
    copy: int = 1  # how many times this data.id had arrived, this one included
    source: str = "platform"  # platform, forged, replay
    outcome: str = "answered"  # answered, refused, reset, hang, replayed
    latency: float = 0.0
    duplicate: bool = False  # this data.id had already been accepted (answered 2xx) here
    query: str = ""  # the URL's query string

    @property
    def t(self) -> float:
        """`time`, by the scenario language's name for it."""
        return self.time

    def json(self) -> Any:
        return json.loads(self.body)


#: `(webhook_id, data_id, event_type, signature_valid)`: what a request says and whether it
#: verifies, as a `RecordingReceiver.read` hook finds it.
RequestReading = tuple[str | None, str | None, str | None, bool | None]


@dataclass
class RecordingReceiver:
    """Records every request; answers by `respond(request_number, request)` or `status`.

    Signatures are checked with `secret`, or else with the secret `secrets` holds for the
    subscription the body names (`webhookId`); `check(body, headers)` replaces that check
    (another sender's), and `read(body, environ)` replaces both finding the event and the
    check. Without any of them `signature_valid` is None. Without `keeps_books` it processes
    nothing (a forwarder: what was done with a request is another's to tell).
    """

    status: int = 200
    respond: Callable[[int, ReceivedRequest], Behaviour] | None = None
    secret: str | None = None
    signature_header: str = DEFAULT_SIGNATURE_HEADER
    reject_bad_signatures: bool = False
    dedupe: bool = False
    now: Callable[[], float] = field(default=lambda: 0.0)
    #: Replaces the Atomic verification (a platform profile's): `(body, headers) -> valid`.
    check: Callable[[bytes, dict[str, str]], bool] | None = None
    #: Subscription id -> its secret: verifies a request by the subscription it names.
    secrets: Mapping[str, str] = field(default_factory=dict)
    #: Replaces `identify_body` and the check: `(body, WSGI environ) -> RequestReading`.
    read: Callable[[bytes, dict[str, Any]], RequestReading] | None = None
    keeps_books: bool = True
    #: Sent unless the answer names its own (None: the answer's headers as they are).
    content_type: str | None = "application/json"
    requests: list[ReceivedRequest] = field(default_factory=list)
    #: Every `data.id` processed, in order, once per time it was processed.
    processed_ids: list[str] = field(default_factory=list)
    #: Events recovered by `replay` (not requests).
    replayed: list[ReceivedRequest] = field(default_factory=list)
    processed_counts: Counter[str] = field(default_factory=Counter)
    _copies: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _accepted: set[str] = field(default_factory=set, repr=False, compare=False)
    #: Recording and bookkeeping are atomic; `respond` runs outside the lock (it may forward).
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = request_headers(environ)
        if self.read is not None:
            webhook_id, data_id, event_type, valid = self.read(body, environ)
        else:
            webhook_id, data_id, event_type = identify_body(body)
            valid = self._verify(webhook_id, body, headers, environ)
        with self._lock:
            copy = 1
            if data_id is not None:
                copy = self._copies[data_id] = self._copies.get(data_id, 0) + 1
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
                number=len(self.requests) + 1,
                webhook_id=webhook_id,
                copy=copy,
                source=environ.get("hooksim.source", "platform"),
                query=environ.get("QUERY_STRING", ""),
            )
            self.requests.append(request)
        behaviour = (
            self.respond(request.number, request) if self.respond else Behaviour(self.status)
        )
        request.latency = environ[LATENCY_KEY] = behaviour.latency
        if behaviour.fail is not None:
            request.outcome = behaviour.fail
            raise SimulatedConnectionError(behaviour.fail)
        if behaviour.hang:
            request.outcome = "hang"
            environ[LATENCY_KEY] = float("inf")
            raise SimulatedConnectionError("reset")  # never seen: the platform times out first
        status, answer = behaviour.status, behaviour.body
        if self.reject_bad_signatures and valid is False:
            status, answer = 401, BAD_SIGNATURE_BODY
        request.status = status
        if 200 <= status < 300 and data_id is not None:
            with self._lock:
                request.duplicate = data_id in self._accepted
                self._accepted.add(data_id)
                if self.keeps_books and not (self.dedupe and data_id in self.processed_counts):
                    self._process(data_id)
                    request.processed = True
        answer_headers = list(behaviour.headers)
        if self.content_type is not None and not any(
            name.lower() == "content-type" for name, _ in answer_headers
        ):
            answer_headers.insert(0, ("Content-Type", self.content_type))
        start_response(f"{status} {_reason(status)}", answer_headers)
        return [answer]

    def _verify(
        self,
        webhook_id: str | None,
        body: bytes,
        headers: dict[str, str],
        environ: dict[str, Any],
    ) -> bool | None:
        if self.check is not None:
            return self.check(body, headers)
        secret = self.secret if self.secret is not None else self.secrets.get(webhook_id or "")
        if secret is None:
            return None
        key = "HTTP_" + self.signature_header.upper().replace("-", "_")
        return verify(secret, body, environ.get(key))

    def _process(self, data_id: str) -> None:
        self.processed_ids.append(data_id)
        self.processed_counts[data_id] += 1

    def replay(self, events: Iterable[Mapping[str, Any]], *, t: float) -> int:
        """Process events recovered another way (the batched analytics API), each id at most
        once: a client recovering what it missed never processes an event twice."""
        with self._lock:
            return self._replay(events, t)

    def _replay(self, events: Iterable[Mapping[str, Any]], t: float) -> int:
        count = 0
        for data in events:
            data_id = str(data.get("id"))
            if data_id in self.processed_counts:
                continue
            self._process(data_id)
            count += 1
            self.replayed.append(
                ReceivedRequest(
                    method="",
                    path="",
                    headers={},
                    body=b"",
                    time=t,
                    status=None,
                    signature_valid=None,
                    processed=True,
                    data_id=data_id,
                    event_type=data.get("analyticsEvent"),
                    number=0,
                    copy=0,
                    source="replay",
                    outcome="replayed",
                )
            )
        return count

    # what it ended up with -------------------------------------------------------------
    @property
    def data_ids(self) -> list[str]:
        return [r.data_id for r in self.requests if r.data_id is not None]

    @property
    def unique_ids(self) -> set[str]:
        return set(self.data_ids)

    def copies_of(self, data_id: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.data_id == data_id]

    def times_processed(self, data_id: str) -> int:
        return self.processed_counts[data_id]

    def clear(self) -> None:
        """Forget everything it was sent and processed (a fresh start for the next part of
        a test)."""
        with self._lock:
            self.requests.clear()
            self.processed_ids.clear()
            self.replayed.clear()
            self.processed_counts.clear()
            self._copies.clear()
            self._accepted.clear()


@functools.cache
def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def identify_body(body: bytes) -> tuple[str | None, str | None, str | None]:
    """`(webhook_id, data_id, event_type)` of a delivery's body (None where it has none):
    Atomic's envelope, or a Stripe event's `data.object`."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None, None, None
    if not isinstance(payload, dict):
        return None, None, None
    webhook = payload.get("webhookId")
    webhook_id = str(webhook) if webhook is not None else None
    data = payload.get("data")
    if isinstance(data, dict) and "id" not in data and isinstance(data.get("object"), dict):
        data = data["object"]  # a Stripe event (a platform profile's envelope)
    if not isinstance(data, dict):
        return webhook_id, None, None
    data_id = data.get("id")
    return webhook_id, str(data_id) if data_id is not None else None, data.get("analyticsEvent")


def request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """A WSGI request's headers, by their usual spelling (`X-Atomic-Signature`)."""
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if "CONTENT_TYPE" in environ:
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    return headers
