"""Subscription fields: what is required, what is allowed, and messages that name the field."""

from __future__ import annotations

from typing import Any

import pytest
from _world import RECEIVER_URL, World
from hooksim.simulator import EVENT_TYPES, InvalidInput

pytestmark = pytest.mark.clause("SUB-FIELDS")


def _refused(world: World, body: dict[str, Any], field: str, words: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        world.platform.subscribe(world.env, body)
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.status == 400
    return caught.value


@pytest.mark.clause("SUB-TYPES")
@pytest.mark.parametrize(
    ("types", "words"),
    [
        ([], "non-empty list"),
        ("card-completed", "non-empty list"),
        (None, "non-empty list"),
        ([3], "strings"),
        (["card-completed", "card-exploded"], "'card-exploded'"),
        (["Card-Completed"], "'Card-Completed'"),
    ],
)
def test_types_must_be_known_event_names(world: World, types: Any, words: str) -> None:
    _refused(world, {"types": types, "url": RECEIVER_URL}, "types", words)


@pytest.mark.clause("SUB-TYPES", "EVENT-TYPES")
def test_every_known_event_can_be_subscribed_and_duplicates_collapse(world: World) -> None:
    subscription = world.subscribe(types=[*EVENT_TYPES, "card-completed"])
    assert subscription.types == list(EVENT_TYPES)


@pytest.mark.clause("SUB-TYPES", "SUB-URL")
@pytest.mark.parametrize("missing", ["types", "url"])
def test_types_and_url_are_required(world: World, missing: str) -> None:
    body = {"types": ["card-completed"], "url": RECEIVER_URL}
    del body[missing]
    _refused(world, body, missing, "required")


@pytest.mark.clause("SUB-URL")
@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.com/x", "http or https"),
        ("example.com/hook", "http or https"),
        ("http:///path-only", "no host"),
        ("http://exa mple.com/", "spaces"),
        ("http://example.com:99999/", "not a valid URL"),
        ("", "http or https"),
        (42, "http or https"),
        ("https://example.com/" + "a" * 2100, "longer than"),
    ],
)
def test_url_must_be_http_or_https(world: World, url: Any, words: str) -> None:
    _refused(world, {"types": ["card-completed"], "url": url}, "url", words)


@pytest.mark.clause("SUB-URL")
def test_http_and_https_urls_are_kept_as_given(world: World) -> None:
    for url in ("http://localhost:8080/hook?x=1", "https://hooks.example.com/a/b"):
        assert world.subscribe(url).url == url


def test_defaults_of_optional_fields(world: World) -> None:
    api = world.subscribe().to_api()
    assert {key: api[key] for key in api if key not in ("id", "secret", "created", "updated")} == {
        "name": None,
        "types": ["card-completed"],
        "url": RECEIVER_URL,
        "headers": {},
        "cardTemplateId": None,
        "actionFlowConfigId": None,
        "method": "POST",
        "maxRetries": None,
        "disableAfterFailures": True,
        "status": "active",
        "disabledReason": None,
        "consecutiveFailures": 0,
    }


def test_unknown_fields_are_refused_by_name(world: World) -> None:
    error = _refused(
        world,
        {"types": ["card-completed"], "url": RECEIVER_URL, "retries": 3},
        "retries",
        "retries",
    )
    assert "allowed" in error.message


@pytest.mark.clause("DELIVERY-HEADERS")
@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (["X-A"], "object"),
        ({"Bad Name": "x"}, "not a valid HTTP header name"),
        ({"X-Ü": "x"}, "not a valid HTTP header name"),
        ({"": "x"}, "not a valid HTTP header name"),
        ({"X-Number": 1}, "string value"),
        ({"X-Injected": "a\r\nEvil: 1"}, "CR, LF"),
        ({"X-Nul": "a\x00"}, "CR, LF"),
        ({f"X-{n}": "v" for n in range(21)}, "at most 20"),
    ],
)
def test_headers_must_be_tokens_with_clean_values(world: World, headers: Any, words: str) -> None:
    _refused(
        world,
        {"types": ["card-completed"], "url": RECEIVER_URL, "headers": headers},
        "headers",
        words,
    )


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("maxRetries", -1, "maxRetries"),
        ("maxRetries", 1001, "maxRetries"),
        ("maxRetries", True, "maxRetries"),
        ("maxRetries", "3", "maxRetries"),
        ("disableAfterFailures", "false", "true or false"),
        ("disableAfterFailures", 0, "true or false"),
        ("name", 5, "name"),
        ("name", "n" * 257, "name"),
        ("cardTemplateId", True, "string or a number"),
        ("cardTemplateId", 1.5, "string or a number"),
        ("cardTemplateId", "", "1 to 256"),
        ("actionFlowConfigId", ["A"], "string or a number"),
    ],
)
def test_optional_fields_are_checked(world: World, field: str, value: Any, words: str) -> None:
    body = {"types": ["card-completed"], "url": RECEIVER_URL, field: value}
    _refused(world, body, field, words)


def test_optional_fields_are_kept(world: World) -> None:
    subscription = world.subscribe(
        name="CRM sync",
        maxRetries=1000,
        disableAfterFailures=False,
        cardTemplateId=None,
        actionFlowConfigId=7,
    )
    assert (subscription.name, subscription.max_retries) == ("CRM sync", 1000)
    assert subscription.disable_after_failures is False
    assert (subscription.card_template_id, subscription.action_flow_config_id) == (None, "7")


@pytest.mark.clause("API-UPDATE", "SUB-IMMUTABLE-SCOPE")
def test_updates_check_the_same_rules(world: World) -> None:
    subscription = world.subscribe()
    platform = world.platform
    with pytest.raises(InvalidInput) as caught:
        platform.update_subscription(world.env, subscription.id, {"types": []})
    assert caught.value.field == "types"
    with pytest.raises(InvalidInput) as caught:
        platform.update_subscription(world.env, subscription.id, {"secret": "mine"})
    assert caught.value.field == "secret"
    world.advance(5)
    updated = platform.update_subscription(
        world.env, subscription.id, {"name": "n", "method": "PUT", "maxRetries": 2}
    )
    assert (updated.name, updated.method, updated.max_retries) == ("n", "PUT", 2)
    assert updated.updated == world.start + 5
    assert updated.created == world.start
    assert updated.types == ["card-completed"]  # untouched fields stay


@pytest.mark.clause("API-ERRORS")
def test_errors_are_typed_with_a_status_a_code_and_a_message() -> None:
    from hooksim.simulator import (
        Conflict,
        Forbidden,
        HooksimError,
        NotFound,
        Unauthorized,
    )

    expected = {
        InvalidInput: (400, "invalid_request"),
        Unauthorized: (401, "unauthorized"),
        Forbidden: (403, "forbidden"),
        NotFound: (404, "not_found"),
        Conflict: (409, "conflict"),
    }
    for error_type, (status, code) in expected.items():
        error = error_type("what was wrong")
        assert isinstance(error, HooksimError)
        assert (error.status, error.code, error.message) == (status, code, "what was wrong")
    assert InvalidInput("bad", "types").field == "types"
