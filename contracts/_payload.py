"""The webhook payload as JSON Schema, and a validator receivers can use.

The schema is open (extra fields are allowed everywhere, `analyticsEvent` is any string) so
that a receiver validating with it keeps working when the platform grows.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

__all__ = ["PAYLOAD_SCHEMA_FILE", "payload_schema", "validate_payload"]

PAYLOAD_SCHEMA_FILE = "webhook-payload.schema.json"


@cache
def _validator() -> Draft202012Validator:
    text = resources.files("hooksim.contracts").joinpath(PAYLOAD_SCHEMA_FILE).read_text("utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def payload_schema() -> dict[str, Any]:
    """The webhook request body's JSON Schema (draft 2020-12); a copy the caller may change."""
    return copy.deepcopy(_validator().schema)  # type: ignore[arg-type]


def validate_payload(payload: Any) -> None:
    """Raise `jsonschema.ValidationError` (the most relevant one) unless `payload` is a valid
    webhook request body.

    `payload` is the parsed JSON, or the raw body as bytes or str (parsed here; a body that is
    not JSON raises `ValueError`).
    """
    if isinstance(payload, bytes | bytearray | str):
        payload = json.loads(payload)
    error = best_match(_validator().iter_errors(payload))
    if error is not None:
        raise error
