"""A small webhook receiver for Atomic card events: the example project's app under test.

It does what the Webhooks API asks of a receiver: verify the HMAC-SHA256 signature over the raw
request bytes (never a re-serialised copy) with a timing-safe comparison, and de-duplicate by
`data.id`, because delivery is at-least-once. Its side effect is a list of card completions.

Plain werkzeug, one file. Serve it with `python receiver_app.py` (port 8000).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

SIGNATURE_HEADER = "X-Atomic-Signature"


class CardReceiver:
    """The WSGI app. `completions` are its effects: one entry per event acted on."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.available = True  # False plays a maintenance window: every request gets a 503
        self.completions: list[dict[str, Any]] = []
        self._seen: set[str] = set()
        self._lock = threading.Lock()  # two copies of one event may arrive at once

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.method not in ("POST", "PUT"):
            return Response("method not allowed", 405)
        if not self.available:
            return Response("down for maintenance", 503)
        body = request.get_data()  # the raw bytes: the signature is over exactly these
        if not self.signature_ok(body, request.headers.get(SIGNATURE_HEADER)):
            return Response("bad signature", 401)
        try:
            data = json.loads(body)["data"]
            event_id = str(data["id"])
        except (ValueError, KeyError, TypeError):
            return Response("not a webhook payload", 400)
        with self._lock:
            if event_id in self._seen:
                return Response("already processed", 200)
            self._seen.add(event_id)
            if data.get("analyticsEvent") == "card-completed":
                self.completions.append({"id": event_id, "user": data.get("endUserId")})
        return Response('{"ok":true}', 200, content_type="application/json")

    def signature_ok(self, body: bytes, signature: str | None) -> bool:
        if not signature:
            return False
        expected = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature.strip().lower())

    def effect_counts(self) -> dict[str, int]:
        """How many times it acted on each `data.id` (for hooksim's idempotency checks)."""
        with self._lock:
            return dict(Counter(entry["id"] for entry in self.completions))


if __name__ == "__main__":
    from werkzeug.serving import run_simple

    run_simple("127.0.0.1", 8000, CardReceiver(secret="change-me"))
