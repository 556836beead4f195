"""The Webhooks API (seed) and the Workbench operations, through the WSGI app."""

from __future__ import annotations

import pytest
from hooksim.contracts import verify
from hooksim.simulator import EVENT_TYPES, Platform, RecordingReceiver

from .conftest import DEAD_URL, ENV, OTHER_ENV, RECEIVER_URL, Api, error_of

SUBSCRIPTION_FIELDS = {
    "id",
    "name",
    "types",
    "url",
    "headers",
    "cardTemplateId",
    "actionFlowConfigId",
    "method",
    "maxRetries",
    "disableAfterFailures",
    "status",
    "disabledReason",
    "consecutiveFailures",
    "secret",
    "created",
    "updated",
}


@pytest.mark.clause("API-SUBSCRIBE", "API-ENVELOPE")
def test_subscribe_answers_201_with_the_details_and_secret(api: Api) -> None:
    response = api.post(
        f"/v1/{ENV}/webhook",
        json={
            "types": ["card-published", "card-completed"],
            "url": RECEIVER_URL,
            "headers": {"My-Custom-Header": "123"},
            "cardTemplateId": 1,
            "actionFlowConfigId": "2",
        },
    )
    assert response.status_code == 201
    data = response.json["data"]
    assert set(data) == SUBSCRIPTION_FIELDS
    assert data["types"] == ["card-published", "card-completed"]
    assert data["headers"] == {"My-Custom-Header": "123"}
    # Numbers are accepted for card scoping and answered as strings (atomic-facts.md).
    assert (data["cardTemplateId"], data["actionFlowConfigId"]) == ("1", "2")
    assert data["status"] == "active" and data["disabledReason"] is None
    assert len(data["secret"]) == 36 and data["secret"].count("-") == 4
    assert data["created"] == data["updated"] == "2026-01-01T00:00:00.000Z"
    assert response.headers["Location"] == f"/v1/{ENV}/webhook/{data['id']}"
    assert api.platform.subscription(ENV, data["id"]).secret == data["secret"]


@pytest.mark.clause("API-SUBSCRIBE")
def test_subscribe_normalises_integral_floats_for_integer_fields(api: Api) -> None:
    data = api.subscribe(maxRetries=3.0, cardTemplateId=7.0)
    assert data["maxRetries"] == 3 and data["cardTemplateId"] == "7"


@pytest.mark.clause("API-LIST", "API-ENVELOPE")
def test_list_shows_every_subscription_disabled_ones_included(api: Api) -> None:
    first = api.subscribe()
    second = api.subscribe(DEAD_URL, name="second")
    api.delete(f"/v1/{ENV}/webhook/{first['id']}")
    response = api.get(f"/v1/{ENV}/webhook")
    assert response.status_code == 200
    listed = response.json["data"]
    assert [s["id"] for s in listed] == [first["id"], second["id"]]
    assert [s["status"] for s in listed] == ["disabled", "active"]
    assert listed[1]["secret"] == second["secret"]


@pytest.mark.clause("API-GET")
def test_get_answers_one_subscription(api: Api) -> None:
    created = api.subscribe(name="orders")
    response = api.get(f"/v1/{ENV}/webhook/{created['id']}")
    assert response.status_code == 200
    assert response.json["data"] == created


@pytest.mark.clause("API-NOT-FOUND")
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/test"), ("POST", "/enable")],
)
def test_unknown_ids_are_404(api: Api, method: str, suffix: str) -> None:
    kwargs = {"json": {"name": "x"}} if method == "PATCH" else {}
    response = api.call(method, f"/v1/{ENV}/webhook/nope{suffix}", **kwargs)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert "'nope'" in error_of(response)["message"]


@pytest.mark.clause("API-NOT-FOUND", "ENV-ISOLATION")
def test_another_environments_subscription_is_404_and_shows_nothing(api: Api) -> None:
    other_token = api.mint("workbench", OTHER_ENV)
    theirs = api.post(
        f"/v1/{OTHER_ENV}/webhook",
        json={"types": ["card-published"], "url": RECEIVER_URL},
        token=other_token,
    ).json["data"]
    # Our token, their environment: 404 whatever the id.
    response = api.get(f"/v1/{OTHER_ENV}/webhook/{theirs['id']}")
    assert response.status_code == 404
    assert theirs["secret"] not in response.get_data(as_text=True)
    # Our environment, their id: 404 too.
    assert api.get(f"/v1/{ENV}/webhook/{theirs['id']}").status_code == 404
    assert api.get(f"/v1/{ENV}/webhook").json["data"] == []


