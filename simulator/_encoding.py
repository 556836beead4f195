"""How an event's `data` becomes bytes: once per event, shared by every attempt, copy and
archive line (re-encoding the same dict for each retry was the engine's largest repeated cost).
"""

from __future__ import annotations

import json

from ._models import Event

__all__ = ["COMPACT", "encoded_data"]

#: One encoder for the whole process: `json.dumps` with non-default options builds a new
#: `JSONEncoder` on every call.
COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encoded_data(event: Event) -> bytes:
    """`event.data` as compact JSON (UTF-8), encoded on first use and kept on the event."""
    data = event.data_json
    if data is None:
        data = event.data_json = COMPACT.encode(event.data).encode()
    return data
