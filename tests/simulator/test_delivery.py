"""What one delivery attempt looks like and how it is judged: envelope, method, headers,
success only on a 2xx within the timeout."""

from __future__ import annotations

import pytest
from _world import DEAD_URL, World, make_world
from hooksim.contracts import validate_payload
from hooksim.simulator import (
    USER_AGENT,
    Behaviour,
    DeliveryState,
    InvalidInput,
    Outcome,
    ReceivedRequest,
    Settings,
)


@pytest.mark.clause("DELIVERY-ENVELOPE", "EVENT-PAYLOAD")
def test_the_body_is_the_seeds_envelope(world: World) -> None:
    receiver = world.receiver()
    subscription = world.subscribe()
    event = world.publish_one()
    payload = receiver.requests[0].json()
    assert list(payload) == ["requestId", "environmentId", "webhookId", "isBatched", "data"]
    assert payload["environmentId"] == world.env
    assert payload["webhookId"] == subscription.id
    assert payload["isBatched"] is False
    assert payload["data"] == event.data
    assert payload["data"]["id"] == event.id
    validate_payload(receiver.requests[0].body)
    record = world.platform.attempts(world.env)[0]
    assert record.request_id == payload["requestId"]


@pytest.mark.clause("DELIVERY-ENVELOPE")
def test_request_id_changes_per_attempt_while_data_id_stays(world: World) -> None:
    receiver = world.receiver(respond=lambda n, r: Behaviour(500 if n < 4 else 200))
    world.subscribe()
    event = world.publish_one()
    world.advance(100)
    payloads = [r.json() for r in receiver.requests]
    assert len(payloads) == 4
    assert {p["data"]["id"] for p in payloads} == {event.id}
    assert len({p["requestId"] for p in payloads}) == 4
    assert all(p["data"] == payloads[0]["data"] for p in payloads)


@pytest.mark.clause("DELIVERY-METHOD")
@pytest.mark.parametrize(("fields", "method"), [({}, "POST"), ({"method": "PUT"}, "PUT")])
def test_the_subscriptions_method_is_used(
    world: World, fields: dict[str, str], method: str
) -> None:
    receiver = world.receiver(respond=lambda n, r: Behaviour(500 if n == 1 else 200))
    subscription = world.subscribe(**fields)
    assert subscription.method == method
    world.publish_one()
    world.advance(10)
    assert [r.method for r in receiver.requests] == [method, method]
    assert {r.method for r in world.platform.attempts(world.env)} == {method}


@pytest.mark.clause("DELIVERY-METHOD", "SUB-FIELDS")
def test_only_post_and_put_are_methods(world: World) -> None:
    for method in ("GET", "PATCH", "post", None):
        with pytest.raises(InvalidInput, match="method") as caught:
            world.subscribe(method=method)
        assert caught.value.field == "method"


@pytest.mark.clause("DELIVERY-HEADERS")
def test_custom_headers_are_sent_on_every_request(world: World) -> None:
    receiver = world.receiver(respond=lambda n, r: Behaviour(500 if n < 3 else 200))
    subscription = world.subscribe(headers={"My-Custom-Header": "123", "X-Tenant": "acme"})
    event = world.publish_one()
    world.advance(60)
    world.platform.inject_duplicate(world.env, event.id)
    world.platform.test_subscription(world.env, subscription.id)
    assert len(receiver.requests) == 5
    for request in receiver.requests:
        assert request.headers["My-Custom-Header"] == "123"
        assert request.headers["X-Tenant"] == "acme"
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"] == USER_AGENT


@pytest.mark.clause("DELIVERY-HEADERS", "SUB-FIELDS")
@pytest.mark.parametrize(
    "name",
    [
        "X-Atomic-Signature",
        "x-atomic-signature",
        "Authorization",
        "Content-Type",
        "Content-Length",
        "User-Agent",
        "Host",
        "Transfer-Encoding",
        "Connection",
    ],
)
def test_reserved_headers_are_refused(world: World, name: str) -> None:
    with pytest.raises(InvalidInput, match="cannot be overridden") as caught:
        world.subscribe(headers={name: "x"})
    assert caught.value.field == "headers"
    assert name in caught.value.message


@pytest.mark.clause("DELIVERY-HEADERS")
def test_the_configured_signature_header_is_reserved() -> None:
    world = make_world(Settings(signature_header="X-Hook-Signature"))
    with pytest.raises(InvalidInput, match="cannot be overridden"):
        world.subscribe(headers={"X-Hook-Signature": "forged"})
    world.subscribe(headers={"X-Atomic-Signature": "just a header now"})


@pytest.mark.clause("DELIVERY-HEADERS")
def test_headers_changed_later_apply_to_the_next_retry(world: World) -> None:
    receiver = world.receiver(respond=lambda n, r: Behaviour(500 if n == 1 else 200))
    subscription = world.subscribe(headers={"X-Version": "1"})
    world.publish_one()
    world.platform.update_subscription(world.env, subscription.id, {"headers": {"X-Version": "2"}})
    world.advance(10)
    assert [r.headers["X-Version"] for r in receiver.requests] == ["1", "2"]


@pytest.mark.clause("DELIVERY-SUCCESS-2XX")
@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_any_2xx_delivers(world: World, status: int) -> None:
    world.receiver(status=status)
    subscription = world.subscribe()
    event = world.publish_one()
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert delivery.state is DeliveryState.DELIVERED
    record = world.platform.attempts(world.env)[0]
    assert (record.outcome, record.status_code) == (Outcome.SUCCESS, status)


