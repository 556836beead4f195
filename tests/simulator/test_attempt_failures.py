"""Whatever goes wrong while one attempt is prepared or sent ends that attempt, and only it.

An exception while writing a request (data that cannot be encoded) or sending it (a
transport that raises) is an attempt that failed with outcome `error` and a reason that
names what went wrong without the exception's text; the delivery rules then decide as for
any failure (retried, and in the end recorded undelivered: NOTHING-LOST). Other deliveries,
and the call that published the event, never see the exception.
"""

from __future__ import annotations

from typing import Any

import pytest
from _world import ENV, RECEIVER_URL, World, make_world
from hooksim.simulator import (
    DeliveryState,
    InProcessTransport,
    Outcome,
    OutgoingRequest,
    Platform,
    Settings,
    TransportResult,
)

OTHER_URL = "http://other.test/hook"
SECRET_TEXT = "Bearer sk_live_never_in_a_log"
SHORT = Settings(retry_base=1.0, retry_window=10.0)


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


class RaisingFor(InProcessTransport):
    """In-process, but sending to one URL raises (with a secret in the message)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def send(self, request: OutgoingRequest) -> TransportResult:
        if request.url == self.url:
            raise ConnectionError(f"boom: Authorization {SECRET_TEXT}")
        return super().send(request)


@pytest.mark.clause("NOTHING-LOST", "LOG-ATTEMPTS")
def test_an_event_that_cannot_be_encoded_fails_its_attempts_and_nothing_else() -> None:
    world = make_world(SHORT)
    received = world.receiver()
    subscription = world.subscribe()
    bad = world.platform.publish_data(
        ENV, {"analyticsEvent": "card-completed", "deep": _nested(100_000)}
    )  # answers normally: the failure belongs to the attempt
    good = world.publish_one()
    world.advance(60)

    rows = world.platform.attempts(ENV, event_id=bad.id)
    assert [r.outcome for r in rows] == [Outcome.ERROR] * len(rows) and len(rows) > 1
    assert rows[0].error == "the request could not be prepared (RecursionError)"
    assert (rows[0].method, rows[0].url, rows[0].body) == ("POST", RECEIVER_URL, b"")
    failed = world.platform.delivery(bad.id, subscription.id)
    assert failed is not None
    assert (failed.state, failed.reason) == (DeliveryState.UNDELIVERED, "retries-exhausted")
    delivered = world.platform.delivery(good.id, subscription.id)
    assert delivered is not None and delivered.state is DeliveryState.DELIVERED
    assert [r.json()["data"]["id"] for r in received.requests] == [good.id]


@pytest.mark.clause("NOTHING-LOST", "LOG-REDACT")
def test_a_transport_that_raises_fails_that_attempt_without_its_text() -> None:
    platform = Platform(transport=RaisingFor(RECEIVER_URL), settings=SHORT)
    platform.create_environment(ENV)
    world = World(platform)
    other = world.receiver(OTHER_URL)
    broken = world.subscribe(RECEIVER_URL)
    working = world.subscribe(OTHER_URL)
    event = world.publish_one()  # does not raise
    world.advance(60)

    rows = platform.attempts(ENV, subscription_id=broken.id)
    assert rows and {r.error for r in rows} == {"transport raised ConnectionError"}
    assert all(SECRET_TEXT not in repr(r.to_api()) for r in platform.attempts(ENV))
    ended = platform.delivery(event.id, broken.id)
    assert ended is not None and ended.state is DeliveryState.UNDELIVERED
    delivered = platform.delivery(event.id, working.id)
    assert delivered is not None and delivered.state is DeliveryState.DELIVERED
    assert len(other.requests) == 1


@pytest.mark.clause("API-TEST", "DUPLICATE-INJECTION")
def test_copies_that_cannot_be_prepared_or_sent_are_logged_failed(world: World) -> None:
    received = world.receiver()
    world.subscribe()
    event = world.platform.publish_data(
        ENV, {"analyticsEvent": "card-completed", "deep": _nested(100_000)}
    )
    (copy,) = world.platform.inject_duplicate(ENV, event.id)
    assert (copy.kind, copy.outcome) == ("duplicate", Outcome.ERROR)
    assert copy.error == "the request could not be prepared (RecursionError)"
    assert received.requests == []  # nothing half-written was sent

    platform = Platform(transport=RaisingFor(RECEIVER_URL))
    platform.create_environment(ENV)
    broken = platform.subscribe(ENV, {"types": ["card-completed"], "url": RECEIVER_URL})
    test = platform.test_subscription(ENV, broken.id)
    assert (test.kind, test.outcome, test.error) == (
        "test",
        Outcome.ERROR,
        "transport raised ConnectionError",
    )
    assert platform.subscription(ENV, broken.id).consecutive_failures == 0


@pytest.mark.clause("BATCHING", "NOTHING-LOST")
def test_a_batch_that_cannot_be_encoded_fails_as_one_unit() -> None:
    world = make_world(SHORT)
    received = world.receiver()
    subscription = world.subscribe(batch={"maxEvents": 2, "maxWaitSeconds": 5})
    bad = world.platform.publish_data(
        ENV, {"analyticsEvent": "card-completed", "deep": _nested(100_000)}
    )
    good = world.publish_one()  # fills the batch: its first attempt is due now
    world.advance(60)

    rows = world.platform.attempts(ENV)
    assert len(rows) > 1 and {r.outcome for r in rows} == {Outcome.ERROR}
    assert {r.event_ids for r in rows} == {(bad.id, good.id)}
    states = {
        (d.event_id, d.state, d.reason)
        for d in world.platform.deliveries(ENV)
        if d.subscription_id == subscription.id
    }
    assert states == {
        (bad.id, DeliveryState.UNDELIVERED, "retries-exhausted"),
        (good.id, DeliveryState.UNDELIVERED, "retries-exhausted"),
    }
    assert received.requests == []
