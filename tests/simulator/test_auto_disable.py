"""Auto-disable after 23 consecutive failed attempts, the counter's reset, opting out, and
what disabling (by the API or automatically) does to pending and future deliveries."""

from __future__ import annotations

import pytest
from _world import DEAD_URL, DEFAULT_OFFSETS, FOUR_HOURS, RECEIVER_URL, World, make_world
from hooksim.simulator import Behaviour, DeliveryState, ReceivedRequest, Settings

pytestmark = pytest.mark.clause("DISABLE-THRESHOLD")


@pytest.mark.clause("DISABLE-STOPS-DELIVERY", "NOTHING-LOST")
def test_three_events_failing_together_disable_at_the_23rd_failed_attempt(world: World) -> None:
    subscription = world.subscribe(DEAD_URL)
    first, second, third = world.publish(count=3)
    world.advance(FOUR_HOURS)

    records = world.platform.attempts(world.env)
    assert len(records) == 23
    # Seven rounds of three (21 failures), then the 8th attempts at +1270 s: the first event's
    # is the 22nd failure (still active), the second event's the 23rd (disabled at once).
    assert [(r.event_id, r.attempt) for r in records[-3:]] == [
        (third.id, 7),
        (first.id, 8),
        (second.id, 8),
    ]
    assert records[-1].started_at == world.start + 1270
    assert world.offsets(subscription, third) == DEFAULT_OFFSETS[:7]  # its 8th never sent
    assert subscription.status == "disabled"
    assert subscription.disabled_reason == "auto"
    assert subscription.disabled_at == world.start + 1270
    assert subscription.consecutive_failures == 23
    for event in (first, second, third):
        delivery = world.platform.delivery(event.id, subscription.id)
        assert delivery is not None
        assert (delivery.state, delivery.reason) == (
            DeliveryState.UNDELIVERED,
            "subscription-disabled",
        )
        assert delivery.ended_at == world.start + 1270
    assert world.platform.pending_work == 0


def test_the_22nd_consecutive_failure_never_disables(world: World) -> None:
    subscription = world.subscribe(DEAD_URL)
    world.publish(count=2)
    world.advance(FOUR_HOURS)
    assert len(world.platform.attempts(world.env)) == 22
    assert subscription.consecutive_failures == 22
    assert subscription.active
    # One more failed attempt, on a new event, is the 23rd.
    world.publish_one()
    assert len(world.platform.attempts(world.env)) == 23
    assert subscription.status == "disabled"
    assert subscription.disabled_at == world.start + FOUR_HOURS


def test_failures_of_every_kind_count(world: World) -> None:
    kinds = [
        Behaviour(500),
        Behaviour(302),
        Behaviour(fail="refused"),
        Behaviour(fail="reset"),
        Behaviour(200, latency=11.0),
    ]
    world.receiver(respond=lambda n, r: kinds[(n - 1) % len(kinds)])
    subscription = world.subscribe()
    world.publish(count=3)
    world.advance(FOUR_HOURS)
    assert len(world.platform.attempts(world.env)) == 23
    assert subscription.disabled_reason == "auto"


@pytest.mark.clause("SETTINGS")
def test_threshold_is_configurable() -> None:
    world = make_world(Settings(disable_threshold=4))
    subscription = world.subscribe(DEAD_URL)
    world.publish_one()
    world.advance(FOUR_HOURS)
    assert world.offsets(subscription) == [0, 10, 30, 70]
    assert subscription.disabled_reason == "auto"


@pytest.mark.clause("DISABLE-RESET")
def test_a_success_resets_the_counter(world: World) -> None:
    outcomes: list[int] = []

    def respond(number: int, request: ReceivedRequest) -> Behaviour:
        # 22 failures, one success, then failures again.
        status = 200 if number == 23 else 500
        outcomes.append(status)
        return Behaviour(status)

    world.receiver(respond=respond)
    subscription = world.subscribe()
    world.publish(count=2)
    world.advance(FOUR_HOURS)
    assert subscription.consecutive_failures == 22
    world.publish_one()  # the 23rd request succeeds
    assert subscription.consecutive_failures == 0
    assert subscription.active
    world.publish(count=2)  # 22 more failures: still active
    world.advance(FOUR_HOURS)
    assert subscription.consecutive_failures == 22
    assert subscription.active
    world.publish_one()
    assert subscription.status == "disabled"
    assert outcomes.count(200) == 1
    assert len(outcomes) == 22 + 1 + 22 + 1


@pytest.mark.clause("DISABLE-OPT-OUT", "NOTHING-LOST")
def test_disable_after_failures_false_keeps_the_subscription_active(world: World) -> None:
    subscription = world.subscribe(DEAD_URL, disableAfterFailures=False)
    events = world.publish(count=3)
    world.advance(FOUR_HOURS)
    assert len(world.platform.attempts(world.env)) == 33
    assert subscription.consecutive_failures == 33
    assert subscription.active
    for event in events:
        assert world.offsets(subscription, event) == DEFAULT_OFFSETS
        delivery = world.platform.delivery(event.id, subscription.id)
        assert delivery is not None
        assert (delivery.state, delivery.reason) == (
            DeliveryState.UNDELIVERED,
            "retries-exhausted",
        )


@pytest.mark.clause("DISABLE-OPT-OUT", "API-UPDATE")
def test_opting_out_later_applies_to_the_next_failure(world: World) -> None:
    subscription = world.subscribe(DEAD_URL)
    world.publish(count=2)
    world.advance(FOUR_HOURS)
    world.platform.update_subscription(world.env, subscription.id, {"disableAfterFailures": False})
    world.publish(count=2)
    world.advance(FOUR_HOURS)
    assert subscription.active
    assert subscription.consecutive_failures == 44


