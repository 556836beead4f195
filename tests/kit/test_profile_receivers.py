"""`check_receiver(..., profile=NAME)` against receivers built on each sender's official
verification library (code nobody here wrote): each passes every check of its profile; the
same receiver with its verification removed, its timestamp tolerance removed or its
de-duplication removed fails exactly the checks that cover what was removed.

Libraries: `standardwebhooks` (Standard Webhooks), `svix` (Svix), `stripe`
(`stripe.Webhook.construct_event`) and, for GitHub, the algorithm of GitHub's documentation
("Validating webhook deliveries": `sha256=` + hex HMAC, compared with `hmac.compare_digest`).
They read the wall clock, as the kit's deliveries do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import standardwebhooks
import stripe
import svix.webhooks
from hooksim.simulator import InvalidInput
from werkzeug.wrappers import Request, Response

from hooksim import KitResult, check_receiver

pytestmark = pytest.mark.clause("SIGN-HMAC", "AT-LEAST-ONCE")

SIGNATURE_CHECKS = {
    "rejects-invalid-signature",
    "rejects-missing-signature",
    "rejects-tampered-body",
    "rejects-malformed-signature",
    "no-effects-when-rejected",
}
TIMESTAMP_CHECKS = {"rejects-stale-timestamp", "rejects-future-timestamp"}
DEDUPE_CHECKS = {"idempotent-effects", "handles-replay-once"}


def whsec() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


Verify = Callable[[bytes, dict[str, str]], tuple[str, str]]


class LibraryReceiver:
    """A WSGI receiver: `verify(body, headers)` returns (message id, data.id) or raises; it
    acts once per message id (unless `dedupe` is off) and counts its effects per data.id."""

    def __init__(self, verify: Verify, *, dedupe: bool = True) -> None:
        self.verify = verify
        self.dedupe = dedupe
        self.effects: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        body = request.get_data()
        try:
            message_id, data_id = self.verify(body, dict(request.headers))
        except Exception:
            return Response("bad signature", 400)(environ, start_response)
        with self.lock:
            if not self.dedupe or message_id not in self.seen:
                self.seen.add(message_id)
                self.effects[data_id] += 1
        return Response("", 204)(environ, start_response)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.effects)


def _data_id(body: bytes, path: tuple[str, ...] = ("data",)) -> str:
    value: Any = json.loads(body)
    for key in path:
        value = value[key]
    return str(value["id"])


# Standard Webhooks -------------------------------------------------------------------------------
def _no_time_check(self: Any, timestamp_header: str) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(float(timestamp_header), tz=UTC)


class _NoToleranceWebhook(standardwebhooks.Webhook):
    """The library with its timestamp check taken out (a receiver that patched it away)."""

    _Webhook__verify_timestamp = _no_time_check


def standard_webhooks(secret: str, variant: str) -> Verify:
    hook = (_NoToleranceWebhook if variant == "no-tolerance" else standardwebhooks.Webhook)(secret)

    def verify(body: bytes, headers: dict[str, str]) -> tuple[str, str]:
        if variant != "no-verification":
            hook.verify(body, headers)
        lowered = {k.lower(): v for k, v in headers.items()}
        return lowered.get("webhook-id", ""), _data_id(body)

    return verify


def svix_receiver(secret: str, variant: str) -> Verify:
    hook = svix.webhooks.Webhook(secret)
    if variant == "no-tolerance":
        hook._inner = _NoToleranceWebhook(secret)

    def verify(body: bytes, headers: dict[str, str]) -> tuple[str, str]:
        if variant != "no-verification":
            hook.verify(body, headers)
        lowered = {k.lower(): v for k, v in headers.items()}
        return lowered.get("svix-id", ""), _data_id(body)

    return verify


def stripe_receiver(secret: str, variant: str) -> Verify:
    tolerance = None if variant == "no-tolerance" else stripe.Webhook.DEFAULT_TOLERANCE

    def verify(body: bytes, headers: dict[str, str]) -> tuple[str, str]:
        lowered = {k.lower(): v for k, v in headers.items()}
        if variant == "no-verification":
            event = json.loads(body)
        else:
            event = stripe.Webhook.construct_event(
                body, lowered.get("stripe-signature"), secret, tolerance=tolerance
            )
        return str(event["id"]), _data_id(body, ("data", "object"))

    return verify


def github_receiver(secret: str, variant: str) -> Verify:
    def verify(body: bytes, headers: dict[str, str]) -> tuple[str, str]:
        lowered = {k.lower(): v for k, v in headers.items()}
        if variant != "no-verification":
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, lowered.get("x-hub-signature-256", "")):
                raise ValueError("signature mismatch")
        return lowered.get("x-github-delivery", ""), _data_id(body)

    return verify


RECEIVERS: dict[str, tuple[Callable[[str, str], Verify], Callable[[], str]]] = {
    "standard-webhooks": (standard_webhooks, whsec),
    "svix": (svix_receiver, whsec),
    "stripe": (stripe_receiver, lambda: "whsec_" + os.urandom(16).hex()),
    "github": (github_receiver, lambda: os.urandom(20).hex()),
}


def grade(profile: str, variant: str = "as-shipped", *, dedupe: bool = True) -> KitResult:
    make, new_secret = RECEIVERS[profile]
    secret = new_secret()
    receiver = LibraryReceiver(make(secret, variant), dedupe=dedupe)
    return check_receiver(receiver, secret=secret, profile=profile, count_effects=receiver.counts)


def failing(result: KitResult) -> set[str]:
    return {check.id for check in result.failed}


@pytest.mark.parametrize("profile", list(RECEIVERS))
def test_a_receiver_on_the_official_library_passes_its_profile(profile: str) -> None:
    result = grade(profile)
    result.assert_passed()
    assert result.profile == profile
    assert not result.skipped
    ids = set(result.ids())
    assert "handles-replay-once" in ids
    if profile == "github":
        assert not ids & (TIMESTAMP_CHECKS | {"accepts-rotated-secrets"})
    else:
        assert {"rejects-stale-timestamp", "accepts-rotated-secrets"} <= ids
        assert {"accepts-one-valid-among-many", "rejects-unsigned-id-or-timestamp"} <= ids
    # Stripe's library checks the past only: the profile says so, and asks no more.
    assert ("rejects-future-timestamp" in ids) is (profile in ("standard-webhooks", "svix"))


@pytest.mark.parametrize("profile", list(RECEIVERS))
def test_without_verification_the_signature_checks_fail(profile: str) -> None:
    failed = failing(grade(profile, "no-verification"))
    assert failed >= SIGNATURE_CHECKS
    if profile != "github":
        assert failed >= {"rejects-stale-timestamp", "rejects-unsigned-id-or-timestamp"}


@pytest.mark.parametrize("profile", ["standard-webhooks", "svix", "stripe"])
def test_without_the_tolerance_check_the_timestamp_checks_fail(profile: str) -> None:
    failed = failing(grade(profile, "no-tolerance"))
    expected = TIMESTAMP_CHECKS if profile != "stripe" else {"rejects-stale-timestamp"}
    # ...and the stale (or future) deliveries it accepted were acted on.
    assert failed == expected | {"no-effects-when-rejected"}


@pytest.mark.parametrize("profile", list(RECEIVERS))
def test_without_deduplication_replays_and_copies_act_twice(profile: str) -> None:
    assert failing(grade(profile, dedupe=False)) == DEDUPE_CHECKS


def test_a_secret_that_cannot_be_the_senders_is_refused_without_showing_it() -> None:
    with pytest.raises(InvalidInput, match="whsec_ followed by base64") as caught:
        check_receiver(lambda e, s: [], secret="not base64 at all!", profile="svix")
    assert "not base64 at all" not in caught.value.message


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(InvalidInput, match="did you mean 'stripe'"):
        check_receiver(lambda e, s: [], secret="s", profile="strip")
