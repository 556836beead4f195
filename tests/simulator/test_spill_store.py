"""`SpillingStore`: the same answers as `MemoryStore`, with only pending work in memory."""

from __future__ import annotations

import os

import pytest
from _world import DEAD_URL, RECEIVER_URL, World, failing
from hooksim.simulator import Conflict, MemoryStore, NotFound, Platform
from hooksim.simulator._spill_store import BATCH, SpillingStore


def _run(store: MemoryStore) -> World:
    """Two hours of traffic: one receiver fails its first 30 requests, one is dead."""
    world = World(Platform(seed=3, store=store))
    world.platform.create_environment(world.env)
    world.receiver(respond=failing(30))
    world.subscribe(cardTemplateId="1")
    world.subscribe(DEAD_URL, disableAfterFailures=False)
    for _ in range(12):
        world.publish(count=150, **{"cardContext.cardTemplateId": "1"})
        world.publish(count=100)
        world.advance(600)
    world.platform.publish_data(world.env, {"id": 42, "analyticsEvent": "card-completed"})
    world.platform.run_pending()
    return world


@pytest.fixture(scope="module")
def both() -> tuple[World, World]:
    return _run(MemoryStore()), _run(SpillingStore())


def test_the_delivery_log_is_the_same(both: tuple[World, World]) -> None:
    memory, spilled = both
    assert len(memory.platform.attempts(memory.env)) > 2 * BATCH  # several batches written
    assert spilled.platform.attempts(spilled.env) == memory.platform.attempts(memory.env)


def test_events_and_hours_are_the_same(both: tuple[World, World]) -> None:
    memory, spilled = both
    assert _events(spilled.platform.events(spilled.env)) == _events(
        memory.platform.events(memory.env)
    )
    start_hour = int(memory.start // 3600)
    for hour in range(start_hour - 1, start_hour + 4):
        assert _events(spilled.platform.store.events_in_hour(spilled.env, hour)) == _events(
            memory.platform.store.events_in_hour(memory.env, hour)
        )


def _events(events: list) -> list[tuple]:
    return [(e.id, e.type, e.data, e.published_at) for e in events]


def test_deliveries_are_the_same_in_the_order_they_ended(both: tuple[World, World]) -> None:
    memory, spilled = both

    def key(d):  # noqa: ANN001, ANN202
        return (d.event_id, d.subscription_id)

    assert sorted(spilled.platform.deliveries(spilled.env), key=key) == sorted(
        memory.platform.deliveries(memory.env), key=key
    )
    some = memory.platform.deliveries(memory.env)[5]
    assert spilled.platform.delivery(some.event_id, some.subscription_id) == some
    assert spilled.platform.delivery("no-such-event", some.subscription_id) is None


def test_archived_events_are_found_and_their_ids_stay_taken(both: tuple[World, World]) -> None:
    memory, spilled = both
    first = memory.platform.events(memory.env)[0]
    assert spilled.platform.event(spilled.env, first.id).data == first.data
    assert spilled.platform.event(spilled.env, "42").data["id"] == 42
    with pytest.raises(Conflict):
        spilled.platform.publish_data(spilled.env, {**first.data})
    with pytest.raises(NotFound):
        spilled.platform.event(spilled.env, "never-published")


def test_memory_holds_only_pending_work(both: tuple[World, World]) -> None:
    _, spilled = both
    store = spilled.platform.store
    assert isinstance(store, SpillingStore)
    assert spilled.platform.pending_work == 0
    assert store.live_counts == {"events": 1, "deliveries": 0, "pending": 0}


def test_pending_deliveries_keep_their_events_until_they_end() -> None:
    store = SpillingStore()
    world = World(Platform(seed=1, store=store))
    world.platform.create_environment(world.env)
    world.subscribe(DEAD_URL, disableAfterFailures=False)
    world.receiver()
    world.subscribe(RECEIVER_URL)
    world.publish(count=10)
    assert store.live_counts["events"] == 10  # each waits for a retry to the dead URL
    assert store.live_counts["pending"] == 10
    world.advance(4 * 3600)
    world.publish_one()
    assert store.live_counts == {"events": 1, "deliveries": 1, "pending": 1}


def test_close_deletes_the_files() -> None:
    store = SpillingStore()
    world = World(Platform(seed=1, store=store))
    world.platform.create_environment(world.env)
    world.publish(count=3)
    assert len(world.platform.events(world.env)) == 3  # reading writes what was buffered
    assert os.listdir(store.directory)
    store.close()
    assert not os.path.exists(store.directory)
