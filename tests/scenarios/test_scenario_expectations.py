"""Each expectation kind, passing and deliberately failing: a failure carries its own YAML
lines, what was expected, what happened, and a sentence."""

from __future__ import annotations

import pytest
from hooksim.scenarios import ExpectationResult

from .conftest import run_text, written

WORLD = """
name: world
receivers:
  shop: {behaviour: [{requests: 1, status: 500}, 200], dedupe: true}
  dead: {behaviour: refuse}
subscriptions:
  main:
    receiver: shop
    types: [card-published]
    method: PUT
    headers: {X-Tenant: acme}
  lost:
    receiver: dead
    types: [card-published]
    maxRetries: 1
steps:
  - publish: {type: card-published, id: e1}
  - publish: {type: card-published, id: e2}
  - list: {as: listed}
  - at: 2h
expect:
{expect}
"""


def check(expectation: str) -> ExpectationResult:
    """Run WORLD with one end-of-scenario expectation (indented YAML) and answer its result."""
    body = "\n".join("  " + line for line in expectation.strip("\n").splitlines())
    result = run_text(WORLD.replace("{expect}", body))
    assert result.error is None, result.error
    (outcome,) = written(result)
    assert result.status == ("passed" if outcome.passed else "failed")
    return outcome


@pytest.mark.parametrize(
    "expectation",
    [
        "- attempts: {event: e1, subscription: main, at: [0, 10s], statuses: [500, 200]}",
        "- attempts: {event: e2, subscription: main, count: 1, outcomes: [success]}",
        "- attempts: {subscription: main, method: PUT, headers: {X-Tenant: acme}}",
        "- attempts: {event: e1, subscription: lost, outcomes: [refused, refused]}",
        "- delivered: {subscription: main, count: 2, events: [e1, e2]}",
        "- undelivered: {subscription: lost, events: [e1, e2], reason: retries-exhausted}",
        "- undelivered: {reason: retries-exhausted}",
        "- receiver: {name: shop, received: 3, unique: 2, duplicates: 0, processed: 2}",
        "- receiver: {name: shop, processed_ids: [e1, e2], processed_once: true, order: [e2, e1]}",
        "- receiver: {name: shop, signatures_valid: true, method: PUT, headers: {X-Tenant: acme}}",
        "- receiver: {name: shop, bodies: {data.id: {$matches: '^e[12]$'}, isBatched: false}}",
        "- receiver: {name: dead, received: 0, processed: 0}",
        "- subscription: {name: main, status: active, reason: null, consecutive_failures: 0}",
        "- subscription: {name: lost, at: 1m, status: active, exists: true}",
        "- analytics: {from: 0, to: 2h, count: 2, hours: 2, contains: [e1, e2]}",
        "- analytics: {from: 0, to: 1h, contains_undelivered: lost, types: {card-published: 2}}",
        "- response: {of: listed, status: 200, body: {data: {$length: 2}, data.0.method: PUT}}",
        "- response: {of: listed, headers: {Content-Type: {$contains: json}}}",
    ],
)
def test_passing(expectation: str) -> None:
    outcome = check(expectation)
    assert outcome.passed, outcome.message
    assert outcome.message is None


