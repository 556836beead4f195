from __future__ import annotations

import pytest
from hooksim.scenarios import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10s", 10.0),
        ("45m", 2700.0),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        ("250ms", 0.25),
        ("2d", 172800.0),
        ("1.5s", 1.5),
        ("5m20s", 320.0),
        (0, 0.0),
        (12.5, 12.5),
        ("30", 30.0),
    ],
)
def test_parses(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["ten seconds", "10 minutes", "", "-5s", -1, True, None, "1x"])
def test_refuses(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (10, "10s"), (70, "1m10s"), (5400, "1h30m"), (0.25, "250ms"), (90061, "1d1h1m1s")],
)
def test_formats(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
