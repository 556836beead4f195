"""Which events reach which subscription: types, card template and Action Flow scoping."""

from __future__ import annotations

from typing import Any

import pytest
from _world import World
from hooksim.simulator import InvalidInput


def _received_types(world: World) -> list[str | None]:
    return [r.event_type for r in world.receivers["http://receiver.test/hook"].requests]


@pytest.mark.clause("FILTER-TYPES")
def test_a_subscription_gets_exactly_its_types(world: World) -> None:
    world.receiver()
    world.subscribe(types=["card-published", "card-completed"])
    for event_type in ("card-published", "card-dismissed", "card-completed", "card-voted-up"):
        world.publish_one(event_type)
    assert _received_types(world) == ["card-published", "card-completed"]


@pytest.mark.clause("FILTER-TYPES")
def test_every_subscription_that_matches_gets_its_own_copy(world: World) -> None:
    one = world.receiver("http://one.test/")
    two = world.receiver("http://two.test/")
    sub_one = world.subscribe("http://one.test/", types=["card-completed"])
    sub_two = world.subscribe("http://two.test/", types=["card-completed", "card-dismissed"])
    completed = world.publish_one("card-completed")
    world.publish_one("card-dismissed")
    assert [r.data_id for r in one.requests] == [completed.id]
    assert [r.event_type for r in two.requests] == ["card-completed", "card-dismissed"]
    assert one.requests[0].json()["webhookId"] == sub_one.id
    assert two.requests[0].json()["webhookId"] == sub_two.id


@pytest.mark.clause("FILTER-CARD-TEMPLATE")
@pytest.mark.parametrize("scope", ["17", 17])
@pytest.mark.parametrize("data_value", ["17", 17])
def test_card_template_scope_compares_as_strings(
    world: World, scope: str | int, data_value: str | int
) -> None:
    world.receiver()
    subscription = world.subscribe(cardTemplateId=scope)
    assert subscription.card_template_id == "17"
    assert subscription.to_api()["cardTemplateId"] == "17"
    hit = world.publish_one(**{"cardContext.cardTemplateId": data_value})
    world.publish_one(**{"cardContext.cardTemplateId": "170"})
    world.publish_one(**{"cardContext.cardTemplateId": "7"})
    assert world.receivers["http://receiver.test/hook"].data_ids == [hit.id]


@pytest.mark.clause("FILTER-CARD-TEMPLATE")
def test_card_scope_skips_events_without_a_card(world: World) -> None:
    world.receiver()
    world.subscribe(types=["sdk-initialized"], cardTemplateId="1")
    world.publish_one("sdk-initialized", cardContext=None)
    world.platform.publish_data(world.env, {"analyticsEvent": "sdk-initialized", "endUserId": "u"})
    assert world.receivers["http://receiver.test/hook"].requests == []


@pytest.mark.clause("FILTER-ACTION-FLOW")
@pytest.mark.parametrize("scope", ["A9WBVx", 42])
def test_action_flow_scope_compares_with_the_flow_config_id(world: World, scope: str | int) -> None:
    world.receiver()
    subscription = world.subscribe(actionFlowConfigId=scope)
    assert subscription.action_flow_config_id == str(scope)
    hit = world.publish_one(**{"platformContext.flowConfigId": scope})
    world.publish_one(**{"platformContext.flowConfigId": "other"})
    world.publish_one(**{"cardContext.cardTemplateId": str(scope)})  # the wrong field
    assert world.receivers["http://receiver.test/hook"].data_ids == [hit.id]


@pytest.mark.clause("FILTER-CARD-TEMPLATE", "FILTER-ACTION-FLOW")
def test_both_scopes_must_match(world: World) -> None:
    world.receiver()
    world.subscribe(types=["card-published"], cardTemplateId="1", actionFlowConfigId="2")
    both = world.publish_one(
        "card-published", cardContext={"cardTemplateId": "1"}, platformContext={"flowConfigId": 2}
    )
    world.publish_one(
        "card-published", cardContext={"cardTemplateId": "1"}, platformContext={"flowConfigId": 3}
    )
    world.publish_one(
        "card-published", cardContext={"cardTemplateId": "9"}, platformContext={"flowConfigId": 2}
    )
    assert world.receivers["http://receiver.test/hook"].data_ids == [both.id]


@pytest.mark.clause("FILTER-CARD-TEMPLATE", "SUB-IMMUTABLE-SCOPE")
@pytest.mark.parametrize("field", ["cardTemplateId", "actionFlowConfigId"])
def test_scope_cannot_change_after_creation(world: World, field: str) -> None:
    subscription = world.subscribe(**{field: "1"})
    with pytest.raises(InvalidInput, match="cannot be changed") as caught:
        world.platform.update_subscription(world.env, subscription.id, {field: "2"})
    assert caught.value.field == field


@pytest.mark.clause("FILTER-TYPES", "API-UPDATE")
def test_types_can_change_and_apply_to_later_events(world: World) -> None:
    world.receiver()
    subscription = world.subscribe(types=["card-completed"])
    world.publish_one("card-dismissed")
    changes: dict[str, Any] = {"types": ["card-dismissed"]}
    world.platform.update_subscription(world.env, subscription.id, changes)
    world.publish_one("card-completed")
    world.publish_one("card-dismissed")
    assert _received_types(world) == ["card-dismissed"]
