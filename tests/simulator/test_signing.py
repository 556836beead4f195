"""Every request is signed: HMAC-SHA256 over the exact bytes sent, keyed by the secret."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from _world import RECEIVER_URL, World, make_world
from hooksim.contracts import sign, verify
from hooksim.simulator import Behaviour, Settings

pytestmark = pytest.mark.clause("SIGN-HMAC")

HEADER = "X-Atomic-Signature"


def test_every_attempt_carries_a_valid_lowercase_hex_signature(world: World) -> None:
    receiver = world.receiver(respond=lambda n, r: Behaviour(500 if n < 3 else 200))
    subscription = world.subscribe()
    world.publish_one()
    world.advance(60)
    assert len(receiver.requests) == 3
    for request in receiver.requests:
        signature = request.headers[HEADER]
        expected = hmac.new(subscription.secret.encode(), request.body, hashlib.sha256).hexdigest()
        assert signature == expected
        assert len(signature) == 64
        assert signature == signature.lower()
        assert request.signature_valid is True
    # Each attempt has its own requestId, so its own body and signature.
    assert len({r.headers[HEADER] for r in receiver.requests}) == 3


@pytest.mark.clause("SIGN-RAW-BYTES")
def test_the_signature_covers_the_exact_bytes_not_the_json(world: World) -> None:
    receiver = world.receiver()
    subscription = world.subscribe()
    world.publish_one(endUserId="Zoë ✓", properties={"values": {"note": "a\u2028b"}})
    request = receiver.requests[0]
    assert "Zoë ✓".encode() in request.body  # UTF-8, not \u escapes
    assert verify(subscription.secret, request.body, request.headers[HEADER])
    # The same JSON serialised another way does not verify.
    reserialised = json.dumps(json.loads(request.body)).encode()
    assert reserialised != request.body
    assert json.loads(reserialised) == json.loads(request.body)
    assert not verify(subscription.secret, reserialised, request.headers[HEADER])
    # The log holds the same bytes the receiver got.
    record = world.platform.attempts(world.env)[0]
    assert record.body == request.body
    assert record.headers[HEADER] == sign(subscription.secret, request.body)


def test_each_subscription_signs_with_its_own_secret(world: World) -> None:
    one = world.receiver("http://one.test/")
    two = world.receiver("http://two.test/")
    sub_one = world.subscribe("http://one.test/")
    sub_two = world.subscribe("http://two.test/")
    assert sub_one.secret != sub_two.secret
    world.publish_one()
    assert one.requests[0].signature_valid and two.requests[0].signature_valid
    assert not verify(sub_two.secret, one.requests[0].body, one.requests[0].headers[HEADER])


@pytest.mark.clause("SETTINGS")
def test_the_header_name_is_configurable() -> None:
    world = make_world(Settings(signature_header="X-Hook-Signature"))
    receiver = world.receiver()
    receiver.signature_header = "X-Hook-Signature"
    subscription = world.subscribe()
    world.publish_one()
    request = receiver.requests[0]
    assert HEADER not in request.headers
    assert request.headers["X-Hook-Signature"] == sign(subscription.secret, request.body)
    assert request.signature_valid is True


@pytest.mark.clause("API-TEST")
def test_test_deliveries_are_signed_too(world: World) -> None:
    receiver = world.receiver()
    subscription = world.subscribe(types=["card-dismissed", "card-completed"])
    record = world.platform.test_subscription(world.env, subscription.id)
    assert record.succeeded
    assert record.attempt == 0
    request = receiver.requests[0]
    assert request.signature_valid is True
    payload = request.json()
    assert payload["data"]["analyticsEvent"] == "card-dismissed"
    assert payload["data"]["id"].startswith("test-")
    assert payload["webhookId"] == subscription.id
    # Test deliveries are not part of the delivery log of real attempts.
    assert world.platform.attempts(world.env) == []
    assert world.platform.attempts(world.env, kinds=("test",)) == [record]


def test_a_receiver_rejecting_bad_signatures_accepts_the_platforms(world: World) -> None:
    receiver = world.receiver()
    receiver.reject_bad_signatures = True
    world.subscribe()
    event = world.publish_one()
    assert receiver.requests[0].status == 200
    assert receiver.processed_ids == [event.id]
    assert RECEIVER_URL in world.receivers
