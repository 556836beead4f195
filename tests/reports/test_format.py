from __future__ import annotations

import math

import pytest
from hooksim.reports._format import format_duration, format_value, format_wall
from hooksim.scenarios import format_offset


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0"),
        (0.25, "250 ms"),
        (10, "10 s"),
        (12.5, "12.5 s"),
        (60, "1 min"),
        (600, "10 min"),
        (3600, "1 h"),
        (3605, "1 h"),
        (5400, "1 h 30 min"),
        (4 * 3600, "4 h"),
        (90061, "1 d 1 h"),
        (math.inf, "∞"),
    ],
)
def test_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_offset_wall_and_value() -> None:
    assert format_offset(0) == "+0:00:00"
    assert format_offset(250.5) == "+0:04:10.500"
    assert format_offset(90061) == "+1d 01:01:01"
    assert format_wall(0.0123) == "12 ms"
    assert format_wall(2.5) == "2.50 s"
    assert format_value("text") == "text"
    assert format_value({"b": 1, "a": None}) == '{"a": null, "b": 1}'
    assert format_value(list(range(40))).startswith("[\n  0,")
