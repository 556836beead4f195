"""Comparing what happened with what a scenario expected: values at dotted paths of a JSON
body, small matchers (`$length`, `$contains`, `$matches`, `$present`, `$type`), and how
numbers and times compare."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hooksim.simulator import AttemptRecord

__all__ = [
    "LIST_MATCHERS",
    "MISSING",
    "list_problem",
    "TIME_TOLERANCE",
    "attempt_times",
    "is_matcher",
    "lookup",
    "matches",
    "same_number",
    "same_time",
    "same_times",
    "shown",
]

#: Two virtual times are the same when they differ by less than half a millisecond: when
#: they read the same written to the millisecond, as every report writes them.
TIME_TOLERANCE = 0.0005


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()
_MATCHERS = ("$length", "$contains", "$matches", "$present", "$type")
_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "number": (int, float),
    "integer": int,
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}


def lookup(value: Any, path: str) -> Any:
    """`data.items[0].id` or `data.items.0.id` in a JSON value; MISSING when absent."""
    for part in re.findall(r"[^.\[\]]+", path):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return MISSING
    return value


def is_matcher(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _MATCHERS


def shown(actual: Any, expected: Any) -> Any:
    """What to report as the actual value: for `$length`, `$type` and `$present` the measured
    property (a length, a type name, whether it is there) rather than the whole value."""
    if not is_matcher(expected):
        return actual
    matcher = next(iter(expected))
    if matcher == "$present":
        return actual is not MISSING
    if actual is MISSING:
        return actual
    if matcher == "$length":
        return len(actual) if hasattr(actual, "__len__") else None
    if matcher == "$type":
        for name, kind in _TYPES.items():
            if isinstance(actual, kind) and not (isinstance(actual, bool) and name != "boolean"):
                return {"$type": name}
    return actual


def matches(actual: Any, expected: Any) -> bool:
    """Whether `actual` is what `expected` asks for (a literal or a one-key matcher)."""
    if is_matcher(expected):
        ((matcher, argument),) = expected.items()
        if matcher == "$present":
            return (actual is not MISSING) == bool(argument)
        if actual is MISSING:
            return False
        if matcher == "$length":
            return hasattr(actual, "__len__") and len(actual) == argument
        if matcher == "$contains":
            if isinstance(actual, str):
                return str(argument) in actual
            return isinstance(actual, list | dict) and argument in actual
        if matcher == "$matches":
            return isinstance(actual, str) and re.search(str(argument), actual) is not None
        wanted = _TYPES.get(str(argument))
        if wanted is None or (isinstance(actual, bool) and argument != "boolean"):
            return False
        return isinstance(actual, wanted)
    if actual is MISSING:
        return False
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return same_number(actual, expected)
    return bool(actual == expected)


def same_number(actual: Any, expected: float) -> bool:
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    return abs(actual - expected) <= 1e-6 * max(1.0, abs(expected))


def attempt_times(records: Iterable[AttemptRecord], origin: float) -> list[float]:
    """When each attempt started, in virtual seconds after `origin`, to the millisecond.

    The one "attempt times" rule of scenario files (`attempts: {at: [...]}`, `origin` the
    scenario's start) and of the pytest plugin (`assert_attempt_times`, `origin` the event's
    publication): measured from the attempt's start, compared with `same_times`."""
    return [round(record.started_at - origin, 3) for record in records]


def same_time(actual: float, expected: float, tolerance: float = TIME_TOLERANCE) -> bool:
    return abs(actual - expected) < tolerance


def same_times(
    actual: Sequence[float], expected: Sequence[float], tolerance: float = TIME_TOLERANCE
) -> bool:
    """Virtual times agree to the millisecond (less than `tolerance` apart), one for one."""
    return len(actual) == len(expected) and all(
        same_time(a, e, tolerance) for a, e in zip(actual, expected, strict=True)
    )


#: Matchers a list expectation accepts instead of the list written out.
LIST_MATCHERS = ("$all", "$count", "$prefix")


def list_problem(
    actual: Sequence[Any], expected: Any, same: Callable[[Any, Any], bool] | None = None
) -> str | None:
    """Why `actual` is not what `expected` asks (None: it is): a list item for item, or one
    of `{$all: X}` (every item is X, and there is one at least), `{$count: {X: n, ...}}`
    (exactly n items are X) and `{$prefix: [...]}` (it starts with these). The reason says
    where the lists part (item numbers from 1)."""
    equal = same if same is not None else matches
    if isinstance(expected, dict) and len(expected) == 1:
        ((matcher, argument),) = expected.items()
        if matcher == "$all":
            if not actual:
                return f"expected every item to be {argument!r}, but there are none"
            for number, item in enumerate(actual, 1):
                if not equal(item, argument):
                    return f"expected every item to be {argument!r}; item {number} is {item!r}"
            return None
        if matcher == "$count":
            wrong = []
            for wanted, count in argument.items():
                found = sum(1 for item in actual if equal(item, wanted) or str(item) == str(wanted))
                if found != count:
                    wrong.append(f"{count} x {wanted!r} expected, {found} found")
            return "; ".join(wrong) or None
        if matcher == "$prefix":
            head = list(actual[: len(argument)])
            if len(head) < len(argument):
                return f"expected it to start with {len(argument)} items, it has {len(head)}"
            return _first_difference(head, list(argument), equal)
    return _first_difference(list(actual), list(expected), equal)


def _first_difference(
    actual: list[Any], expected: list[Any], equal: Callable[[Any, Any], bool]
) -> str | None:
    for number, (a, e) in enumerate(zip(actual, expected, strict=False), 1):
        if not equal(a, e):
            counts = (
                f" ({len(expected)} items expected, {len(actual)} found)"
                if len(actual) != len(expected)
                else ""
            )
            return f"item {number} differs: expected {e!r}, got {a!r}{counts}"
    if len(actual) > len(expected):
        return (
            f"{len(expected)} items expected, {len(actual)} found (the first {len(expected)} agree)"
        )
    if len(actual) < len(expected):
        return (
            f"{len(expected)} items expected, {len(actual)} found (all {len(actual)} agree; "
            f"item {len(actual) + 1} is missing)"
        )
    return None
