"""A platform profile that signs wrongly fails its library scenarios, even when the shared
signing code (`hooksim.contracts._schemes`, which the scenario receivers verify with too) is
changed the same way: the profile judge computes each sender's signature with code of its own.

Each planted bug replaces the scheme's function where both the platform and the receivers take
it, so that `signatures_valid` expectations could not tell on their own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import hooksim.contracts._schemes as schemes
import hooksim.simulator._profile_writer as profile_writer
import pytest
from hooksim.scenarios import library_files, load_all, run_scenario
from hooksim.scenarios._delivery_check import DESCRIPTION

pytestmark = pytest.mark.clause("SIGN-HMAC", "SIGN-RAW-BYTES")

LIBRARY = load_all(library_files())
PROFILES = ("standard-webhooks", "svix", "stripe", "github")


def _of(profile: str) -> list[Any]:
    return [s for s in LIBRARY if s.profile == profile]


def _verdict(result: Any) -> Any:
    (verdict,) = [e for e in result.expectations if e.description == DESCRIPTION]
    return verdict


def _b(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


# Standard Webhooks and Svix: replaces `standard_webhooks_sign` (signing and verifying) ------------
def _sw_body_only(secret: Any, message_id: str, timestamp: Any, body: Any) -> str:
    key = schemes.standard_webhooks_key(secret)
    return "v1," + base64.b64encode(hmac.new(key, _b(body), hashlib.sha256).digest()).decode()


def _sw_hex(secret: Any, message_id: str, timestamp: Any, body: Any) -> str:
    content = f"{message_id}.{timestamp}.".encode() + _b(body)
    key = schemes.standard_webhooks_key(secret)
    return "v1," + hmac.new(key, content, hashlib.sha256).hexdigest()


def _sw_text_key(secret: Any, message_id: str, timestamp: Any, body: Any) -> str:
    content = f"{message_id}.{timestamp}.".encode() + _b(body)
    digest = hmac.new(_b(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# Stripe: replaces `_stripe_hex` -------------------------------------------------------------------
def _stripe_body_only(secret: str, timestamp: Any, body: Any) -> str:
    return hmac.new(secret.encode(), _b(body), hashlib.sha256).hexdigest()


def _stripe_unprefixed_key(secret: str, timestamp: Any, body: Any) -> str:
    key = secret.removeprefix("whsec_").encode()
    return hmac.new(key, f"{timestamp}.".encode() + _b(body), hashlib.sha256).hexdigest()


# GitHub: replaces `github_sign` -------------------------------------------------------------------
def _github_bare_hex(secret: str, body: Any) -> str:
    return hmac.new(secret.encode(), _b(body), hashlib.sha256).hexdigest()


def _github_sha1(secret: str, body: Any) -> str:
    return "sha256=" + hmac.new(secret.encode(), _b(body), hashlib.sha1).hexdigest()


Plant = Callable[[pytest.MonkeyPatch], None]


def _replace(name: str, wrong: Callable[..., str]) -> Plant:
    def plant(monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(schemes, name, wrong)
        if hasattr(profile_writer, name):  # the name the platform's writer imported
            monkeypatch.setattr(profile_writer, name, wrong)

    return plant


def _milliseconds(profile: str) -> Plant:
    """The platform writes the attempt's time in milliseconds (signed consistently)."""
    right = profile_writer._SIGNERS[profile]

    def wrong(headers: dict[str, str], secret: str, body: bytes, *rest: Any) -> None:
        *head, timestamp = rest
        right(headers, secret, body, *head, timestamp * 1000)

    def plant(monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(profile_writer._SIGNERS, profile, wrong)

    return plant


BUGS: dict[str, tuple[tuple[str, ...], Plant]] = {
    "standard webhooks: HMAC of the body alone": (
        ("standard-webhooks", "svix"),
        _replace("standard_webhooks_sign", _sw_body_only),
    ),
    "standard webhooks: hex instead of base64": (
        ("standard-webhooks", "svix"),
        _replace("standard_webhooks_sign", _sw_hex),
    ),
    "standard webhooks: the secret's text as the key": (
        ("standard-webhooks", "svix"),
        _replace("standard_webhooks_sign", _sw_text_key),
    ),
    "standard webhooks: milliseconds as the timestamp": (
        ("standard-webhooks",),
        _milliseconds("standard-webhooks"),
    ),
    "svix: milliseconds as the timestamp": (("svix",), _milliseconds("svix")),
    "stripe: HMAC of the body without t.": (
        ("stripe",),
        _replace("_stripe_hex", _stripe_body_only),
    ),
    "stripe: the key without whsec_": (
        ("stripe",),
        _replace("_stripe_hex", _stripe_unprefixed_key),
    ),
    "stripe: milliseconds as t=": (("stripe",), _milliseconds("stripe")),
    "github: hex without sha256=": (("github",), _replace("github_sign", _github_bare_hex)),
    "github: HMAC-SHA1 under sha256=": (("github",), _replace("github_sign", _github_sha1)),
}


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_has_library_scenarios_that_pass_the_judge(profile: str) -> None:
    scenarios = _of(profile)
    assert len(scenarios) >= 3
    for scenario in scenarios:
        result = run_scenario(scenario)
        verdict = _verdict(result)
        assert verdict.passed, f"{scenario.file}: {verdict.message}"
        assert verdict.actual["requests judged"] > 0, scenario.file
        assert result.passed, scenario.file
        assert result.profile == profile


@pytest.mark.parametrize("bug", list(BUGS))
def test_a_profile_that_signs_wrongly_fails_its_library(
    bug: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles, plant = BUGS[bug]
    plant(monkeypatch)
    for profile in profiles:
        for scenario in _of(profile):
            result = run_scenario(scenario)
            verdict = _verdict(result)
            assert not verdict.passed, f"{bug}: {scenario.file} passed the judge"
            assert "SIGN-HMAC" in verdict.actual["clauses"], (scenario.file, verdict.message)
            assert not result.passed
