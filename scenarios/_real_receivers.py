"""The user's own receiver in a scenario: a real endpoint (a URL) or a WSGI app, not scripted.

Deliveries reach it through a recording forwarder mounted where a scripted receiver would
be (in process, or on the target-mode listener): every request is recorded as the platform
sent it (raw bytes, headers, method, time), passed on unchanged, and its real answer passed
back. So what the receiver got is judged like any delivery, and its answers (status, whether
it accepted a duplicate or a bad signature) are evidence too. What it did with them, its
bookkeeping, comes only from its effects probe (`effects_url`); without one, expectations
about what it processed are not-applicable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from hooksim.contracts import verify
from hooksim.simulator import (
    LATENCY_KEY,
    SimulatedConnectionError,
    identify_body,
    request_headers,
)
from werkzeug.test import Client

from ._effects import EffectsProbeFailure, fetch_effects, parse_effects
from ._errors import NotApplicable, StepFailed
from ._model import ReceiverSpec
from ._receivers import Received

__all__ = ["Binding", "RealReceiver", "ReceiverTarget"]

WSGIApp = Callable[..., Iterable[bytes]]
#: A real endpoint: its URL, or a WSGI app called in process.
ReceiverTarget = str | WSGIApp
#: Hop-by-hop headers (RFC 9110) are the connection's, not the request's: never passed on.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)
_FORWARD_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Binding:
    """A declared receiver bound to the user's own at run time (`hooksim run --receiver
    NAME=URL`, the pytest plugin's `pytest_hooksim_receivers`): its URL or WSGI app, and
    optionally its effects probe and the secret it is configured with."""

    target: ReceiverTarget
    effects_url: str | None = None
    secret: str | None = None

    def spec(self, declared: ReceiverSpec) -> ReceiverSpec:
        return replace(
            declared,
            url=self.target if isinstance(self.target, str) else declared.url,
            effects_url=self.effects_url or declared.effects_url,
            secret=self.secret or declared.secret,
        )


class RealReceiver:
    """Forwards each request to the real receiver and records it and the answer."""

    def __init__(
        self,
        spec: ReceiverSpec,
        target: ReceiverTarget,
        *,
        now: Callable[[], float],
        signature_header: str,
    ) -> None:
        self.name = spec.name
        self.spec = spec
        self.target = target
        self._now = now
        self._signature_key = "HTTP_" + signature_header.upper().replace("-", "_")
        self.secrets: dict[str, str] = {}  # subscription id -> secret
        self.requests: list[Received] = []
        self.replayed: list[Received] = []
        self._copies: dict[str, int] = {}
        self._lock = threading.Lock()
        self._http = requests.Session()
        self._http.headers.clear()
        #: The path the platform reaches this receiver at (set once the backend knows it):
        #: what follows it in a request's path is passed on after the receiver's own URL.
        self.mount_path = ""
        # Counts of before the scenario: a real receiver keeps its state from run to run.
        self._baseline: dict[str, int] | None = None
        if spec.effects_url is not None:
            self._baseline = self._read_effects()

    # the forwarder ----------------------------------------------------------------------
    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        webhook_id, data_id, event_type = identify_body(body)
        headers = request_headers(environ)
        with self._lock:
            copy = 1
            if data_id is not None:
                copy = self._copies[data_id] = self._copies.get(data_id, 0) + 1
            record = Received(
                time=self._now(),
                path=environ.get("PATH_INFO", "/"),
                number=len(self.requests) + 1,
                source=environ.get("hooksim.source", "platform"),
                outcome="answered",
                method=environ["REQUEST_METHOD"],
                headers=headers,
                webhook_id=webhook_id,
                data_id=data_id,
                event_type=event_type,
                copy=copy,
                signature_valid=self._verify(webhook_id, body, environ),
                status=None,
                processed=False,
                latency=0.0,
                body=body,
            )
            self.requests.append(record)
        environ[LATENCY_KEY] = 0.0  # a real answer takes no platform time
        path = environ.get("PATH_INFO", "")
        if self.mount_path and path.startswith(self.mount_path):
            path = path[len(self.mount_path) :]
        query = environ.get("QUERY_STRING", "")
        try:
            status, answer_headers, answer = self._forward(
                record.method, path + (f"?{query}" if query else ""), headers, body
            )
        except OSError as exc:
            record.outcome = "refused" if isinstance(exc, ConnectionRefusedError) else "reset"
            raise SimulatedConnectionError(record.outcome) from None
        record.status = status
        if 200 <= status < 300 and data_id is not None:
            record.duplicate = any(
                r.data_id == data_id and r.status is not None and 200 <= r.status < 300
                for r in self.requests[: record.number - 1]
            )
        start_response(f"{status} {_reason(status)}", answer_headers)
        return [answer]

    def _verify(self, webhook_id: str | None, body: bytes, environ: dict[str, Any]) -> bool | None:
        secret = self.spec.secret or (self.secrets.get(webhook_id) if webhook_id else None)
        if secret is None:
            return None
        return verify(secret, body, environ.get(self._signature_key))

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        sent = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
        if isinstance(self.target, str):
            url = self.target.rstrip("/") + path if path else self.target
            try:
                response = self._http.request(
                    method,
                    url,
                    headers=sent,
                    data=body,
                    timeout=_FORWARD_TIMEOUT,
                    allow_redirects=False,
                )
            except requests.ConnectionError as exc:
                refused = "refused" in str(exc).lower()
                raise (ConnectionRefusedError() if refused else ConnectionResetError()) from exc
            except requests.RequestException as exc:
                raise ConnectionResetError() from exc
            answered = [
                (k, v) for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP
            ]
            return response.status_code, answered, response.content
        answer = Client(self.target).open(path or "/", method=method, headers=sent, data=body)
        answered = [(k, v) for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP]
        return answer.status_code, answered, answer.get_data()

    # its bookkeeping ------------------------------------------------------------------
    def _read_effects(self) -> dict[str, int]:
        url = self.spec.effects_url
        assert url is not None
        try:
            if url.startswith("/") and not isinstance(self.target, str):
                answer = Client(self.target).get(url)
                if not 200 <= answer.status_code < 300:
                    raise EffectsProbeFailure(
                        f"the effects probe ({url}) answered {answer.status_code}", "status"
                    )
                return parse_effects(answer.get_data(), f"the effects probe ({url})")
            if url.startswith("/"):
                assert isinstance(self.target, str)
                url = urljoin(self.target, url)
            return fetch_effects(url)
        except EffectsProbeFailure as exc:
            raise StepFailed(f"receiver {self.name}: {exc.message}") from None

    def processed_counts(self) -> dict[str, int]:
        """What it acted on during this scenario, by data.id, as its probe tells."""
        if self._baseline is None:
            raise NotApplicable(
                f"receiver {self.name} is a real one without an effects probe "
                "(effects_url): what it processed is its own to tell"
            )
        counts = self._read_effects()
        return {
            data_id: count - self._baseline.get(data_id, 0)
            for data_id, count in counts.items()
            if count - self._baseline.get(data_id, 0) > 0
        }

    def times_processed(self, data_id: str) -> int:
        return self.processed_counts().get(data_id, 0)

    def replay(self, events: Iterable[dict[str, Any]], *, t: float) -> int:
        raise NotApplicable(
            f"receiver {self.name} is a real one: it recovers missed events itself"
        )

    def close(self) -> None:
        self._http.close()


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def target_label(target: ReceiverTarget) -> str:
    if isinstance(target, str):
        parts = urlsplit(target)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"
    return getattr(target, "__name__", type(target).__name__)
