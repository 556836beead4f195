"""The webhook payload JSON Schema: the seed's example and every generated payload validate;
it is open for forward compatibility, and strict where the seed is definite."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import hooksim.contracts as contracts
import jsonschema
import pytest
from hooksim.contracts import payload_schema, validate_payload
from hooksim.simulator import EVENT_TYPES, Platform, RecordingReceiver

pytestmark = pytest.mark.clause("DELIVERY-ENVELOPE", "EVENT-PAYLOAD")

# The seed's example payload, with its "..." placeholders and {...} objects filled in.
SEED_EXAMPLE: dict[str, Any] = {
    "requestId": "...",
    "environmentId": "...",
    "webhookId": "...",
    "isBatched": False,
    "data": {
        "id": "...",
        "analyticsEvent": "card-completed",
        "endUserId": "...",
        "timestamp": "2021-03-26T00:46:50.711Z",
        "cardContext": {
            "cardInstanceStatus": "completed",
            "cardTemplateId": "...",
            "cardTemplateName": "...",
            "cardTemplateVersion": 1,
            "cardTemplateSettings": {"sendNotifications": False},
            "publishedAt": "2021-03-26T00:46:16.527Z",
            "cardInstanceId": "1",
            "previousStatus": "active",
        },
        "eventContext": {
            "ip": "...",
            "actionSource": "...",
            "userLocalTimestamp": "2021-03-26T13:46:50.591+13:00",
        },
        "properties": {"values": {}},
        "sdkContext": {
            "platform": "Web",
            "sdkVersion": "0.15.0",
            "sdkDevice": "...",
            "sdkTimezone": "Pacific/Auckland",
            "isDNDActive": False,
        },
        "streamContext": {"streamId": "1", "streamName": "..."},
        "platformContext": {
            "lifecycleId": "...",
            "targetStreamIds": ["...", "..."],
            "targetPlatforms": ["Web", "iOS", "Android"],
            "flowInstanceId": "bb9c4ed5-d97c-49e7-be4c-97f9d88cbb9f",
            "flowInvocationId": "caaa170d-0521-4dfa-903a-19f410480402",
            "flowConfigId": "A9WBVx",
            "triggerEventSource": "...",
            "eventDetail": {
                "today": "2021-02-27T11:00:00.000Z",
                "myDate": "2021-02-28T11:00:00.000Z",
                "dateShort": "2021-02-27T11:00:00.000Z",
                "numberOfItems": "1",
            },
            "eventNotificationDetail": {},
        },
    },
}


def test_the_schema_is_valid_draft_2020_12() -> None:
    schema = payload_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    path = Path(contracts.__file__).parent / contracts.PAYLOAD_SCHEMA_FILE
    assert json.loads(path.read_text()) == schema


def test_payload_schema_answers_a_copy() -> None:
    payload_schema()["required"].append("mine")
    assert "mine" not in payload_schema()["required"]


def test_the_seeds_example_validates() -> None:
    validate_payload(SEED_EXAMPLE)
    validate_payload(json.dumps(SEED_EXAMPLE))
    validate_payload(json.dumps(SEED_EXAMPLE).encode())


@pytest.mark.clause("EVENT-TYPES")
def test_every_payload_the_platform_sends_validates() -> None:
    platform = Platform(seed=5)
    platform.create_environment("dev")
    receiver = RecordingReceiver()
    platform.transport.mount("http://r.test/", receiver)  # type: ignore[attr-defined]
    subscription = platform.subscribe("dev", {"types": list(EVENT_TYPES), "url": "http://r.test/"})
    for event_type in EVENT_TYPES:
        platform.publish("dev", event_type, count=2)
    platform.test_subscription("dev", subscription.id)
    assert len(receiver.requests) == 2 * len(EVENT_TYPES) + 1
    for request in receiver.requests:
        validate_payload(request.body)


def test_the_schema_is_open() -> None:
    payload = copy.deepcopy(SEED_EXAMPLE)
    payload["newTopLevel"] = 1
    payload["data"]["analyticsEvent"] = "card-teleported"  # a future event name
    payload["data"]["newField"] = {"x": [1]}
    for section in ("cardContext", "eventContext", "sdkContext", "streamContext"):
        payload["data"][section]["addedLater"] = True
    payload["data"]["platformContext"]["addedLater"] = None
    payload["data"]["properties"]["anything"] = [1, "two"]
    validate_payload(payload)
    # Optional sections may be absent.
    minimal = {
        "requestId": "r",
        "environmentId": "e",
        "webhookId": "w",
        "isBatched": False,
        "data": {
            "id": "i",
            "analyticsEvent": "sdk-initialized",
            "endUserId": "u",
            "timestamp": "2026-01-01T00:00:00.000Z",
        },
    }
    validate_payload(minimal)


def _broken(path: str, value: Any) -> dict[str, Any]:
    payload = copy.deepcopy(SEED_EXAMPLE)
    *parents, leaf = path.split(".")
    target = payload
    for part in parents:
        target = target[part]
    if value is _DELETE:
        del target[leaf]
    else:
        target[leaf] = value
    return payload


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("requestId", _DELETE, "'requestId' is a required property"),
        ("webhookId", 7, "is not of type 'string'"),
        ("isBatched", "false", "is not of type 'boolean'"),
        ("data", [], "is not of type 'object'"),
        ("data.id", _DELETE, "'id' is a required property"),
        ("data.id", "", "should be non-empty"),
        ("data.analyticsEvent", 3, "is not of type 'string'"),
        ("data.timestamp", "yesterday", "does not match"),
        ("data.timestamp", "2021-03-26 00:46:50", "does not match"),
        ("data.cardContext.cardTemplateVersion", "1", "is not of type 'integer'"),
        ("data.sdkContext.isDNDActive", "no", "is not of type 'boolean'"),
        ("data.platformContext.targetPlatforms", "Web", "is not of type 'array'"),
        ("data.properties", None, "is not of type 'object'"),
    ],
)
def test_what_the_seed_is_definite_about_is_checked(path: str, value: Any, words: str) -> None:
    with pytest.raises(jsonschema.ValidationError) as caught:
        validate_payload(_broken(path, value))
    assert words in caught.value.message


def test_a_body_that_is_not_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        validate_payload(b"not json")


@pytest.mark.clause("BATCHING")
def test_a_batched_body_holds_a_list_of_events() -> None:
    batched = {**copy.deepcopy(SEED_EXAMPLE), "isBatched": True}
    batched["data"] = [SEED_EXAMPLE["data"], {**SEED_EXAMPLE["data"], "id": "other"}]
    validate_payload(batched)
    with pytest.raises(jsonschema.ValidationError, match="is not of type 'object'"):
        validate_payload({**batched, "isBatched": False})
    with pytest.raises(jsonschema.ValidationError, match="is not of type 'array'"):
        validate_payload({**SEED_EXAMPLE, "isBatched": True})
    with pytest.raises(jsonschema.ValidationError):
        validate_payload({**batched, "data": []})
