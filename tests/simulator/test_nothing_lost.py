"""Nothing is lost: every event ends delivered or undelivered for every subscription that was
active and matched it when it was published; nothing else is attempted."""

from __future__ import annotations

import pytest
from _world import DEAD_URL, FOUR_HOURS, World, make_world
from hooksim.simulator import Behaviour, DeliveryState, Event, Platform, ReceivedRequest
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.clause("NOTHING-LOST")

TYPES = ["card-published", "card-completed", "card-dismissed"]


def _check_every_delivery_ended(
    platform: Platform, env: str, expected: set[tuple[str, str]]
) -> None:
    deliveries = {d.key: d for d in platform.deliveries(env)}
    assert set(deliveries) == expected
    for delivery in deliveries.values():
        assert delivery.state in (DeliveryState.DELIVERED, DeliveryState.UNDELIVERED)
        assert delivery.ended_at is not None
        assert (delivery.reason is None) == (delivery.state is DeliveryState.DELIVERED)
    assert platform.pending_work == 0


def test_a_mixed_run_loses_nothing(world: World) -> None:
    world.receiver("http://ok.test/")
    world.receiver("http://flaky.test/", respond=lambda n, r: Behaviour(500 if n % 3 else 200))
    world.receiver("http://slow.test/", respond=lambda n, r: Behaviour(200, latency=12.0))
    subs = [
        world.subscribe("http://ok.test/", types=TYPES),
        world.subscribe("http://flaky.test/", types=["card-completed"]),
        world.subscribe("http://slow.test/", types=["card-dismissed", "card-completed"]),
        world.subscribe(DEAD_URL, types=TYPES),
        world.subscribe("http://ok.test/", types=["card-expired"]),  # matches nothing
    ]
    expected: set[tuple[str, str]] = set()
    events: list[Event] = []
    for step in range(30):
        event_type = TYPES[step % 3]
        for event in world.publish(event_type, count=2):
            events.append(event)
            for sub in subs:
                if sub.active and sub.matches(event.data):
                    expected.add((event.id, sub.id))
        world.advance(97)
        if step == 10:
            world.platform.disable_subscription(world.env, subs[1].id)
        if step == 20:
            world.platform.enable_subscription(world.env, subs[1].id)
    world.platform.run_pending()
    _check_every_delivery_ended(world.platform, world.env, expected)
    assert subs[3].status == "disabled"  # the dead endpoint was auto-disabled on the way
    reasons = {d.reason for d in world.platform.undelivered(world.env)}
    assert reasons == {"subscription-disabled"}
    # Each attempt in the log belongs to an expected delivery.
    assert {(r.event_id, r.subscription_id) for r in world.platform.attempts(world.env)} <= (
        expected
    )
    # Every analytics event is kept, delivered or not.
    assert [e.id for e in world.platform.events(world.env)] == [e.id for e in events]


@pytest.mark.clause("DISABLED-NOT-ATTEMPTED")
def test_events_published_while_disabled_are_not_attempted(world: World) -> None:
    receiver = world.receiver()
    subscription = world.subscribe()
    world.platform.disable_subscription(world.env, subscription.id)
    event = world.publish_one()
    world.advance(FOUR_HOURS)
    assert receiver.requests == []
    assert world.platform.delivery(event.id, subscription.id) is None
    assert world.platform.event(world.env, event.id) is not None
    world.platform.enable_subscription(world.env, subscription.id)
    world.advance(FOUR_HOURS)
    assert receiver.requests == []


def test_a_subscription_created_after_an_event_does_not_get_it(world: World) -> None:
    receiver = world.receiver()
    event = world.publish_one()
    world.subscribe()
    world.advance(60)
    assert receiver.requests == []
    assert world.platform.deliveries(world.env) == []
    assert world.platform.events(world.env)[0].id == event.id


@pytest.mark.clause("API-DELETE")
def test_deleting_a_disabled_subscription_ends_nothing_silently(world: World) -> None:
    world.receiver(status=500)
    subscription = world.subscribe()
    event = world.publish_one()
    world.platform.disable_subscription(world.env, subscription.id)
    world.platform.delete_subscription(world.env, subscription.id)
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert (delivery.state, delivery.reason) == (
        DeliveryState.UNDELIVERED,
        "subscription-disabled",
    )
    world.advance(FOUR_HOURS)
    assert world.platform.pending_work == 0


@pytest.mark.clause("API-DELETE", "DISABLE-STOPS-DELIVERY")
@pytest.mark.parametrize(("status", "state", "reason"), [
    (500, DeliveryState.UNDELIVERED, "subscription-deleted"),
    (200, DeliveryState.DELIVERED, None),
])  # fmt: skip
def test_an_attempt_in_flight_when_its_subscription_is_deleted_still_ends(
    world: World, status: int, state: DeliveryState, reason: str | None
) -> None:
    receiver = world.receiver(respond=lambda n, r: Behaviour(status, latency=5.0))
    subscription = world.subscribe()
    event = world.publish_one()
    world.advance(1)
    world.platform.disable_subscription(world.env, subscription.id)
    world.platform.delete_subscription(world.env, subscription.id)
    world.advance(FOUR_HOURS)
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert (delivery.state, delivery.reason) == (state, reason)
    assert delivery.ended_at == world.start + 5
    assert len(receiver.requests) == 1
    assert [r.status_code for r in world.platform.attempts(world.env)] == [status]
    assert world.platform.pending_work == 0


_behaviours = st.lists(
    st.sampled_from(
        [
            Behaviour(200),
            Behaviour(500),
            Behaviour(429, headers=(("Retry-After", "300"),)),
            Behaviour(302),
            Behaviour(fail="refused"),
            Behaviour(fail="reset"),
            Behaviour(200, latency=30.0),
            Behaviour(500, latency=3.0),
        ]
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(
    script=_behaviours,
    events=st.integers(min_value=1, max_value=6),
    disable_after=st.booleans(),
    gap=st.sampled_from([0, 1, 7, 600]),
)
def test_any_receiver_behaviour_loses_nothing(
    script: list[Behaviour], events: int, disable_after: bool, gap: int
) -> None:
    world = make_world()

    def respond(number: int, request: ReceivedRequest) -> Behaviour:
        return script[(number - 1) % len(script)]

    world.receiver(respond=respond)
    subscription = world.subscribe(disableAfterFailures=disable_after)
    expected: set[tuple[str, str]] = set()
    for _ in range(events):
        for event in world.publish():
            if subscription.active:
                expected.add((event.id, subscription.id))
        world.advance(gap)
    world.platform.run_pending()
    _check_every_delivery_ended(world.platform, world.env, expected)
    assert world.now - world.start <= events * gap + FOUR_HOURS + 30
