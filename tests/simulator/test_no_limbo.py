"""No delivery is left in limbo (issue 10, item 1).

Whatever goes wrong while one delivery's request is prepared or sent ends that delivery (or
that attempt) with its reason in the delivery log, and touches neither the other deliveries
nor the answer of the call that happened to run it. The faults are planted through public
extension points only (a store, a transport), so these tests hold whatever the engine's
inside looks like.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from hooksim.simulator import (
    DeliveryState,
    Driver,
    Event,
    MemoryStore,
    Outcome,
    OutgoingRequest,
    Platform,
    RecordingReceiver,
    Settings,
    TransportResult,
    WallClock,
)

ENV = "dev"
URL = "http://receiver.test/hook"
POISON = "poison"


class _Unsendable:
    """Nothing in JSON: encoding an event that holds one fails."""


class PoisoningStore(MemoryStore):
    """Keeps every event, but spoils the data of those published for user `poison` after
    they were accepted: the engine then fails to encode them while building the request."""

    def add_event(self, event: Event) -> None:
        super().add_event(event)
        if event.data.get("endUserId") == POISON:
            event.data["spoiled"] = _Unsendable()
            event.data_json = None


def _platform(*, clock: Any = None, settings: Settings | None = None) -> Platform:
    platform = Platform(store=PoisoningStore(), clock=clock, settings=settings)
    platform.create_environment(ENV)
    return platform


def _receiver(platform: Platform) -> RecordingReceiver:
    receiver = RecordingReceiver(now=platform.clock.now)
    platform.transport.mount(URL, receiver)  # type: ignore[attr-defined]
    return receiver


def _states(platform: Platform) -> dict[str, tuple[DeliveryState, str | None]]:
    return {d.event_id: (d.state, d.reason) for d in platform.deliveries(ENV)}


def test_an_event_that_cannot_be_encoded_ends_undelivered_and_the_others_are_delivered() -> None:
    platform = _platform()
    receiver = _receiver(platform)
    subscription = platform.subscribe(ENV, {"types": ["card-completed"], "url": URL})
    first = platform.publish(ENV, "card-completed")[0]
    # Published in the same call, before and after the bad one: the call answers normally.
    spoiled, last = platform.publish_many(
        ENV,
        [
            {"analyticsEvent": "card-completed", "endUserId": POISON},
            {"analyticsEvent": "card-completed", "endUserId": "user-2"},
        ],
    )
    states = _states(platform)
    assert states[first.id] == (DeliveryState.DELIVERED, None)
    assert states[last.id] == (DeliveryState.DELIVERED, None)
    assert states[spoiled.id] == (DeliveryState.UNDELIVERED, "internal-error")
    assert [r.json()["data"]["id"] for r in receiver.requests] == [first.id, last.id]
    (row,) = platform.attempts(ENV, event_id=spoiled.id)
    assert row.outcome is Outcome.ERROR and row.attempt == 1
    assert row.error is not None and "TypeError" in row.error
    # Nothing was sent and it was not the receiver's fault: the subscription is untouched.
    after = platform.subscription(ENV, subscription.id)
    assert after.active and after.consecutive_failures == 0
    assert platform.pending_work == 0


def test_a_batch_that_cannot_be_encoded_ends_undelivered_and_the_next_batch_goes_out() -> None:
    platform = _platform()
    receiver = _receiver(platform)
    batch = {"maxEvents": 2, "maxWaitSeconds": 5}
    platform.subscribe(ENV, {"types": ["card-completed"], "url": URL, "batch": batch})
    spoiled_batch = platform.publish_many(
        ENV,
        [
            {"analyticsEvent": "card-completed", "endUserId": POISON},
            {"analyticsEvent": "card-completed", "endUserId": "user-2"},
        ],
    )
    good_batch = platform.publish(ENV, "card-completed", count=2)
    states = _states(platform)
    for event in spoiled_batch:
        assert states[event.id] == (DeliveryState.UNDELIVERED, "internal-error")
    for event in good_batch:
        assert states[event.id] == (DeliveryState.DELIVERED, None)
    assert len(receiver.requests) == 1
    rows = [r for r in platform.attempts(ENV) if r.outcome is Outcome.ERROR]
    assert len(rows) == 1 and rows[0].event_ids == tuple(e.id for e in spoiled_batch)
    assert rows[0].error is not None and "TypeError" in rows[0].error
    assert platform.pending_work == 0


def test_a_spoiled_event_fails_its_copies_without_failing_the_caller() -> None:
    platform = _platform()
    receiver = _receiver(platform)
    platform.subscribe(ENV, {"types": ["card-completed"], "url": URL})
    (spoiled,) = platform.publish(ENV, "card-completed", overrides={"endUserId": POISON})
    (copy,) = platform.inject_duplicate(ENV, spoiled.id)
    assert copy.kind == "duplicate" and copy.outcome is Outcome.ERROR
    assert copy.error is not None and "TypeError" in copy.error
    assert receiver.requests == []


class RaisingTransport:
    """An in-process transport that raises (not a failed answer: an exception) for the URLs
    it is told to, as a buggy transport would."""

    simulated = True

    def __init__(self, inner: Any, broken: set[str]) -> None:
        self.inner, self.broken = inner, broken

    def send(self, request: OutgoingRequest) -> TransportResult:
        if request.url in self.broken:
            raise RuntimeError("the transport fell over")
        result: TransportResult = self.inner.send(request)
        return result


def test_a_transport_that_raises_fails_that_attempt_only_and_it_is_retried() -> None:
    from hooksim.simulator import InProcessTransport

    inner = InProcessTransport()
    broken_url = "http://broken.test/hook"
    platform = Platform(transport=RaisingTransport(inner, {broken_url}))
    platform.create_environment(ENV)
    receiver = RecordingReceiver(now=platform.clock.now)
    inner.mount(URL, receiver)
    broken = platform.subscribe(ENV, {"types": ["card-completed"], "url": broken_url})
    platform.subscribe(ENV, {"types": ["card-completed"], "url": URL})
    (event,) = platform.publish(ENV, "card-completed")
    assert len(receiver.requests) == 1
    (row,) = platform.attempts(ENV, subscription_id=broken.id)
    assert row.outcome is Outcome.ERROR
    assert row.error is not None and "RuntimeError" in row.error
    delivery = platform.delivery(event.id, broken.id)
    assert delivery is not None and delivery.state is DeliveryState.PENDING
    platform.advance(10)  # the first retry of the schedule: tried again, not stuck
    assert len(platform.attempts(ENV, subscription_id=broken.id)) == 2
    # A test delivery through it is answered as a failure, not raised to the caller.
    record = platform.test_subscription(ENV, broken.id)
    assert record.kind == "test" and record.outcome is Outcome.ERROR


def test_a_transport_that_raises_on_a_duplicate_leaves_the_publication_alone() -> None:
    from hooksim.simulator import InProcessTransport

    inner = InProcessTransport()
    sent: list[str] = []

    class SecondSendRaises:
        simulated = True

        def send(self, request: OutgoingRequest) -> TransportResult:
            sent.append(request.url)
            if len(sent) == 2:  # the duplicate of the first delivery
                raise RuntimeError("the transport fell over")
            result: TransportResult = inner.send(request)
            return result

    platform = Platform(transport=SecondSendRaises(), settings=Settings(duplicate_probability=1.0))
    platform.create_environment(ENV)
    inner.mount(URL, RecordingReceiver(now=platform.clock.now))
    platform.subscribe(ENV, {"types": ["card-completed"], "url": URL})
    (event,) = platform.publish(ENV, "card-completed")
    kinds = [(r.kind, r.outcome) for r in platform.attempts(ENV, event_id=event.id)]
    assert kinds == [("delivery", Outcome.SUCCESS), ("duplicate", Outcome.ERROR)]
    assert _states(platform)[event.id] == (DeliveryState.DELIVERED, None)


def test_under_the_wall_clock_the_driver_runs_on_and_reports_no_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    platform = _platform(clock=WallClock())
    _receiver(platform)
    platform.subscribe(ENV, {"types": ["card-completed"], "url": URL})
    ended = threading.Event()

    def listener(signal: object) -> None:
        states = [d.state for d in platform.deliveries(ENV)]
        if len(states) == 2 and DeliveryState.PENDING not in states:
            ended.set()

    caplog.set_level(logging.WARNING, logger="hooksim")
    with Driver(platform, max_wait=0.05):
        platform.add_listener(listener)
        platform.publish_many(
            ENV,
            [
                {"analyticsEvent": "card-completed", "endUserId": POISON},
                {"analyticsEvent": "card-completed", "endUserId": "user-2"},
            ],
        )
        assert ended.wait(30)
    assert sorted(s for s, _ in _states(platform).values()) == [
        DeliveryState.DELIVERED,
        DeliveryState.UNDELIVERED,
    ]
    assert [r.message for r in caplog.records] == []
