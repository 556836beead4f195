"""Records as JSON text and back, driven by their dataclass fields and type hints.

The durable store keeps subscriptions, deliveries, attempt records and settings this way, so
that a field added to a model (with a default) is kept without a schema change, and a field
an older file lacks takes its default. Nested dataclasses, tuples and enums come back as
themselves; a field the model no longer has is ignored.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import fields, is_dataclass
from enum import Enum
from functools import cache
from typing import Any, TypeVar

__all__ = ["decode", "encode"]

T = TypeVar("T")


def encode(record: Any, skip: tuple[str, ...] = ()) -> str:
    """A dataclass record as compact JSON (its fields, less `skip`)."""
    values = {f.name: getattr(record, f.name) for f in fields(record) if f.name not in skip}
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False, default=_plain)


def decode(cls: type[T], text: str | bytes, **extra: Any) -> T:
    """The `cls` record `text` encoded; `extra` gives fields kept elsewhere (a body)."""
    values = json.loads(text)
    hints = _hints(typing.cast(Any, cls))
    arguments = {name: _convert(hints[name], values[name]) for name in hints if name in values}
    arguments.update(extra)
    return cls(**arguments)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot store a {type(value).__name__} in a record")


@cache
def _hints(cls: Any) -> dict[str, Any]:
    resolved = typing.get_type_hints(cls)
    return {f.name: resolved[f.name] for f in fields(cls)}


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        for option in typing.get_args(hint):
            if option is not type(None):
                converted = _convert(option, value)
                if converted is not value:
                    return converted
        return value
    if origin is tuple and isinstance(value, list):
        return tuple(value)
    if isinstance(hint, type):
        if is_dataclass(hint) and isinstance(value, dict):
            inner = _hints(hint)
            return hint(**{k: _convert(inner[k], v) for k, v in value.items() if k in inner})
        if issubclass(hint, Enum):
            return hint(value)
    return value
