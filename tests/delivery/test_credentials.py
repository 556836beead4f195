"""Delivery credentials on the engine: each kind reaches a receiver that demands it; the
OAuth token is cached 45 s of platform time; a failing identity endpoint fails (and retries)
the attempt; a credential in use cannot be deleted; secrets never show."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from _bench import (
    ACCESS_KEY,
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    IDENTITY_URL,
    PASSWORD,
    RECEIVER_URL,
    SECRET_KEY,
    SESSION_TOKEN,
    Bench,
    Identity,
    SigV4Receiver,
    demand,
    make_bench,
    record_text,
    secrets_in,
)
from hooksim.contracts import verify
from hooksim.simulator import Conflict, DeliveryState, InvalidInput, NotFound, Outcome


@pytest.fixture
def bench() -> Bench:
    return make_bench()


def _delivered(bench: Bench) -> list[DeliveryState]:
    return [d.state for d in bench.platform.deliveries(bench.env)]


# OAuth client credentials ----------------------------------------------------------------
@pytest.mark.clause("CRED-OAUTH")
def test_oauth_token_from_a_form_body_is_sent_as_bearer(bench: Bench) -> None:
    identity = bench.mount(IDENTITY_URL, Identity())
    receiver = bench.receiver(
        respond=demand(lambda r: r.headers.get("Authorization") == "Bearer token-1")
    )
    subscription = bench.subscribe(credentialId=bench.oauth(scope="webhooks"))
    bench.publish()
    assert [r.status for r in receiver.requests] == [200]
    assert verify(
        subscription.secret,
        receiver.requests[0].body,
        receiver.requests[0].headers["X-Atomic-Signature"],
    )
    (hit,) = identity.hits
    assert hit["method"] == "POST" and hit["query"] == {}
    assert hit["form"] == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": "webhooks",
    }
    (record,) = bench.log()
    assert record.outcome is Outcome.SUCCESS
    assert record.headers["Authorization"] == "[redacted]"


@pytest.mark.clause("CRED-OAUTH")
def test_oauth_parameters_in_the_query_merge_with_the_urls_own(bench: Bench) -> None:
    identity = bench.mount(IDENTITY_URL, Identity())
    receiver = bench.receiver(
        respond=demand(lambda r: r.headers.get("Authorization") == "Bearer token-1")
    )
    bench.subscribe(
        credentialId=bench.oauth(f"{IDENTITY_URL}?audience=hooks", tokenRequest="query")
    )
    bench.publish()
    assert [r.status for r in receiver.requests] == [200]
    (hit,) = identity.hits
    assert hit["form"] == {}
    assert hit["query"] == {
        "audience": "hooks",
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


@pytest.mark.clause("CRED-OAUTH")
def test_the_token_is_reused_for_45_seconds_of_platform_time(bench: Bench) -> None:
    identity = bench.mount(IDENTITY_URL, Identity())
    receiver = bench.receiver(
        respond=demand(lambda r: r.headers.get("Authorization", "").startswith("Bearer token-"))
    )
    credential = bench.oauth()
    bench.subscribe(credentialId=credential)
    bench.subscribe(types=["card-completed", "card-dismissed"], credentialId=credential)
    bench.publish()  # two deliveries, one token
    bench.advance(44.999)
    bench.publish()
    assert len(identity.hits) == 1
    bench.advance(0.001)  # 45 s after the token was fetched
    bench.publish()
    assert len(identity.hits) == 2
    tokens = [r.headers["Authorization"] for r in receiver.requests]
    assert tokens == ["Bearer token-1"] * 4 + ["Bearer token-2"] * 2


@pytest.mark.clause("CRED-OAUTH")
@pytest.mark.parametrize(
    ("identity", "words"),
    [
        (Identity(status=503), "answered 503"),
        (Identity(status=200, body=b"<html>not json</html>"), "not JSON"),
        (Identity(status=200, body=b'{"token_type":"Bearer"}'), "without a usable access_token"),
        (None, "connection refused"),
    ],
    ids=["error-status", "bad-json", "no-token", "refused"],
)
def test_a_failing_identity_endpoint_fails_the_attempt_which_is_retried(
    bench: Bench, identity: Identity | None, words: str
) -> None:
    if identity is not None:
        bench.mount(IDENTITY_URL, identity)
    receiver = bench.receiver()
    subscription = bench.subscribe(credentialId=bench.oauth())
    bench.publish()
    (first,) = bench.log()
    assert first.outcome is Outcome.ERROR and first.status_code is None
    assert first.error is not None and words in first.error
    assert "identity endpoint http://identity.test/oauth/token" in first.error
    assert not secrets_in(record_text(first))
    assert receiver.requests == []  # nothing was sent without its credential
    assert subscription.consecutive_failures == 1
    bench.mount(IDENTITY_URL, Identity())  # the identity endpoint recovers
    bench.advance(10)
    assert bench.offsets(subscription) == [0, 10]
    assert [r.outcome for r in bench.log()] == [Outcome.ERROR, Outcome.SUCCESS]
    assert receiver.requests[0].headers["Authorization"] == "Bearer token-1"
    assert _delivered(bench) == [DeliveryState.DELIVERED]


@pytest.mark.clause("CRED-OAUTH")
def test_a_slow_identity_endpoint_counts_towards_the_attempts_timeout(bench: Bench) -> None:
    bench.platform.configure(bench.env, timeout=5.0)

    def slow(environ: dict[str, Any], start_response: Any) -> Any:
        environ["hooksim.latency"] = 6.0
        return Identity()(environ, start_response)

    bench.mount(IDENTITY_URL, slow)
    receiver = bench.receiver()
    bench.subscribe(credentialId=bench.oauth())
    bench.publish()
    assert bench.log() == []  # the identity request is still "in flight"
    bench.advance(5)
    (record,) = bench.log()
    assert record.outcome is Outcome.ERROR and "no answer within 5 s" in (record.error or "")
    assert record.duration == 5.0
    assert receiver.requests == []


# Basic and API key ----------------------------------------------------------------------
@pytest.mark.clause("CRED-BASIC")
def test_basic_auth_reaches_a_receiver_that_demands_it(bench: Bench) -> None:
    expected = "Basic " + base64.b64encode(f"hooks:{PASSWORD}".encode()).decode()
    receiver = bench.receiver(respond=demand(lambda r: r.headers.get("Authorization") == expected))
    bench.subscribe(
        credentialId=bench.credential(type="basic", username="hooks", password=PASSWORD)
    )
    bench.publish()
    assert [r.status for r in receiver.requests] == [200]
    (record,) = bench.log()
    assert record.headers["Authorization"] == "[redacted]"


@pytest.mark.clause("CRED-API-KEY")
def test_an_api_key_header_reaches_a_receiver_and_is_redacted_in_the_log(bench: Bench) -> None:
    receiver = bench.receiver(respond=demand(lambda r: r.headers.get("X-Hook-Key") == API_KEY))
    credential = bench.credential(type="api-key", headerName="X-Hook-Key", value=API_KEY)
    bench.subscribe(credentialId=credential, headers={"X-Team": "cards"})
    bench.publish()
    assert [r.status for r in receiver.requests] == [200]
    assert receiver.requests[0].headers["X-Team"] == "cards"
    (record,) = bench.log()
    assert record.headers["X-Hook-Key"] == "[redacted]" and record.headers["X-Team"] == "cards"


@pytest.mark.clause("CRED-API-KEY", "DELIVERY-HEADERS")
@pytest.mark.parametrize(
    ("credential", "header"),
    [
        ({"type": "api-key", "headerName": "X-Hook-Key", "value": API_KEY}, "x-hook-KEY"),
        ({"type": "basic", "username": "u", "password": PASSWORD}, "Authorization"),
        (
            {
                "type": "aws-sigv4",
                "accessKeyId": ACCESS_KEY,
                "secretAccessKey": SECRET_KEY,
                "region": "us-east-1",
                "service": "execute-api",
            },
            "X-Amz-Date",
        ),
    ],  # fmt: skip
    ids=["api-key", "basic", "aws"],
)
def test_custom_headers_never_override_credential_headers(
    bench: Bench, credential: dict[str, str], header: str
) -> None:
    credential_id = bench.credential(**credential)
    with pytest.raises(InvalidInput, match="cannot be overridden") as error:
        bench.subscribe(credentialId=credential_id, headers={header: "mine"})
    assert error.value.field == "headers"
    # ... neither when the header or the credential comes later, by an update
    if header.lower() != "authorization":  # always the platform's, even without a credential
        plain = bench.subscribe(headers={header: "mine"})
        with pytest.raises(InvalidInput, match="cannot be overridden"):
            bench.platform.update_subscription(bench.env, plain.id, {"credentialId": credential_id})
    used = bench.subscribe(credentialId=credential_id)
    with pytest.raises(InvalidInput, match="cannot be overridden"):
        bench.platform.update_subscription(bench.env, used.id, {"headers": {header: "mine"}})


# AWS Signature Version 4 -----------------------------------------------------------------
@pytest.mark.clause("CRED-AWS-SIGV4")
@pytest.mark.parametrize("signing", ["headers", "query"])
def test_aws_sigv4_deliveries_verify_with_botocore_at_the_platform_clocks_time(
    bench: Bench, signing: str
) -> None:
    receiver = bench.mount(RECEIVER_URL, SigV4Receiver())
    credential = bench.credential(
        type="aws-sigv4",
        accessKeyId=ACCESS_KEY,
        secretAccessKey=SECRET_KEY,
        sessionToken=SESSION_TOKEN,
        region="us-east-1",
        service="execute-api",
        signing=signing,
    )
    subscription = bench.subscribe(
        url=RECEIVER_URL + "?tenant=7", credentialId=credential, headers={"X-Team": "cards"}
    )
    bench.advance(90)
    bench.publish()
    (seen,) = receiver.seen
    assert seen["valid"], seen
    assert verify(subscription.secret, seen["body"], seen["headers"]["x-atomic-signature"])
    if signing == "headers":
        assert seen["headers"]["x-amz-date"] == "20260101T000130Z"
        assert seen["headers"]["x-amz-security-token"] == SESSION_TOKEN
        assert "x-atomic-signature" in seen["headers"]["authorization"]  # the signature is signed
    else:
        assert (
            "X-Amz-Date=20260101T000130Z" in seen["query"]
            and "authorization" not in seen["headers"]
        )
        assert seen["query"].startswith("tenant=7&")
    (record,) = bench.log()
    assert record.outcome is Outcome.SUCCESS
    assert record.url == RECEIVER_URL + "?tenant=7"  # the signed query is not logged
    assert not secrets_in(record_text(record))
    assert "X-Amz-Signature" not in record_text(record) and "AWS4-HMAC" not in record_text(record)


@pytest.mark.clause("CRED-AWS-SIGV4")
def test_a_receiver_with_another_secret_rejects_the_signature(bench: Bench) -> None:
    bench.mount(RECEIVER_URL, SigV4Receiver(secret_key="another-secret"))
    credential = bench.credential(
        type="aws-sigv4", accessKeyId=ACCESS_KEY, secretAccessKey=SECRET_KEY,
        region="us-east-1", service="execute-api",
    )  # fmt: skip
    bench.subscribe(credentialId=credential)
    bench.publish()
    assert [r.status_code for r in bench.log()] == [403]


# the credential store ---------------------------------------------------------------------
CREDENTIALS: list[dict[str, Any]] = [
    {"type": "oauth2-client-credentials", "tokenUrl": IDENTITY_URL, "clientId": CLIENT_ID,
     "clientSecret": CLIENT_SECRET},
    {"type": "basic", "username": "hooks", "password": PASSWORD, "name": "staging"},
    {"type": "api-key", "headerName": "X-Hook-Key", "value": API_KEY},
    {"type": "aws-sigv4", "accessKeyId": ACCESS_KEY, "secretAccessKey": SECRET_KEY,
     "sessionToken": SESSION_TOKEN, "region": "eu-west-1", "service": "lambda",
     "signing": "query"},
]  # fmt: skip


@pytest.mark.clause("CRED-OAUTH", "CRED-BASIC", "CRED-API-KEY", "CRED-AWS-SIGV4", "LOG-REDACT")
def test_credentials_are_listed_and_shown_without_their_secrets(bench: Bench) -> None:
    ids = [bench.credential(**body) for body in CREDENTIALS]
    shown = [c.to_api() for c in bench.platform.credentials(bench.env)]
    assert [c["id"] for c in shown] == ids
    assert not secrets_in(json.dumps(shown))
    assert shown[0] == {
        "id": ids[0],
        "name": None,
        "type": "oauth2-client-credentials",
        "tokenUrl": IDENTITY_URL,
        "clientId": CLIENT_ID,
        "scope": None,
        "tokenRequest": "body",
        "created": "2026-01-01T00:00:00.000Z",
    }
    assert shown[1]["username"] == "hooks" and "password" not in shown[1]
    assert shown[2]["headerName"] == "X-Hook-Key" and "value" not in shown[2]
    assert shown[3]["hasSessionToken"] is True and shown[3]["signing"] == "query"
    assert bench.platform.credential(bench.env, ids[1]).to_api() == shown[1]
    with pytest.raises(NotFound):
        bench.platform.credential("other", ids[1])


@pytest.mark.clause("CRED-IN-USE")
def test_a_credential_in_use_cannot_be_deleted(bench: Bench) -> None:
    credential = bench.credential(type="basic", username="u", password=PASSWORD)
    one = bench.subscribe(credentialId=credential)
    two = bench.subscribe(credentialId=credential)
    with pytest.raises(Conflict, match=f"{one.id}, {two.id}"):
        bench.platform.delete_credential(bench.env, credential)
    bench.platform.update_subscription(bench.env, one.id, {"credentialId": None})
    bench.platform.disable_subscription(bench.env, two.id)
    with pytest.raises(Conflict, match=two.id):  # disabled still uses it
        bench.platform.delete_credential(bench.env, credential)
    bench.platform.delete_subscription(bench.env, two.id)
    bench.platform.delete_credential(bench.env, credential)
    assert bench.platform.credentials(bench.env) == []
    with pytest.raises(NotFound):
        bench.platform.delete_credential(bench.env, credential)


@pytest.mark.clause("CRED-IN-USE")
def test_an_unknown_credential_id_is_refused_by_name(bench: Bench) -> None:
    with pytest.raises(InvalidInput, match="'cred-nope'") as error:
        bench.subscribe(credentialId="cred-nope")
    assert error.value.field == "credentialId"
    subscription = bench.subscribe()
    with pytest.raises(InvalidInput, match="'cred-nope'"):
        bench.platform.update_subscription(
            bench.env, subscription.id, {"credentialId": "cred-nope"}
        )
    other = make_bench()
    foreign = other.credential(type="basic", username="u", password=PASSWORD)
    if foreign not in {c.id for c in bench.platform.credentials(bench.env)}:
        with pytest.raises(InvalidInput):
            bench.subscribe(credentialId=foreign)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"type": "kerberos"}, "type", "type must be one of"),
        ({"type": "basic", "username": "u"}, "password", "'password' is required"),
        ({"type": "basic", "username": "a:b", "password": "p"}, "username", "':'"),
        ({"type": "basic", "username": "u", "password": "p", "extra": 1}, "extra", "unknown field"),
        (
            {"type": "api-key", "headerName": "Content-Type", "value": "v"},
            "headerName",
            "platform sets",
        ),
        (
            {"type": "api-key", "headerName": "X-Atomic-Signature", "value": "v"},
            "headerName",
            "platform sets",
        ),
        ({"type": "api-key", "headerName": "bad name", "value": "v"}, "headerName", "not a valid"),
        ({"type": "api-key", "headerName": "X-K", "value": "a\r\nb"}, "value", "CR, LF"),
        (
            {
                "type": "oauth2-client-credentials",
                "tokenUrl": "ftp://x/",
                "clientId": "c",
                "clientSecret": "s",
            },
            "tokenUrl",
            "http or https",
        ),
        (
            {
                "type": "oauth2-client-credentials",
                "tokenUrl": IDENTITY_URL,
                "clientId": "c",
                "clientSecret": "s",
                "tokenRequest": "header",
            },
            "tokenRequest",
            "body, query",
        ),
        (
            {
                "type": "aws-sigv4",
                "accessKeyId": "a",
                "secretAccessKey": "s",
                "region": "US East",
                "service": "s",
            },
            "region",
            "lowercase",
        ),
    ],  # fmt: skip
)
def test_bad_credentials_are_refused_naming_the_field(
    bench: Bench, body: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as error:
        bench.platform.create_credential(bench.env, body)
    assert error.value.field == field
    assert not secrets_in(str(error.value))


@pytest.mark.clause("LOG-REDACT", "CRED-OAUTH", "CRED-BASIC", "CRED-API-KEY", "CRED-AWS-SIGV4")
def test_no_secret_reaches_the_delivery_log_whatever_happens(bench: Bench) -> None:
    bench.mount(IDENTITY_URL, Identity(status=500))
    bench.receiver(status=500)
    for body in CREDENTIALS:
        bench.subscribe(credentialId=bench.credential(**body))
    bench.publish()
    bench.advance(100)
    records = bench.log()
    assert len(records) == 4 * 4  # every kind, attempts at +0, 10, 30, 70
    for record in records:
        assert not secrets_in(record_text(record)), record
        assert not any(secret.encode() in record.body for secret in (PASSWORD, API_KEY))
