"""The user's own receiver in a scenario: a real endpoint (a URL) or a WSGI app, not scripted.

Deliveries reach it through a recording forwarder mounted where a scripted receiver would
be (in process, or on the target-mode listener): the simulator's `RecordingReceiver`, whose
answer is the real one. Every request is recorded as the platform sent it (raw bytes,
headers, method, time), passed on unchanged, and its real answer passed back. So what the
receiver got is judged like any delivery, and its answers (status, whether it accepted a
duplicate or a bad signature) are evidence too. What it did with them, its bookkeeping, comes
only from its effects probe (`effects_url`); without one, expectations about what it
processed are not-applicable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from hooksim.simulator import Behaviour, RecordingReceiver
from werkzeug.test import Client

from ._effects import EffectsProbeFailure, fetch_effects, parse_effects
from ._errors import NotApplicable, StepFailed
from ._model import ReceiverSpec
from ._receivers import Received, Recorded

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

    @classmethod
    def of(cls, bound: Binding | ReceiverTarget) -> Binding:
        """A binding as given: a bare URL or WSGI app binds with no probe and no secret."""
        return bound if isinstance(bound, Binding) else cls(bound)

    def spec(self, declared: ReceiverSpec) -> ReceiverSpec:
        return replace(
            declared,
            url=self.target if isinstance(self.target, str) else declared.url,
            effects_url=self.effects_url or declared.effects_url,
            secret=self.secret or declared.secret,
        )


class RealReceiver(Recorded):
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
        self.secrets: dict[str, str] = {}  # subscription id -> secret
        # Verifies whenever it knows a secret (to report what the receiver accepted), never
        # rejects and keeps no books: the real receiver answers, and tells what it did.
        self.recording = RecordingReceiver(
            respond=self._answer,
            secret=spec.secret or None,
            secrets=self.secrets,
            signature_header=signature_header,
            now=now,
            keeps_books=False,
            content_type=None,
        )
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
        return self.recording(environ, start_response)

    def _answer(self, number: int, request: Received) -> Behaviour:
        """The real receiver's answer to the request, passed on unchanged (a real answer
        takes no platform time); a connection it refused or reset is played as such."""
        path = request.path
        if self.mount_path and path.startswith(self.mount_path):
            path = path[len(self.mount_path) :]
        query = f"?{request.query}" if request.query else ""
        try:
            status, headers, answer = self._forward(
                request.method, path + query, request.headers, request.body
            )
        except OSError as exc:
            return Behaviour(fail="refused" if isinstance(exc, ConnectionRefusedError) else "reset")
        return Behaviour(status, headers=tuple(headers), body=answer)

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


def target_label(target: ReceiverTarget) -> str:
    if isinstance(target, str):
        parts = urlsplit(target)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"
    return getattr(target, "__name__", type(target).__name__)
