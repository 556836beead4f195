"""Checks on what callers ask of the platform, with messages that name the bad field.

The API's JSON Schema catches the shape of a request; these checks hold the rules a schema
cannot say well (known event names, header names, reserved headers), and they also guard
callers that bypass HTTP (scenarios, the pytest plugin).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from hooksim.contracts import reserved_headers

from ._errors import InvalidInput
from ._events import EVENT_TYPES
from ._mapping import DEFAULT_LIMITS, MappingLimits, check_mapping
from ._models import BatchPolicy

__all__ = [
    "BATCH_MAX_EVENTS",
    "BATCH_MAX_WAIT",
    "CREATE_FIELDS",
    "MAX_RETRIES_LIMIT",
    "UPDATE_FIELDS",
    "check_subscription_fields",
]

CREATE_FIELDS = frozenset(
    {
        "types",
        "url",
        "headers",
        "cardTemplateId",
        "actionFlowConfigId",
        "name",
        "method",
        "maxRetries",
        "disableAfterFailures",
        "credentialId",
        "mapping",
        "batch",
    }
)
UPDATE_FIELDS = frozenset(
    {
        "types",
        "url",
        "headers",
        "name",
        "method",
        "maxRetries",
        "disableAfterFailures",
        "credentialId",
        "mapping",
        "batch",
    }
)
IMMUTABLE_FIELDS = frozenset({"cardTemplateId", "actionFlowConfigId"})
MAX_RETRIES_LIMIT = 1000
MAX_HEADERS = 20
MAX_URL_LENGTH = 2048
#: Bounds of a subscription's `batch`: events per request, seconds the first one may wait.
BATCH_MAX_EVENTS = 1000
BATCH_MAX_WAIT = 3600.0

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_EVENT_SET = frozenset(EVENT_TYPES)
#: A subscription's API field -> its attribute on the record.
SUBSCRIPTION_ATTRIBUTES = {
    "types": "types",
    "url": "url",
    "headers": "headers",
    "name": "name",
    "method": "method",
    "maxRetries": "max_retries",
    "disableAfterFailures": "disable_after_failures",
    "credentialId": "credential_id",
    "mapping": "mapping",
    "batch": "batch",
}


def check_subscription_fields(
    body: Mapping[str, Any],
    *,
    creating: bool,
    signature_header: str,
    mapping_limits: MappingLimits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Validate a subscribe (or update) body; answer it normalised, in API field names."""
    if not isinstance(body, Mapping):
        raise InvalidInput("the request body must be a JSON object")
    allowed = CREATE_FIELDS if creating else UPDATE_FIELDS
    for name in body:
        if name in allowed:
            continue
        if not creating and name in IMMUTABLE_FIELDS:
            raise InvalidInput(
                f"{name} cannot be changed after the subscription is created; "
                "create a new subscription for another card scope",
                field=name,
            )
        raise InvalidInput(f"unknown field {name!r} (allowed: {', '.join(sorted(allowed))})", name)
    if creating:
        for required in ("types", "url"):
            if required not in body:
                raise InvalidInput(f"{required!r} is required", field=required)

    clean: dict[str, Any] = {}
    if "types" in body:
        clean["types"] = _types(body["types"])
    if "url" in body:
        clean["url"] = _url(body["url"])
    if "headers" in body:
        clean["headers"] = _headers(body["headers"], signature_header)
    for name in ("cardTemplateId", "actionFlowConfigId"):
        if name in body and body[name] is not None:
            clean[name] = _scope_id(name, body[name])
    if "name" in body:
        clean["name"] = _name(body["name"])
    if "method" in body:
        method = body["method"]
        if method not in ("POST", "PUT"):
            raise InvalidInput(f"method must be 'POST' or 'PUT', not {method!r}", "method")
        clean["method"] = method
    if "maxRetries" in body:
        clean["maxRetries"] = _max_retries(body["maxRetries"])
    if "disableAfterFailures" in body:
        value = body["disableAfterFailures"]
        if not isinstance(value, bool):
            raise InvalidInput(
                f"disableAfterFailures must be true or false, not {value!r}",
                "disableAfterFailures",
            )
        clean["disableAfterFailures"] = value
    if "credentialId" in body:
        clean["credentialId"] = _credential_id(body["credentialId"])
    if "mapping" in body:
        clean["mapping"] = check_mapping(body["mapping"], mapping_limits)
    if "batch" in body:
        clean["batch"] = _batch(body["batch"])
    return clean


