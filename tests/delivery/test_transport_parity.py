"""The same delivery semantics over both transports: each behaviour test runs against the
in-process transport (the receiver mounted as a WSGI app) and the real HTTP transport (the same
receiver served by werkzeug on 127.0.0.1), both under a virtual clock. Over HTTP latency is
real, but the engine's retry schedule still follows the virtual clock. See `_parity.py` for how
each transport plays what is not an answer (slow, refused, reset). No timing assertions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from _parity import Answer, Harness, make_harness
from hooksim.contracts import verify
from hooksim.simulator import (
    USER_AGENT,
    AttemptRecord,
    DeliveryState,
    Outcome,
    Platform,
    Subscription,
)

ENV = "dev"
TRANSPORTS = ["in-process", pytest.param("http", marks=pytest.mark.served)]


@pytest.fixture(params=TRANSPORTS)
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    made = make_harness(request.param)
    yield made
    made.close()


class World:
    """A platform on a virtual clock delivering through the harness's transport."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.platform = Platform(transport=harness.transport, seed=0)
        self.platform.create_environment(ENV)
        self.start = self.platform.clock.now()

    def subscribe(self, url: str | None = None, **fields: Any) -> Subscription:
        body = {"types": ["card-completed"], "url": url or self.harness.url, **fields}
        return self.platform.subscribe(ENV, body)

    def publish(self) -> str:
        return self.platform.publish(ENV, "card-completed")[0].id

    def log(self) -> list[AttemptRecord]:
        return self.platform.attempts(ENV)

    def offsets(self) -> list[float]:
        return [r.scheduled_at - self.start for r in self.log()]

    def outcomes(self) -> list[Outcome]:
        return [r.outcome for r in self.log()]

    def state(self, event_id: str, subscription: Subscription) -> tuple[DeliveryState, int]:
        delivery = self.platform.delivery(event_id, subscription.id)
        assert delivery is not None
        return delivery.state, delivery.attempts


@pytest.fixture
def world(harness: Harness) -> World:
    return World(harness)


@pytest.mark.clause("DELIVERY-SUCCESS-2XX")
@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_a_2xx_answer_delivers(world: World, status: int) -> None:
    world.harness.receiver.script = lambda n: Answer(status, body=b"" if status == 204 else b"ok")
    subscription = world.subscribe()
    event = world.publish()
    (record,) = world.log()
    assert (record.outcome, record.status_code, record.error) == (Outcome.SUCCESS, status, None)
    assert world.state(event, subscription) == (DeliveryState.DELIVERED, 1)
    assert world.platform.next_due() is None


@pytest.mark.clause("DELIVERY-SUCCESS-2XX", "RETRY-SCHEDULE")
@pytest.mark.parametrize("status", [400, 404, 410, 500, 502, 503])
def test_an_error_status_fails_the_attempt_and_the_virtual_schedule_retries_it(
    world: World, status: int
) -> None:
    world.harness.receiver.script = lambda n: Answer(status if n <= 2 else 200)
    subscription = world.subscribe()
    event = world.publish()
    assert world.state(event, subscription) == (DeliveryState.PENDING, 1)
    world.platform.advance(9.999)
    assert len(world.harness.receiver.seen) == 1  # the retry waits for virtual time
    world.platform.advance(40)
    assert world.outcomes() == [Outcome.HTTP_ERROR, Outcome.HTTP_ERROR, Outcome.SUCCESS]
    assert [r.status_code for r in world.log()] == [status, status, 200]
    assert world.offsets() == [0, 10, 30]
    assert world.state(event, subscription) == (DeliveryState.DELIVERED, 3)
    assert subscription.consecutive_failures == 0


@pytest.mark.clause("DELIVERY-SUCCESS-2XX")
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_fails_the_attempt_and_is_never_followed(world: World, status: int) -> None:
    location = (("Location", world.harness.url + "/elsewhere?token=secret"),)
    world.harness.receiver.script = lambda n: Answer(status, headers=location, body=b"")
    subscription = world.subscribe()
    event = world.publish()
    (record,) = world.log()
    assert (record.outcome, record.status_code) == (Outcome.REDIRECT, status)
    assert record.error is not None and "not followed" in record.error
    assert [seen.path for seen in world.harness.receiver.seen] == ["/hook"]
    world.platform.advance(10)
    assert [seen.path for seen in world.harness.receiver.seen] == ["/hook", "/hook"]
    assert world.state(event, subscription) == (DeliveryState.PENDING, 2)


