"""`kill -9` of a served platform during an outage loses nothing.

Each run serves `hooksim serve --db FILE --clock wall` in a subprocess with short retries
(0.1 s doubling, a 5 s window) and three subscriptions to one receiver (one never disables,
one disables after 23 failures in a row, one batches its events: up to 4 a request, sent at
most 0.25 s after the first, so that at the kill some batches are collecting, some waiting
for a retry, some in flight). The receiver is down (a slow 503), events are
published continuously, and at a random instant (seeded) the server is killed with SIGKILL,
whatever it is doing: mid-request, mid-commit, mid-publication. It is restarted on the same
file and more events are published; the receiver recovers at a random instant around the
kill (mostly after the restart). When every delivery has ended the server is stopped. Then,
through the API, the receiver's count and the file:

- every event whose publication was answered is there, and ended, for every subscription that
  was active at its publication, either delivered or recorded undelivered (none pending);
- every request the receiver got is in the delivery log (a duplicate is visible there: an
  attempt in flight at the kill is logged as interrupted and sent again; a batch's as one row
  listing its events);
- each delivery's attempts are numbered 1, 2, ... and each was made at (or, after the restart,
  no earlier than) its scheduled time: base * (2^k - 1) after the first. For a batched event
  these are its batch's attempts: a batch keeps its events, its first attempt and its retry
  schedule across the restart (were it collected again, its numbering would start over).

`make test` runs 3 kill points; `make soak` runs 50 (HOOKSIM_CRASH_POINTS=50).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from _crash_helpers import Api, CountingReceiver, ServeProcess, wait_until

pytestmark = pytest.mark.served

POINTS = int(os.environ.get("HOOKSIM_CRASH_POINTS", "3"))
BASE, WINDOW = 0.1, 5.0
ARGS = ("--clock", "wall", "--retry-base", str(BASE), "--retry-window", str(WINDOW))
ARGS += ("--timeout", "2")
#: Attempt k (k = 1, 2, ...) is scheduled this long after the first: 0, .1, .3, .7, 1.5, 3.1.
SCHEDULE = [BASE * (2 ** (k - 1) - 1) for k in range(1, 40) if BASE * (2 ** (k - 1) - 1) <= WINDOW]
INTERRUPTED = "interrupted"
BATCH = {"maxEvents": 4, "maxWaitSeconds": 0.25}


@pytest.mark.clause(
    "DURABLE-STORE",
    "DURABLE-CRASH-RECOVERY",
    "NOTHING-LOST",
    "AT-LEAST-ONCE",
    "RETRY-SCHEDULE",
    "LOG-ATTEMPTS",
    "BATCHING",
)
@pytest.mark.parametrize("seed", range(POINTS))
def test_kill_9_during_an_outage_loses_nothing(
    tmp_path: Path, seed: int, crash_stats: Counter[str]
) -> None:
    rng = random.Random(seed)
    db = tmp_path / "crash.db"
    receiver = CountingReceiver(down=True, down_latency=0.05)
    recovery: threading.Timer | None = None
    server = ServeProcess(db, *ARGS)
    try:
        api = Api(server.url)
        keeps = api.subscribe(receiver.url, disableAfterFailures=False)
        disables = api.subscribe(receiver.url)
        batched = api.subscribe(receiver.url, disableAfterFailures=False, batch=BATCH)
        subscriptions = (keeps, disables, batched)
        # The outage ends at a random instant around the kill: mostly after the restart,
        # sometimes just before the kill, while the backlog is being delivered.
        kill_at = rng.uniform(0.3, 1.5)
        recovery = threading.Timer(kill_at + rng.uniform(-0.3, 1.5), receiver.down.clear)
        recovery.start()
        acked = _publish_until_killed(api, server, kill_at, rng)

        server = ServeProcess(db, *ARGS, name="restarted")
        api = Api(server.url)
        acked += api.publish(count=2)

        wait_until(lambda: _all_ended(api, acked, subscriptions), "every delivery to end")
        log = api.log()
        assert server.stop() == 0, server.errors()
    finally:
        if recovery is not None:
            recovery.cancel()
        server.kill()
        receiver.close()

    deliveries, attempts, published = _read(db)
    seen = receiver.seen()
    _assert_nothing_lost(acked, subscriptions, disables, deliveries, published)
    _assert_the_log_shows_every_request(log, seen)
    _assert_attempts_keep_their_schedule(attempts)
    _assert_batches_were_sent_as_batches(log, batched)

    ended = Counter(row["state"] for row in deliveries.values())
    copies = Counter((r.event_id, r.subscription_id) for r in seen if r.status == 200)
    crash_stats["kill points"] += 1
    crash_stats["events"] += len(acked)
    crash_stats["delivered"] += ended["delivered"]
    crash_stats["undelivered"] += ended["undelivered"]
    interrupted = {
        row["requestId"]
        for row in log
        if row["kind"] == "duplicate" and INTERRUPTED in row["error"]
    }
    crash_stats["attempts in flight at the kill (logged interrupted, sent again)"] += len(
        interrupted
    )
    crash_stats["of which the receiver got twice"] += len(
        {r.request_id for r in seen if r.request_id in interrupted}
    )
    crash_stats["of which batches (one row listing their events)"] += sum(
        1 for row in log if row["requestId"] in interrupted and "eventIds" in row
    )
    crash_stats["batched requests"] += len(
        {r.request_id for r in seen if r.subscription_id == batched}
    )
    crash_stats["events delivered twice (2xx to two copies)"] += sum(n - 1 for n in copies.values())


def _publish_until_killed(
    api: Api, server: ServeProcess, kill_at: float, rng: random.Random
) -> list[str]:
    """Publish continuously; kill -9 the server `kill_at` seconds in. Answers the ids whose
    publication was answered (a publication cut by the kill may or may not have happened)."""
    acked: list[str] = []
    counts = [rng.randint(1, 2) for _ in range(1000)]

    def publish() -> None:
        for count in counts:
            try:
                acked.extend(api.publish(count=count, timeout=5))
            except Exception:
                return  # the server died under this call
            time.sleep(0.05)

    publisher = threading.Thread(target=publish)
    publisher.start()
    time.sleep(kill_at)  # the kill point (seeded), not a timing assertion
    server.kill()
    publisher.join(30)
    assert acked, "nothing was published before the kill"
    return list(acked)


def _events(row: dict[str, Any]) -> list[str]:
    """The events a log row (API or store record) is about: a batch's, or its one event."""
    return list(
        row.get("eventIds") or row.get("event_ids") or [row.get("eventId", row.get("event_id"))]
    )