def _credential_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise InvalidInput(
            "credentialId must be the id of a delivery credential of this environment, or null",
            "credentialId",
        )
    return value


def _batch(value: Any) -> BatchPolicy | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) != {"maxEvents", "maxWaitSeconds"}:
        raise InvalidInput("batch must be an object {maxEvents, maxWaitSeconds}, or null", "batch")
    events, wait = value["maxEvents"], value["maxWaitSeconds"]
    if (
        isinstance(events, bool)
        or not isinstance(events, int)
        or not 1 <= events <= BATCH_MAX_EVENTS
    ):
        raise InvalidInput(
            f"batch.maxEvents must be a whole number from 1 to {BATCH_MAX_EVENTS}", "batch"
        )
    if (
        isinstance(wait, bool)
        or not isinstance(wait, int | float)
        or not 0 <= wait <= BATCH_MAX_WAIT
    ):
        raise InvalidInput(
            f"batch.maxWaitSeconds must be a number from 0 to {BATCH_MAX_WAIT:g}", "batch"
        )
    return BatchPolicy(events, float(wait))


def _types(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise InvalidInput("types must be a non-empty list of analytics event names", "types")
    seen: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise InvalidInput(f"types must hold event names (strings), not {item!r}", "types")
        if item not in _EVENT_SET:
            raise InvalidInput(
                f"unknown analytics event {item!r} in types; known events: "
                + ", ".join(EVENT_TYPES),
                "types",
            )
        if item not in seen:
            seen.append(item)
    return seen


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput("url must be an http or https URL", "url")
    if len(value) > MAX_URL_LENGTH:
        raise InvalidInput(f"url is longer than {MAX_URL_LENGTH} characters", "url")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise InvalidInput("url must not contain spaces or control characters", "url")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidInput(f"url {value!r} is not a valid URL: {exc}", "url") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(f"url must use http or https, not {parts.scheme or 'nothing'!r}", "url")
    if not parts.hostname:
        raise InvalidInput(f"url {value!r} has no host", "url")
    return value


def _headers(value: Any, signature_header: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidInput("headers must be an object of header names to values", "headers")
    if len(value) > MAX_HEADERS:
        raise InvalidInput(f"at most {MAX_HEADERS} custom headers are allowed", "headers")
    reserved = reserved_headers(signature_header)
    clean: dict[str, str] = {}
    for name, header_value in value.items():
        if not isinstance(name, str) or not _TOKEN.match(name) or len(name) > 256:
            raise InvalidInput(f"header name {name!r} is not a valid HTTP header name", "headers")
        if name.lower() in reserved:
            raise InvalidInput(
                f"header {name!r} is set by the platform and cannot be overridden", "headers"
            )
        if not isinstance(header_value, str):
            raise InvalidInput(f"header {name!r} must have a string value", "headers")
        if any(ch in header_value for ch in "\r\n\x00") or len(header_value) > 4096:
            raise InvalidInput(
                f"header {name!r} has a value with CR, LF or NUL, or over 4096 characters",
                "headers",
            )
        clean[name] = header_value
    return clean


def _scope_id(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(f"{name} must be a string or a number, not {value!r}", name)
    text = str(value)
    if not text or len(text) > 256:
        raise InvalidInput(f"{name} must be 1 to 256 characters", name)
    return text


def _name(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 256:
        raise InvalidInput("name must be a string of at most 256 characters, or null", "name")
    return value


def _max_retries(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RETRIES_LIMIT:
        raise InvalidInput(
            f"maxRetries must be a whole number from 0 to {MAX_RETRIES_LIMIT}, or null",
            "maxRetries",
        )
    return value
