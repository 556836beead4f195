"""Helpers for the crash tests: `hooksim serve --db` in a subprocess that can be killed with
SIGKILL, an API client, and a receiver that counts what it gets and can be down for a while.

Everything binds 127.0.0.1 on ephemeral ports; waits are polls against a deadline.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import requests

ENV = "dev"
CLIENT = ("crash-ci", "crash-secret")
ENTRY = "from hooksim.cli import main; main()"
UA = {"User-Agent": "hooksim-crash-tests"}


def wait_until(condition: Callable[[], object], what: str, limit: float = 20.0) -> None:
    """Poll until `condition()` holds; a liveness bound, not a timing assertion."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for: {what}")
        time.sleep(0.01)


class ServeProcess:
    """`hooksim serve --db DB --port 0 ARGS` in a subprocess; output goes to files."""

    def __init__(self, db: Path, *args: str, name: str = "serve") -> None:
        self.out_path = db.parent / f"{name}.out"
        self.err_path = db.parent / f"{name}.err"
        self._out: IO[bytes] = open(self.out_path, "wb")  # noqa: SIM115 - closed in _reap
        self._err: IO[bytes] = open(self.err_path, "wb")  # noqa: SIM115
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("HOOKSIM_CLIENT_SECRET", None)
        self.process = subprocess.Popen(
            [sys.executable, "-c", ENTRY, "serve", "--db", str(db), "--port", "0"]
            + ["--client-id", CLIENT[0], "--client-secret", CLIENT[1], *args],
            stdout=self._out,
            stderr=self._err,
            env=env,
        )
        self.url = ""
        try:
            wait_until(self._started, "hooksim serve to print its banner", limit=30)
        except BaseException:
            self.kill()
            raise

    def _started(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"hooksim serve exited {self.process.returncode}: {self.errors()}")
        match = re.search(r"serving at (http://127\.0\.0\.1:\d+)", self.output())
        if match:
            self.url = match.group(1)
        return bool(match) and "get a token" in self.output()

    def output(self) -> str:
        return self.out_path.read_text(errors="replace")

    def errors(self) -> str:
        return self.err_path.read_text(errors="replace")

    def kill(self) -> None:
        """kill -9: no clean-up of any kind runs in the server."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self._reap()

    def stop(self) -> int:
        """A clean stop (SIGTERM); answers the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self._reap()
        return self.process.returncode

    def _reap(self) -> None:
        self.process.wait(timeout=30)
        self._out.close()
        self._err.close()


class Api:
    """The management API over HTTP with a workbench token (asked for again after a restart)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        response = requests.post(
            base_url + "/oauth2/token",
            auth=CLIENT,
            data={"grant_type": "client_credentials"},
            headers=UA,
            timeout=10,
        )
        response.raise_for_status()
        self.headers = {**UA, "Authorization": "Bearer " + response.json()["access_token"]}

    def call(
        self, method: str, path: str, body: Any = None, timeout: float = 30, **params: str
    ) -> Any:
        response = requests.request(
            method,
            self.base_url + path,
            json=body,
            params=params or None,
            headers=self.headers,
            timeout=timeout,
        )
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()["data"]

    def subscribe(self, url: str, **fields: Any) -> str:
        body = {"types": ["card-completed"], "url": url, **fields}
        return str(self.call("POST", f"/v1/{ENV}/webhook", body)["id"])

    def publish(self, count: int = 1, timeout: float = 30) -> list[str]:
        body = {"environmentId": ENV, "type": "card-completed", "count": count}
        return list(self.call("POST", "/_sim/events", body, timeout=timeout)["eventIds"])

    def advance(self, seconds: float) -> str:
        return str(self.call("POST", "/_sim/clock/advance", {"seconds": seconds})["now"])

    def log(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/_sim/deliveries", environmentId=ENV))


@dataclass(frozen=True)
class Request:
    request_id: str
    event_id: str
    subscription_id: str
    status: int | None  # what the receiver answered (None: held, never answered)


class CountingReceiver:
    """Counts every request it gets (by request id and event id: a batch counts each of its
    events). While `down` it answers 503 after `down_latency` seconds, so that attempts are in
    flight when the platform dies; `hold(n)` makes the n-th request wait until `release()` (it
    is then never answered)."""

    def __init__(self, *, down: bool = False, down_latency: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.requests: list[Request] = []
        self.down = threading.Event()
        if down:
            self.down.set()
        self.down_latency = down_latency
        self._hold_number: int | None = None
        self._count = 0  # requests answered (a batch is one)
        self.holding = threading.Event()
        self._released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                data = body["data"] if body["isBatched"] else [body["data"]]
                events = [item["id"] for item in data]
                status = receiver._answer(body["requestId"], events, body["webhookId"])
                if status is None:
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.start()

    def _answer(self, request_id: str, events: list[str], subscription_id: str) -> int | None:
        with self.lock:
            self._count += 1
            hold = self._count == self._hold_number
            down = self.down.is_set()
            status = None if hold else 503 if down else 200
            for event_id in events:  # a batch: one row per event, with the batch's request id
                self.requests.append(Request(request_id, event_id, subscription_id, status))
        if hold:
            self.holding.set()
            self._released.wait(30)
            return None
        if down and self.down_latency:
            time.sleep(self.down_latency)
        return status

    def hold(self, number: int) -> None:
        self._hold_number = number

    def release(self) -> None:
        self._released.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def seen(self) -> list[Request]:
        with self.lock:
            return list(self.requests)

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()
