"""A platform restarted on its SQLite file carries on: the same timers in the same order,
overdue retries at once, and an attempt that was in flight at a crash sent again (and logged)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from _store_helpers import (
    DEAD_URL,
    DEFAULT_OFFSETS,
    ENV,
    OK_URL,
    ManualClock,
    RealishTransport,
    crash_image,
    log_rows,
    mount_receivers,
    open_platform,
)
from hooksim.simulator import DeliveryState, OutgoingRequest, Platform, VirtualClock, WallClock
from hooksim.simulator._recovery import INTERRUPTED
from hooksim.simulator._sqlite_store import SCHEMA_VERSION, SqliteStore
from hooksim.simulator._storage import StoreError

STEPS = [5, 10, 20, 45, 300, 1000, 4000, 9000]


def _start(platform: Platform) -> None:
    platform.create_environment(ENV)
    for url in (DEAD_URL, DEAD_URL, OK_URL):
        platform.subscribe(
            ENV, {"types": ["card-completed"], "url": url, "disableAfterFailures": False}
        )
    platform.publish(ENV, "card-completed", count=3)  # nine deliveries due at one instant


def _reference() -> list[tuple[object, ...]]:
    platform = Platform(seed=5)
    mount_receivers(platform)
    _start(platform)
    for step, seconds in enumerate(STEPS):
        platform.advance(seconds)
        if step == 3:
            platform.publish(ENV, "card-completed")
    return log_rows(platform)


@pytest.mark.clause("DURABLE-CRASH-RECOVERY", "DETERMINISM", "SCHEDULER-ORDER")
@pytest.mark.parametrize("restart_after", [0, 2, 4, 7])
def test_a_restarted_virtual_run_is_the_uninterrupted_run(
    db_path: Path, tmp_path: Path, restart_after: int
) -> None:
    platform, store = open_platform(db_path, seed=5)
    mount_receivers(platform)
    _start(platform)
    try:
        for step, seconds in enumerate(STEPS):
            platform.advance(seconds)
            if step == 3:
                platform.publish(ENV, "card-completed")
            if step == restart_after:
                # Abandon the process state: only what a kill -9 leaves on disk goes on.
                image = crash_image(db_path, tmp_path / f"image-{step}.db")
                store.close()
                platform, store = open_platform(image, seed=999)  # the saved seed state wins
                mount_receivers(platform)
        assert log_rows(platform) == _reference()
    finally:
        store.close()


@pytest.mark.clause("SCHEDULER-ORDER")
def test_the_queue_comes_back_in_its_original_order(db_path: Path) -> None:
    platform, store = open_platform(db_path, seed=5)
    mount_receivers(platform)
    _start(platform)
    platform.advance(1)
    store.close()
    with SqliteStore(db_path) as again:
        queue = again.resume(VirtualClock(), Platform().ids.rng).queue
    keys = [(q.delivery.event_id, q.delivery.subscription_id) for q in queue]
    first = [(r[0], r[1]) for r in _reference_first_failures()]
    assert keys == first
    assert [q.due_at for q in queue] == sorted(q.due_at for q in queue)


def _reference_first_failures() -> list[tuple[object, ...]]:
    platform = Platform(seed=5)
    mount_receivers(platform)
    _start(platform)
    return [row for row in log_rows(platform) if row[6] != "success"]


@pytest.mark.clause("DURABLE-CRASH-RECOVERY", "RETRY-SCHEDULE")
def test_overdue_retries_run_at_once_in_order_then_the_schedule_goes_on(db_path: Path) -> None:
    clock = ManualClock()
    start = clock.now()
    platform, store = open_platform(db_path, clock=clock, transport=RealishTransport(500))
    platform.create_environment(ENV)
    platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL})
    first = platform.publish(ENV, "card-completed")[0]
    platform.run_due()
    clock.set(start + 5)
    second = platform.publish(ENV, "card-completed")[0]
    platform.run_due()
    store.close()  # down for a while

    clock.set(start + 100)
    transport = RealishTransport(500)
    platform, store = open_platform(db_path, clock=clock, transport=transport)
    try:
        assert platform.next_due() == start + 100  # overdue: due at once
        platform.run_due()
        rows = [(r[0], r[2], r[4] - start, r[5] - start) for r in log_rows(platform)]
        assert rows == [
            (first.id, 1, 0, 0),
            (second.id, 1, 5, 5),
            # The overdue retries, in their order, each at its own scheduled time ...
            (first.id, 2, 10, 100),
            (second.id, 2, 15, 100),
            (first.id, 3, 30, 100),
            (second.id, 3, 35, 100),
            (first.id, 4, 70, 100),
            (second.id, 4, 75, 100),
        ]
        # ... and the next ones at theirs.
        assert platform.next_due() == start + DEFAULT_OFFSETS[4]
    finally:
        store.close()


def _crash_on_send(
    db_path: Path, tmp_path: Path, when: Callable[[OutgoingRequest, int], bool]
) -> tuple[Path, list[OutgoingRequest], ManualClock]:
    """Run to a dead receiver; take a crash image as the request `when` picks leaves."""
    clock = ManualClock()
    image = tmp_path / "crashed.db"
    count = 0

    def on_send(request: OutgoingRequest) -> None:
        nonlocal count
        count += 1
        if when(request, count):
            crash_image(db_path, image)

    transport = RealishTransport(500, on_send)
    platform, store = open_platform(db_path, clock=clock, transport=transport)
    try:
        platform.create_environment(ENV)
        platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL})
        platform.publish(ENV, "card-completed")
        for offset in DEFAULT_OFFSETS[:4]:
            clock.set(1_800_000_000.0 + offset)
            platform.run_due()
    finally:
        store.close()
    assert image.exists()
    return image, transport.sent, clock


def _request_id(request: OutgoingRequest) -> str:
    return str(json.loads(request.body)["requestId"])


@pytest.mark.clause("DURABLE-CRASH-RECOVERY", "AT-LEAST-ONCE", "LOG-ATTEMPTS")
def test_an_attempt_in_flight_at_a_crash_is_logged_and_sent_again(
    db_path: Path, tmp_path: Path
) -> None:
    image, sent, clock = _crash_on_send(db_path, tmp_path, lambda request, n: n == 3)
    interrupted = _request_id(sent[2])
    start = 1_800_000_000.0
    clock.set(start + 45)  # restarted 15 s after attempt 3 (scheduled at +30) left
    transport = RealishTransport(500)
    platform, store = open_platform(image, clock=clock, transport=transport)
    try:
        assert platform.next_due() == start + 45  # overdue (scheduled at +30): due at once
        platform.run_due()
        rows = [
            (r[2], r[3], r[4] - start, r[5] - start, r[6], r[8], r[9]) for r in log_rows(platform)
        ]
        assert rows[:2] == [
            (1, "delivery", 0, 0, "http-error", _request_id(sent[0]), None),
            (2, "delivery", 10, 10, "http-error", _request_id(sent[1]), None),
        ]
        # The interrupted attempt: in the log (kind duplicate, its request id) ...
        assert rows[2] == (3, "duplicate", 30, 30, "error", interrupted, INTERRUPTED)
        # ... and sent again as attempt 3, at its scheduled time, then the schedule goes on.
        assert rows[3][:4] == (3, "delivery", 30, 45)
        assert _request_id(transport.sent[0]) == rows[3][5] != interrupted
        assert transport.sent[0].body.split(b',"data":')[1] == sent[2].body.split(b',"data":')[1]
        assert len(rows) == 4
        assert platform.next_due() == start + 70
    finally:
        store.close()


class ManualDispatcher:
    """Holds jobs instead of running them: their attempts stay in flight."""

    def __init__(self) -> None:
        self.jobs: list[Callable[[], None]] = []

    def submit(self, endpoint: str, job: Callable[[], None]) -> None:
        self.jobs.append(job)


@pytest.mark.clause("DURABLE-CRASH-RECOVERY", "DISABLE-STOPS-DELIVERY")
@pytest.mark.parametrize("then", ["disable", "delete"])
@pytest.mark.parametrize("left", [True, False], ids=["left", "still-queued"])
def test_an_attempt_in_flight_for_a_subscription_stopped_meanwhile_is_not_sent_again(
    db_path: Path, tmp_path: Path, then: str, left: bool
) -> None:
    clock = ManualClock()
    image = tmp_path / "image.db"
    transport = RealishTransport(500, on_send=lambda request: crash_image(db_path, image))
    platform, store = open_platform(db_path, clock=clock, transport=transport)
    try:
        dispatcher = platform.dispatcher = ManualDispatcher()
        platform.create_environment(ENV)
        sub = platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL})
        platform.publish(ENV, "card-completed")
        platform.run_due()  # the attempt is handed to the dispatcher: in flight
        platform.disable_subscription(ENV, sub.id)
        if then == "delete":
            platform.delete_subscription(ENV, sub.id)
        if left:
            dispatcher.jobs.pop()()  # a worker sends it: the image is taken as it leaves
        else:
            crash_image(db_path, image)  # it never left the dispatcher's queue
    finally:
        store.close()
    transport = RealishTransport(200)
    platform, store = open_platform(image, clock=clock, transport=transport)
    try:
        platform.run_due()
        assert transport.sent == []
        (delivery,) = platform.deliveries(ENV)
        assert delivery.state is DeliveryState.UNDELIVERED
        reason = "subscription-deleted" if then == "delete" else "subscription-disabled"
        assert delivery.reason == reason
        rows = [(r[2], r[3], r[9]) for r in log_rows(platform)]
        assert rows == ([(1, "duplicate", INTERRUPTED)] if left else [])
    finally:
        store.close()


@pytest.mark.clause("DURABLE-STORE")
def test_a_file_served_under_one_clock_cannot_be_resumed_under_the_other(db_path: Path) -> None:
    platform, store = open_platform(db_path)
    store.close()
    with pytest.raises(StoreError, match="virtual clock.*--clock virtual"):
        open_platform(db_path, clock=WallClock())


@pytest.mark.clause("DURABLE-STORE")
def test_one_file_one_platform(db_path: Path, stores: list[SqliteStore]) -> None:
    stores.append(SqliteStore(db_path))
    with pytest.raises(StoreError, match="in use by another process"):
        stores.append(SqliteStore(db_path))


def test_not_a_database_and_a_newer_schema_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a hooksim database"):
        SqliteStore(junk)
    newer = tmp_path / "newer.db"
    SqliteStore(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION + 1,))
    db.close()
    with pytest.raises(StoreError, match="schema version"):
        SqliteStore(newer)