def _all_ended(api: Api, acked: list[str], subs: tuple[str, ...]) -> bool:
    """Through the API: each event delivered, or out of attempts, for each subscription
    that still delivers."""
    subscriptions = {s["id"]: s for s in api.call("GET", "/v1/dev/webhook")}
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in api.log():
        if row["kind"] == "delivery":
            for event in _events(row):
                rows.setdefault((event, row["subscriptionId"]), []).append(row)
    for event in acked:
        for sub in subs:
            if subscriptions[sub]["status"] != "active":
                continue  # its pending deliveries ended when it was disabled
            attempts = rows.get((event, sub), [])
            if not any(r["outcome"] == "success" for r in attempts) and len(attempts) < len(
                SCHEDULE
            ):
                return False
    return True


def _read(db: Path) -> tuple[dict[tuple[str, str], dict[str, Any]], list[dict[str, Any]], dict]:
    """The stopped server's file, read as it is (read-only)."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        deliveries = {
            (event, sub): {**json.loads(record), "state": state}
            for event, sub, state, record in connection.execute(
                "SELECT event_id, subscription_id, state, record FROM deliveries"
            )
        }
        attempts = [
            json.loads(record)
            for (record,) in connection.execute("SELECT record FROM attempts ORDER BY rowid")
        ]
        published = dict(connection.execute("SELECT id, published_at FROM events"))
        subs = {
            json.loads(record)["id"]: json.loads(record)
            for (record,) in connection.execute("SELECT record FROM subscriptions")
        }
    finally:
        connection.close()
    published["subscriptions"] = subs
    return deliveries, attempts, published


def _assert_nothing_lost(
    acked: list[str],
    subs: tuple[str, ...],
    disables: str,
    deliveries: dict[tuple[str, str], dict[str, Any]],
    published: dict,
) -> None:
    subscriptions = published.pop("subscriptions")
    assert all(subscriptions[sub]["status"] == "active" for sub in subs if sub != disables)
    disabled_at = subscriptions[disables]["disabled_at"]
    for event in acked:
        assert event in published, f"event {event} was acknowledged, then lost"
        for sub in subs:
            if sub == disables and disabled_at is not None and published[event] >= disabled_at:
                assert (event, sub) not in deliveries  # published while disabled
                continue
            delivery = deliveries.get((event, sub))
            assert delivery is not None, f"the delivery of {event} to {sub} was lost"
            assert delivery["state"] in ("delivered", "undelivered"), delivery
            if delivery["state"] == "undelivered":
                assert delivery["reason"] in ("retries-exhausted", "subscription-disabled")
    assert all(d["state"] != "pending" for d in deliveries.values())


def _assert_the_log_shows_every_request(log: list[dict[str, Any]], seen: list) -> None:
    logged = {row["requestId"] for row in log}
    missing = [r for r in seen if r.request_id not in logged]
    assert not missing, f"requests the receiver got that the log does not show: {missing}"
    for row in log:
        if row["kind"] == "duplicate":
            assert row["outcome"] == "error" and INTERRUPTED in row["error"]


def _assert_attempts_keep_their_schedule(attempts: list[dict[str, Any]]) -> None:
    per_delivery: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in attempts:
        if record["kind"] == "delivery":
            for event in _events(record):
                per_delivery.setdefault((event, record["subscription_id"]), []).append(record)
    for key, records in per_delivery.items():
        assert [r["attempt"] for r in records] == list(range(1, len(records) + 1)), key
        first = records[0]["scheduled_at"]
        for record, offset in zip(records, SCHEDULE, strict=False):
            assert record["scheduled_at"] == pytest.approx(first + offset, abs=1e-6), key
            assert record["started_at"] >= record["scheduled_at"] - 1e-6, key


def _assert_batches_were_sent_as_batches(log: list[dict[str, Any]], batched: str) -> None:
    """Each request to the batched subscription is one log row listing its events (an
    interrupted one too), and no event is in two different batches."""
    batch_of: dict[str, tuple[str, ...]] = {}
    for row in log:
        if row["subscriptionId"] != batched:
            continue
        assert row.get("eventIds"), row
        events = tuple(row["eventIds"])
        for event in events:
            assert batch_of.setdefault(event, events) == events, (event, events)
    requests = [row["requestId"] for row in log if row["subscriptionId"] == batched]
    assert len(requests) == len(set(requests)), "a batch request was logged once per event"
