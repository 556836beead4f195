"""What the kit sends: envelopes built and signed byte for byte as the platform builds them.

The platform (`simulator/_writer.py`) writes the envelope as compact JSON (no spaces, UTF-8,
non-ASCII characters unescaped) with the keys `requestId, environmentId, webhookId, isBatched,
data` in that order, and signs those exact bytes. `canonical_body` does the same;
`unusual_body` writes the same document the way no re-serialiser would, for
`verifies-raw-bytes`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from hooksim.contracts import sign
from hooksim.simulator import USER_AGENT, IdSource, make_event_data

__all__ = [
    "Payloads",
    "canonical_body",
    "unusual_body",
]


def canonical_body(envelope: Mapping[str, Any]) -> bytes:
    """The envelope as the platform writes it on the wire."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(item) for item in value]
    return value


def unusual_body(envelope: Mapping[str, Any]) -> bytes:
    """The same JSON document written unusually but validly.

    Keys in reverse order, tabs and spaces around separators, every non-ASCII character as a
    `\\u00e9`-style escape, and `/` escaped as `\\/` (legal JSON that no common serialiser
    writes). Floats such as `1.0` stay `1.0` (JavaScript would write `1`). A receiver that
    parses and re-serialises before verifying computes a different signature.
    """
    text = json.dumps(
        _reversed_keys(dict(envelope)), indent="\t", separators=(" ,", " : "), ensure_ascii=True
    )
    # "/" only ever occurs inside strings in JSON, so escaping every one is still valid JSON.
    return ("\n  " + text.replace("/", "\\/") + "\n\n").encode("ascii")


class Payloads:
    """Builds realistic event data and signed envelopes for one kit run."""

    def __init__(
        self,
        *,
        secret: str,
        environment_id: str | None = None,
        webhook_id: str | None = None,
        ids: IdSource | None = None,
        now: float | None = None,
    ) -> None:
        # Unseeded: a receiver that keeps its de-duplication table between runs must not see
        # this run's data.ids as copies of the last run's.
        self.ids = ids if ids is not None else IdSource(seed=None)
        self._secret = secret
        self.environment_id = environment_id or self.ids.short_id(8)
        self.webhook_id = webhook_id or self.ids.short_id(8)
        self._now = now

    def now(self) -> float:
        return self._now if self._now is not None else time.time()

    def data(self, event_type: str, **overrides: Any) -> dict[str, Any]:
        """A fresh `data` object (new `data.id`) for `event_type`."""
        return make_event_data(
            event_type, ids=self.ids, now=self.now(), overrides=overrides or None
        )

    def envelope(self, data: Mapping[str, Any] | list[Any], **extra: Any) -> dict[str, Any]:
        """The webhook envelope around `data` (a list for a batch, with `isBatched=True`); a
        new `requestId` each time, as per attempt."""
        envelope: dict[str, Any] = {
            "requestId": self.ids.uuid(),
            "environmentId": self.environment_id,
            "webhookId": self.webhook_id,
            "isBatched": False,
            "data": data,
        }
        envelope.update(extra)
        return envelope

    def signature(self, body: bytes) -> str:
        return sign(self._secret, body)

    def base_headers(self, custom: Mapping[str, str]) -> dict[str, str]:
        """Custom subscription headers first, then the platform's own, as the platform does."""
        headers = dict(custom)
        headers["Content-Type"] = "application/json"
        headers["User-Agent"] = USER_AGENT
        return headers
