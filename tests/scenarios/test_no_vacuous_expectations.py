"""No expectation can pass vacuously: for every key of every expectation in the scenario
schema, and every matcher, a right value passes and a wrong one fails with a message naming
that key. The keys come from the schema: a key added without a row here fails this suite.

(Found by a user: `subscription: {name, at, consecutive_failures}` compared against 0
whatever happened when `at` was given.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hooksim.scenarios import ScenarioResult, load_text, run_scenario, schema
from hooksim.scenarios._matching import _MATCHERS, LIST_MATCHERS

pytestmark = pytest.mark.clause("LOG-ATTEMPTS", "AT-LEAST-ONCE", "DISABLE-THRESHOLD")

BASE = """\
name: every key can fail
seed: 1
receivers:
  rx:
    dedupe: true
    behaviour: [{requests: 1, status: 500}, 200]
  down: {behaviour: 500}
subscriptions:
  main: {receiver: rx, types: [card-completed], headers: {X-Team: t}}
  dead: {receiver: down, types: [card-dismissed], maxRetries: 0}
steps:
  - publish: {type: card-completed, id: one}
  - publish: {type: card-completed, id: two}
  - publish: {type: card-dismissed, id: three}
  - api: {method: GET, path: "/v1/{env}/webhook", as: listed}
  - at: 90m
  - publish: {type: card-completed, id: late}
  - publish: {type: card-dismissed, id: four}
  - advance: 2h
expect:
  - EXPECTATION
