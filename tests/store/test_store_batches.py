"""Batched subscriptions across a restart: the events waiting in a batch are not lost, they
are collected again and sent as a batch; a batch in flight at a crash is logged (one
interrupted row per event, with the batch's request id) and sent again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _store_helpers import (
    DEAD_URL,
    ENV,
    ManualClock,
    RealishTransport,
    crash_image,
    log_rows,
    open_platform,
)
from hooksim.simulator import DeliveryState, OutgoingRequest
from hooksim.simulator._platform import INTERRUPTED

BATCH = {"maxEvents": 5, "maxWaitSeconds": 30}


def _events_in(request: OutgoingRequest) -> list[str]:
    return [item["id"] for item in json.loads(request.body)["data"]]


@pytest.mark.clause("BATCHING", "NOTHING-LOST")
def test_events_waiting_in_a_batch_are_sent_as_a_batch_after_a_restart(db_path: Path) -> None:
    clock = ManualClock()
    start = clock.now()
    platform, store = open_platform(db_path, clock=clock, transport=RealishTransport(500))
    platform.create_environment(ENV)
    platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL, "batch": BATCH})
    published = [e.id for e in platform.publish(ENV, "card-completed", count=3)]
    store.close()  # stopped before the batch was due (at +30)

    clock.set(start + 40)
    transport = RealishTransport(200)
    platform, store = open_platform(db_path, clock=clock, transport=transport)
    try:
        platform.run_due()
        assert transport.sent == []  # collected again: due 30 s after the restart
        clock.set(start + 70)
        platform.run_due()
        (request,) = transport.sent
        assert _events_in(request) == published
        states = {d.state for d in platform.deliveries(ENV)}
        assert states == {DeliveryState.DELIVERED}
    finally:
        store.close()


@pytest.mark.clause("BATCHING", "AT-LEAST-ONCE")
def test_a_batch_in_flight_at_a_crash_is_logged_and_sent_again(
    db_path: Path, tmp_path: Path
) -> None:
    clock = ManualClock()
    image = tmp_path / "image.db"
    transport = RealishTransport(500, on_send=lambda request: crash_image(db_path, image))
    platform, store = open_platform(db_path, clock=clock, transport=transport)
    try:
        platform.create_environment(ENV)
        platform.subscribe(ENV, {"types": ["card-completed"], "url": DEAD_URL, "batch": BATCH})
        published = [e.id for e in platform.publish(ENV, "card-completed", count=5)]
        platform.run_due()  # full: sent at once, and the image is taken as it leaves
        (sent,) = transport.sent
    finally:
        store.close()
    request_id = json.loads(sent.body)["requestId"]

    transport = RealishTransport(200)
    platform, store = open_platform(image, clock=clock, transport=transport)
    try:
        interrupted = [(r[0], r[3], r[8], r[9]) for r in log_rows(platform)]
        assert interrupted == [(e, "duplicate", request_id, INTERRUPTED) for e in published]
        platform.run_due()  # a full batch again: sent at once
        (again,) = transport.sent
        assert _events_in(again) == published
        assert {d.state for d in platform.deliveries(ENV)} == {DeliveryState.DELIVERED}
    finally:
        store.close()
