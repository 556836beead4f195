"""Management API throughput: `hooksim serve` against a plain werkzeug app on the same
server answering the same JSON, both in other processes, each driven by one `http.client`
loop: GET /v1/{env}/webhook (list) and POST (subscribe). werkzeug's server closes the
connection after every answer, so each request connects anew, to both servers alike."""

from __future__ import annotations

import base64
import http.client
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ._util import spawn
from .api_server import CLIENT_ID, CLIENT_SECRET

__all__ = ["api_figures"]

PATH = "/v1/dev/webhook"
SUBSCRIPTION = {"url": "https://receiver.example/hook", "types": ["card-completed"]}
#: Subscriptions made before the list is measured (so the list has something to show).
LISTED = 10


class _Client:
    def __init__(self, port: int, token: str | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.headers = {"User-Agent": "hooksim-bench", "Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        self.connection.request(method, path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def rate(self, method: str, count: int, body: bytes | None = None) -> float:
        started = time.perf_counter()
        for _ in range(count):
            status, _ = self.call(method, PATH, body)
            if status not in (200, 201):
                raise RuntimeError(f"{method} {PATH} answered {status}")
        return count / (time.perf_counter() - started)


def _token(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    connection.request(
        "POST",
        "/oauth2/token",
        body=b"grant_type=client_credentials",
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "hooksim-bench",
        },
    )
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"no token: {response.status} {body[:200]!r}")
    return str(json.loads(body)["access_token"])


def api_figures(count: int, runs: int) -> dict[str, Any]:
    """Rounds alternate between the two servers, so that both see the same machine."""
    body = json.dumps(SUBSCRIPTION).encode()
    with spawn("bench.api_server", "hooksim") as (_, port), tempfile.TemporaryDirectory() as tmp:
        hooksim = _Client(int(port), _token(int(port)))
        for _ in range(LISTED):
            hooksim.call("POST", PATH, body)
        list_file, create_file = Path(tmp, "list.json"), Path(tmp, "create.json")
        list_file.write_bytes(hooksim.call("GET", PATH)[1])
        create_file.write_bytes(hooksim.call("POST", PATH, body)[1])
        with spawn("bench.api_server", "plain", str(list_file), str(create_file)) as (_, plain):
            floor = _Client(int(plain))
            lists = [(hooksim.rate("GET", count), floor.rate("GET", count)) for _ in range(runs)]
            creates = [
                (hooksim.rate("POST", count, body), floor.rate("POST", count, body))
                for _ in range(runs)
            ]
    # A request of each kind per round: requests per second over both together.
    both = [2 / (1 / lh + 1 / ch) for (lh, _), (ch, _) in zip(lists, creates, strict=True)]
    plain_both = [2 / (1 / lp + 1 / cp) for (_, lp), (_, cp) in zip(lists, creates, strict=True)]
    return {
        "api_requests_per_s": statistics.median(both),
        "api_plain_requests_per_s": statistics.median(plain_both),
        "api_ratio": statistics.median(h / p for h, p in zip(both, plain_both, strict=True)),
        "api_list_per_s": statistics.median(h for h, _ in lists),
        "api_subscribe_per_s": statistics.median(h for h, _ in creates),
        "api_plain_list_per_s": statistics.median(p for _, p in lists),
        "api_plain_subscribe_per_s": statistics.median(p for _, p in creates),
        "api_list_ratio": statistics.median(h / p for h, p in lists),
        "api_subscribe_ratio": statistics.median(h / p for h, p in creates),
    }
