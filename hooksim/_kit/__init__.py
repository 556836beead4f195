"""The receiver conformance kit: grade a webhook receiver (a URL or a WSGI app).

Private to hooksim; the public names are re-exported by `hooksim` (`hooksim.check_receiver`).
"""

from __future__ import annotations

from ._api import check_receiver
from ._checks import CHECK_IDS
from ._client import Exchange
from ._effects import EffectsProbeError, fetch_effects
from ._grade import KitError, ReceiverUnreachable
from ._results import CheckResult, KitResult, Latency

__all__ = [
    "CHECK_IDS",
    "CheckResult",
    "EffectsProbeError",
    "Exchange",
    "KitError",
    "KitResult",
    "Latency",
    "ReceiverUnreachable",
    "check_receiver",
    "fetch_effects",
]
