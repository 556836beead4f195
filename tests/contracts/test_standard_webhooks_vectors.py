"""The published Standard Webhooks test vectors (`contracts/standard-webhooks-vectors.json`).

Each vector's verdict is checked four ways: hooksim's `standard_webhooks_verify`, the official
`standardwebhooks` library and the `svix` library (their clocks set to the vector's `now`), and
an HMAC written here from RFC 2104. Then each common verifier bug, planted in a small
verifier, must fail at least one vector.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import make_standard_webhooks_vectors as maker
import pytest
import standardwebhooks.webhooks
import svix.webhooks
from hooksim.contracts import (
    STANDARD_WEBHOOKS_VECTORS_FILE,
    STANDARD_WEBHOOKS_VECTORS_SCHEMA_FILE,
    SignatureError,
    StandardWebhooksVector,
    load_standard_webhooks_vectors,
    standard_webhooks_verify,
)
from jsonschema import Draft202012Validator
from test_signing_vectors import FOLDER, rfc2104_hmac_sha256

pytestmark = pytest.mark.clause("SIGN-HMAC", "SIGN-RAW-BYTES")

VECTORS = load_standard_webhooks_vectors()
NAMES = [vector.name for vector in VECTORS]
PATH = FOLDER / STANDARD_WEBHOOKS_VECTORS_FILE


def test_the_file_follows_its_schema_and_is_what_its_generator_makes() -> None:
    schema = json.loads((FOLDER / STANDARD_WEBHOOKS_VECTORS_SCHEMA_FILE).read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    document = json.loads(PATH.read_text("utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(document)) == []
    assert VECTORS.version == maker.VERSION and VECTORS.tolerance == 300
    # Regenerate with `.venv/bin/python tests/contracts/make_standard_webhooks_vectors.py`.
    assert PATH.read_text("utf-8") == maker.render()


#: What each published version says (names, verdicts, secrets, clocks, headers, bodies), as a
#: SHA-256: a published version never changes.
PUBLISHED = {1: "bcf90d1d6fca0c94019bdcf66bd495e043548f08dc6d4a1461c08781bd0bcc74"}


def test_a_published_version_never_changes() -> None:
    document = json.loads(PATH.read_text("utf-8"))
    normative = [
        [
            v["name"],
            v["expected"],
            v["secret"],
            v["now"],
            *v["headers"].values(),
            v["body"]["base64"],
        ]
        for v in document["vectors"]
    ]
    digest = hashlib.sha256(json.dumps(normative).encode()).hexdigest()
    version = document["version"]
    assert version in PUBLISHED, f"version {version} is new: add {digest!r} to PUBLISHED"
    assert PUBLISHED[version] == digest, f"version {version} changed: raise VERSION"


def test_the_cases_the_issue_asks_for_are_there() -> None:
    by_name = {v.name: v.accept for v in VECTORS}
    for name in ("whitespace-body", "unicode-raw-utf8", "secret-unpadded", "timestamp-at-old-edge",
                 "several-signatures-valid-last", "timestamp-at-future-edge"):  # fmt: skip
        assert by_name[name] is True, name
    for name in ("timestamp-in-milliseconds", "timestamp-too-old", "timestamp-too-far-ahead",
                 "several-signatures-none-valid", "signature-over-escaped-body"):  # fmt: skip
        assert by_name[name] is False, name
    assert not VECTORS["secret-unpadded"].secret.endswith("=")
    assert len(VECTORS["timestamp-in-milliseconds"].headers["webhook-timestamp"]) == 13


# the verdicts, four ways ---------------------------------------------------------------------
def hooksim_verdict(vector: StandardWebhooksVector) -> bool:
    try:
        standard_webhooks_verify(
            vector.secret, vector.headers, vector.body, now=vector.now, tolerance=VECTORS.tolerance
        )
    except SignatureError:
        return False
    return True


def _frozen(now: int) -> type[datetime]:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.fromtimestamp(now, tz=tz or UTC)

    return Frozen


def library_verdict(vector: StandardWebhooksVector, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", _frozen(vector.now))
    try:
        standardwebhooks.webhooks.Webhook(vector.secret).verify(
            vector.body, dict(vector.headers), json_parse=False
        )
    except standardwebhooks.webhooks.WebhookVerificationError:
        return False
    return True


def svix_verdict(vector: StandardWebhooksVector, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", _frozen(vector.now))
    headers = {name.replace("webhook-", "svix-"): value for name, value in vector.headers.items()}
    try:
        svix.webhooks.Webhook(vector.secret).verify(vector.body, headers)
    except svix.webhooks.WebhookVerificationError:
        return False
    return True


def rfc2104_verdict(vector: StandardWebhooksVector) -> bool:
    headers = vector.headers
    stamp = headers["webhook-timestamp"]
    if not stamp.isdigit() or abs(int(stamp) - vector.now) > VECTORS.tolerance:
        return False
    text = vector.secret.removeprefix("whsec_")
    key = base64.b64decode(text + "=" * (-len(text) % 4))
    content = f"{headers['webhook-id']}.{stamp}.".encode() + vector.body
    digest = bytes.fromhex(rfc2104_hmac_sha256(key, content))
    wanted = "v1," + base64.b64encode(digest).decode()
    return any(hmac.compare_digest(wanted, e) for e in headers["webhook-signature"].split(" "))


@pytest.mark.parametrize("vector", VECTORS.vectors, ids=NAMES)
def test_every_verdict_four_ways(
    vector: StandardWebhooksVector, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert hooksim_verdict(vector) is vector.accept
    assert library_verdict(vector, monkeypatch) is vector.accept
    assert svix_verdict(vector, monkeypatch) is vector.accept
    assert rfc2104_verdict(vector) is vector.accept


# each common verifier bug fails at least one vector --------------------------------------------
Verifier = Callable[[StandardWebhooksVector], bool]


def _bug(**changes: Any) -> Verifier:
    def verify(vector: StandardWebhooksVector) -> bool:
        headers = vector.headers
        stamp = headers["webhook-timestamp"]
        if not stamp.isdigit():
            return False
        seconds = int(stamp) / 1000 if changes.get("milliseconds") else int(stamp)
        age = vector.now - seconds
        if not changes.get("no_tolerance"):
            if age > VECTORS.tolerance:
                return False
            if not changes.get("past_only") and -age > VECTORS.tolerance:
                return False
        text = vector.secret.removeprefix("whsec_")
        key = text.encode() if changes.get("text_key") else base64.b64decode(text + "==")
        content = vector.body
        if not changes.get("body_only"):
            content = f"{headers['webhook-id']}.{stamp}.".encode() + content
        wanted = "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        entries = headers["webhook-signature"].split(" ")
        if changes.get("first_only"):
            entries = entries[:1]
        return wanted in entries

    return verify


BUGS = {
    "no tolerance": _bug(no_tolerance=True),
    "tolerance in the past only": _bug(past_only=True),
    "timestamp read as milliseconds": _bug(milliseconds=True),
    "the secret's text as the key": _bug(text_key=True),
    "the body alone signed": _bug(body_only=True),
    "only the first signature tried": _bug(first_only=True),
}


@pytest.mark.parametrize("bug", list(BUGS))
def test_each_verifier_bug_fails_a_vector(bug: str) -> None:
    assert _bug()(VECTORS["compact-json"]) is True  # the bug-free baseline agrees
    wrong = [v.name for v in VECTORS if BUGS[bug](v) is not v.accept]
    assert wrong, f"no vector catches a verifier with {bug}"