@pytest.mark.clause("DELIVERY-SUCCESS-2XX")
@pytest.mark.parametrize(
    ("behaviour", "outcome", "status"),
    [
        (Behaviour(301), Outcome.REDIRECT, 301),
        (Behaviour(302), Outcome.REDIRECT, 302),
        (Behaviour(307), Outcome.REDIRECT, 307),
        (Behaviour(400), Outcome.HTTP_ERROR, 400),
        (Behaviour(404), Outcome.HTTP_ERROR, 404),
        (Behaviour(410), Outcome.HTTP_ERROR, 410),
        (Behaviour(500), Outcome.HTTP_ERROR, 500),
        (Behaviour(503), Outcome.HTTP_ERROR, 503),
        (Behaviour(fail="refused"), Outcome.REFUSED, None),
        (Behaviour(fail="reset"), Outcome.RESET, None),
        (Behaviour(200, latency=10.5), Outcome.TIMEOUT, None),
    ],
)
def test_everything_else_is_a_failed_attempt(
    world: World, behaviour: Behaviour, outcome: Outcome, status: int | None
) -> None:
    receiver = world.receiver(respond=lambda n, r: behaviour if n == 1 else Behaviour(200))
    subscription = world.subscribe()
    event = world.publish_one()
    world.advance(10)
    records = world.platform.attempts(world.env)
    assert [(r.outcome, r.status_code) for r in records] == [
        (outcome, status),
        (Outcome.SUCCESS, 200),
    ]
    assert records[0].error is None or isinstance(records[0].error, str)
    assert len(receiver.requests) == 2
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 2)


@pytest.mark.clause("DELIVERY-SUCCESS-2XX")
def test_an_unreachable_url_is_refused(world: World) -> None:
    world.subscribe(DEAD_URL)
    world.publish_one()
    record = world.platform.attempts(world.env)[0]
    assert (record.outcome, record.status_code) == (Outcome.REFUSED, None)
    assert record.error is not None and "refused" in record.error


@pytest.mark.clause("DELIVERY-SUCCESS-2XX")
def test_a_crashing_receiver_is_a_500(world: World) -> None:
    def respond(number: int, request: ReceivedRequest) -> Behaviour:
        raise RuntimeError("boom")

    world.receiver(respond=respond)
    world.subscribe()
    world.publish_one()
    record = world.platform.attempts(world.env)[0]
    assert (record.outcome, record.status_code) == (Outcome.HTTP_ERROR, 500)
    assert record.error == "receiver raised RuntimeError: boom"


@pytest.mark.clause("DELIVERY-TIMEOUT")
@pytest.mark.parametrize(
    ("latency", "outcome"), [(10.0, Outcome.SUCCESS), (10.001, Outcome.TIMEOUT)]
)
def test_the_timeout_is_ten_seconds_by_default(
    world: World, latency: float, outcome: Outcome
) -> None:
    world.receiver(respond=lambda n, r: Behaviour(200, latency=latency))
    world.subscribe(maxRetries=0)
    world.publish_one()
    world.advance(60)
    record = world.platform.attempts(world.env)[0]
    assert record.outcome is outcome
    assert record.duration == min(latency, 10.0)
    assert record.finished_at - record.started_at == min(latency, 10.0)


@pytest.mark.clause("DELIVERY-TIMEOUT", "SETTINGS")
def test_the_timeout_is_configurable() -> None:
    world = make_world(Settings(timeout=2.5))
    world.receiver(respond=lambda n, r: Behaviour(200, latency=3.0 if n == 1 else 2.5))
    subscription = world.subscribe()
    world.publish_one()
    world.advance(60)
    records = world.platform.attempts(world.env)
    assert [(r.outcome, r.started_at - world.start) for r in records] == [
        (Outcome.TIMEOUT, 0),
        (Outcome.SUCCESS, 10),
    ]
    assert records[0].error == "no answer within 2.5 s"
    assert records[0].finished_at - world.start == 2.5
    assert subscription.consecutive_failures == 0


@pytest.mark.clause("DELIVERY-TIMEOUT")
def test_an_attempt_is_in_flight_until_its_answer(world: World) -> None:
    world.receiver(respond=lambda n, r: Behaviour(200, latency=4.0))
    subscription = world.subscribe()
    event = world.publish_one()
    delivery = world.platform.delivery(event.id, subscription.id)
    assert delivery is not None
    assert delivery.state is DeliveryState.PENDING
    assert world.platform.attempts(world.env) == []  # logged when it finishes
    world.advance(3.9)
    assert delivery.state is DeliveryState.PENDING
    world.advance(0.1)
    assert delivery.state is DeliveryState.DELIVERED
    assert len(world.platform.attempts(world.env)) == 1


@pytest.mark.clause("DELIVERY-TIMEOUT", "API-TEST", "DUPLICATE-INJECTION")
def test_tests_and_duplicates_time_out_like_attempts(world: World) -> None:
    world.receiver(respond=lambda n, r: Behaviour(200, latency=0 if n == 1 else 15.0))
    subscription = world.subscribe()
    event = world.publish_one()
    duplicate = world.platform.inject_duplicate(world.env, event.id)[0]
    test = world.platform.test_subscription(world.env, subscription.id)
    for record in (duplicate, test):
        assert (record.outcome, record.status_code) == (Outcome.TIMEOUT, None)
        assert record.duration == 10.0
        assert record.error == "no answer within 10 s"
