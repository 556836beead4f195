"""Subscriptions as the platform keeps them: generated fields, status, the limit of 100,
disable / enable / delete, and environments that never see each other."""

from __future__ import annotations

import re

import pytest
from _world import DEAD_URL, RECEIVER_URL, World, make_world
from hooksim.simulator import Conflict, NotFound, Settings

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.mark.clause("SUB-GENERATED", "API-SUBSCRIBE")
def test_generated_fields(world: World) -> None:
    world.advance(0.25)
    subscription = world.subscribe(headers={"My-Custom-Header": "123"})
    api = subscription.to_api()
    assert re.fullmatch(r"[0-9A-Za-z]{8}", api["id"])
    assert UUID.match(api["secret"])
    assert api["created"] == api["updated"] == "2026-01-01T00:00:00.250Z"
    assert api["headers"] == {"My-Custom-Header": "123"}
    other = world.subscribe()
    assert (other.id, other.secret) != (subscription.id, subscription.secret)


@pytest.mark.clause("SUB-STATUS", "API-DISABLE", "API-ENABLE")
def test_status_and_reason(world: World) -> None:
    subscription = world.subscribe()
    assert (subscription.status, subscription.disabled_reason) == ("active", None)
    world.platform.disable_subscription(world.env, subscription.id)
    assert subscription.to_api()["status"] == "disabled"
    assert subscription.to_api()["disabledReason"] == "api"
    world.platform.disable_subscription(world.env, subscription.id)  # again: no change
    assert subscription.disabled_reason == "api"
    world.platform.enable_subscription(world.env, subscription.id)
    assert (subscription.status, subscription.disabled_reason) == ("active", None)
    auto = world.subscribe(DEAD_URL)
    world.publish(count=3)
    world.advance(4 * 3600)
    assert (auto.status, auto.disabled_reason) == ("disabled", "auto")


@pytest.mark.clause("API-LIST", "API-GET")
def test_list_and_get_show_every_subscription_disabled_included(world: World) -> None:
    subs = [world.subscribe(f"http://r{n}.test/") for n in range(3)]
    world.platform.disable_subscription(world.env, subs[1].id)
    assert world.platform.subscriptions(world.env) == subs
    assert world.platform.subscription(world.env, subs[1].id) is subs[1]


@pytest.mark.clause("API-LIMIT-100")
def test_at_most_100_subscriptions_disabled_ones_included(world: World) -> None:
    subs = [world.subscribe(f"http://r{n}.test/") for n in range(100)]
    for sub in subs[:10]:
        world.platform.disable_subscription(world.env, sub.id)
    with pytest.raises(Conflict) as caught:
        world.subscribe()
    assert caught.value.status == 409
    assert "100" in caught.value.message
    assert "disabled ones count too" in caught.value.message
    assert len(world.platform.subscriptions(world.env)) == 100
    # Deleting a disabled subscription frees a place.
    world.platform.delete_subscription(world.env, subs[0].id)
    world.subscribe()
    assert len(world.platform.subscriptions(world.env)) == 100


@pytest.mark.clause("API-LIMIT-100", "ENV-ISOLATION", "SETTINGS")
def test_the_limit_is_per_environment_and_configurable() -> None:
    world = make_world(Settings(max_subscriptions=2))
    world.platform.create_environment("other", Settings())
    world.subscribe()
    world.subscribe()
    with pytest.raises(Conflict, match="2 webhook subscriptions"):
        world.subscribe()
    for n in range(3):
        world.platform.subscribe("other", {"types": ["card-completed"], "url": f"http://{n}.t/"})


@pytest.mark.clause("API-DELETE")
def test_only_a_disabled_subscription_can_be_deleted(world: World) -> None:
    subscription = world.subscribe()
    with pytest.raises(Conflict, match="active"):
        world.platform.delete_subscription(world.env, subscription.id)
    world.platform.disable_subscription(world.env, subscription.id)
    world.platform.delete_subscription(world.env, subscription.id)
    assert world.platform.subscriptions(world.env) == []
    with pytest.raises(NotFound):
        world.platform.subscription(world.env, subscription.id)


@pytest.mark.clause("API-NOT-FOUND")
@pytest.mark.parametrize(
    "operation",
    ["subscription", "disable_subscription", "enable_subscription", "delete_subscription",
     "test_subscription"],
)  # fmt: skip
def test_unknown_ids_are_not_found(world: World, operation: str) -> None:
    with pytest.raises(NotFound, match="'nope1234'") as caught:
        getattr(world.platform, operation)(world.env, "nope1234")
    assert caught.value.status == 404
    with pytest.raises(NotFound):
        world.platform.update_subscription(world.env, "nope1234", {"name": "x"})


@pytest.mark.clause("ENV-ISOLATION", "API-NOT-FOUND")
def test_environments_never_see_each_other(world: World) -> None:
    platform = world.platform
    platform.create_environment("prod")
    receiver = world.receiver()
    mine = world.subscribe()
    theirs = platform.subscribe("prod", {"types": ["card-completed"], "url": RECEIVER_URL})
    with pytest.raises(NotFound):
        platform.subscription("prod", mine.id)
    with pytest.raises(NotFound):
        platform.disable_subscription("prod", mine.id)
    assert mine.active
    event = world.publish_one()
    assert [r.json()["webhookId"] for r in receiver.requests] == [mine.id]
    assert [e.id for e in platform.events("prod")] == []
    with pytest.raises(NotFound):
        platform.event("prod", event.id)
    assert platform.attempts("prod") == []
    assert platform.subscriptions("prod") == [theirs]
    with pytest.raises(NotFound, match="environment 'nowhere'"):
        platform.subscriptions("nowhere")
    with pytest.raises(Conflict):
        platform.create_environment("prod")


def test_an_environment_id_is_generated_when_not_given(world: World) -> None:
    environment = world.platform.create_environment()
    assert re.fullmatch(r"[0-9A-Za-z]{8}", environment.id)
    assert environment.settings == Settings()
