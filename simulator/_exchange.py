"""What crosses the wire: the request the engine sends, the result a transport reports, and
the `Transport` protocol that carries one to the other.

Values only. The engine decides what to send and when (`_writer.py`, `_executor.py`); a
transport (`_transport.py` in process, `_http_transport.py` over HTTP) decides how; the
delivery rules (`_rules.py`) decide what a result means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ._models import Outcome

__all__ = ["OutgoingRequest", "Transport", "TransportResult"]


@dataclass(frozen=True, slots=True)
class OutgoingRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    timeout: float


@dataclass(slots=True)
class TransportResult:
    outcome: Outcome
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: Seconds until the answer (or the failure). Virtual for simulated transports.
    latency: float = 0.0
    error: str | None = None
    #: `latency` is platform time the engine must let pass (a real answer's `Sim-Latency`
    #: under the virtual clock), though the transport is a real one.
    virtual: bool = False


class Transport(Protocol):
    #: True when `latency` is virtual time the engine must let pass on its clock; False when
    #: the request really took that long.
    simulated: bool

    def send(self, request: OutgoingRequest) -> TransportResult: ...
