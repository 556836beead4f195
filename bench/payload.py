"""The typical delivery and the floor of one delivery in CPython: `json.dumps` + HMAC-SHA256.

The body is what the platform sends for a `card-completed` event (the seed's envelope around
a realistic `data`), encoded the way the engine encodes it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from hooksim.simulator import DEFAULT_START, USER_AGENT, IdSource, make_event_data

from ._util import Timed, timed

__all__ = ["SECRET", "floor_loop", "typical_body", "typical_headers", "typical_payload"]

SECRET = b"3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


def typical_payload() -> dict[str, Any]:
    ids = IdSource(1)
    return {
        "requestId": ids.uuid(),
        "environmentId": "dev",
        "webhookId": "2nBrJUjz",
        "isBatched": False,
        "data": make_event_data("card-completed", ids=ids, now=DEFAULT_START),
    }


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def typical_body() -> bytes:
    return _encode(typical_payload())


def typical_headers(body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Atomic-Signature": hmac.new(SECRET, body, hashlib.sha256).hexdigest(),
    }


def floor_loop(count: int) -> Timed:
    """Encode and sign the typical payload `count` times."""
    payload = typical_payload()

    def loop() -> None:
        for _ in range(count):
            body = _encode(payload)
            hmac.new(SECRET, body, hashlib.sha256).hexdigest()

    return timed(loop)
