"""Whatever goes wrong while one attempt is prepared or sent ends that attempt, and only it.

An exception while writing a request (event data spoiled after it was accepted, as a bug in
hooksim would spoil it) or sending it (a transport that raises) is an attempt that failed
with outcome `error` and a reason that names what went wrong without the exception's text.
The delivery rules then decide: a request that could not be written ends its delivery (or
batch) at once, `undelivered` with reason `internal-error`, not counted against the
subscription (a retry would fail the same way); a send that raised is retried like any
failure, and in the end recorded undelivered (NOTHING-LOST). Other deliveries, and the call
that published the event, never see the exception.
"""

from __future__ import annotations

import pytest
from _world import ENV, RECEIVER_URL, World
from hooksim.simulator import (
    DeliveryState,
    Event,
    InProcessTransport,
    MemoryStore,
    Outcome,
    OutgoingRequest,
    Platform,
    Settings,
    TransportResult,
)

OTHER_URL = "http://other.test/hook"
SECRET_TEXT = "Bearer sk_live_never_in_a_log"
SHORT = Settings(retry_base=1.0, retry_window=10.0)
SPOILED = "spoiled"


class _Exploding(dict[str, int]):
    """Encoding it raises, with a secret in the exception's text."""

    def items(self):  # type: ignore[no-untyped-def, override]
        raise RuntimeError(f"boom: Authorization {SECRET_TEXT}")


class SpoilingStore(MemoryStore):
    """Keeps every event, but spoils the data of those published for user `spoiled` once
    they were accepted: writing their request then raises."""

    def add_event(self, event: Event) -> None:
        super().add_event(event)
        if event.data.get("endUserId") == SPOILED:
            event.data["spoiled"] = _Exploding(a=1)
            event.data_json = None


def _spoiling_world() -> World:
    platform = Platform(store=SpoilingStore(), settings=SHORT)
    platform.create_environment(ENV)
    return World(platform)


class RaisingFor(InProcessTransport):
    """In-process, but sending to one URL raises (with a secret in the message)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def send(self, request: OutgoingRequest) -> TransportResult:
        if request.url == self.url:
            raise ConnectionError(f"boom: Authorization {SECRET_TEXT}")
        return super().send(request)


@pytest.mark.clause("NOTHING-LOST", "LOG-ATTEMPTS", "LOG-REDACT")
def test_an_event_whose_request_cannot_be_written_ends_its_delivery_and_nothing_else() -> None:
    world = _spoiling_world()
    received = world.receiver()
    subscription = world.subscribe()
    bad = world.publish_one(endUserId=SPOILED)  # answers normally: the failure is the attempt's
    good = world.publish_one()
    world.advance(60)

    (row,) = world.platform.attempts(ENV, event_id=bad.id)  # not retried
    assert (row.outcome, row.attempt) == (Outcome.ERROR, 1)
    assert row.error == "the request could not be prepared (RuntimeError)"
    assert (row.method, row.url, row.body) == ("POST", RECEIVER_URL, b"")
    assert SECRET_TEXT not in repr(row.to_api())
    failed = world.platform.delivery(bad.id, subscription.id)
    assert failed is not None
    assert (failed.state, failed.reason) == (DeliveryState.UNDELIVERED, "internal-error")
    # Nothing was sent: the receiver did nothing wrong, and its subscription is untouched.
    assert world.platform.subscription(ENV, subscription.id).consecutive_failures == 0
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
def test_copies_that_cannot_be_prepared_or_sent_are_logged_failed() -> None:
    world = _spoiling_world()
    received = world.receiver()
    world.subscribe()
    event = world.publish_one(endUserId=SPOILED)
    (copy,) = world.platform.inject_duplicate(ENV, event.id)
    assert (copy.kind, copy.outcome) == ("duplicate", Outcome.ERROR)
    assert copy.error == "the request could not be prepared (RuntimeError)"
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
def test_a_batch_whose_request_cannot_be_written_ends_as_one_unit() -> None:
    world = _spoiling_world()
    received = world.receiver()
    subscription = world.subscribe(batch={"maxEvents": 2, "maxWaitSeconds": 5})
    bad = world.publish_one(endUserId=SPOILED)
    good = world.publish_one()  # fills the batch: its first attempt is due now
    world.advance(60)

    (row,) = world.platform.attempts(ENV)  # one attempt for the batch, not retried
    assert (row.outcome, row.event_ids) == (Outcome.ERROR, (bad.id, good.id))
    states = {
        (d.event_id, d.state, d.reason)
        for d in world.platform.deliveries(ENV)
        if d.subscription_id == subscription.id
    }
    assert states == {
        (bad.id, DeliveryState.UNDELIVERED, "internal-error"),
        (good.id, DeliveryState.UNDELIVERED, "internal-error"),
    }
    assert world.platform.subscription(ENV, subscription.id).consecutive_failures == 0
    assert received.requests == []
