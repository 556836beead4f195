"""Example receivers for the kit's tests: small werkzeug WSGI apps, one bug each.

`CorrectReceiver` is what the seed asks for: it verifies the raw body with a timing-safe
comparison and de-duplicates on `data.id` (under a lock: two copies may arrive at once). Each
subclass breaks exactly one thing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

from werkzeug.wrappers import Request, Response

SECRET = "0217309e-3c74-41b5-82e9-bd60e5db9bdb"
HEADER = "X-Atomic-Signature"

#: The `serve` fixture (conftest.py): serve(app) is a context manager yielding its URL.
Serve = Callable[[Any], AbstractContextManager[str]]


class CorrectReceiver:
    methods = ("POST", "PUT")

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.effects: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def count_effects(self) -> dict[str, int]:
        with self.lock:
            return dict(self.effects)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.method not in self.methods:
            return Response("method not allowed", 405)
        body = request.get_data()
        if not self.verify(body, request.headers.get(HEADER)):
            return Response("bad signature", 401)
        try:
            envelope = json.loads(body)
            data = envelope["data"]
            data_id = data["id"]
        except (ValueError, KeyError, TypeError):
            return Response("bad payload", 400)
        return self.process(data_id, data)

    def expected(self, body: bytes) -> str:
        return hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()

    def verify(self, body: bytes, signature: str | None) -> bool:
        if signature is None:
            return False
        return hmac.compare_digest(self.expected(body).encode(), signature.encode())

    def process(self, data_id: str, data: dict[str, Any]) -> Response:
        with self.lock:
            if data_id in self.seen:
                return Response("duplicate ignored", 200)
            self.seen.add(data_id)
            self.effects[data_id] += 1
        return Response("ok", 200)


class SkipsVerification(CorrectReceiver):
    def verify(self, body: bytes, signature: str | None) -> bool:
        return True


class Reserializes(CorrectReceiver):
    """Parses, then signs its own compact re-serialisation: passes the platform's compact
    bodies, fails any other writing of the same JSON."""

    def verify(self, body: bytes, signature: str | None) -> bool:
        again = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False)
        return super().verify(again.encode(), signature)


class FailsDuplicates(CorrectReceiver):
    def process(self, data_id: str, data: dict[str, Any]) -> Response:
        with self.lock:
            if data_id in self.seen:
                return Response("duplicate key value violates unique constraint", 500)
        return super().process(data_id, data)


class Redirects(CorrectReceiver):
    def handle(self, request: Request) -> Response:
        return Response("moved", 308, headers={"Location": "/webhooks/atomic/"})


class Slow(CorrectReceiver):
    """Holds every `video-played` delivery until `gate` is set (or 5 s)."""

    def __init__(self, secret: str = SECRET) -> None:
        super().__init__(secret)
        self.gate = threading.Event()

    def process(self, data_id: str, data: dict[str, Any]) -> Response:
        if data.get("analyticsEvent") == "video-played":
            self.gate.wait(5)
        return super().process(data_id, data)


class DoubleProcesses(CorrectReceiver):
    def process(self, data_id: str, data: dict[str, Any]) -> Response:
        with self.lock:
            self.effects[data_id] += 1
        return Response("ok", 200)


class ProcessesBeforeVerifying(CorrectReceiver):
    def handle(self, request: Request) -> Response:
        data = json.loads(request.get_data())["data"]
        self.process(data["id"], data)
        return super().handle(request)


class PrefixCompare(CorrectReceiver):
    """Compares only as many characters as were sent: an empty or cut signature passes."""

    def verify(self, body: bytes, signature: str | None) -> bool:
        return signature is not None and self.expected(body).startswith(signature)


class SmallBodyLimit(CorrectReceiver):
    def handle(self, request: Request) -> Response:
        if (request.content_length or 0) > 100_000:
            return Response("request entity too large", 413)
        return super().handle(request)


class KnownTypesOnly(CorrectReceiver):
    def process(self, data_id: str, data: dict[str, Any]) -> Response:
        if data.get("analyticsEvent") == "card-archived" or "experimentContext" in data:
            return Response("unsupported event", 422)
        return super().process(data_id, data)


class PostOnly(CorrectReceiver):
    methods = ("POST",)
