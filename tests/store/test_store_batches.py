"""Batched subscriptions across a restart: a batch is kept with its events, its first attempt,
its attempts so far and its next scheduled time, so a restart changes neither what is sent
together nor when; a batch in flight at a crash is logged as one interrupted row listing its
events, and sent again."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

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
from hooksim.simulator import DeliveryState, OutgoingRequest, Platform
from hooksim.simulator._recovery import INTERRUPTED
from hooksim.simulator._sqlite_store import SqliteStore

BATCH = {"maxEvents": 5, "maxWaitSeconds": 30}
START = 1_800_000_000.0


def _events_in(request: OutgoingRequest) -> list[str]:
    return [item["id"] for item in json.loads(request.body)["data"]]


def _request_id(request: OutgoingRequest) -> str:
    return str(json.loads(request.body)["requestId"])


def _rows(platform: Platform) -> list[tuple[Any, ...]]:
    """(attempt, kind, scheduled, started, outcome, request id, error, event ids), from START."""
    return [
        (r.attempt, r.kind, r.scheduled_at - START, r.started_at - START)
        + (str(r.outcome), r.request_id, r.error, r.event_ids)
        for r in platform.attempts(ENV)
    ]


@pytest.mark.clause("DURABLE-CRASH-RECOVERY", "BATCHING", "NOTHING-LOST")
@pytest.mark.parametrize("restart_at", [10, 40], ids=["before-due", "overdue"])
def test_a_waiting_batch_keeps_its_events_and_its_due_time(db_path: Path, restart_at: int) -> None:
    clock = ManualClock(START)
    platform, store = open_platform(db_path, clock=clock, transport=RealishTransport(500))
    platform.create_environment(ENV)
    platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL, "batch": BATCH})
    published = [e.id for e in platform.publish(ENV, "card-completed", count=3)]
    store.close()  # stopped before the batch was due (at +30)

    clock.set(START + restart_at)
    transport = RealishTransport(200)
    platform, store = open_platform(db_path, clock=clock, transport=transport)
    try:
        # Due when it was due before the restart (at once when that has passed).
        assert platform.next_due() == START + max(30, restart_at)
        if restart_at < 30:
            # Still collecting: an event published now joins it.
            published += [e.id for e in platform.publish(ENV, "card-completed")]
            platform.run_due()
            assert transport.sent == []
            clock.set(START + 30)
        platform.run_due()
        (request,) = transport.sent
        assert _events_in(request) == published
        ((attempt, kind, scheduled, started, outcome, *_, event_ids),) = _rows(platform)
        assert (attempt, kind, scheduled, started) == (1, "delivery", 30, max(30, restart_at))
        assert (outcome, event_ids) == ("success", tuple(published))
        assert {d.state for d in platform.deliveries(ENV)} == {DeliveryState.DELIVERED}
    finally:
        store.close()


@pytest.mark.clause("DURABLE-CRASH-RECOVERY", "BATCHING", "RETRY-SCHEDULE", "RETRY-WINDOW")
def test_a_failing_batch_keeps_its_retry_schedule_and_window(db_path: Path) -> None:
    clock = ManualClock(START)
    platform, store = open_platform(db_path, clock=clock, transport=RealishTransport(500))
    platform.create_environment(ENV)
    platform.subscribe(
        ENV,
        {
            "types": ["card-completed"],
            "url": DEAD_URL,
            "batch": {"maxEvents": 3, "maxWaitSeconds": 30},
            "disableAfterFailures": False,
        },
    )
    published = tuple(e.id for e in platform.publish(ENV, "card-completed", count=3))
    platform.run_due()  # full: attempt 1 at +0
    clock.set(START + 10)
    platform.run_due()  # attempt 2 at +10
    store.close()

    for offset in DEFAULT_OFFSETS[2:]:
        clock.set(START + offset - 5)  # restarted 5 s before each retry is due
        platform, store = open_platform(db_path, clock=clock, transport=RealishTransport(500))
        try:
            assert platform.next_due() == START + offset
            clock.set(START + offset)
            platform.run_due()
        finally:
            store.close()
    clock.set(START + 20_000)
    platform, store = open_platform(db_path, clock=clock, transport=RealishTransport(200))
    try:
        assert platform.next_due() is None  # the window is over: nothing more is sent
        rows = _rows(platform)
        assert [(r[0], r[1], r[2], r[3], r[7]) for r in rows] == [
            (k, "delivery", offset, offset, published)
            for k, offset in enumerate(DEFAULT_OFFSETS, start=1)
        ]
        states = {(d.state, d.reason, d.attempts) for d in platform.deliveries(ENV)}
        assert states == {(DeliveryState.UNDELIVERED, "retries-exhausted", 11)}
    finally:
        store.close()


@pytest.mark.clause("DURABLE-CRASH-RECOVERY", "BATCHING", "AT-LEAST-ONCE", "LOG-ATTEMPTS")
@pytest.mark.parametrize("crash_on", [1, 3], ids=["first-attempt", "a-retry"])
def test_a_batch_in_flight_at_a_crash_is_one_interrupted_row_and_is_sent_again(
    db_path: Path, tmp_path: Path, crash_on: int
) -> None:
    clock = ManualClock(START)
    image = tmp_path / "image.db"
    sends = 0

    def on_send(request: OutgoingRequest) -> None:
        nonlocal sends
        sends += 1
        if sends == crash_on:
            crash_image(db_path, image)

    transport = RealishTransport(500, on_send=on_send)
    platform, store = open_platform(db_path, clock=clock, transport=transport)
    try:
        platform.create_environment(ENV)
        platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL, "batch": BATCH})
        published = tuple(e.id for e in platform.publish(ENV, "card-completed", count=5))
        for offset in DEFAULT_OFFSETS[:crash_on]:
            clock.set(START + offset)
            platform.run_due()  # full: sent at once, then retried
        sent = transport.sent[crash_on - 1]
    finally:
        store.close()
    scheduled = DEFAULT_OFFSETS[crash_on - 1]

    clock.set(START + scheduled + 15)  # restarted 15 s later
    transport = RealishTransport(200)
    platform, store = open_platform(image, clock=clock, transport=transport)
    try:
        interrupted = _rows(platform)[crash_on - 1 :]
        assert interrupted == [
            (crash_on, "duplicate", scheduled, scheduled, "error")
            + (_request_id(sent), INTERRUPTED, published)
        ]
        assert platform.next_due() == START + scheduled + 15  # overdue: at once
        platform.run_due()
        (again,) = transport.sent
        assert _events_in(again) == list(published)
        *_, last = _rows(platform)
        # Sent again as the same attempt, at its own scheduled time.
        assert last[:5] == (crash_on, "delivery", scheduled, scheduled + 15, "success")
        assert last[5] == _request_id(again) != _request_id(sent)
        states = {(d.state, d.attempts) for d in platform.deliveries(ENV)}
        assert states == {(DeliveryState.DELIVERED, crash_on)}
    finally:
        store.close()


@pytest.mark.clause("DURABLE-CRASH-RECOVERY", "BATCHING", "DISABLE-STOPS-DELIVERY")
def test_a_batch_in_flight_for_a_subscription_disabled_meanwhile_is_not_sent_again(
    db_path: Path, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    image = tmp_path / "image.db"
    transport = RealishTransport(500)
    platform, store = open_platform(db_path, clock=clock, transport=transport)
    try:
        jobs: list[Any] = []
        platform.dispatcher = type("Held", (), {"submit": lambda self, e, job: jobs.append(job)})()
        platform.create_environment(ENV)
        sub = platform.subscribe(
            ENV, {"types": ["card-completed"], "url": DEAD_URL, "batch": BATCH}
        )
        published = tuple(e.id for e in platform.publish(ENV, "card-completed", count=5))
        platform.run_due()  # handed to the dispatcher: in flight
        platform.disable_subscription(ENV, sub.id)
        transport.on_send = lambda request: crash_image(db_path, image)
        jobs.pop()()  # a worker sends it: the image is taken as it leaves
    finally:
        store.close()
    transport = RealishTransport(200)
    platform, store = open_platform(image, clock=clock, transport=transport)
    try:
        platform.run_due()
        assert transport.sent == []
        assert [(r[0], r[1], r[6], r[7]) for r in _rows(platform)] == [
            (1, "duplicate", INTERRUPTED, published)
        ]
        states = {(d.state, d.reason) for d in platform.deliveries(ENV)}
        assert states == {(DeliveryState.UNDELIVERED, "subscription-disabled")}
        assert platform.next_due() is None
    finally:
        store.close()


STEPS = [5, 10, 20, 45, 300, 1000, 4000, 9000, 2000]


def _begin(platform: Platform) -> None:
    mount_receivers(platform)
    platform.create_environment(ENV)
    for url, batch in (
        (DEAD_URL, {"maxEvents": 3, "maxWaitSeconds": 30}),
        (OK_URL, {"maxEvents": 2, "maxWaitSeconds": 20}),
        (DEAD_URL, None),
    ):
        platform.subscribe(
            ENV,
            {"types": ["card-completed"], "url": url, "disableAfterFailures": False}
            | ({"batch": batch} if batch else {}),
        )
    platform.publish(ENV, "card-completed", count=4)  # full batches and collecting ones


def _step(platform: Platform, step: int, seconds: int) -> None:
    platform.advance(seconds)
    if step in (1, 3):
        platform.publish(ENV, "card-completed", count=step)


def _full_log(platform: Platform) -> list[tuple[Any, ...]]:
    return [
        row + (record.event_ids, record.body)
        for row, record in zip(log_rows(platform), platform.attempts(ENV), strict=True)
    ]


@pytest.mark.clause("DURABLE-CRASH-RECOVERY", "DETERMINISM", "BATCHING")
@pytest.mark.parametrize("restart_after", [0, 1, 3, 5, 6])
def test_a_restarted_virtual_run_with_batches_is_the_uninterrupted_run(
    db_path: Path, tmp_path: Path, restart_after: int
) -> None:
    reference = Platform(seed=5)
    _begin(reference)
    for step, seconds in enumerate(STEPS):
        _step(reference, step, seconds)

    platform, store = open_platform(db_path, seed=5)
    _begin(platform)
    try:
        for step, seconds in enumerate(STEPS):
            _step(platform, step, seconds)
            if step in (restart_after, restart_after + 2):
                # Only what a kill -9 leaves on disk goes on (twice: numbering goes on too).
                image = crash_image(Path(store.path), tmp_path / f"image-{step}.db")
                store.close()
                platform, store = open_platform(image, seed=999)
                mount_receivers(platform)
        assert _full_log(platform) == _full_log(reference)
        assert [
            (d.event_id, d.subscription_id, d.state, d.reason, d.attempts)
            for d in (platform.deliveries(ENV))
        ] == [
            (d.event_id, d.subscription_id, d.state, d.reason, d.attempts)
            for d in reference.deliveries(ENV)
        ]
    finally:
        store.close()


@pytest.mark.clause("BATCHING", "NOTHING-LOST")
def test_batch_members_of_a_file_without_its_batches_are_collected_again(
    db_path: Path,
) -> None:
    """A file written before batches were kept: their events are not lost, they join a new
    batch (whose first attempt starts their retry window again)."""
    clock = ManualClock(START)
    platform, store = open_platform(db_path, clock=clock, transport=RealishTransport(500))
    platform.create_environment(ENV)
    platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL, "batch": BATCH})
    published = [e.id for e in platform.publish(ENV, "card-completed", count=3)]
    store.close()
    with sqlite3.connect(db_path) as db:
        db.execute("DELETE FROM batches")
        db.execute("DELETE FROM batch_members")
    db.close()

    clock.set(START + 40)
    transport = RealishTransport(200)
    platform, store = open_platform(db_path, clock=clock, transport=transport)
    try:
        assert platform.next_due() == START + 70  # collected again: due 30 s after the restart
        clock.set(START + 70)
        platform.run_due()
        (request,) = transport.sent
        assert _events_in(request) == published
    finally:
        store.close()


def test_ended_batches_are_kept_marked_done_and_numbers_are_never_reused(
    db_path: Path, stores: list[SqliteStore]
) -> None:
    clock = ManualClock(START)
    platform, store = open_platform(db_path, clock=clock, transport=RealishTransport(200))
    platform.create_environment(ENV)
    platform.subscribe(
        ENV,
        {
            "types": ["card-completed"],
            "url": OK_URL,
            "batch": {"maxEvents": 2, "maxWaitSeconds": 5},
        },
    )
    platform.publish(ENV, "card-completed", count=2)
    platform.run_due()  # batch 1: delivered
    store.close()
    platform, store = open_platform(db_path, clock=clock, transport=RealishTransport(200))
    stores.append(store)
    platform.publish(ENV, "card-completed")  # batch 2: collecting
    rows = store._db.execute(
        "SELECT b.number, b.done, count(*) FROM batches AS b "
        "JOIN batch_members AS m ON m.number = b.number GROUP BY b.number ORDER BY b.number"
    ).fetchall()
    assert rows == [(1, 1, 2), (2, 0, 1)]
