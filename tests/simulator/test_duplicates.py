"""At-least-once delivery: duplicates from a slow receiver, injected on purpose, seeded."""

from __future__ import annotations

import pytest
from _world import World, make_world
from hooksim.simulator import Behaviour, Conflict, DeliveryState, NotFound, Outcome, Settings

pytestmark = pytest.mark.clause("AT-LEAST-ONCE")


def test_a_receiver_slower_than_the_timeout_gets_the_event_twice(world: World) -> None:
    # The first request is processed but answered after 15 s: a timeout for the platform.
    receiver = world.receiver(respond=lambda n, r: Behaviour(200, latency=15.0 if n == 1 else 0))
    subscription = world.subscribe()
    event = world.publish_one()
    world.advance(60)

    first, second = receiver.requests
    assert first.processed and second.processed  # the receiver acted on both copies
    assert first.data_id == second.data_id == event.id
    assert first.json()["requestId"] != second.json()["requestId"]
    assert (first.time - world.start, second.time - world.start) == (0, 10)
    records = world.platform.attempts(world.env)
    assert [(r.attempt, r.outcome, r.status_code) for r in records] == [
        (1, Outcome.TIMEOUT, None),
        (2, Outcome.SUCCESS, 200),
    ]
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert delivery.state is DeliveryState.DELIVERED


def test_a_deduplicating_receiver_processes_the_event_once(world: World) -> None:
    receiver = world.receiver(respond=lambda n, r: Behaviour(200, latency=15.0 if n == 1 else 0))
    receiver.dedupe = True
    world.subscribe()
    event = world.publish_one()
    world.advance(60)
    assert [r.processed for r in receiver.requests] == [True, False]
    assert receiver.processed_ids == [event.id]


@pytest.mark.clause("DUPLICATE-INJECTION")
def test_an_explicit_duplicate_keeps_data_id_and_changes_request_id(world: World) -> None:
    receiver = world.receiver()
    subscription = world.subscribe()
    event = world.publish_one()
    copies = world.platform.inject_duplicate(world.env, event.id)
    assert len(copies) == 1
    assert copies[0].kind == "duplicate"
    assert copies[0].attempt == 1
    assert [r.data_id for r in receiver.requests] == [event.id, event.id]
    first, second = (r.json() for r in receiver.requests)
    assert first["data"] == second["data"]
    assert first["requestId"] != second["requestId"]
    assert receiver.requests[1].signature_valid is True
    # A duplicate changes no delivery state and appears in the delivery log.
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 1)
    assert [r.kind for r in world.platform.attempts(world.env)] == ["delivery", "duplicate"]


@pytest.mark.clause("DUPLICATE-INJECTION")
def test_an_explicit_duplicate_for_one_subscription(world: World) -> None:
    one = world.receiver("http://one.test/")
    two = world.receiver("http://two.test/")
    world.subscribe("http://one.test/")
    sub_two = world.subscribe("http://two.test/")
    event = world.publish_one()
    world.platform.inject_duplicate(world.env, event.id, sub_two.id)
    assert (len(one.requests), len(two.requests)) == (1, 2)


@pytest.mark.clause("DUPLICATE-INJECTION")
def test_a_duplicate_needs_a_subscription_the_event_was_sent_to(world: World) -> None:
    world.receiver()
    other = world.subscribe(types=["card-dismissed"])
    event = world.publish_one("card-completed")
    # A state the request meets, not a malformed request: 409; no such subscription: 404.
    with pytest.raises(Conflict, match="never sent"):
        world.platform.inject_duplicate(world.env, event.id, other.id)
    with pytest.raises(NotFound, match="no webhook subscription 'nope'"):
        world.platform.inject_duplicate(world.env, event.id, "nope")


@pytest.mark.clause("DUPLICATE-INJECTION")
def test_probability_one_duplicates_every_delivered_event() -> None:
    world = make_world(Settings(duplicate_probability=1.0))
    receiver = world.receiver()
    world.subscribe()
    events = world.publish(count=4)
    assert receiver.data_ids == [e.id for e in events for _ in range(2)]
    assert [r.kind for r in world.platform.attempts(world.env)] == ["delivery", "duplicate"] * 4


@pytest.mark.clause("DUPLICATE-INJECTION")
def test_failed_attempts_are_not_duplicated() -> None:
    world = make_world(Settings(duplicate_probability=1.0))
    receiver = world.receiver(respond=lambda n, r: Behaviour(500 if n == 1 else 200))
    world.subscribe()
    world.publish_one()
    world.advance(10)
    assert [r.status for r in receiver.requests] == [500, 200, 200]


@pytest.mark.clause("DUPLICATE-INJECTION", "DETERMINISM")
def test_a_duplicate_probability_is_seeded() -> None:
    def duplicated(seed: int) -> list[str]:
        world = make_world(Settings(duplicate_probability=0.3), seed=seed)
        world.receiver()
        world.subscribe()
        world.publish(count=200)
        return [r.event_id for r in world.platform.attempts(world.env) if r.kind == "duplicate"]

    first, again, other = duplicated(1), duplicated(1), duplicated(2)
    assert first == again
    assert first != other
    assert 30 <= len(first) <= 90  # about 60 of 200
