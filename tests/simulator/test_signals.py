"""The engine tells its listeners what happened, in the order it happened."""

from __future__ import annotations

import pytest
from _world import DEAD_URL, World
from hooksim.simulator import (
    AttemptFinished,
    ClockAdvanced,
    DeliveryEnded,
    EventPublished,
    Signal,
    SubscriptionChanged,
)

pytestmark = pytest.mark.clause("SIGNALS")


def _describe(signal: Signal) -> tuple[object, ...]:
    if isinstance(signal, EventPublished):
        return ("published", signal.event.type)
    if isinstance(signal, AttemptFinished):
        return ("attempt", signal.record.attempt, str(signal.record.outcome))
    if isinstance(signal, DeliveryEnded):
        return ("ended", str(signal.delivery.state), signal.delivery.reason)
    if isinstance(signal, SubscriptionChanged):
        return ("subscription", signal.change, signal.reason)
    assert isinstance(signal, ClockAdvanced)
    return ("clock", signal.end - signal.start)


def test_a_run_as_signals(world: World) -> None:
    seen: list[Signal] = []
    world.platform.add_listener(seen.append)
    world.receiver()
    subscription = world.subscribe(DEAD_URL, maxRetries=1)
    world.publish_one()
    world.advance(20)
    world.platform.update_subscription(world.env, subscription.id, {"name": "x"})
    world.platform.disable_subscription(world.env, subscription.id)
    world.platform.enable_subscription(world.env, subscription.id)
    world.platform.disable_subscription(world.env, subscription.id)
    world.platform.delete_subscription(world.env, subscription.id)
    assert [_describe(s) for s in seen] == [
        ("subscription", "created", None),
        ("published", "card-completed"),
        ("attempt", 1, "refused"),
        ("attempt", 2, "refused"),
        ("ended", "undelivered", "retries-exhausted"),
        ("clock", 20),
        ("subscription", "updated", None),
        ("subscription", "disabled", "api"),
        ("subscription", "enabled", None),
        ("subscription", "disabled", "api"),
        ("subscription", "deleted", None),
    ]


def test_auto_disable_ends_deliveries_before_it_is_announced(world: World) -> None:
    seen: list[Signal] = []
    world.platform.add_listener(seen.append)
    world.subscribe(DEAD_URL)
    world.publish(count=3)
    world.advance(4 * 3600)
    kinds = [_describe(s) for s in seen if not isinstance(s, ClockAdvanced)]
    assert kinds[-5:] == [
        ("attempt", 8, "refused"),
        ("ended", "undelivered", "subscription-disabled"),
        ("ended", "undelivered", "subscription-disabled"),
        ("ended", "undelivered", "subscription-disabled"),
        ("subscription", "disabled", "auto"),
    ]
    assert sum(1 for s in seen if isinstance(s, AttemptFinished)) == 23


def test_listeners_can_be_removed(world: World) -> None:
    seen: list[Signal] = []
    world.platform.add_listener(seen.append)
    world.platform.remove_listener(seen.append)
    world.subscribe()
    assert seen == []
