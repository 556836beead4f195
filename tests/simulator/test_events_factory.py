"""The analytics events: every name, and realistic payloads in the seed's shape."""

from __future__ import annotations

import pytest
from _world import World
from hooksim.contracts import validate_payload
from hooksim.simulator import (
    EVENT_TYPES,
    PLATFORM_EVENTS,
    SDK_EVENTS,
    IdSource,
    InvalidInput,
    make_event_data,
)
from hooksim.simulator._clock import DEFAULT_START

pytestmark = pytest.mark.clause("EVENT-PAYLOAD")

SEED_KEYS = [
    "id",
    "analyticsEvent",
    "endUserId",
    "timestamp",
    "cardContext",
    "eventContext",
    "properties",
    "sdkContext",
    "streamContext",
    "platformContext",
]


@pytest.mark.clause("EVENT-TYPES")
def test_every_event_name_of_atomic_facts() -> None:
    assert PLATFORM_EVENTS == (
        "card-published", "card-completed", "card-dismissed", "card-snoozed", "card-unsnoozed",
        "card-cancelled", "card-embargoed", "card-expired", "card-error",
    )  # fmt: skip
    assert SDK_EVENTS == (
        "card-displayed", "card-subview-displayed", "card-subview-exited", "card-feed-updated",
        "card-voted-up", "card-voted-down", "runtime-vars-updated", "stream-displayed",
        "user-redirected", "snooze-options-displayed", "snooze-options-canceled",
        "video-played", "video-completed", "sdk-initialized", "request-failed",
        "notification-received",
    )  # fmt: skip
    assert EVENT_TYPES == PLATFORM_EVENTS + SDK_EVENTS
    assert len(set(EVENT_TYPES)) == 25


@pytest.mark.clause("EVENT-TYPES")
@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_each_event_has_the_seeds_shape(event_type: str) -> None:
    data = make_event_data(event_type, ids=IdSource(1), now=DEFAULT_START)
    assert list(data) == SEED_KEYS
    assert data["analyticsEvent"] == event_type
    assert data["timestamp"] == "2026-01-01T00:00:00.000Z"
    assert list(data["cardContext"]) == [
        "cardInstanceStatus", "cardTemplateId", "cardTemplateName", "cardTemplateVersion",
        "cardTemplateSettings", "publishedAt", "cardInstanceId", "previousStatus",
    ]  # fmt: skip
    assert list(data["sdkContext"]) == [
        "platform", "sdkVersion", "sdkDevice", "sdkTimezone", "isDNDActive",
    ]  # fmt: skip
    assert list(data["platformContext"]) == [
        "lifecycleId", "targetStreamIds", "targetPlatforms", "flowInstanceId",
        "flowInvocationId", "flowConfigId", "triggerEventSource", "eventDetail",
        "eventNotificationDetail",
    ]  # fmt: skip
    assert isinstance(data["cardContext"]["cardTemplateId"], str)
    assert isinstance(data["platformContext"]["flowConfigId"], str)
    envelope = {
        "requestId": "r",
        "environmentId": "e",
        "webhookId": "w",
        "isBatched": False,
        "data": data,
    }
    validate_payload(envelope)


def test_per_event_properties() -> None:
    ids = IdSource(2)

    def properties(event_type: str) -> dict[str, object]:
        return make_event_data(event_type, ids=ids, now=0)["properties"]  # type: ignore[no-any-return]

    assert set(properties("card-completed")) == {"values"}
    assert set(properties("card-feed-updated")) == {"cardCount"}
    assert set(properties("card-voted-down")) == {"reason", "source", "message"}
    assert properties("card-voted-down")["reason"] in ("too-often", "other", "not-relevant")
    assert set(properties("user-redirected")) == {"linkMethod", "url", "payload"}
    assert set(properties("card-subview-exited")) == {"subviewId", "subviewTitle", "subviewLevel"}
    assert set(properties("video-played")) == {"media", "mediaURL"}
    assert set(properties("request-failed")) == {"path", "statusCode"}
    card_completed = make_event_data("card-completed", ids=ids, now=0)
    assert card_completed["cardContext"]["cardInstanceStatus"] == "completed"


def test_ids_are_unique_and_seeded() -> None:
    ids = IdSource(3)
    made = [make_event_data("card-published", ids=ids, now=0)["id"] for _ in range(500)]
    assert len(set(made)) == 500
    again = IdSource(3)
    assert [make_event_data("card-published", ids=again, now=0)["id"] for _ in range(3)] == made[:3]


