"""A served platform under mixed load for a long time loses nothing and keeps answering.

`hooksim serve` (in-process, wall clock, real HTTP on 127.0.0.1) with short retries, and at
once: a publisher, an API user creating, changing, testing, disabling, enabling and deleting
subscriptions and credentials, hostile connections (half bodies, trickles, chunked uploads
up to 2 MiB), and a probe timing one API call every 0.2 s. Receivers answer, fail (500, 503
and 429 with Retry-After), hang past the timeout, answer slowly and reset connections; two
subscriptions map their payload, one with a template near its CPU bound, one past it.

When the load stops and every delivery has ended, it is judged with code of its own:
- nothing lost: every (event, subscription) pair of the subscriptions that lived through the
  whole run ended delivered or undelivered, and no delivery of any subscription is pending;
- a receiver's prompt 2xx for a pair means the platform records it delivered, and every pair
  it records delivered was answered 2xx by its receiver;
- the template past its bound never reached its receiver;
- every API call was answered without a 5xx, and the probe never waited a second or more.

`make test` runs it for a few seconds, a smoke test of the harness that asserts no speed;
`make soak` for ten minutes (HOOKSIM_SOAK_SECONDS=600), where the one-second answer is
asserted, and writes its figures to soak-served-results.json.
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from _soak_receiver import BEHAVIOURS, SoakReceiver
from hooksim.simulator import DeliveryState
from hooksim.simulator._mapping import MappingLimits, render_mapping
from hooksim.simulator._serve import ServedPlatform, ServeOptions

pytestmark = pytest.mark.served

SECONDS = float(os.environ.get("HOOKSIM_SOAK_SECONDS", "4"))
#: The soak proper (not the smoke run of `make test`): its speed goal is asserted.
STRICT = "HOOKSIM_SOAK_SECONDS" in os.environ
RETRY_WINDOW = 15.0 if STRICT else 4.0
TIMEOUT = 1.0
TYPES = ["card-completed", "card-published"]
UA = {"User-Agent": "hooksim-soak"}
ANSWER_GOAL = 1.0  # seconds
NEAR_SHARE = 0.4  # of the mapping's CPU bound, for the template near it
#: Events published a second (two publishers): each goes to nine subscriptions, two of them
#: rendering a template of 40 ms and 100 ms of CPU on a 2-core machine.
PUBLISH_RATE = 2.0

#: What a mapped request carries for the receiver to record (the envelope's own fields).
RECORDED = '{"webhookId": {{ webhookId|tojson }}, "ids": [{{ data.id|tojson }}]}'
PAST_BOUND = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


@dataclass
class Tally:
    """What the load did, shared by its threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    events: list[str] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    probe: list[float] = field(default_factory=list)
    hostile: Counter[str] = field(default_factory=Counter)

    def call(self, name: str, response: requests.Response) -> requests.Response:
        with self.lock:
            self.calls[name] += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{name}: {response.status_code} {response.text[:200]}")
        return response


