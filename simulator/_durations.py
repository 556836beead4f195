"""Durations as scenarios write them (`10s`, `45m`, `1h30m`, `250ms`, `2d`, or plain seconds),
and points in virtual time as every report shows them (`+0:04:10`, `+1d 02:00:00`): the one
offset format of the scenario runner, the reports, the pytest plugin and the model test."""

from __future__ import annotations

import math
import re

__all__ = ["DURATION_PATTERN", "format_duration", "format_offset", "parse_duration"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)"
#: The text form, also used by the scenario JSON Schema (keep the two in step).
DURATION_PATTERN = r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|d)\s*)+$"
_WHOLE = re.compile(DURATION_PATTERN)
_PARTS = re.compile(_PART)


def parse_duration(value: object) -> float:
    """Seconds from a number or a text duration; raises ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"a duration must be a finite number >= 0, not {value!r}")
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return parse_duration(float(text))
        except ValueError:
            pass
        if _WHOLE.match(text):
            return sum(float(number) * _UNITS[unit] for number, unit in _PARTS.findall(text))
    raise ValueError(
        f"{value!r} is not a duration (write seconds as a number, or 250ms, 10s, 45m, 1h30m, 2d)"
    )


def format_duration(seconds: float) -> str:
    """A short human form: 0s, 10s, 1m10s, 4h, 1h30m, 2.5s, 250ms."""
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if seconds and seconds < 1:
        return f"{seconds * 1000:g}ms"
    whole = int(seconds)
    fraction = round(seconds - whole, 3)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if secs or fraction or not parts:
        parts.append(f"{secs + fraction:g}s")
    return "".join(parts)


def format_offset(seconds: float) -> str:
    """A point in virtual time as a clock-like offset from the start: `+0:04:10`, `+1d 02:00:00`.

    Milliseconds are shown only when the offset has them, so columns stay short.
    """
    if not math.isfinite(seconds):
        return str(seconds)
    sign = "-" if seconds < 0 else "+"
    millis = round(abs(seconds) * 1000)
    whole, ms = divmod(millis, 1000)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}"
    if days:
        text = f"{days}d {hours:02d}:{minutes:02d}:{secs:02d}"
    if ms:
        text += f".{ms:03d}"
    return sign + text