@pytest.mark.clause("DELIVERY-TIMEOUT", "AT-LEAST-ONCE")
def test_a_receiver_slower_than_the_timeout_fails_the_attempt(world: World) -> None:
    world.platform.configure(ENV, timeout=0.2)
    world.harness.receiver.script = lambda n: Answer(200, slow=n == 1)
    subscription = world.subscribe()
    try:
        event = world.publish()
        # In-process the attempt ends 0.2 s of virtual time later; over HTTP it has already
        # ended, 0.2 s of real time later (the virtual clock has not moved).
        world.platform.advance(0.2)
        (record,) = world.log()
    finally:
        world.harness.release()  # the held request may now answer: nobody listens any more
    assert (record.outcome, record.status_code) == (Outcome.TIMEOUT, None)
    assert record.error == "no answer within 0.2 s"
    world.platform.advance(9.8)
    assert world.outcomes() == [Outcome.TIMEOUT, Outcome.SUCCESS]
    assert world.offsets() == [0, 10]
    assert world.state(event, subscription) == (DeliveryState.DELIVERED, 2)
    # The receiver got the event twice: the same data, a new requestId (AT-LEAST-ONCE).
    first, second = (json.loads(seen.body) for seen in world.harness.receiver.seen)
    assert first["data"] == second["data"] and first["requestId"] != second["requestId"]


@pytest.mark.clause("DELIVERY-SUCCESS-2XX")
@pytest.mark.parametrize("failure", ["refused", "reset"])
def test_a_refused_or_reset_connection_fails_the_attempt(world: World, failure: str) -> None:
    url = world.harness.refused_url if failure == "refused" else world.harness.reset_url
    subscription = world.subscribe(url)
    event = world.publish()
    world.platform.advance(10)
    expected = Outcome.REFUSED if failure == "refused" else Outcome.RESET
    assert world.outcomes() == [expected, expected]
    assert [r.status_code for r in world.log()] == [None, None]
    assert all(r.error for r in world.log())
    assert world.offsets() == [0, 10]
    assert world.state(event, subscription) == (DeliveryState.PENDING, 2)
    assert world.harness.receiver.seen == []


@pytest.mark.clause("SIGN-HMAC", "SIGN-RAW-BYTES", "DELIVERY-METHOD", "DELIVERY-HEADERS")
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_the_request_arrives_signed_with_its_method_headers_and_exact_body(
    world: World, method: str
) -> None:
    world.harness.receiver.script = lambda n: Answer(500 if n == 1 else 200)
    headers = {"X-Team": "cards", "My-Custom-Header": "123 ü-free"}
    subscription = world.subscribe(
        world.harness.url + "?team=cards&x=1", method=method, headers=headers
    )
    event = world.publish()
    world.platform.advance(10)
    seen = world.harness.receiver.seen
    assert len(seen) == 2  # a first attempt and a retry: both carry everything
    for request, record in zip(seen, world.log(), strict=True):
        assert (request.method, request.path, request.query) == (method, "/hook", "team=cards&x=1")
        assert request.body == record.body  # the bytes logged are the bytes received
        assert verify(subscription.secret, request.body, request.headers["X-Atomic-Signature"])
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["Content-Length"] == str(len(request.body))
        assert request.headers["User-Agent"] == USER_AGENT
        assert {name: request.headers[name] for name in headers} == headers
        body = json.loads(request.body)
        assert list(body) == ["requestId", "environmentId", "webhookId", "isBatched", "data"]
        assert (body["webhookId"], body["data"]["id"]) == (subscription.id, event)


@pytest.mark.clause("RETRY-AFTER")
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_postpones_the_retry(world: World, status: int) -> None:
    later = (("Retry-After", "120"),)
    world.harness.receiver.script = lambda n: Answer(status, headers=later) if n == 1 else Answer()
    subscription = world.subscribe()
    event = world.publish()
    assert world.platform.next_due() == world.start + 120
    world.platform.advance(119.999)
    assert len(world.harness.receiver.seen) == 1
    world.platform.advance(0.001)
    assert world.offsets() == [0, 120]
    assert world.outcomes() == [Outcome.HTTP_ERROR, Outcome.SUCCESS]
    assert world.state(event, subscription) == (DeliveryState.DELIVERED, 2)


@pytest.mark.clause("SIGN-RAW-BYTES", "DELIVERY-ENVELOPE", "DETERMINISM")
@pytest.mark.served
def test_both_transports_put_the_same_request_on_the_wire() -> None:
    """The same seeded run through each transport: the receiver gets the same method, path,
    query, body bytes, signature and headers. Only what HTTP itself adds differs: `Host`
    (another URL) and urllib3's `Accept-Encoding: identity`."""
    runs = []
    for name in ("in-process", "http"):
        harness = make_harness(name)
        try:
            harness.receiver.script = lambda n: Answer(503 if n == 1 else 200)
            world = World(harness)
            world.subscribe(harness.url + "?team=cards", method="PUT", headers={"X-Team": "cards"})
            world.publish()
            world.platform.advance(10)
            runs.append(harness.receiver.seen)
        finally:
            harness.close()
    in_process, over_http = runs
    assert len(in_process) == len(over_http) == 2
    for mounted, served in zip(in_process, over_http, strict=True):
        assert (mounted.method, mounted.path, mounted.query, mounted.body) == (
            served.method,
            served.path,
            served.query,
            served.body,
        )
        added_by_http = {"Host", "Accept-Encoding"}
        assert set(served.headers) - set(mounted.headers) <= added_by_http
        assert {k: v for k, v in served.headers.items() if k not in added_by_http} == {
            k: v for k, v in mounted.headers.items() if k not in added_by_http
        }
