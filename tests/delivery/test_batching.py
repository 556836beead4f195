"""Batching: events grouped into one signed request (`isBatched: true`, `data` a list), sent
by count or after a wait of virtual time, retried and counted as one unit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _bench import Bench, make_bench
from hooksim.contracts import verify
from hooksim.simulator import (
    Behaviour,
    DeliveryState,
    InvalidInput,
    ReceivedRequest,
    RecordingReceiver,
    Settings,
)


@pytest.fixture
def bench() -> Bench:
    return make_bench()


def _batches(receiver: RecordingReceiver) -> list[list[str]]:
    return [[d["id"] for d in r.json()["data"]] for r in receiver.requests]


def _states(bench: Bench) -> dict[str, Any]:
    return {
        d.event_id: (d.state, d.reason, d.attempts) for d in bench.platform.deliveries(bench.env)
    }


@pytest.mark.clause("BATCHING", "SIGN-HMAC")
def test_a_full_batch_is_sent_at_once_and_the_rest_waits(bench: Bench) -> None:
    receiver = bench.receiver()
    subscription = bench.subscribe(batch={"maxEvents": 3, "maxWaitSeconds": 60})
    events = bench.publish(7)
    ids = [e.id for e in events]
    assert _batches(receiver) == [ids[0:3], ids[3:6]]
    bench.advance(59.999)
    assert len(receiver.requests) == 2
    bench.advance(0.001)
    assert _batches(receiver) == [ids[0:3], ids[3:6], ids[6:7]]
    for request in receiver.requests:
        body = request.json()
        assert list(body) == ["requestId", "environmentId", "webhookId", "isBatched", "data"]
        assert body["isBatched"] is True and body["webhookId"] == subscription.id
        assert verify(subscription.secret, request.body, request.headers["X-Atomic-Signature"])
        for data in body["data"]:  # each event's data byte for byte as unbatched
            event = bench.platform.event(bench.env, data["id"])
            assert (
                json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() in request.body
            )
            assert data == event.data
    assert {state for state, _, _ in _states(bench).values()} == {DeliveryState.DELIVERED}
    assert [r.event_ids for r in bench.log()] == [tuple(ids[0:3]), tuple(ids[3:6]), (ids[6],)]
    assert [r.started_at - bench.start for r in bench.log()] == [0, 0, 60]


@pytest.mark.clause("BATCHING")
def test_events_wait_at_most_max_wait_seconds_after_the_first(bench: Bench) -> None:
    receiver = bench.receiver()
    bench.subscribe(batch={"maxEvents": 10, "maxWaitSeconds": 30})
    first = bench.publish()[0]
    bench.advance(20)
    second = bench.publish()[0]
    bench.advance(9.999)
    assert receiver.requests == []
    bench.advance(0.001)  # 30 s after the first event
    assert _batches(receiver) == [[first.id, second.id]]
    bench.advance(25)
    third = bench.publish()[0]
    bench.advance(30)
    assert _batches(receiver)[-1] == [third.id]


@pytest.mark.clause("BATCHING", "RETRY-SCHEDULE", "NOTHING-LOST")
def test_a_batch_is_retried_as_a_unit_on_the_retry_schedule(bench: Bench) -> None:
    def respond(number: int, request: ReceivedRequest) -> Behaviour:
        return Behaviour(503 if number <= 2 else 200)

    receiver = bench.receiver(respond=respond)
    subscription = bench.subscribe(batch={"maxEvents": 2, "maxWaitSeconds": 5})
    events = bench.publish(2)
    bench.advance(100)
    # first attempt at +0, retries 10 and 30 s later (RETRY-SCHEDULE), each with both events
    assert bench.offsets(subscription) == [0, 10, 30]
    assert _batches(receiver) == [[e.id for e in events]] * 3
    request_ids = {r.json()["requestId"] for r in receiver.requests}
    assert len(request_ids) == 3  # a new requestId per attempt, the same data
    assert [r.attempt for r in bench.log()] == [1, 2, 3]
    assert all(s == (DeliveryState.DELIVERED, None, 3) for s in _states(bench).values())
    assert subscription.consecutive_failures == 0


@pytest.mark.clause("BATCHING", "RETRY-AFTER")
def test_a_batch_honours_retry_after_only_when_answered_in_time(bench: Bench) -> None:
    def respond(number: int, request: ReceivedRequest) -> Behaviour:
        # 1: 429 with Retry-After 100 s, in time; 2: the same, after the 10 s timeout; 3: 200
        if number == 1:
            return Behaviour(429, headers=(("Retry-After", "100"),))
        if number == 2:
            return Behaviour(429, latency=15.0, headers=(("Retry-After", "1000"),))
        return Behaviour(200)

    bench.receiver(respond=respond)
    subscription = bench.subscribe(batch={"maxEvents": 1, "maxWaitSeconds": 5})
    bench.publish(1)
    bench.advance(600)
    # retry 1 postponed to +100 by the answer; retry 2 follows the schedule (+100 + 20 s),
    # since a Retry-After that came after the timeout belongs to an attempt given up on
    assert bench.offsets(subscription) == [0, 100, 120]


@pytest.mark.clause("BATCHING", "DISABLE-THRESHOLD")
def test_one_failed_batch_is_one_failed_attempt_towards_auto_disable() -> None:
    bench = make_bench(settings=Settings(disable_threshold=3))
    bench.receiver(status=500)
    subscription = bench.subscribe(batch={"maxEvents": 5, "maxWaitSeconds": 0})
    bench.publish(5)  # five events, one request: one failure, not five
    assert subscription.consecutive_failures == 1 and subscription.active
    bench.advance(10)
    assert subscription.consecutive_failures == 2 and subscription.active
    bench.advance(20)
    assert subscription.consecutive_failures == 3 and not subscription.active
    assert subscription.disabled_reason == "auto"
    states = _states(bench).values()
    assert len(states) == 5
    assert all(s == (DeliveryState.UNDELIVERED, "subscription-disabled", 3) for s in states)


@pytest.mark.clause("BATCHING", "RETRY-MAX-RETRIES")
def test_every_event_of_a_batch_ends_undelivered_together(bench: Bench) -> None:
    bench.receiver(status=500)
    subscription = bench.subscribe(batch={"maxEvents": 3, "maxWaitSeconds": 1}, maxRetries=1)
    bench.publish(2)
    bench.advance(1)
    bench.advance(100)
    assert bench.offsets(subscription) == [1, 11]
    assert all(
        s == (DeliveryState.UNDELIVERED, "retries-exhausted", 2) for s in _states(bench).values()
    )


@pytest.mark.clause("BATCHING", "DISABLE-STOPS-DELIVERY")
def test_a_batch_failing_in_flight_across_disable_and_enable_is_not_retried(
    bench: Bench,
) -> None:
    bench.receiver(respond=lambda number, request: Behaviour(500, latency=5.0))
    subscription = bench.subscribe(batch={"maxEvents": 2, "maxWaitSeconds": 5})
    bench.publish(2)  # a full batch: sent at once, answered (500) 5 s later
    bench.advance(1)
    bench.platform.disable_subscription(bench.env, subscription.id)
    bench.platform.enable_subscription(bench.env, subscription.id)
    bench.advance(600)
    # the in-flight attempt was the last: re-enabling does not revive it (as for single events)
    assert bench.offsets(subscription) == [0]
    assert all(
        s == (DeliveryState.UNDELIVERED, "subscription-disabled", 1)
        for s in _states(bench).values()
    )


@pytest.mark.clause("BATCHING", "DISABLE-STOPS-DELIVERY")
def test_disabling_ends_a_collecting_batch_and_nothing_is_sent(bench: Bench) -> None:
    receiver = bench.receiver()
    subscription = bench.subscribe(batch={"maxEvents": 10, "maxWaitSeconds": 30})
    bench.publish(3)
    bench.platform.disable_subscription(bench.env, subscription.id)
    bench.advance(60)
    assert receiver.requests == []
    assert {s for s in _states(bench).values()} == {
        (DeliveryState.UNDELIVERED, "subscription-disabled", 0)
    }


@pytest.mark.clause("BATCHING", "LOG-ATTEMPTS")
def test_the_log_shows_one_row_per_attempt_with_the_batchs_events(bench: Bench) -> None:
    bench.receiver()
    batched = bench.subscribe(batch={"maxEvents": 2, "maxWaitSeconds": 0})
    plain = bench.subscribe()
    first, second = bench.publish(2)
    rows = bench.platform.attempts(bench.env, subscription_id=batched.id)
    assert len(rows) == 1
    assert rows[0].to_api()["eventIds"] == [first.id, second.id]
    assert rows[0].to_api()["eventId"] == first.id
    assert (
        bench.platform.attempts(bench.env, subscription_id=batched.id, event_id=second.id) == rows
    )
    assert all("eventIds" not in r.to_api() for r in bench.log(plain))
    assert len(bench.log(plain)) == 2


@pytest.mark.clause("BATCHING")
def test_a_test_delivery_to_a_batched_subscription_is_a_batch_of_one(bench: Bench) -> None:
    receiver = bench.receiver()
    subscription = bench.subscribe(batch={"maxEvents": 5, "maxWaitSeconds": 10})
    record = bench.platform.test_subscription(bench.env, subscription.id)
    assert record.succeeded
    body = receiver.requests[0].json()
    assert body["isBatched"] is True and [d["id"] for d in body["data"]] == [record.event_id]


@pytest.mark.clause("BATCHING", "MAPPING", "CRED-BASIC")
def test_a_batch_can_be_mapped_and_credentialed(bench: Bench) -> None:
    receiver = bench.receiver()
    credential = bench.credential(type="basic", username="u", password="p")
    subscription = bench.subscribe(
        batch={"maxEvents": 2, "maxWaitSeconds": 0},
        credentialId=credential,
        mapping='{"count": {{ data | length }}, "ids": [{% for d in data %}{{ d.id | tojson }}'
        "{% if not loop.last %},{% endif %}{% endfor %}]}",
    )
    events = bench.publish(2)
    (request,) = receiver.requests
    assert request.json() == {"count": 2, "ids": [e.id for e in events]}
    assert request.headers["Authorization"].startswith("Basic ")
    assert verify(subscription.secret, request.body, request.headers["X-Atomic-Signature"])


@pytest.mark.clause("BATCHING")
@pytest.mark.parametrize(
    "batch",
    [
        {"maxEvents": 0, "maxWaitSeconds": 1},
        {"maxEvents": 1001, "maxWaitSeconds": 1},
        {"maxEvents": 2, "maxWaitSeconds": 3601},
        {"maxEvents": 2, "maxWaitSeconds": -1},
        {"maxEvents": 2},
        {"maxEvents": True, "maxWaitSeconds": 1},
        [2, 1],
    ],
)
def test_batch_settings_are_bounded(bench: Bench, batch: Any) -> None:
    with pytest.raises(InvalidInput, match="batch") as error:
        bench.subscribe(batch=batch)
    assert error.value.field == "batch"


@pytest.mark.clause("BATCHING", "DETERMINISM")
def test_batched_runs_are_deterministic() -> None:
    def run() -> list[Any]:
        bench = make_bench(seed=7)
        bench.receiver(status=503)
        bench.subscribe(
            batch={"maxEvents": 3, "maxWaitSeconds": 20}, mapping='{"n": {{ data | length }}}'
        )
        bench.publish(4)
        bench.advance(500)
        return [(r.request_id, r.started_at, r.event_ids, r.body) for r in bench.log()]

    first = run()
    assert first == run()
    assert len(first) > 2  # two batches, and retries of both
