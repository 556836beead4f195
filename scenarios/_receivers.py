"""Scenario receivers: in-process WSGI endpoints whose behaviour follows the scenario.

A receiver answers each request with the first phase whose conditions hold (time, request
number, copy number of the same `data.id`, a seeded chance). Like a well-written client it can
verify signatures (it knows the secret of every subscription pointing at it), reject bad ones
with 401, and process each `data.id` once; it remembers everything so that expectations can
ask what it ended up with.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hooksim.contracts import verify
from hooksim.simulator import LATENCY_KEY, SimulatedConnectionError

from ._model import Phase, ReceiverSpec, Response
from ._profile_receivers import RequestReader

__all__ = ["Received", "ScenarioReceiver"]

_OK = Response()
_REASONS = {200: "OK", 201: "Created", 204: "No Content", 401: "Unauthorized"}


@dataclass(slots=True)
class Received:
    """One request as the receiver saw it (or one event it recovered by replay)."""

    t: float  # virtual seconds since the scenario started
    number: int  # 1-based request number at this receiver (0 for a replayed event)
    source: str  # platform, forged, replay
    outcome: str  # answered, refused, reset, hang, replayed
    method: str
    headers: dict[str, str]
    webhook_id: str | None
    data_id: str | None
    event_type: str | None
    copy: int  # how many times this data.id had arrived, this one included
    signature_valid: bool | None
    status: int | None
    processed: bool
    latency: float
    body: bytes = b""
    duplicate: bool = False  # this data.id had already been accepted (answered 2xx) here


class ScenarioReceiver:
    def __init__(
        self,
        spec: ReceiverSpec,
        *,
        now: Callable[[], float],
        rng: random.Random,
        signature_header: str,
        reader: RequestReader | None = None,
    ) -> None:
        self.name = spec.name
        #: Under a platform profile: how to find the event and check the signature.
        self._reader = reader
        self.spec = spec
        self.phases: tuple[Phase, ...] = spec.phases
        self._now = now
        self._rng = rng
        self._signature_key = "HTTP_" + signature_header.upper().replace("-", "_")
        self.secrets: dict[str, str] = {}  # subscription id -> secret
        self.requests: list[Received] = []
        self.replayed: list[Received] = []
        self._copies: dict[str, int] = {}
        self._accepted: set[str] = set()
        self._processed: dict[str, int] = {}

    # behaviour -----------------------------------------------------------------------
    def choose(self, t: float, request: int, copy: int, method: str = "POST") -> Response:
        for phase in self.phases:
            if not phase.matches_without_chance(t, request, copy, method):
                continue
            if phase.probability is not None and self._rng.random() >= phase.probability:
                continue
            return phase.response
        return _OK

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if self._reader is None:
            webhook_id, data_id, event_type = identify(body)
        else:  # a platform profile's request
            webhook_id, data_id, event_type, read_valid = self._reader(
                body, environ, self.secrets, self.spec
            )
        copy = 1
        if data_id is not None:
            copy = self._copies.get(data_id, 0) + 1
            self._copies[data_id] = copy
        t = self._now()
        response = self.choose(t, len(self.requests) + 1, copy, environ["REQUEST_METHOD"])
        if self._reader is None:
            signature = environ.get(self._signature_key)
            secret = self.spec.secret or (self.secrets.get(webhook_id) if webhook_id else None)
            valid = (
                verify(secret, body, signature)
                if self.spec.verify_signatures and secret is not None
                else None
            )
        else:
            valid = read_valid
        record = Received(
            t=t,
            number=len(self.requests) + 1,
            source=environ.get("hooksim.source", "platform"),
            outcome="answered",
            method=environ["REQUEST_METHOD"],
            headers=request_headers(environ),
            webhook_id=webhook_id,
            data_id=data_id,
            event_type=event_type,
            copy=copy,
            signature_valid=valid,
            status=None,
            processed=False,
            latency=response.latency,
            body=body,
        )
        self.requests.append(record)
        environ[LATENCY_KEY] = response.latency
        if response.fail is not None:
            record.outcome = response.fail
            raise SimulatedConnectionError(response.fail)
        if response.hang:
            record.outcome = "hang"
            environ[LATENCY_KEY] = float("inf")
            raise SimulatedConnectionError("reset")  # never seen: the platform times out first
        status = response.status
        if self.spec.reject_bad_signatures and valid is False:
            status = 401
        record.status = status
        if 200 <= status < 300 and data_id is not None:
            record.duplicate = data_id in self._accepted
            self._accepted.add(data_id)
            record.processed = self._process(data_id)
        start_response(
            f"{status} {_REASONS.get(status, 'Status')}",
            [("Content-Type", "application/json"), *response.headers],
        )
        return [response.body if status != 401 else b'{"error":"bad signature"}']

    def _process(self, data_id: str) -> bool:
        if self.spec.dedupe and data_id in self._processed:
            return False
        self._processed[data_id] = self._processed.get(data_id, 0) + 1
        return True

    def replay(self, events: Iterable[dict[str, Any]], *, t: float) -> int:
        """Process events recovered from the batched analytics API, each id at most once
        (a client recovering what it missed never processes an event twice)."""
        count = 0
        for data in events:
            data_id = str(data.get("id"))
            if data_id in self._processed:
                continue
            self._processed[data_id] = 1
            count += 1
            self.replayed.append(
                Received(
                    t=t,
                    number=0,
                    source="replay",
                    outcome="replayed",
                    method="",
                    headers={},
                    webhook_id=None,
                    data_id=data_id,
                    event_type=data.get("analyticsEvent"),
                    copy=0,
                    signature_valid=None,
                    status=None,
                    processed=True,
                    latency=0.0,
                )
            )
        return count

    # what it ended up with -------------------------------------------------------------
    def processed_ids(self) -> list[str]:
        """Processed data ids in the order first processed (replayed ones included)."""
        return list(self._processed)

    def times_processed(self, data_id: str) -> int:
        return self._processed.get(data_id, 0)


def identify(body: bytes) -> tuple[str | None, str | None, str | None]:
    try:
        payload = json.loads(body)
    except ValueError:
        return None, None, None
    if not isinstance(payload, dict):
        return None, None, None
    webhook = payload.get("webhookId")
    data = payload.get("data")
    if not isinstance(data, dict):
        return (str(webhook) if webhook is not None else None), None, None
    data_id = data.get("id")
    return (
        str(webhook) if webhook is not None else None,
        str(data_id) if data_id is not None else None,
        data.get("analyticsEvent"),
    )


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if "CONTENT_TYPE" in environ:
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    return headers