@pytest.mark.parametrize(
    ("expectation", "message"),
    [
        (
            "- attempts: {event: e1, subscription: main, at: [0, 20s]}",
            "at: expected [0s, 20s], got [0s, 10s]",
        ),
        (
            "- attempts: {subscription: main, method: POST}",
            "method: expected 'POST', got ['PUT']",
        ),
        ("- delivered: {count: 3}", "count: expected 3, got 2"),
        (
            "- undelivered: {events: [e1]}",
            "events: expected ['e1'], got ['e1', 'e2']",
        ),
        (
            "- undelivered: {reason: subscription-disabled}",
            "reason: expected 'subscription-disabled', got ['retries-exhausted']",
        ),
        ("- receiver: {name: shop, processed: 3}", "processed: expected 3, got 2"),
        (
            "- receiver: {name: shop, order: [e1, e2]}",
            "order: expected ['e1', 'e2'], got ['e2', 'e1']",
        ),
        (
            "- receiver: {name: shop, headers: {X-Tenant: other}}",
            "headers: expected {'X-Tenant': 'other'}, got {'X-Tenant': ['acme']}",
        ),
        (
            "- receiver: {name: shop, bodies: {data.analyticsEvent: card-completed}}",
            "bodies.data.analyticsEvent: expected 'card-completed', got 'card-published' "
            "(request 1 at 0s)",
        ),
        (
            "- subscription: {name: lost, status: disabled, reason: auto}",
            "status: expected 'disabled', got 'active'; reason: expected 'auto', got None",
        ),
        (
            "- subscription: {name: lost, at: 3h, status: active}",
            "cannot look ahead to 3h: the clock is at 2h",
        ),
        ("- analytics: {from: 0, to: 2h, count: 5}", "count: expected 5, got 2"),
        (
            "- analytics: {from: 0, to: 40d, count: 5}",
            "GET /v1/",
        ),
        (
            "- response: {of: listed, status: 201, body: {data: {$length: 3}}}",
            "status: expected 201, got 200; body.data: expected {'$length': 3}, got 2",
        ),
        (
            "- response: {of: listed, body: {data.0.nothing: {$present: true}}}",
            "body.data.0.nothing: expected {'$present': True}, got False",
        ),
    ],
)
def test_failing(expectation: str, message: str) -> None:
    outcome = check(expectation)
    assert not outcome.passed
    assert outcome.message is not None and message in outcome.message, outcome.message


def test_a_failure_points_at_its_own_yaml_lines() -> None:
    result = run_text(
        """
        name: lines
        receivers:
          r: {}
        subscriptions:
          s: {receiver: r, types: [card-published]}
        steps:
          - publish: {type: card-published, id: e}
          - expect:
              - receiver:
                  name: r
                  processed: 2
              - receiver: {name: r, processed: 1}
        expect:
          - description: nothing was lost
            undelivered:
              count: 1
        """
    )
    assert result.status == "failed"
    first, second, third = written(result)
    assert (first.passed, second.passed, third.passed) == (False, True, False)
    assert first.source is not None and third.source is not None
    assert (first.source.file, first.source.line, first.source.end_line) == ("inline.yaml", 9, 11)
    assert first.source.text == "      - receiver:\n          name: r\n          processed: 2"
    assert first.expected == {"processed": 2} and first.actual == {"processed": 1}
    assert first.message == "processed: expected 2, got 1"
    assert first.description == "receiver r: processed 2"
    assert (third.source.line, third.source.end_line) == (14, 16)
    assert third.description == "nothing was lost"
    assert third.t == 0
    assert result.reproduce == "hooksim run inline.yaml --seed 0"


def test_expectations_run_when_they_are_written() -> None:
    result = run_text(
        """
        name: when
        receivers:
          r: {behaviour: 500}
        subscriptions:
          s: {receiver: r, types: [card-published]}
        steps:
          - publish: {type: card-published, id: e}
          - at: 20s
          - expect:
              - attempts: {event: e, count: 2}
          - at: 40s
          - expect:
              - attempts: {event: e, count: 3}
        """
    )
    assert [(e.t, e.passed) for e in written(result)] == [(20.0, True), (40.0, True)]


def test_an_expectation_about_a_subscription_that_was_refused_fails_in_place() -> None:
    result = run_text(
        """
        name: refused
        steps:
          - subscribe: {as: bad, url: "ftp://example.test/", types: [card-published]}
        expect:
          - response: {of: bad, status: 400}
          - subscription: {name: bad, status: active}
        """
    )
    assert result.status == "failed"
    assert result.error is None
    ok, refused = written(result)
    assert ok.passed and not refused.passed
    assert refused.message == (
        "subscription 'bad' was never created (did its subscribe step fail?)"
    )
    assert refused.source is not None and refused.source.line == 6
