"""The kit's secret redaction: a secret never shows, and a short one does not eat the words
and URLs that merely contain its letters."""

from __future__ import annotations

import pytest

from hooksim._kit._redact import redact, redact_bytes

LONG = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"secret={LONG}", "secret=[secret]"),
        (f"glued{LONG}glued", "glued[secret]glued"),
        (f"http://h/{LONG}/x", "http://h/[secret]/x"),
    ],
)
def test_a_long_secret_is_hidden_wherever_it_appears(text: str, expected: str) -> None:
    assert redact(text, LONG) == expected
    assert redact_bytes(text.encode(), LONG) == expected.encode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the secret is test", "the secret is [secret]"),
        ("'test' did not sign it", "'[secret]' did not sign it"),
        ("test", "[secret]"),
        ("the effects probe (http://127.0.0.1:5000/test/effects)", None),
        ("latest tests attested", None),
        ("at http://h/test?k=test, or test", "at http://h/test?k=test, or [secret]"),
    ],
)
def test_a_short_secret_is_hidden_where_it_stands_alone(text: str, expected: str | None) -> None:
    assert redact(text, "test") == (text if expected is None else expected)
    assert redact_bytes(text.encode(), "test") == (text if expected is None else expected).encode()


def test_no_secret_changes_nothing() -> None:
    assert redact("anything", "") == "anything"
    assert redact_bytes(b"anything", "") == b"anything"
