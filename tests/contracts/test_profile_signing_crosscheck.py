"""The platform profiles' signing, checked against code nobody here wrote.

- What the reference platform sends under a profile, the sender's official library accepts:
  `standardwebhooks.Webhook.verify`, `svix.webhooks.Webhook.verify`,
  `stripe.Webhook.construct_event`, and GitHub's documented check (its known answer: secret
  "It's a Secret to Everybody", payload "Hello, World!").
- What hooksim tampers (a byte of the body, the id, the timestamp, the secret), they refuse.
- What their signing helpers produce (`Webhook.sign`, `WebhookSignature
  .generate_signature_header`), hooksim's verification accepts.

The libraries read the wall clock: the platform here runs on a virtual clock started now.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import standardwebhooks
import stripe
import svix.webhooks
from hooksim.contracts import (
    SignatureError,
    github_sign,
    github_verify,
    standard_webhooks_headers,
    standard_webhooks_verify,
    stripe_sign,
    stripe_verify,
)
from hooksim.scenarios import load_profile
from hooksim.simulator import (
    InProcessTransport,
    Platform,
    RecordingReceiver,
    VirtualClock,
)

pytestmark = pytest.mark.clause("SIGN-HMAC", "SIGN-RAW-BYTES")

URL = "https://receiver.hooksim.test/hook"
#: Bodies that catch re-encoding: non-ASCII text, escapes, nested values.
OVERRIDES = [
    {},
    {"properties": {"values": {"comment": 'Très bien — 👍 "quoted" \\ back', "rating": 4}}},
    {"cardContext.cardTemplateName": "Café / été\u2028line"},
]


def delivered(profile: str, overrides: dict[str, Any]) -> tuple[dict[str, str], bytes, str]:
    """The first request the platform sends under `profile`: headers, body, secret."""
    transport = InProcessTransport()
    receiver = RecordingReceiver()
    transport.mount(URL, receiver)
    platform = Platform(
        profile=load_profile(profile), clock=VirtualClock(time.time()), transport=transport
    )
    env = platform.create_environment().id
    subscription = platform.subscribe(env, {"url": URL, "types": ["card-completed"]})
    platform.publish(env, "card-completed", overrides=overrides)
    (request,) = receiver.requests
    return dict(request.headers), request.body, subscription.secret


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _tampered_body(body: bytes) -> bytes:
    return body.replace(b'"card-completed"', b'"card-dismissed"', 1)


# the official libraries accept what hooksim signs ------------------------------------------------
@pytest.mark.parametrize("overrides", OVERRIDES, ids=["plain", "unicode-values", "escapes"])
def test_standardwebhooks_accepts_the_platforms_requests(overrides: dict[str, Any]) -> None:
    headers, body, secret = delivered("standard-webhooks", overrides)
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 24
    payload = standardwebhooks.Webhook(secret).verify(body, headers)
    assert payload["data"]["analyticsEvent"] == "card-completed"
    assert _lower(headers)["webhook-id"] == "msg_" + payload["data"]["id"]


@pytest.mark.parametrize("overrides", OVERRIDES, ids=["plain", "unicode-values", "escapes"])
def test_svix_accepts_the_platforms_requests(overrides: dict[str, Any]) -> None:
    headers, body, secret = delivered("svix", overrides)
    assert {"svix-id", "svix-timestamp", "svix-signature"} <= set(_lower(headers))
    svix.webhooks.Webhook(secret).verify(body, headers)


@pytest.mark.parametrize("overrides", OVERRIDES, ids=["plain", "unicode-values", "escapes"])
def test_stripe_constructs_the_platforms_events(overrides: dict[str, Any]) -> None:
    headers, body, secret = delivered("stripe", overrides)
    event = stripe.Webhook.construct_event(body, _lower(headers)["stripe-signature"], secret)
    data = json.loads(body)["data"]["object"]
    assert event.id == "evt_" + data["id"] and event.type == "card-completed"
    assert event["data"]["object"]["id"] == data["id"]


@pytest.mark.parametrize("overrides", OVERRIDES, ids=["plain", "unicode-values", "escapes"])
def test_githubs_documented_check_accepts_the_platforms_requests(overrides: dict[str, Any]) -> None:
    headers, body, secret = delivered("github", overrides)
    lowered = _lower(headers)
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, lowered["x-hub-signature-256"])
    assert lowered["x-github-event"] == "card-completed"
    assert lowered["user-agent"].startswith("GitHub-Hookshot/")


def test_githubs_documented_known_answer() -> None:
    # docs.github.com, "Validating webhook deliveries", "Testing the webhook payload validation".
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert github_sign("It's a Secret to Everybody", "Hello, World!") == expected
    github_verify("It's a Secret to Everybody", expected, b"Hello, World!")


# ...and refuse what hooksim tampers -----------------------------------------------------------
Tamper = Callable[[dict[str, str], bytes, str], tuple[dict[str, str], bytes, str]]

TAMPERS: dict[str, Tamper] = {
    "a byte of the body": lambda h, b, s: (h, _tampered_body(b), s),
    "the id": lambda h, b, s: ({**h, **_renamed(h, "-id", "msg_other")}, b, s),
    "the timestamp": lambda h, b, s: ({**h, **_shifted(h)}, b, s),
    "the secret": lambda h, b, s: (h, b, "whsec_" + base64.b64encode(os.urandom(24)).decode()),
}


def _renamed(headers: dict[str, str], suffix: str, value: str) -> dict[str, str]:
    return {name: value for name in headers if name.lower().endswith(suffix)}


def _shifted(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: str(int(value) - 1)
        for name, value in headers.items()
        if name.lower().endswith("-timestamp")
    }


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_standardwebhooks_and_svix_refuse_what_hooksim_tampers(tamper: str) -> None:
    for profile, verify in (
        ("standard-webhooks", lambda s, h, b: standardwebhooks.Webhook(s).verify(b, h)),
        ("svix", lambda s, h, b: svix.webhooks.Webhook(s).verify(b, h)),
    ):
        headers, body, secret = TAMPERS[tamper](*delivered(profile, {}))
        with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
            verify(secret, headers, body)


@pytest.mark.parametrize("tamper", ["a byte of the body", "the timestamp", "the secret"])
def test_stripe_refuses_what_hooksim_tampers(tamper: str) -> None:
    headers, body, secret = delivered("stripe", {})
    header = _lower(headers)["stripe-signature"]
    if tamper == "a byte of the body":
        body = _tampered_body(body)
    elif tamper == "the timestamp":
        stamp = header.split(",")[0]
        header = header.replace(stamp, f"t={int(stamp[2:]) - 1}")
    else:
        secret = "whsec_" + os.urandom(16).hex()
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, secret)


def test_githubs_documented_check_refuses_a_tampered_body() -> None:
    headers, body, secret = delivered("github", {})
    digest = hmac.new(secret.encode(), _tampered_body(body), hashlib.sha256).hexdigest()
    assert not hmac.compare_digest("sha256=" + digest, _lower(headers)["x-hub-signature-256"])


# hooksim's verification accepts what the libraries' signing helpers produce ---------------------
def test_hooksim_verifies_what_standardwebhooks_and_svix_sign() -> None:
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    body = '{"type":"card-completed","data":{"id":"é","n":1.0}}'.encode()
    moment = datetime.fromtimestamp(1_700_000_000, tz=UTC)
    for helper in (standardwebhooks.Webhook(secret), svix.webhooks.Webhook(secret)):
        signature = helper.sign("msg_1", moment, body)
        headers = {"webhook-id": "msg_1", "webhook-timestamp": "1700000000"}
        assert (
            standard_webhooks_verify(
                secret, {**headers, "webhook-signature": signature}, body, now=1_700_000_100
            )
            == "msg_1"
        )
        svix_headers = {"svix-id": "msg_1", "svix-timestamp": "1700000000"}
        standard_webhooks_verify(
            secret,
            {**svix_headers, "svix-signature": signature},
            body,
            now=1_700_000_000,
            prefixes=("svix", "webhook"),
        )
        # and what hooksim signs is exactly what the library signs
        ours = standard_webhooks_headers([secret], "msg_1", 1_700_000_000.9, body)
        assert ours["webhook-signature"] == signature


def test_hooksim_verifies_what_stripes_helper_signs() -> None:
    secret = "whsec_" + os.urandom(16).hex()
    payload = '{"id":"evt_1","object":"event","note":"Très"}'
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, 1_700_000_000)
    assert stripe_verify(secret, header, payload.encode(), now=1_700_000_010) == 1_700_000_000
    assert stripe_sign([secret], 1_700_000_000, payload) == header
    with pytest.raises(SignatureError, match="older than"):
        stripe_verify(secret, header, payload, now=1_700_000_301)