def test_any_field_can_be_overridden() -> None:
    data = make_event_data(
        "card-completed",
        ids=IdSource(4),
        now=0,
        overrides={
            "endUserId": "alice",
            "cardContext.cardTemplateId": 12,
            "sdkContext": {"platform": "iOS"},
            "properties": {"values": {"rating": 5}},
            "brandNew.deep": [1, 2],
        },
    )
    assert data["endUserId"] == "alice"
    assert data["cardContext"]["cardTemplateId"] == 12
    assert data["cardContext"]["cardTemplateName"] == "Welcome card"  # merged, not replaced
    assert data["sdkContext"]["platform"] == "iOS"
    assert data["sdkContext"]["sdkVersion"] == "23.3.0"
    assert data["properties"]["values"] == {"rating": 5, "comment": "Looks good"}
    assert data["brandNew"] == {"deep": [1, 2]}


def test_overrides_are_copied(world: World) -> None:
    values = {"values": {"rating": 1}}
    first, second = world.publish("card-completed", count=2, properties=values)
    first.data["properties"]["values"]["rating"] = 99
    assert second.data["properties"]["values"]["rating"] == 1
    assert values == {"values": {"rating": 1}}


@pytest.mark.clause("EVENT-TYPES")
def test_publish_refuses_unknown_events_and_bad_counts(world: World) -> None:
    with pytest.raises(InvalidInput, match="unknown analytics event 'card-exploded'"):
        world.publish("card-exploded")
    for count in (0, -1, 100_001, True, 2.0):
        with pytest.raises(InvalidInput) as caught:
            world.publish(count=count)  # type: ignore[arg-type]
        assert caught.value.field == "count"
    assert world.platform.events(world.env) == []


def test_publish_data_takes_a_payload_written_in_full(world: World) -> None:
    receiver = world.receiver()
    world.subscribe()
    event = world.platform.publish_data(
        world.env, {"id": "evt-1", "analyticsEvent": "card-completed", "custom": {"x": 1}}
    )
    assert event.id == "evt-1"
    assert receiver.requests[0].json()["data"] == {
        "id": "evt-1",
        "analyticsEvent": "card-completed",
        "custom": {"x": 1},
    }
    with pytest.raises(InvalidInput, match="known event"):
        world.platform.publish_data(world.env, {"analyticsEvent": "nope"})
    generated = world.platform.publish_data(world.env, {"analyticsEvent": "card-completed"})
    assert len(generated.id) == 36


@pytest.mark.clause("NOTHING-LOST")
def test_publish_many_accepts_every_event_then_sends_them_in_order(world: World) -> None:
    receiver = world.receiver()
    world.subscribe()
    datas = [{"id": f"evt-{n}", "analyticsEvent": "card-completed"} for n in range(5)]
    datas.append({"analyticsEvent": "card-dismissed"})  # not subscribed: accepted, not sent
    events = world.platform.publish_many(world.env, datas)
    assert [e.id for e in events[:5]] == [f"evt-{n}" for n in range(5)]
    assert len(events[5].id) == 36
    assert [r.data_id for r in receiver.requests] == [f"evt-{n}" for n in range(5)]
    assert all(r.signature_valid for r in receiver.requests)
    with pytest.raises(InvalidInput, match="known event"):
        world.platform.publish_many(world.env, [{"analyticsEvent": "nope"}])


def test_an_event_id_is_published_once(world: World) -> None:
    from hooksim.simulator import Conflict

    world.platform.publish_data(world.env, {"id": "evt-1", "analyticsEvent": "card-completed"})
    with pytest.raises(Conflict, match="evt-1"):
        world.platform.publish_data(world.env, {"id": "evt-1", "analyticsEvent": "card-completed"})


@pytest.mark.clause("NOTHING-LOST")
def test_a_numeric_event_id_cannot_replace_an_event(world: World) -> None:
    from hooksim.simulator import Conflict

    world.receiver()
    subscription = world.subscribe()
    first = world.platform.publish_data(world.env, {"id": 5, "analyticsEvent": "card-completed"})
    assert first.id == "5"
    with pytest.raises(Conflict, match="'5'"):
        world.platform.publish_data(world.env, {"id": "5", "analyticsEvent": "card-completed"})
    with pytest.raises(Conflict, match="'5'"):
        world.platform.publish_data(world.env, {"id": 5, "analyticsEvent": "card-completed"})
    assert [e.id for e in world.platform.events(world.env)] == ["5"]
    delivery = world.platform.delivery("5", subscription.id)
    assert delivery is not None and delivery.attempts == 1