class Client:
    def __init__(self, served: ServedPlatform, tally: Tally) -> None:
        self.base, self.tally = served.base_url, tally
        client = served.client
        token = requests.post(
            self.base + "/oauth2/token",
            auth=(client.client_id, client.secret),
            data={"grant_type": "client_credentials"},
            headers=UA,
            timeout=30,
        ).json()["access_token"]
        self.headers = {**UA, "Authorization": f"Bearer {token}"}

    def __call__(self, name: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = requests.request(
            method, self.base + path, headers=self.headers, timeout=60, **kwargs
        )
        return self.tally.call(name, response)


def _near_bound_template(cpu: float) -> tuple[str, float]:
    """A template that takes about NEAR_SHARE of `cpu` seconds to render here, and its
    measured time (the loop's length is calibrated on this machine)."""
    envelope = json.dumps(
        {
            "requestId": "r",
            "environmentId": "dev",
            "webhookId": "w",
            "isBatched": False,
            "data": {"id": "e"},
        }
    ).encode()

    def template(loops: int) -> str:  # `loops` thousand steps (a range is at most 100,000)
        return (
            f"{{% for i in range({loops}) %}}{{% for j in range(1000) %}}"
            "{% set x = (j * 7) % 13 %}{% endfor %}{% endfor %}" + RECORDED
        )

    def seconds(loops: int) -> float:
        best = 1e9
        for _ in range(3):
            started = time.perf_counter()
            render_mapping(template(loops), envelope, MappingLimits(cpu_seconds=10.0))
            best = min(best, time.perf_counter() - started)
        return best

    loops = 1
    while seconds(loops) < NEAR_SHARE * cpu / 4 and loops < 50_000:
        loops *= 2
    loops = max(1, int(loops * NEAR_SHARE * cpu / max(seconds(loops), 1e-6)))
    return template(loops), seconds(loops)


# the load ------------------------------------------------------------------------------------
def _publisher(api: Client, tally: Tally, stop: threading.Event, rng: random.Random) -> None:
    """About PUBLISH_RATE events a second, in publications of 1 to 4."""
    while not stop.is_set():
        count = rng.randint(1, 4)
        body = {"environmentId": "dev", "type": rng.choice(TYPES), "count": count}
        response = api("publish", "POST", "/_sim/events", json=body)
        if response.status_code == 200:
            with tally.lock:
                tally.events.extend(response.json()["data"]["eventIds"])
        stop.wait(rng.uniform(0.5, 1.5) * count / PUBLISH_RATE)


def _api_user(
    api: Client, receivers: dict[str, SoakReceiver], stop: threading.Event, rng: random.Random
) -> None:
    """Subscriptions and credentials that come and go (judged only by 'nothing pending')."""
    while not stop.is_set():
        behaviour = rng.choice(["flaky", "ok", "reset"])
        body = {"types": TYPES, "url": receivers[behaviour].url(behaviour)}
        created = api("subscribe", "POST", "/v1/dev/webhook", json=body)
        if created.status_code != 201:
            stop.wait(0.2)
            continue
        sub = created.json()["data"]["id"]
        api("get", "GET", f"/v1/dev/webhook/{sub}")
        api("update", "PATCH", f"/v1/dev/webhook/{sub}", json={"name": f"churn {rng.random()}"})
        api("list", "GET", "/v1/dev/webhook")
        api("test", "POST", f"/v1/dev/webhook/{sub}/test")
        stop.wait(rng.uniform(0.2, 1.0))
        api("disable", "DELETE", f"/v1/dev/webhook/{sub}")
        api("enable", "POST", f"/v1/dev/webhook/{sub}/enable")
        stop.wait(rng.uniform(0.2, 1.0))
        api("disable", "DELETE", f"/v1/dev/webhook/{sub}")
        api("delete", "DELETE", f"/v1/dev/webhook/{sub}", params={"permanent": "true"})
        credential = api(
            "credential",
            "POST",
            "/v1/dev/webhook-credentials",
            json={"type": "api-key", "headerName": "X-Key", "value": f"k{rng.random()}"},
        )
        if credential.status_code == 201:
            cred = credential.json()["data"]["id"]
            api("credential-delete", "DELETE", f"/v1/dev/webhook-credentials/{cred}")
        api(
            "deliveries",
            "GET",
            "/_sim/deliveries",
            params={"environmentId": "dev", "subscription": sub},
        )


def _probe(api: Client, tally: Tally, stop: threading.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        api("probe", "GET", "/v1/dev/webhook")
        with tally.lock:
            tally.probe.append(time.perf_counter() - started)
        stop.wait(0.2)


def _hostile(
    served: ServedPlatform, api: Client, tally: Tally, stop: threading.Event, rng: random.Random
) -> None:
    """Connections that send half a body, trickle, or upload a chunked body of any size."""
    held: list[socket.socket] = []
    tricklers: list[threading.Thread] = []
    while not stop.is_set():
        tricklers = [t for t in tricklers if t.is_alive()]
        if len(tricklers) < 3:
            trickler = threading.Thread(target=_trickle, args=(served, tally, stop), daemon=True)
            trickler.start()
            tricklers.append(trickler)
        for _ in range(3):
            connection = socket.create_connection(("127.0.0.1", served.port), timeout=30)
            connection.sendall(
                b'POST /v1/dev/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"a"'
            )
            held.append(connection)
            tally.hostile["half-body"] += 1
        size = rng.choice([10, 1000, 1024 * 1024 + 1, 2 * 1024 * 1024])
        response = requests.post(
            api.base + "/_sim/events",
            data=_chunks(size),
            headers={**api.headers, "Content-Type": "application/json"},
            timeout=60,
        )
        tally.call("chunked", response)
        tally.hostile["chunked"] += 1
        # Whatever the server dropped is closed here too.
        for connection in list(held):
            connection.setblocking(False)
            try:
                if connection.recv(65536) == b"":
                    raise ConnectionResetError
            except BlockingIOError:
                continue
            except OSError:
                pass
            connection.close()
            held.remove(connection)
        stop.wait(1.0)
    for connection in held:
        connection.close()
    for trickler in tricklers:
        trickler.join(60)


def _trickle(served: ServedPlatform, tally: Tally, stop: threading.Event) -> None:
    """A request sent a byte every half second: never silent long enough for the read
    timeout, so only the read deadline ends it."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
        tally.hostile["trickle"] += 1
        try:
            connection.sendall(b"POST /v1/dev/webhook HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            while not stop.wait(0.5):
                connection.sendall(b"a")
        except OSError:
            with tally.lock:
                tally.hostile["trickle-cut-by-server"] += 1


def _chunks(size: int) -> Any:
    """`size` bytes in pieces: requests sends a generator with Transfer-Encoding: chunked."""
    piece = b"x" * 65536
    left = size
    while left > 0:
        yield piece[: min(left, len(piece))]
        left -= len(piece)


# the run -------------------------------------------------------------------------------------
def test_a_served_platform_under_mixed_load_loses_nothing_and_keeps_answering(
    tmp_path: Path,
) -> None:
    # One receiver (one endpoint, so one per-endpoint limit) per behaviour.
    receivers = {
        behaviour: SoakReceiver(hang_seconds=TIMEOUT * 1.5, slow_seconds=TIMEOUT * 0.3, seed=n)
        for n, behaviour in enumerate(BEHAVIOURS)
    }

    def url(behaviour: str) -> str:
        return receivers[behaviour].url(behaviour)

    settings = {"retry_base": 0.25, "retry_window": RETRY_WINDOW, "timeout": TIMEOUT}
    served = ServedPlatform(
        ServeOptions(port=0, clock="wall", settings=settings, read_timeout=2.0, per_endpoint=8)
    ).start()
    tally = Tally()
    threads: list[threading.Thread] = []
    stop = threading.Event()
    started = time.monotonic()
    try:
        near, near_seconds = _near_bound_template(0.1)
        api = Client(served, tally)
        credential = api(
            "credential",
            "POST",
            "/v1/dev/webhook-credentials",
            json={"type": "basic", "username": "soak", "password": "soak-password"},
        ).json()["data"]["id"]
        stable: dict[str, str] = {}
        for name, body in {
            "ok": {"url": url("ok")},
            "slow": {"url": url("slow")},
            "flaky": {"url": url("flaky")},
            "hang": {"url": url("hang")},
            "reset": {"url": url("reset")},
            "near-bound": {"url": url("ok"), "mapping": near},
            "past-bound": {
                "url": url("ok"),
                "mapping": PAST_BOUND + RECORDED,
                "maxRetries": 0,  # each attempt costs the whole bound
            },
            "batched": {
                "url": url("flaky"),
                "batch": {"maxEvents": 10, "maxWaitSeconds": 0.5},
            },
            "credential": {"url": url("ok"), "credentialId": credential},
        }.items():
            body = {"types": TYPES, "disableAfterFailures": False, **body}
            response = api("subscribe", "POST", "/v1/dev/webhook", json=body)
            assert response.status_code == 201, response.text
            stable[name] = response.json()["data"]["id"]
        actors: list[Callable[[], None]] = [
            lambda: _publisher(api, tally, stop, random.Random(1)),
            lambda: _publisher(api, tally, stop, random.Random(2)),
            lambda: _api_user(api, receivers, stop, random.Random(3)),
            lambda: _probe(api, tally, stop),
            lambda: _hostile(served, api, tally, stop, random.Random(4)),
        ]
        for actor in actors:
            thread = threading.Thread(target=actor, daemon=True)
            thread.start()
            threads.append(thread)
        stop.wait(SECONDS)
        stop.set()
        for thread in threads:
            thread.join(120)
            assert not thread.is_alive(), "a load thread is stuck"
        load_seconds = time.monotonic() - started

        # Every delivery ends within the retry window and the timeouts after its event.
        drain_limit = time.monotonic() + RETRY_WINDOW + 60
        while (pending := _pending(served)) and time.monotonic() < drain_limit:
            time.sleep(0.2)
        assert pending == 0, f"{pending} deliveries still pending after the retry window"
        probe_count = len(tally.probe)
        # A last look: the platform still answers once the load is over.
        api("probe", "GET", "/v1/dev/webhook")
    finally:
        stop.set()
        stopping = threading.Thread(target=served.stop, daemon=True)
        stopping.start()
        stopping.join(120)
        for receiver in receivers.values():
            receiver.close()
    assert not stopping.is_alive(), "the server did not stop"
    answered: dict[tuple[str, str], list[int]] = {}
    for receiver in receivers.values():
        answered.update(receiver.answered)

    platform = served.platform
    records = {(d.event_id, d.subscription_id): d for d in platform.deliveries("dev")}
    events = list(tally.events)
    assert events, "the publisher published nothing"
    missing, states = [], Counter()
    for event in events:
        for name, sub in stable.items():
            delivery = records.get((event, sub))
            if delivery is None or delivery.state is DeliveryState.PENDING:
                missing.append((event, name))
                continue
            states[(name, delivery.state.value, delivery.reason)] += 1
            prompt_2xx = any(200 <= s < 300 for s in answered.get((sub, event), []))
            if prompt_2xx:
                assert delivery.state is DeliveryState.DELIVERED, (name, event, delivery)
            if delivery.state is DeliveryState.DELIVERED:
                assert prompt_2xx, f"{name}: {event} recorded delivered, never answered 2xx"
    assert missing == [], f"{len(missing)} pairs lost, e.g. {missing[:5]}"
    assert not any(sub == stable["past-bound"] for sub, _ in answered)
    assert tally.server_errors == []

    latencies = sorted(tally.probe)
    figures = {
        "load_seconds": round(load_seconds, 1),
        "events_published": len(events),
        "stable_pairs": len(events) * len(stable),
        "outcomes": {f"{n} {s} {r or ''}".strip(): c for (n, s, r), c in sorted(states.items())},
        "deliveries_recorded": len(records),
        "attempts_logged": len(platform.attempts("dev", kinds=("delivery", "duplicate", "test"))),
        "receiver_requests": sum(r.requests for r in receivers.values()),
        "api_calls": dict(tally.calls),
        "hostile_connections": dict(tally.hostile),
        "read_deadlines_expired": served.server.read_deadlines.expired,
        "connections_turned_away": served.server.turned_away,
        "near_bound_template_render_s": round(near_seconds, 4),
        "probe_count": probe_count,
        "probe_p50_s": round(statistics.median(latencies), 4),
        "probe_p99_s": round(latencies[int(len(latencies) * 0.99) - 1], 4) if latencies else None,
        "probe_max_s": round(latencies[-1], 4),
    }
    out = Path("soak-served-results.json") if STRICT else tmp_path / "soak-served-results.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    if STRICT:
        assert latencies[-1] < ANSWER_GOAL, f"an API call took {latencies[-1]:.2f} s"


def _pending(served: ServedPlatform) -> int:
    return sum(1 for d in served.platform.deliveries("dev") if d.state is DeliveryState.PENDING)