@pytest.mark.clause("API-UPDATE")
def test_patch_changes_only_what_is_sent(api: Api) -> None:
    created = api.subscribe(headers={"A": "1"})
    api.platform.advance(5)
    response = api.patch(
        f"/v1/{ENV}/webhook/{created['id']}",
        json={"types": ["card-dismissed"], "name": "n", "method": "PUT", "maxRetries": 2},
    )
    assert response.status_code == 200
    data = response.json["data"]
    assert data["types"] == ["card-dismissed"]
    assert (data["name"], data["method"], data["maxRetries"]) == ("n", "PUT", 2)
    assert data["headers"] == {"A": "1"} and data["url"] == RECEIVER_URL
    assert data["created"] == "2026-01-01T00:00:00.000Z"
    assert data["updated"] == "2026-01-01T00:00:05.000Z"


@pytest.mark.clause("API-UPDATE", "SUB-IMMUTABLE-SCOPE")
@pytest.mark.parametrize("name", ["cardTemplateId", "actionFlowConfigId"])
def test_patch_refuses_card_scoping(api: Api, name: str) -> None:
    created = api.subscribe(cardTemplateId="1")
    response = api.patch(f"/v1/{ENV}/webhook/{created['id']}", json={name: "9"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == name
    assert "cannot be changed" in error["message"]
    assert api.platform.subscription(ENV, created["id"]).card_template_id == "1"


@pytest.mark.clause("API-TEST")
def test_test_delivery_is_signed_and_answered(api: Api, receiver: RecordingReceiver) -> None:
    created = api.subscribe(headers={"My-Custom-Header": "123"})
    response = api.post(f"/v1/{ENV}/webhook/{created['id']}/test")
    assert response.status_code == 200
    data = response.json["data"]
    assert data["success"] is True and data["outcome"] == "success"
    assert (data["statusCode"], data["attempt"], data["kind"]) == (200, 0, "test")
    assert data["subscriptionId"] == created["id"] and data["eventId"].startswith("test-")
    assert isinstance(data["durationMs"], float) and data["requestId"]
    [request] = receiver.requests
    assert request.headers["My-Custom-Header"] == "123"
    assert verify(created["secret"], request.body, request.headers["X-Atomic-Signature"])
    assert request.json()["requestId"] == data["requestId"]
    assert request.json()["data"]["properties"] == {"test": True}


@pytest.mark.clause("API-TEST")
def test_failed_tests_never_count_towards_auto_disable(api: Api) -> None:
    created = api.subscribe(DEAD_URL)
    for _ in range(30):
        data = api.post(f"/v1/{ENV}/webhook/{created['id']}/test").json["data"]
        assert (data["success"], data["outcome"], data["statusCode"]) == (False, "refused", None)
    subscription = api.platform.subscription(ENV, created["id"])
    assert subscription.status == "active" and subscription.consecutive_failures == 0
    # A test is not a row of the delivery log.
    assert api.get(f"/_sim/deliveries?environmentId={ENV}").json["data"] == []


@pytest.mark.clause("API-DISABLE")
def test_delete_disables_and_keeps_the_subscription(api: Api, platform: Platform) -> None:
    created = api.subscribe()
    response = api.delete(f"/v1/{ENV}/webhook/{created['id']}")
    assert response.status_code == 200
    assert response.json["data"]["status"] == "disabled"
    assert response.json["data"]["disabledReason"] == "api"
    assert platform.subscription(ENV, created["id"]).status == "disabled"
    # Disabling again changes nothing, still 200; permanent=false is the same as no flag.
    again = api.delete(f"/v1/{ENV}/webhook/{created['id']}?permanent=false")
    assert again.status_code == 200 and again.json["data"]["status"] == "disabled"


@pytest.mark.clause("API-ENABLE")
def test_enable_resets_the_counter(api: Api, platform: Platform) -> None:
    created = api.subscribe(DEAD_URL, maxRetries=0)
    platform.publish(ENV, "card-published", count=3)
    assert platform.subscription(ENV, created["id"]).consecutive_failures == 3
    api.delete(f"/v1/{ENV}/webhook/{created['id']}")
    response = api.post(f"/v1/{ENV}/webhook/{created['id']}/enable")
    assert response.status_code == 200
    data = response.json["data"]
    assert (data["status"], data["disabledReason"], data["consecutiveFailures"]) == (
        "active",
        None,
        0,
    )


@pytest.mark.clause("API-DELETE")
def test_permanent_delete_needs_a_disabled_subscription(api: Api) -> None:
    created = api.subscribe()
    path = f"/v1/{ENV}/webhook/{created['id']}"
    refused = api.delete(f"{path}?permanent=true")
    assert refused.status_code == 409
    assert "active" in error_of(refused)["message"]
    assert api.get(path).status_code == 200
    api.delete(path)
    deleted = api.delete(f"{path}?permanent=true")
    assert deleted.status_code == 200 and deleted.json["data"]["id"] == created["id"]
    assert api.get(path).status_code == 404
    assert api.delete(f"{path}?permanent=true").status_code == 404


@pytest.mark.clause("API-DELETE")
def test_permanent_must_be_true_or_false(api: Api) -> None:
    created = api.subscribe()
    response = api.delete(f"/v1/{ENV}/webhook/{created['id']}?permanent=yes")
    assert response.status_code == 400
    assert error_of(response)["field"] == "permanent"
    assert api.platform.subscription(ENV, created["id"]).status == "active"


@pytest.mark.clause("API-LIMIT-100")
def test_the_101st_subscription_is_a_409_until_one_is_deleted(api: Api) -> None:
    ids = [api.subscribe()["id"] for _ in range(100)]
    api.delete(f"/v1/{ENV}/webhook/{ids[0]}")  # disabled ones still count
    response = api.post(f"/v1/{ENV}/webhook", json={"types": ["card-published"], "url": DEAD_URL})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "conflict" and "100" in error["message"]
    assert len(api.get(f"/v1/{ENV}/webhook").json["data"]) == 100
    assert api.delete(f"/v1/{ENV}/webhook/{ids[0]}?permanent=true").status_code == 200
    assert api.post(f"/v1/{ENV}/webhook", json={"types": ["card-published"], "url": DEAD_URL})
    assert len(api.get(f"/v1/{ENV}/webhook").json["data"]) == 100


@pytest.mark.clause("SUB-TYPES", "API-ERRORS")
def test_unknown_event_type_is_a_400_naming_the_value(api: Api) -> None:
    body = {"types": ["card-published", "card-exploded"], "url": RECEIVER_URL}
    response = api.post(f"/v1/{ENV}/webhook", json=body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == "types[1]" and "'card-exploded'" in error["message"]
    # Every allowed value is listed (not cut off), and a near miss names the likely one.
    assert error["message"].endswith(": " + ", ".join(EVENT_TYPES))
    typo = {"types": ["card-completd"], "url": RECEIVER_URL}
    message = error_of(api.post(f"/v1/{ENV}/webhook", json=typo))["message"]
    assert "'card-completd' is not one of the allowed values (did you mean 'card-completed'?)" in (
        message
    )


@pytest.mark.clause("SUB-FIELDS", "API-ERRORS")
@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"headers": {"Host": "x"}}, "headers", "may not be one the platform sets"),
        ({"headers": {"x-ATOMIC-signature": "x"}}, "headers", "may not be one the platform"),
        ({"headers": {"Bad Name": "x"}}, "headers", "HTTP tokens"),
        ({"headers": {"A": "line\nbreak"}}, "headers.A", "not a valid header value"),
        ({"url": "ftp://example.com"}, "url", "not an http or https URL"),
        ({"url": "https://"}, "url", "not an http or https URL"),
        ({"method": "GET"}, "method", "is not one of"),
        ({"maxRetries": 1001}, "maxRetries", "maximum"),
        ({"maxRetries": -1}, "maxRetries", "minimum"),
        ({"disableAfterFailures": "yes"}, "disableAfterFailures", "is not of type"),
        ({"name": "x" * 257}, "name", "too long"),
        ({"cardTemplateId": True}, "cardTemplateId", "is not of type"),
        ({"cardTemplateId": ""}, "cardTemplateId", "should be non-empty"),
    ],
)
def test_field_rules_are_400s_naming_the_field(
    api: Api, extra: dict[str, object], field: str, words: str
) -> None:
    body = {"types": ["card-published"], "url": RECEIVER_URL, **extra}
    response = api.post(f"/v1/{ENV}/webhook", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    error = error_of(response)
    assert error["field"] == field
    assert words in error["message"]
    assert api.platform.subscriptions(ENV) == []


@pytest.mark.clause("SUB-FIELDS")
def test_required_fields_are_named(api: Api) -> None:
    response = api.post(f"/v1/{ENV}/webhook", json={"url": RECEIVER_URL})
    assert response.status_code == 400
    assert error_of(response)["field"] == "types"
    assert error_of(response)["message"] == "'types' is required"
