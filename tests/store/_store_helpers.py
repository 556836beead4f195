"""Helpers for the durable-store tests: platforms on a SQLite file, crash images, a clock
that plays the wall clock, and a transport that is not simulated."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from hooksim.simulator import (
    Outcome,
    OutgoingRequest,
    Platform,
    RecordingReceiver,
    TransportResult,
)
from hooksim.simulator._sqlite_store import SqliteStore

ENV = "dev"
DEAD_URL = "http://dead.test/hook"
OK_URL = "http://ok.test/hook"
DEFAULT_OFFSETS = [0, 10, 30, 70, 150, 310, 630, 1270, 2550, 5110, 10230]


def mount_receivers(platform: Platform) -> dict[str, RecordingReceiver]:
    receivers = {DEAD_URL: RecordingReceiver(status=500), OK_URL: RecordingReceiver(status=200)}
    for url, receiver in receivers.items():
        platform.transport.mount(url, receiver)  # type: ignore[attr-defined]
    return receivers


def crash_image(path: Path, to: Path) -> Path:
    """The files as a `kill -9` at this instant leaves them: the database and its WAL."""
    for suffix in ("", "-wal"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{to}{suffix}")
    return to


def log_rows(platform: Platform, env: str = ENV) -> list[tuple[Any, ...]]:
    return [
        (r.event_id, r.subscription_id, r.attempt, r.kind, r.scheduled_at, r.started_at)
        + (str(r.outcome), r.status_code, r.request_id, r.error)
        for r in platform.attempts(env, kinds=("delivery", "duplicate", "test"))
    ]


class ManualClock:
    """Plays the wall clock (not virtual: nothing runs until `run_due`), moved by hand."""

    is_virtual = False

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self._now = now

    def now(self) -> float:
        return self._now

    def set(self, now: float) -> None:
        self._now = now


@dataclass
class RealishTransport:
    """Not simulated (like HTTP): the engine commits before each send. `on_send` runs as
    the request leaves; every answer is `status`."""

    status: int = 500
    on_send: Callable[[OutgoingRequest], None] | None = None
    sent: list[OutgoingRequest] = field(default_factory=list)
    simulated: bool = False

    def send(self, request: OutgoingRequest) -> TransportResult:
        self.sent.append(request)
        if self.on_send is not None:
            self.on_send(request)
        outcome = Outcome.SUCCESS if self.status < 300 else Outcome.HTTP_ERROR
        return TransportResult(outcome, status_code=self.status)


def open_platform(path: Path, **kwargs: Any) -> tuple[Platform, SqliteStore]:
    store = SqliteStore(path)
    try:
        return Platform(store=store, **kwargs), store
    except BaseException:
        store.close()
        raise


class Api:
    """The management API of a served platform, over HTTP, with a workbench token."""

    def __init__(self, base_url: str, client_id: str, secret: str, env: str = ENV) -> None:
        self.base_url = base_url
        self.env = env
        self._credentials = (client_id, secret)
        self.token = ""
        self.renew()

    def renew(self) -> None:
        response = requests.post(
            self.base_url + "/oauth2/token",
            auth=self._credentials,
            data={"grant_type": "client_credentials"},
            headers={"User-Agent": "hooksim-tests"},
            timeout=10,
        )
        response.raise_for_status()
        self.token = response.json()["access_token"]

    def call(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        response = requests.request(
            method,
            self.base_url + path.replace("{env}", self.env),
            json=body,
            params=params or None,
            headers={"Authorization": f"Bearer {self.token}", "User-Agent": "hooksim-tests"},
            timeout=30,
        )
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()["data"] if response.content else None


class CountingReceiver:
    """A webhook receiver on 127.0.0.1 that answers 200 and counts each event's copies."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.copies: Counter[str] = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.copies[json.loads(body)["data"]["id"]] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()


def wait_until(condition: Callable[[], object], what: str, limit: float = 20.0) -> None:
    """Poll until `condition()` holds; a liveness bound, not a timing assertion."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for: {what}")
        time.sleep(0.02)
