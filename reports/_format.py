"""How reports write times and values for people: virtual durations, wall time, values.

Points in virtual time (offsets from the scenario's start) are written by
`hooksim.scenarios.format_offset`, the one offset format every part shows."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["format_duration", "format_value", "format_wall"]

_UNITS = (("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0))


def format_duration(seconds: float, *, parts: int = 2) -> str:
    """A virtual duration in human units: `0`, `45 s`, `10 min`, `1 h 30 min`, `2 d 4 h`.

    At most `parts` units, largest first; below a minute, fractions of a second are kept.
    """
    if not math.isfinite(seconds):
        return "∞" if seconds > 0 else "—"
    if seconds < 0:
        return "-" + format_duration(-seconds, parts=parts)
    if seconds == 0:
        return "0"
    if seconds < 60:
        if seconds < 1:
            return f"{seconds * 1000:.3g} ms"
        return f"{seconds:.3g} s" if seconds != int(seconds) else f"{int(seconds)} s"
    remaining = round(seconds)
    out: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, int(size))
        if count:
            out.append(f"{count} {unit}")
        elif out:
            out.append("")  # a skipped unit still counts, so "1 h 0 min 5 s" stays "1 h"
        if len(out) == parts:
            break
    return " ".join(part for part in out if part)


def format_wall(seconds: float) -> str:
    """Wall-clock time the way a person compares runs: `0.4 ms`, `12 ms`, `1.25 s`, `2 min 3 s`."""
    if not math.isfinite(seconds) or seconds < 0:
        return "—"
    if seconds < 0.001:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    return format_duration(seconds)


def format_value(value: Any) -> str:
    """An expected or actual value as readable text: strings as they are, the rest as JSON
    (on one line when short, indented when not)."""
    if isinstance(value, str):
        return value
    try:
        line = json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)
        if len(line) <= 72:
            return line
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):  # keys that cannot be sorted, circular structures
        return repr(value)
