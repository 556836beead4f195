"""A platform that signs wrongly fails the library, even when the shared signing code is
changed the same way: the delivery judge computes signatures with code of its own.

`sign` is replaced everywhere the reference platform and the scenario receivers take it from
(`hooksim.contracts._signing`, and the name the request writer imported), so expectations such as
`signatures_valid`, which verify with that same code, could not tell on their own.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from collections.abc import Callable

import hooksim.contracts
import hooksim.contracts._signing as signing
import hooksim.simulator._writer as writer
import pytest
from hooksim.scenarios import library_files, load_all, run_scenario
from hooksim.scenarios._delivery_check import DESCRIPTION

from .conftest import run_text

pytestmark = pytest.mark.clause("SIGN-HMAC", "SIGN-RAW-BYTES")

# Every Atomic library scenario but the burst of 5,000 events (it would only repeat the
# others); the platform profiles' scenarios have their own test
# (test_judge_catches_wrong_profile_signing.py).
SCENARIOS = [
    s for s in load_all(library_files()) if "burst" not in s.file and s.profile is None
]


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _hmac(digest: Callable[..., object]) -> Callable[[str | bytes, str | bytes], str]:
    def sign(secret: str | bytes, body: str | bytes) -> str:
        return hmac.new(_bytes(secret), _bytes(body), digest).hexdigest()  # type: ignore[arg-type]

    return sign


def _upper(secret: str | bytes, body: str | bytes) -> str:
    return hmac.new(_bytes(secret), _bytes(body), hashlib.sha256).hexdigest().upper()


def _prefixed(secret: str | bytes, body: str | bytes) -> str:
    return "sha256=" + hmac.new(_bytes(secret), _bytes(body), hashlib.sha256).hexdigest()


def _reserialised(secret: str | bytes, body: str | bytes) -> str:
    # What a platform that signs its own re-encoding of the JSON does.
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), sort_keys=True).encode()
    return hmac.new(_bytes(secret), _bytes(body), hashlib.sha256).hexdigest()


WRONG_SIGNERS = {
    "hmac-sha1": (_hmac(hashlib.sha1), "SIGN-HMAC"),
    "hmac-sha512": (_hmac(hashlib.sha512), "SIGN-HMAC"),
    "upper-case hex": (_upper, "SIGN-HMAC"),
    "sha256= prefix": (_prefixed, "SIGN-HMAC"),
    "re-serialised body": (_reserialised, "SIGN-RAW-BYTES"),
}


def _judge_result(result):  # type: ignore[no-untyped-def]
    (verdict,) = [e for e in result.expectations if e.description == DESCRIPTION]
    return verdict


def test_the_reference_platform_passes_every_judged_scenario() -> None:
    for scenario in SCENARIOS:
        result = run_scenario(scenario)
        verdict = _judge_result(result)
        assert verdict.passed, f"{scenario.file}: {verdict.message}"
        assert result.passed, scenario.file


@pytest.mark.parametrize("name", list(WRONG_SIGNERS))
def test_a_platform_that_signs_wrongly_fails_the_library(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong, clause = WRONG_SIGNERS[name]
    # The request writer is the platform's one `sign` call site.
    for module in (signing, hooksim.contracts, writer):
        monkeypatch.setattr(module, "sign", wrong)
    judged = failed = 0
    for scenario in SCENARIOS:
        result = run_scenario(scenario)
        verdict = _judge_result(result)
        if verdict.actual["requests judged"] == 0:
            continue  # nothing was delivered (API-only scenarios): nothing to judge
        judged += 1
        assert not verdict.passed, f"{name}: {scenario.file} passed the judge"
        assert clause in verdict.actual["clauses"], (scenario.file, verdict.message)
        assert verdict.message is not None and f"[{clause}]" in verdict.message
        failed += not result.passed
    assert judged >= 25
    assert failed == judged  # every scenario that delivered anything fails


def test_forged_requests_are_not_the_platforms_and_are_not_judged() -> None:
    result = run_text(
        """
        name: forged
        receivers:
          shop: {reject_bad_signatures: true}
        subscriptions:
          main: {receiver: shop, types: [card-completed]}
        steps:
          - publish: {type: card-completed, id: real}
          - forge: {receiver: shop, subscription: main, event: real, signature: invalid}
          - forge: {receiver: shop, subscription: main, signature: missing}
        expect:
          - receiver: {name: shop, received: 3, rejected: 2}
        """
    )
    verdict = _judge_result(result)
    assert verdict.passed and verdict.actual == {"requests judged": 1, "violations": 0}
    assert result.passed
