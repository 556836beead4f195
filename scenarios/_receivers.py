"""Scenario receivers: the simulator's `RecordingReceiver` answering as the scenario says.

A receiver answers each request with the first phase whose conditions hold (time, request
number, copy number of the same `data.id`, a seeded chance). Recording, verifying signatures
(it knows the secret of every subscription pointing at it), rejecting bad ones with 401 and
processing each `data.id` once are the recording receiver's; this module only chooses the
answer and, under a platform profile, reads the request the way that sender's receivers do.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, TypeAlias

from hooksim.simulator import (
    Behaviour,
    ReceivedRequest,
    RecordingReceiver,
    RequestReading,
)

from ._model import Phase, ReceiverSpec, Response
from ._profile_receivers import RequestReader

__all__ = ["Received", "Recorded", "ScenarioReceiver"]

#: One request as a scenario receiver saw it (or one event it recovered by replay): the
#: recording receiver's record; `t` is virtual seconds since the scenario started.
Received: TypeAlias = ReceivedRequest

_OK = Response()
_BAD_SIGNATURE = b'{"error":"bad signature"}'


class Recorded:
    """What a scenario receiver that records through a `RecordingReceiver` got."""

    recording: RecordingReceiver

    @property
    def requests(self) -> list[Received]:
        return self.recording.requests

    @property
    def replayed(self) -> list[Received]:
        return self.recording.replayed


class ScenarioReceiver(Recorded):
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
        self.spec = spec
        self.phases: tuple[Phase, ...] = spec.phases
        self._rng = rng
        #: Under a platform profile: how to find the event and check the signature.
        self._reader = reader
        self.secrets: dict[str, str] = {}  # subscription id -> secret
        verifies = spec.verify_signatures
        self.recording = RecordingReceiver(
            respond=self._answer,
            secret=(spec.secret or None) if verifies else None,
            secrets=self.secrets if verifies else {},
            signature_header=signature_header,
            reject_bad_signatures=spec.reject_bad_signatures,
            dedupe=spec.dedupe,
            now=now,
            read=None if reader is None else self._read,
        )

    # behaviour -----------------------------------------------------------------------
    def choose(self, t: float, request: int, copy: int, method: str = "POST") -> Response:
        for phase in self.phases:
            if not phase.matches_without_chance(t, request, copy, method):
                continue
            if phase.probability is not None and self._rng.random() >= phase.probability:
                continue
            return phase.response
        return _OK

    def _answer(self, number: int, request: ReceivedRequest) -> Behaviour:
        response = self.choose(request.time, number, request.copy, request.method)
        # A scenario's 401 reads like the one a receiver gives a bad signature.
        return replace(response, body=_BAD_SIGNATURE) if response.status == 401 else response

    def _read(self, body: bytes, environ: dict[str, Any]) -> RequestReading:
        assert self._reader is not None
        return self._reader(body, environ, self.secrets, self.spec)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.recording(environ, start_response)

    def replay(self, events: Iterable[dict[str, Any]], *, t: float) -> int:
        """Process events recovered from the batched analytics API, each id at most once."""
        return self.recording.replay(events, t=t)

    # what it ended up with -------------------------------------------------------------
    def processed_ids(self) -> list[str]:
        """Processed data ids in the order first processed (replayed ones included)."""
        return list(self.recording.processed_counts)

    def times_processed(self, data_id: str) -> int:
        return self.recording.times_processed(data_id)
