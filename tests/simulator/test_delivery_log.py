"""The delivery log: one row per attempt with what was sent and how it ended; no credentials."""

from __future__ import annotations

import pytest
from _world import World
from hooksim.contracts import sign
from hooksim.simulator import USER_AGENT, Behaviour, Outcome
from hooksim.simulator._credentials import redact as _redact

pytestmark = pytest.mark.clause("LOG-ATTEMPTS")


def test_one_row_per_attempt_with_its_facts(world: World) -> None:
    world.receiver(respond=lambda n, r: Behaviour(503 if n == 1 else 201, latency=1.5))
    subscription = world.subscribe(method="PUT")
    event = world.publish_one()
    world.advance(60)
    first, second = world.platform.attempts(world.env)
    assert (first.event_id, first.subscription_id, first.attempt, first.kind) == (
        event.id,
        subscription.id,
        1,
        "delivery",
    )
    assert (first.outcome, first.status_code, first.duration) == (Outcome.HTTP_ERROR, 503, 1.5)
    assert (second.attempt, second.outcome, second.status_code) == (2, Outcome.SUCCESS, 201)
    assert (first.started_at - world.start, second.started_at - world.start) == (0, 10)
    assert (first.method, first.url) == ("PUT", "http://receiver.test/hook")
    assert first.headers == {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Atomic-Signature": sign(subscription.secret, first.body),
    }
    assert second.to_api() == {
        "eventId": event.id,
        "subscriptionId": subscription.id,
        "attempt": 2,
        "kind": "delivery",
        "time": "2026-01-01T00:00:10.000Z",
        "finishedAt": "2026-01-01T00:00:11.500Z",
        "outcome": "success",
        "statusCode": 201,
        "durationMs": 1500.0,
        "requestId": second.request_id,
        "error": None,
    }


def test_the_log_filters_by_subscription_and_event(world: World) -> None:
    world.receiver()
    one = world.subscribe()
    two = world.subscribe("http://dead.test/")
    first, second = world.publish(count=2)
    platform = world.platform
    assert len(platform.attempts(world.env)) == 4
    assert {r.subscription_id for r in platform.attempts(world.env, subscription_id=one.id)} == {
        one.id
    }
    assert [r.event_id for r in platform.attempts(world.env, event_id=second.id)] == [
        second.id,
        second.id,
    ]
    assert platform.attempts(world.env, subscription_id=two.id, event_id=first.id)[0].outcome == (
        Outcome.REFUSED
    )


def test_bodies_can_be_left_out_of_the_log() -> None:
    from hooksim.simulator import Platform

    platform = Platform(keep_bodies=False)
    platform.create_environment("dev")
    platform.subscribe("dev", {"types": ["card-completed"], "url": "http://dead.test/"})
    platform.publish("dev", "card-completed")
    assert platform.attempts("dev")[0].body == b""


@pytest.mark.clause("LOG-REDACT")
def test_credential_headers_are_redacted(world: World) -> None:
    receiver = world.receiver()
    world.subscribe(headers={"X-Api-Key": "s3cret", "Cookie": "session=1", "X-Plain": "ok"})
    world.publish_one()
    assert receiver.requests[0].headers["X-Api-Key"] == "s3cret"  # sent as configured
    logged = world.platform.attempts(world.env)[0].headers
    assert logged["X-Api-Key"] == "[redacted]"
    assert logged["Cookie"] == "[redacted]"
    assert logged["X-Plain"] == "ok"
    assert "s3cret" not in repr(world.platform.attempts(world.env)[0].to_api())


@pytest.mark.clause("LOG-REDACT")
def test_authorization_is_redacted_whatever_its_case() -> None:
    # Authorization only reaches a request through delivery credentials (a subscription may
    # not set it), so the redaction rule is checked on its own.
    headers = {
        "Authorization": "Bearer abc",
        "authorization": "Basic xyz",
        "Proxy-Authorization": "Basic 1",
        "X-API-KEY": "k",
        "X-Atomic-Signature": "f00",
    }
    assert _redact(headers, "X-Atomic-Signature") == {
        "Authorization": "[redacted]",
        "authorization": "[redacted]",
        "Proxy-Authorization": "[redacted]",
        "X-API-KEY": "[redacted]",
        "X-Atomic-Signature": "f00",
    }
