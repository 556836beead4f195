"""A webhook receiver on 127.0.0.1 for the served soak: one path per behaviour, each drawing
what it does with every request (answer, fail, hang past the platform's timeout, reset the
connection), and recording what it answered, so that the soak can judge the platform's
records with code of its own."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import socketserver
import struct
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BEHAVIOURS", "SoakReceiver"]

#: What each path does, as (weight, action) pairs; `hang` sleeps past the platform's timeout.
BEHAVIOURS: dict[str, tuple[tuple[float, str], ...]] = {
    "ok": ((1.0, "200"),),
    "slow": ((1.0, "slow"),),
    "flaky": ((0.45, "200"), (0.25, "503"), (0.2, "500"), (0.1, "429")),
    "hang": ((0.6, "200"), (0.4, "hang")),
    "reset": ((0.6, "200"), (0.4, "reset")),
}


@dataclass
class SoakReceiver:
    """Answers by path (/ok, /slow, /flaky, /hang, /reset); `hang_seconds` is how long a
    hang lasts (longer than the platform's timeout), `slow_seconds` a slow answer (shorter)."""

    hang_seconds: float
    slow_seconds: float
    seed: int = 0
    #: (webhookId, event id) -> statuses answered promptly (a hang's late 200 is not one).
    answered: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    requests: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        receiver = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                receiver._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 256

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, behaviour: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{behaviour}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # one request ---------------------------------------------------------------------------
    def _handle(self, connection: socket.socket) -> None:
        connection.settimeout(30)
        reader = connection.makefile("rb")
        try:
            head = reader.readline(65536).decode("latin-1")
            headers: dict[str, str] = {}
            while (line := reader.readline(65536)) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = reader.read(int(headers.get("content-length", "0") or 0))
        except (OSError, ValueError):
            return
        finally:
            reader.close()
        path = head.split(" ")[1] if head.count(" ") >= 2 else "/"
        behaviour = path.strip("/").split("/")[0]
        with self._lock:
            self.requests += 1
            weights = BEHAVIOURS.get(behaviour, ((1.0, "200"),))
            action = self._random.choices([a for _, a in weights], [w for w, _ in weights])[0]
        if action == "reset":
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()  # RST: no answer at all
            return
        if action == "hang":
            time.sleep(self.hang_seconds)
        elif action == "slow":
            time.sleep(self.slow_seconds)
        status = 200 if action in ("200", "slow", "hang") else int(action)
        if action != "hang":
            self._record(body, status)
        extra = "Retry-After: 1\r\n" if status in (429, 503) else ""
        answer = (
            f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n{extra}\r\nok"
        ).encode()
        with contextlib.suppress(OSError):  # the platform gave up on it meanwhile
            connection.sendall(answer)

    def _record(self, body: bytes, status: int) -> None:
        """Who the request was for: the envelope's (or the soak's mappings') webhookId and
        event ids (`data`, a list when batched, or `ids`)."""
        try:
            document: Any = json.loads(body)
        except ValueError:
            return
        if not isinstance(document, dict):
            return
        webhook = str(document.get("webhookId", ""))
        data = document.get("data")
        items = data if isinstance(data, list) else [data] if data is not None else []
        ids = [str(item.get("id")) for item in items if isinstance(item, dict)]
        ids += [str(i) for i in document.get("ids", [])]
        with self._lock:
            for event_id in ids:
                self.answered[(webhook, event_id)].append(status)
