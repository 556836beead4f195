"""The payload schema file, as the delivery judge validates every request body against it.

The schema is read from the contract's own file (`contracts/webhook-payload.schema.json`),
never from the code that builds envelopes. `jsonschema` explains what is wrong (the same
message `hooksim.contracts.validate_payload` would give); `jsonschema_rs`, when installed,
answers the common question first ("is it valid?") about a hundred times faster, which is
what keeps judging the library's thousands of requests cheap. Both implement draft 2020-12.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

__all__ = ["PayloadSchema"]

_SCHEMA_FILE = "webhook-payload.schema.json"


def _fast_check(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - depends on the installation
        return None
    validator = jsonschema_rs.Draft202012Validator(schema)
    return validator.is_valid  # type: ignore[no-any-return]


class PayloadSchema:
    """`problem(payload)`: None for a valid webhook body, else what is wrong and where."""

    def __init__(self, schema: dict[str, Any], *, fast: bool = True) -> None:
        Draft202012Validator.check_schema(schema)
        self._validator = Draft202012Validator(schema)
        self._is_valid = (_fast_check(schema) if fast else None) or self._validator.is_valid

    @staticmethod
    @cache
    def shared() -> PayloadSchema:
        """The contract's schema file, read once per process."""
        text = resources.files("hooksim.contracts").joinpath(_SCHEMA_FILE).read_text("utf-8")
        return PayloadSchema(json.loads(text))

    def problem(self, payload: Any) -> str | None:
        if self._is_valid(payload):
            return None
        error = best_match(self._validator.iter_errors(payload))
        if error is None:  # the two validators disagree: jsonschema, the reference, decides
            return None
        where = "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        # jsonschema quotes the whole offending value; a data object would drown the rule.
        shown = repr(error.instance)
        message = error.message.replace(shown, shown[:37] + "..." if len(shown) > 40 else shown)
        return f"{message} (at body{where})"