"""

#: Keys that choose what is checked rather than check it.
SELECTORS = {
    "attempts": {"event", "subscription", "kind"},
    "delivered": {"subscription"},
    "undelivered": {"subscription"},
    "receiver": {"name", "subscription"},
    "subscription": {"name"},
    "analytics": {"from", "to", "format"},
    "response": {"of"},
}

#: kind -> key -> (the expectation with a right value, the same with a wrong one).
CASES: dict[str, dict[str, tuple[dict[str, Any], dict[str, Any]]]] = {
    "attempts": {
        "at": ({"event": "one", "at": [0, "10s"]}, {"event": "one", "at": [0, "20s"]}),
        "count": ({"event": "one", "count": 2}, {"event": "one", "count": 3}),
        "outcomes": (
            {"event": "one", "outcomes": ["http-error", "success"]},
            {"event": "one", "outcomes": ["success", "success"]},
        ),
        "statuses": (
            {"event": "one", "statuses": [500, 200]},
            {"event": "one", "statuses": [500, 500]},
        ),
        "headers": (
            {"event": "one", "headers": {"X-Team": "t"}},
            {"event": "one", "headers": {"X-Team": "u"}},
        ),
        "method": ({"event": "one", "method": "POST"}, {"event": "one", "method": "PUT"}),
    },
    "delivered": {
        "count": ({"count": 3}, {"count": 4}),
        "events": ({"events": ["one", "two", "late"]}, {"events": ["one", "two"]}),
        "at": ({"at": "5s", "count": 1}, {"at": "15s", "count": 1}),
    },
    "undelivered": {
        "count": ({"count": 2}, {"count": 1}),
        "events": ({"events": ["three", "four"]}, {"events": ["three"]}),
        "reason": ({"reason": "retries-exhausted"}, {"reason": "subscription-disabled"}),
        "at": ({"at": "1h", "count": 1}, {"at": "2h", "count": 1}),
    },
    "receiver": {
        "received": ({"name": "rx", "received": 4}, {"name": "rx", "received": 5}),
        "unique": ({"name": "rx", "unique": 3}, {"name": "rx", "unique": 4}),
        "duplicates": ({"name": "rx", "duplicates": 0}, {"name": "rx", "duplicates": 1}),
        "processed": ({"name": "rx", "processed": 3}, {"name": "rx", "processed": 4}),
        "rejected": ({"name": "rx", "rejected": 0}, {"name": "rx", "rejected": 1}),
        "delivered": ({"name": "rx", "delivered": 3}, {"name": "rx", "delivered": 4}),
        "processed_ids": (
            {"name": "rx", "processed_ids": ["one", "two", "late"]},
            {"name": "rx", "processed_ids": ["one", "two"]},
        ),
        "processed_once": (
            {"name": "rx", "processed_once": True},
            {"name": "rx", "processed_once": False},
        ),
        "order": ({"name": "rx", "order": ["two", "one"]}, {"name": "rx", "order": ["one", "two"]}),
        "signatures_valid": (
            {"name": "rx", "signatures_valid": True},
            {"name": "rx", "signatures_valid": False},
        ),
        "headers": (
            {"name": "rx", "headers": {"X-Team": "t"}},
            {"name": "rx", "headers": {"X-Team": "x"}},
        ),
        "method": ({"name": "rx", "method": "POST"}, {"name": "rx", "method": "PUT"}),
        "bodies": (
            {"name": "rx", "bodies": {"data.analyticsEvent": "card-completed"}},
            {"name": "rx", "bodies": {"data.analyticsEvent": "card-dismissed"}},
        ),
        "per_event": (
            {"name": "rx", "per_event": {"events": ["one"], "received": 2, "processed": 1}},
            {"name": "rx", "per_event": {"events": ["one"], "received": 1}},
        ),
    },
    "subscription": {
        "status": ({"name": "main", "status": "active"}, {"name": "main", "status": "disabled"}),
        "reason": ({"name": "main", "reason": None}, {"name": "main", "reason": "auto"}),
        "exists": ({"name": "main", "exists": True}, {"name": "main", "exists": False}),
        "consecutive_failures": (
            {"name": "dead", "consecutive_failures": 2},
            {"name": "dead", "consecutive_failures": 0},
        ),
        "at": (
            {"name": "dead", "at": "5s", "consecutive_failures": 1},
            {"name": "dead", "at": "5s", "consecutive_failures": 0},
        ),
    },
    "analytics": {
        "count": ({"from": 0, "to": "1h", "count": 3}, {"from": 0, "to": "1h", "count": 4}),
        "hours": ({"from": 0, "to": "2h", "hours": 2}, {"from": 0, "to": "2h", "hours": 1}),
        "contains": (
            {"from": 0, "to": "1h", "contains": ["one"]},
            {"from": 0, "to": "1h", "contains": ["late"]},
        ),
        "contains_undelivered": (
            {"from": 0, "to": "2h", "contains_undelivered": "dead"},
            {"from": 0, "to": "1h", "contains_undelivered": "dead"},
        ),
        "types": (
            {"from": 0, "to": "1h", "types": {"card-completed": 2, "card-dismissed": 1}},
            {"from": 0, "to": "1h", "types": {"card-completed": 3}},
        ),
    },
    "response": {
        "status": ({"of": "listed", "status": 200}, {"of": "listed", "status": 404}),
        "body": (
            {"of": "listed", "body": {"data": {"$length": 2}}},
            {"of": "listed", "body": {"data": {"$length": 3}}},
        ),
        "headers": (
            {"of": "listed", "headers": {"content-type": "application/json"}},
            {"of": "listed", "headers": {"content-type": "text/html"}},
        ),
    },
}

#: Every matcher: a right and a wrong value, where the matcher is the whole check.
MATCHER_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "$length": (
        {"of": "listed", "body": {"data": {"$length": 2}}},
        {"of": "listed", "body": {"data": {"$length": 1}}},
    ),
    "$contains": (
        {"of": "listed", "body": {"data.0.url": {"$contains": "receivers.hooksim.test"}}},
        {"of": "listed", "body": {"data.0.url": {"$contains": "example.org"}}},
    ),
    "$matches": (
        {"of": "listed", "body": {"data.0.id": {"$matches": "^[0-9A-Za-z]{8}$"}}},
        {"of": "listed", "body": {"data.0.id": {"$matches": "^x"}}},
    ),
    "$present": (
        {"of": "listed", "body": {"data.0.secret": {"$present": True}}},
        {"of": "listed", "body": {"data.0.secret": {"$present": False}}},
    ),
    "$type": (
        {"of": "listed", "body": {"data.0.types": {"$type": "array"}}},
        {"of": "listed", "body": {"data.0.types": {"$type": "string"}}},
    ),
    "$all": (
        {"event": "two", "outcomes": {"$all": "success"}},
        {"event": "one", "outcomes": {"$all": "success"}},
    ),
    "$count": (
        {"subscription": "main", "outcomes": {"$count": {"success": 3, "http-error": 1}}},
        {"subscription": "main", "outcomes": {"$count": {"success": 4}}},
    ),
    "$prefix": (
        {"event": "one", "statuses": {"$prefix": [500]}},
        {"event": "one", "statuses": {"$prefix": [200]}},
    ),
}


def _schema_keys() -> dict[str, set[str]]:
    kinds = schema()["$defs"]["expectation"]["properties"]
    return {
        kind: set(spec["properties"]) - SELECTORS[kind]
        for kind, spec in kinds.items()
        if kind != "description"
    }


def _run(kind: str, args: dict[str, Any]) -> ScenarioResult:
    text = BASE.replace("EXPECTATION", json.dumps({kind: args}))
    return run_scenario(load_text(text, "vacuous.yaml"))


def _expectation(result: ScenarioResult) -> Any:
    assert result.error is None, result.error
    return result.expectations[0]


def test_every_key_of_the_schema_has_a_case() -> None:
    keys = _schema_keys()
    assert set(keys) == set(CASES)
    for kind, wanted in keys.items():
        assert set(CASES[kind]) == wanted, f"{kind}: add a right and a wrong value for each key"


def test_every_matcher_has_a_case() -> None:
    assert set(MATCHER_CASES) == set(_MATCHERS) | set(LIST_MATCHERS)


@pytest.mark.parametrize(
    ("kind", "key"), [(kind, key) for kind, keys in CASES.items() for key in keys]
)
def test_a_wrong_value_fails_naming_its_key(kind: str, key: str) -> None:
    right, wrong = CASES[kind][key]
    passed = _expectation(_run(kind, right))
    assert passed.passed, f"the right value should pass: {passed.message}"
    failed = _expectation(_run(kind, wrong))
    assert not failed.passed, f"{kind}.{key}: a wrong value passed"
    assert key in (failed.message or "") or key in failed.description, failed.message


@pytest.mark.parametrize("matcher", list(MATCHER_CASES))
def test_a_wrong_matcher_fails(matcher: str) -> None:
    right, wrong = MATCHER_CASES[matcher]
    kind = "response" if "of" in right else "attempts"
    passed = _expectation(_run(kind, right))
    assert passed.passed, f"the right value should pass: {passed.message}"
    failed = _expectation(_run(kind, wrong))
    assert not failed.passed, f"{matcher}: a wrong value passed"
    assert failed.message