@pytest.mark.clause("DISABLE-STOPS-DELIVERY", "API-DISABLE")
def test_disabling_by_api_cancels_pending_retries(world: World) -> None:
    receiver = world.receiver(status=500)
    subscription = world.subscribe()
    event = world.publish_one()
    world.advance(15)  # attempts at +0 and +10
    world.platform.disable_subscription(world.env, subscription.id)
    assert (subscription.status, subscription.disabled_reason) == ("disabled", "api")
    assert subscription.disabled_at == world.start + 15
    assert world.platform.pending_work == 0
    world.advance(FOUR_HOURS)
    assert len(receiver.requests) == 2
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert (delivery.state, delivery.reason) == (
        DeliveryState.UNDELIVERED,
        "subscription-disabled",
    )
    assert delivery.ended_at == world.start + 15
    # Disabling is not deleting: it is still listed.
    assert world.platform.subscriptions(world.env) == [subscription]


@pytest.mark.clause("DISABLE-STOPS-DELIVERY")
def test_an_attempt_already_in_flight_when_disabled_is_answered(world: World) -> None:
    receiver = world.receiver(respond=lambda n, r: Behaviour(200, latency=5.0))
    subscription = world.subscribe()
    event = world.publish_one()
    world.advance(2)
    world.platform.disable_subscription(world.env, subscription.id)
    world.advance(60)
    assert len(receiver.requests) == 1
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert delivery.state is DeliveryState.DELIVERED
    assert delivery.ended_at == world.start + 5


@pytest.mark.clause("DISABLE-STOPS-DELIVERY")
def test_a_failure_in_flight_when_disabled_is_not_retried(world: World) -> None:
    receiver = world.receiver(respond=lambda n, r: Behaviour(500, latency=5.0))
    subscription = world.subscribe()
    event = world.publish_one()
    world.advance(2)
    world.platform.disable_subscription(world.env, subscription.id)
    world.advance(FOUR_HOURS)
    assert len(receiver.requests) == 1
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert (delivery.state, delivery.reason) == (
        DeliveryState.UNDELIVERED,
        "subscription-disabled",
    )


@pytest.mark.clause("DISABLED-NOT-ATTEMPTED", "DISABLE-STOPS-DELIVERY")
def test_nothing_arrives_after_an_auto_disable(world: World) -> None:
    receiver = world.receiver(status=500)
    subscription = world.subscribe()
    world.publish(count=3)
    world.advance(FOUR_HOURS)
    assert len(receiver.requests) == 23
    receiver.status = 200
    later = world.publish(count=5)
    world.advance(FOUR_HOURS)
    assert len(receiver.requests) == 23
    assert subscription.status == "disabled"
    for event in later:
        assert world.platform.delivery(event.id, subscription.id) is None


@pytest.mark.clause("API-ENABLE", "DISABLED-NOT-ATTEMPTED", "DISABLE-RESET")
def test_re_enabling_resets_the_counter_and_does_not_replay(world: World) -> None:
    receiver = world.receiver(status=500)
    subscription = world.subscribe()
    world.publish(count=3)
    world.advance(FOUR_HOURS)
    assert subscription.disabled_reason == "auto"
    missed = world.publish_one()
    receiver.status = 200
    world.advance(60)
    enabled = world.platform.enable_subscription(world.env, subscription.id)
    assert enabled is subscription
    assert (subscription.status, subscription.disabled_reason) == ("active", None)
    assert subscription.consecutive_failures == 0
    assert subscription.updated == world.now
    world.advance(FOUR_HOURS)
    assert len(receiver.requests) == 23  # nothing replayed
    assert world.platform.delivery(missed.id, subscription.id) is None
    fresh = world.publish_one()
    assert receiver.requests[-1].data_id == fresh.id
    assert receiver.requests[-1].status == 200


@pytest.mark.clause("API-ENABLE")
def test_re_enabled_subscription_needs_23_new_failures(world: World) -> None:
    subscription = world.subscribe(DEAD_URL)
    world.publish(count=3)
    world.advance(FOUR_HOURS)
    world.platform.enable_subscription(world.env, subscription.id)
    world.publish(count=2)
    world.advance(FOUR_HOURS)
    assert subscription.active
    assert subscription.consecutive_failures == 22


@pytest.mark.clause("API-TEST")
def test_test_deliveries_never_count_towards_auto_disable(world: World) -> None:
    receiver = world.receiver(status=500)
    subscription = world.subscribe()
    world.publish(count=2)
    world.advance(FOUR_HOURS)
    assert subscription.consecutive_failures == 22
    for _ in range(3):
        record = world.platform.test_subscription(world.env, subscription.id)
        assert record.kind == "test"
        assert record.status_code == 500
    assert subscription.consecutive_failures == 22
    assert subscription.active
    receiver.status = 200
    assert world.platform.test_subscription(world.env, subscription.id).succeeded
    assert subscription.consecutive_failures == 22  # nor does a successful test reset it


def test_counters_are_per_subscription(world: World) -> None:
    world.receiver(status=200)
    dead = world.subscribe(DEAD_URL)
    alive = world.subscribe(RECEIVER_URL)
    world.publish(count=3)
    world.advance(FOUR_HOURS)
    assert dead.status == "disabled"
    assert alive.active
    assert alive.consecutive_failures == 0
