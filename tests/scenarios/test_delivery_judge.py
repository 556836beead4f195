"""The delivery judge, rule by rule: a request that follows the contract passes, and each
request below breaks one rule and is caught with the clause it breaks.

The requests are written here by hand (json + hmac), not by the platform, so that these
tests pin the contract rather than whatever the platform happens to send.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hooksim.scenarios import (
    DeliveryJudge,
    SeenRequest,
    SubscriptionFacts,
    Violation,
    facts_from_answer,
    receiver_for_url,
)

SECRET = "5b7f3a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
ENV = "env12345"
SUB = "Sub00001"
EVENT = "9a1c2b3d-0000-4000-8000-000000000001"
HEADER = "X-Atomic-Signature"


def event_data(event_id: str = EVENT, event_type: str = "card-completed", **more: Any) -> dict:
    return {
        "id": event_id,
        "analyticsEvent": event_type,
        "endUserId": "user-1",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "cardContext": {"cardTemplateId": "12"},
        "platformContext": {"flowConfigId": "flow-1"},
        **more,
    }


def envelope(
    data: Any = None, *, request_id: str = "req-1", batched: bool = False, **fields: Any
) -> dict:
    body = {
        "requestId": request_id,
        "environmentId": ENV,
        "webhookId": SUB,
        "isBatched": batched,
        "data": event_data() if data is None else data,
    }
    body.update(fields)
    return body


def encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(body: bytes, secret: str = SECRET, digest: Any = hashlib.sha256) -> str:
    return hmac.new(secret.encode(), body, digest).hexdigest()


def request(
    payload: Any = None,
    *,
    body: bytes | None = None,
    sign: str | None = "auto",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    receiver: str = "shop",
    number: int = 1,
    t: float = 0.0,
    content_type: str | None = "application/json",
) -> SeenRequest:
    if body is None:
        body = encode(envelope() if payload is None else payload)
    sent: list[tuple[str, str]] = []
    if content_type is not None:
        sent.append(("Content-Type", content_type))
    sent += list((headers or {}).items())
    if sign == "auto":
        sent.append((HEADER, signature(body)))
    elif sign is not None:
        sent.append((HEADER, sign))
    return SeenRequest(receiver, number, t, method, tuple(sent), body)


def facts(**changes: Any) -> SubscriptionFacts:
    values: dict[str, Any] = {
        "id": SUB,
        "secret": SECRET,
        "receiver": "shop",
        "t": 0.0,
        "types": ("card-completed",),
    }
    values.update(changes)
    return SubscriptionFacts(**values)


def judge(*requests: SeenRequest, subscription: SubscriptionFacts | None = None) -> list[Violation]:
    judge = DeliveryJudge(signature_header=HEADER, environment_id=ENV)
    judge.learn(subscription or facts())
    judge.published([EVENT, "9a1c2b3d-0000-4000-8000-000000000002"], t=0.0)
    return judge.judge(requests).violations


def only(violations: list[Violation]) -> Violation:
    assert len(violations) == 1, [v.describe() for v in violations]
    return violations[0]


def test_a_request_that_follows_the_contract_passes() -> None:
    verdict = DeliveryJudge(signature_header=HEADER, environment_id=ENV)
    verdict.learn(facts())
    verdict.published([EVENT], t=0.0)
    result = verdict.judge([request(), request(envelope(request_id="req-2"), number=2, t=10)])
    assert result.passed and result.judged == 2 and result.violations == []


# signing -------------------------------------------------------------------------------
@pytest.mark.clause("SIGN-HMAC")
def test_a_missing_signature_is_caught_and_a_renamed_header_found() -> None:
    body = encode(envelope())
    missing = only(judge(request(body=body, sign=None)))
    assert (missing.clause, missing.check, missing.got) == (
        "SIGN-HMAC",
        f"header {HEADER}",
        "no such header",
    )
    renamed = only(judge(request(body=body, sign=None, headers={"X-Signature": signature(body)})))
    assert "'x-signature'" in renamed.got


@pytest.mark.clause("SIGN-HMAC")
@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda b: signature(b).upper(), "upper-case hex"),
        (lambda b: "sha256=" + signature(b), "'sha256=' prefix"),
        (lambda b: " " + signature(b) + "\n", "surrounding whitespace"),
        (lambda b: signature(b, digest=hashlib.sha1), "HMAC-SHA1 of the raw body"),
        (lambda b: signature(b, digest=hashlib.sha512), "HMAC-SHA512 of the raw body"),
        (
            lambda b: signature(b, digest=hashlib.sha512).upper(),
            "HMAC-SHA512 of the raw body, upper",
        ),
        (lambda b: signature(b, secret="another-secret"), "not the HMAC of these bytes"),
        (lambda b: hashlib.sha256(b).hexdigest(), "plain SHA-256 without the secret"),
        (lambda b: "not a signature", "not hexadecimal"),
        (lambda b: signature(b)[:40], "40 hex digits"),
    ],
)
def test_a_signature_of_the_wrong_form_or_hash_is_caught_and_named(make: Any, words: str) -> None:
    body = encode(envelope())
    violation = only(judge(request(body=body, sign=make(body))))
    assert violation.clause == "SIGN-HMAC"
    assert words in violation.got
    assert "lowercase hex HMAC-SHA256" in violation.expected


@pytest.mark.clause("SIGN-RAW-BYTES")
def test_a_signature_over_a_re_serialised_body_breaks_the_raw_bytes_rule() -> None:
    body = encode(envelope())
    resigned = signature(json.dumps(json.loads(body)).encode())  # json.dumps' default spacing
    violation = only(judge(request(body=body, sign=resigned)))
    assert violation.clause == "SIGN-RAW-BYTES"
    assert "re-serialised (json.dumps defaults)" in violation.got


@pytest.mark.clause("SIGN-HMAC")
def test_the_signature_header_sent_twice_is_caught() -> None:
    body = encode(envelope())
    twice = request(body=body, headers={HEADER.lower(): signature(body)})
    violation = only(judge(twice))
    assert (violation.check, violation.got) == (f"header {HEADER}", "2 times")


@pytest.mark.clause("SIGN-HMAC")
def test_the_header_name_is_the_configured_one() -> None:
    body = encode(envelope())
    judge_ = DeliveryJudge(signature_header="X-Hook-Signature")
    judge_.learn(facts())
    judge_.published([EVENT], t=0)
    found = judge_.judge([request(body=body)]).violations  # signed in X-Atomic-Signature
    assert [v.check for v in found] == ["header X-Hook-Signature"]


# method and headers ----------------------------------------------------------------------
@pytest.mark.clause("DELIVERY-METHOD")
def test_the_method_is_the_subscriptions() -> None:
    violation = only(judge(request(method="POST"), subscription=facts(method="PUT")))
    assert (violation.clause, violation.expected, violation.got) == (
        "DELIVERY-METHOD",
        "PUT",
        "POST",
    )


@pytest.mark.clause("DELIVERY-HEADERS")
def test_custom_headers_must_arrive_with_their_values() -> None:
    wanted = facts(headers=(("X-Team", "checkout"), ("X-Tenant", "acme")))
    found = judge(request(headers={"x-team": "checkout", "X-Tenant": "other"}), subscription=wanted)
    assert [(v.clause, v.check, v.got) for v in found] == [
        ("DELIVERY-HEADERS", "header X-Tenant", "'other'")
    ]
    missing = only(judge(request(), subscription=facts(headers=(("X-Team", "checkout"),))))
    assert (missing.check, missing.got) == ("header X-Team", "nothing")


@pytest.mark.clause("DELIVERY-HEADERS")
@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_the_content_type_is_json(content_type: str | None) -> None:
    violation = only(judge(request(content_type=content_type)))
    assert violation.check == "header Content-Type"


def test_a_json_content_type_with_a_charset_is_fine() -> None:
    assert judge(request(content_type="application/json; charset=utf-8")) == []


# the envelope ------------------------------------------------------------------------------
@pytest.mark.clause("DELIVERY-ENVELOPE")
def test_the_envelope_fields_come_in_the_contracts_order() -> None:
    payload = envelope()
    reordered = {"webhookId": payload.pop("webhookId"), **payload}
    violation = only(judge(request(reordered)))
    assert violation.check == "fields" and violation.got.startswith("webhookId, requestId")
    extra = only(judge(request(envelope(signatureVersion=2))))
    assert extra.got.endswith("data, signatureVersion")


@pytest.mark.clause("DELIVERY-ENVELOPE")
def test_the_body_is_compact_json() -> None:
    body = json.dumps(envelope()).encode()  # ", " and ": "
    violation = only(judge(request(body=body)))
    assert (violation.check, violation.expected) == ("body", "compact JSON")
    spaced_strings = envelope(event_data(endUserId="a user, with: spaces"))
    assert judge(request(spaced_strings)) == []  # spaces inside strings are content


@pytest.mark.clause("DELIVERY-ENVELOPE")
@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (envelope(isBatched="false"), "'false' is not of type 'boolean' (at body.isBatched)"),
        (envelope(event_data(timestamp="yesterday")), "at body.data.timestamp"),
        (envelope({"id": EVENT}), "'analyticsEvent' is a required property (at body.data)"),
        (envelope(requestId=""), "at body.requestId"),
    ],
)
def test_the_envelope_follows_the_payload_schema(payload: dict, words: str) -> None:
    found = judge(request(payload))
    schema = [v for v in found if v.check == "payload schema"]
    assert len(schema) == 1 and schema[0].clause == "DELIVERY-ENVELOPE"
    assert words in schema[0].got


@pytest.mark.clause("DELIVERY-ENVELOPE")
def test_a_body_that_is_not_json_is_caught() -> None:
    violation = only(judge(request(body=b"requestId=1&data=x")))
    assert violation.check == "body" and "not JSON" in violation.got
    assert "not UTF-8" in only(judge(request(body=b"\xff\xfe"))).got


@pytest.mark.clause("DELIVERY-ENVELOPE")
def test_environment_and_webhook_ids_are_the_subscriptions() -> None:
    violation = only(judge(request(envelope(environmentId="elsewhere"))))
    assert (violation.check, violation.got) == ("environmentId", "'elsewhere'")
    unknown = only(judge(request(envelope(webhookId="Nobody01"))))
    assert unknown.check == "webhookId" and "Nobody01" in unknown.got


@pytest.mark.clause("DELIVERY-ENVELOPE")
def test_a_webhook_id_of_a_subscription_that_points_elsewhere_is_caught() -> None:
    other_secret = "0b1c2d3e-0000-4000-8000-00000000000f"
    judge_ = DeliveryJudge(signature_header=HEADER, environment_id=ENV)
    judge_.learn(facts())
    judge_.learn(facts(id="Other001", secret=other_secret, receiver="warehouse"))
    judge_.published([EVENT], t=0)
    body = encode(envelope(webhookId="Other001"))
    seen = request(body=body, sign=signature(body, other_secret))  # at "shop"
    violation = only(judge_.judge([seen]).violations)
    assert violation.check == "webhookId" and "leads elsewhere" in violation.got


@pytest.mark.clause("DELIVERY-ENVELOPE")
def test_every_request_has_a_fresh_request_id() -> None:
    found = judge(request(), request(number=2, t=10))
    violation = only(found)
    assert (violation.check, violation.request) == ("requestId", 2)
    assert "already sent as request 1 at shop" in violation.got


@pytest.mark.clause("DELIVERY-ENVELOPE")
def test_data_id_is_a_published_event_or_a_test() -> None:
    violation = only(judge(request(envelope(event_data("made-up")))))
    assert (violation.check, violation.got) == ("data.id", "'made-up'")
    assert judge(request(envelope(event_data("test-123")))) == []


@pytest.mark.clause("AT-LEAST-ONCE")
def test_copies_of_an_event_carry_the_same_data_bytes() -> None:
    first = request(envelope(event_data(endUserId="user-1")))
    changed = request(envelope(event_data(endUserId="user-2"), request_id="req-2"), number=2, t=10)
    violation = only(judge(first, changed))
    assert violation.clause == "AT-LEAST-ONCE" and violation.check == f"data of {EVENT}"
    assert "request 1 at shop" in violation.expected and "from byte" in violation.got
    same = request(envelope(request_id="req-3"), number=2, t=10)
    assert judge(first, same) == []


# batching and mapping -------------------------------------------------------------------
@pytest.mark.clause("BATCHING")
def test_a_batched_subscription_sends_lists_marked_batched() -> None:
    batched = facts(batched=True)
    two = [event_data(), event_data("9a1c2b3d-0000-4000-8000-000000000002")]
    assert judge(request(envelope(two, batched=True)), subscription=batched) == []
    violation = only(judge(request(envelope()), subscription=batched))
    assert (violation.clause, violation.check) == ("BATCHING", "isBatched")
    schema = judge(request(envelope(batched=True)), subscription=batched)
    assert [v.check for v in schema] == ["payload schema"] and "not of type 'array'" in schema[
        0
    ].got
    unexpected = only(judge(request(envelope(two, batched=True))))
    assert (unexpected.clause, unexpected.check) == ("BATCHING", "isBatched")


@pytest.mark.clause("AT-LEAST-ONCE", "BATCHING")
def test_batched_elements_are_compared_with_other_copies() -> None:
    batched = facts(batched=True)
    first = request(envelope([event_data()], batched=True))
    changed = request(
        envelope([event_data(endUserId="someone")], batched=True, request_id="r2"), number=2, t=5
    )
    violation = only(judge(first, changed, subscription=batched))
    assert violation.clause == "AT-LEAST-ONCE"


@pytest.mark.clause("MAPPING", "SIGN-HMAC")
def test_a_mapped_body_is_signed_but_not_enveloped() -> None:
    mapped = facts(mapped=True)
    body = encode({"ids": [EVENT], "kind": "mapped"})
    assert judge(request(body=body), subscription=mapped) == []
    wrong = only(judge(request(body=body, sign=signature(body).upper()), subscription=mapped))
    assert wrong.clause == "SIGN-HMAC"
    not_json = only(judge(request(body=b"<xml/>"), subscription=mapped))
    assert (not_json.clause, not_json.check) == ("MAPPING", "body")


# what the subscription asked for -----------------------------------------------------------
@pytest.mark.clause("API-TEST")
def test_a_test_delivery_is_of_the_subscriptions_first_type() -> None:
    test = envelope(event_data("test-1", "card-dismissed"))
    violation = only(judge(request(test)))
    assert violation.clause == "API-TEST" and violation.got == "'card-dismissed'"


@pytest.mark.clause("FILTER-TYPES", "FILTER-CARD-TEMPLATE", "FILTER-ACTION-FLOW")
@pytest.mark.parametrize(
    ("subscription", "clause"),
    [
        (facts(types=("card-dismissed",)), "FILTER-TYPES"),
        (facts(card_template_id="13"), "FILTER-CARD-TEMPLATE"),
        (facts(action_flow_config_id="flow-2"), "FILTER-ACTION-FLOW"),
    ],
)
def test_an_event_the_subscription_did_not_ask_for_is_caught(
    subscription: SubscriptionFacts, clause: str
) -> None:
    violation = only(judge(request(), subscription=subscription))
    assert violation.clause == clause and violation.check == f"event {EVENT}"


def test_matching_filters_pass() -> None:
    asked = facts(card_template_id="12", action_flow_config_id="flow-1")
    assert judge(request(), subscription=asked) == []


@pytest.mark.clause("NOTHING-LOST")
def test_an_event_published_before_the_subscription_existed_is_caught() -> None:
    violation = only(judge(request(t=20), subscription=facts(t=10)))
    assert violation.clause == "NOTHING-LOST"


@pytest.mark.clause("DISABLE-STOPS-DELIVERY", "DISABLED-NOT-ATTEMPTED")
def test_nothing_reaches_a_subscription_the_api_showed_disabled() -> None:
    judge_ = DeliveryJudge(signature_header=HEADER, environment_id=ENV)
    judge_.learn(facts())
    judge_.learn(facts(t=100, active=False))
    judge_.learn(facts(t=200))
    judge_.published([EVENT], t=0)
    judge_.published(["9a1c2b3d-0000-4000-8000-000000000002"], t=150)
    late = request(t=120)  # between the disable and the enable
    missed = request(
        envelope(event_data("9a1c2b3d-0000-4000-8000-000000000002"), request_id="r2"),
        number=2,
        t=250,
    )
    found = judge_.judge([late, missed]).violations
    assert [(v.clause, v.request) for v in found] == [
        ("DISABLE-STOPS-DELIVERY", 1),
        ("DISABLED-NOT-ATTEMPTED", 2),
    ]
    test = request(envelope(event_data("test-9"), request_id="r3"), number=3, t=120)
    assert judge_.judge([test]).violations == []  # a test may be sent to a disabled one


@pytest.mark.clause("DELIVERY-METHOD")
def test_a_request_is_judged_by_the_subscription_as_it_was_then() -> None:
    judge_ = DeliveryJudge(signature_header=HEADER, environment_id=ENV)
    judge_.learn(facts())
    judge_.learn(facts(t=60, method="PUT"))
    judge_.published([EVENT], t=0)
    before = request(t=30)
    same_instant = request(envelope(request_id="r2"), number=2, t=60)  # either view holds
    after = request(envelope(request_id="r3"), number=3, t=90)
    found = judge_.judge([before, same_instant, after]).violations
    assert [(v.clause, v.request) for v in found] == [("DELIVERY-METHOD", 3)]


# attribution and plumbing ------------------------------------------------------------------
def test_a_request_without_a_webhook_id_is_attributed_by_its_signature() -> None:
    judge_ = DeliveryJudge(signature_header=HEADER)
    judge_.learn(facts(mapped=True))
    judge_.learn(facts(id="Sub00002", secret="other", mapped=True, method="PUT"))
    body = b'{"hello":"world"}'
    found = judge_.judge([request(body=body, sign=signature(body, "other"), method="PUT")])
    assert found.violations == []
    unsigned = judge_.judge([request(body=body, sign="0" * 64)]).violations
    assert only(unsigned).check == "webhookId" and "Sub00001, Sub00002" in unsigned[0].expected


def test_a_request_that_is_no_delivery_is_not_judged() -> None:
    judge_ = DeliveryJudge(signature_header=HEADER)
    judge_.learn(facts())
    token = request(body=b"grant_type=client_credentials", sign=None, receiver="idp")
    assert judge_.judge([token]).violations == []


def test_violations_say_which_request_when_and_what() -> None:
    violation = only(judge(request(method="PUT", receiver="shop", number=1, t=70)))
    text = violation.describe()
    assert text == ("request 1 at shop (+1m10s) [DELIVERY-METHOD] method: expected POST, got PUT")
    assert violation.to_dict()["subscription"] == SUB


def test_facts_are_read_from_the_management_apis_answers() -> None:
    receivers = {"shop": "https://receivers.hooksim.test/shop"}
    answer = {
        "data": {
            "id": SUB,
            "secret": SECRET,
            "url": "https://receivers.hooksim.test/shop/hooks",
            "types": ["card-completed"],
            "method": "PUT",
            "headers": {"X-Team": "a"},
            "cardTemplateId": "12",
            "status": "disabled",
            "batch": {"maxEvents": 2, "maxWaitSeconds": 5},
        }
    }
    (found,) = facts_from_answer(answer, t=5, receivers=receivers)
    assert found == SubscriptionFacts(
        id=SUB,
        secret=SECRET,
        receiver="shop",
        t=5,
        method="PUT",
        headers=(("X-Team", "a"),),
        types=("card-completed",),
        card_template_id="12",
        batched=True,
        active=False,
    )
    listed = facts_from_answer({"data": [answer["data"], {"id": "x"}]}, t=6, receivers=receivers)
    assert [f.id for f in listed] == [SUB]
    assert facts_from_answer({"data": {"success": True}}, t=0, receivers=receivers) == []


def test_a_url_leads_to_the_receiver_with_the_longest_base() -> None:
    receivers = {"a": "http://127.0.0.1:9000/a", "ab": "http://127.0.0.1:9000/a/b"}
    assert receiver_for_url("http://127.0.0.1:9000/a/b/c", receivers) == "ab"
    assert receiver_for_url("http://127.0.0.1:9000/a?x=1", receivers) == "a"
    assert receiver_for_url("http://127.0.0.1:9000/ab", receivers) is None


def test_publications_are_learned_from_the_simulation_controls_answer() -> None:
    judge_ = DeliveryJudge(signature_header=HEADER)
    judge_.learn_answer({"data": {"eventIds": [EVENT]}}, t=3)
    assert judge_.published_at(EVENT) == 3
