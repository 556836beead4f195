"""The management API as the OpenAPI document declares it: routes, bodies, query parameters.

Routing and validation are derived from `contracts/openapi.yaml`, so the served API cannot
drift from its contract: a path or method the document does not declare is a 404 or a 405,
and a body or query the document's schemas reject is a 400 that names the field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from hooksim.contracts import load_openapi
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from ._api_errors import MethodNotAllowed
from ._errors import InvalidInput, NotFound, did_you_mean
from ._secrets import describe_rule, is_secret, secret_paths

__all__ = ["Contract", "Operation", "parse_json_body"]

_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
#: JSON nested deeper than this is refused before it can exhaust the stack anywhere.
MAX_JSON_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str  # upper case
    template: str
    #: One entry per path segment: a literal, or None where a parameter goes.
    segments: tuple[str | None, ...]
    parameters: tuple[str, ...]  # path parameter names, in order
    #: "none" (public), "bearer" (bearer token) or "basic" (the token endpoint's client auth).
    auth: str
    role: str | None
    body_media_type: str | None
    body_validator: Draft202012Validator | None
    #: Top-level body fields typed integer: an integral float (3.0) there is taken as 3.
    body_integers: frozenset[str]
    query_names: tuple[str, ...]
    query_types: Mapping[str, str]
    query_validator: Draft202012Validator | None
    #: Where the body holds secrets (`_secrets.py`): an error there never quotes the value.
    body_secrets: frozenset[tuple[str, ...]] = frozenset()


class Contract:
    """Routes and validators built once from the OpenAPI document."""

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        self.document = document if document is not None else load_openapi()
        self._root = {"components": self.document.get("components", {})}
        self.operations: dict[str, Operation] = {}
        self._paths: list[tuple[tuple[str | None, ...], dict[str, Operation]]] = []
        for template, item in self.document["paths"].items():
            by_method: dict[str, Operation] = {}
            for method in _METHODS:
                if method in item:
                    operation = self._operation(template, method, item)
                    by_method[operation.method] = operation
                    self.operations[operation.operation_id] = operation
            self._paths.append((_segments(template), by_method))
        # A literal segment beats a parameter where two templates could both match.
        self._paths.sort(key=lambda entry: [segment is None for segment in entry[0]])

    # building -----------------------------------------------------------------------
    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        # `$ref: '#/components/...'` resolves against a root that holds the components.
        return Draft202012Validator({**self._root, **schema})

    def _operation(self, template: str, method: str, item: dict[str, Any]) -> Operation:
        spec = item[method]
        parameters = [self._resolve(p) for p in item.get("parameters", [])]
        parameters += [self._resolve(p) for p in spec.get("parameters", [])]
        security = spec.get("security", self.document.get("security", []))
        schemes = {name for requirement in security for name in requirement}
        auth = "none" if not schemes else "basic" if schemes == {"clientBasic"} else "bearer"
        body_media_type = None
        body_validator = None
        body_integers: frozenset[str] = frozenset()
        body_secrets: frozenset[tuple[str, ...]] = frozenset()
        body = spec.get("requestBody")
        if body is not None:
            body_media_type, media = next(iter(body["content"].items()))
            body_validator = self._validator(media["schema"])
            body_secrets = secret_paths(media["schema"], self._resolve)
            properties = self._resolve(media["schema"]).get("properties", {})
            body_integers = frozenset(
                name
                for name, schema in properties.items()
                if "integer" in _types(self._resolve(schema).get("type"))
            )
        query = [p for p in parameters if p["in"] == "query"]
        query_schema = {
            "type": "object",
            "properties": {p["name"]: p["schema"] for p in query},
            "required": [p["name"] for p in query if p.get("required")],
        }
        return Operation(
            operation_id=spec["operationId"],
            method=method.upper(),
            template=template,
            segments=_segments(template),
            parameters=tuple(p["name"] for p in parameters if p["in"] == "path"),
            auth=auth,
            role=spec.get("x-hooksim-role"),
            body_media_type=body_media_type,
            body_validator=body_validator,
            body_integers=body_integers,
            query_names=tuple(p["name"] for p in query),
            query_types={p["name"]: self._resolve(p["schema"]).get("type", "") for p in query},
            query_validator=self._validator(query_schema) if query else None,
            body_secrets=body_secrets,
        )

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    # routing ------------------------------------------------------------------------
    def route(self, raw_path: str, method: str) -> tuple[Operation, dict[str, str]]:
        """The operation for a request, and its path parameters (percent-decoded).

        `raw_path` is the path as sent, still percent-encoded, so that an encoded `/` inside
        an id stays inside that id instead of changing the route.
        """
        parts = raw_path.split("/")[1:] if raw_path.startswith("/") else None
        if parts is not None:
            for segments, by_method in self._paths:
                values = _match(segments, parts)
                if values is None:
                    continue
                operation = by_method.get(method.upper())
                if operation is None:
                    allowed = ", ".join(sorted(by_method))
                    raise MethodNotAllowed(
                        f"{method.upper()} is not allowed on {raw_path}; allowed: {allowed}",
                        headers={"Allow": allowed},
                    )
                return operation, dict(zip(operation.parameters, values, strict=True))
        raise NotFound(f"no such endpoint: {raw_path} (the API is described at /openapi.yaml)")

    # validation ---------------------------------------------------------------------
    def query(self, operation: Operation, args: Mapping[str, Any]) -> dict[str, Any]:
        """The declared query parameters, typed and validated (unknown ones are ignored).

        `args` maps names to lists of values (or is a werkzeug MultiDict).
        """
        values: dict[str, Any] = {}
        for name in operation.query_names:
            getlist = getattr(args, "getlist", None)
            given = getlist(name) if getlist is not None else args.get(name) or []
            if len(given) > 1:
                raise InvalidInput(f"query parameter {name!r} was given more than once", name)
            if given:
                values[name] = _typed(given[0], operation.query_types[name])
        if operation.query_validator is not None:
            error = best_match(operation.query_validator.iter_errors(values))
            if error is not None:
                raise _invalid(error, "query parameter ")
        return values

    @staticmethod
    def body(operation: Operation, document: Any) -> Any:
        """Check a parsed body against the operation's schema.

        JSON Schema counts 3.0 as an integer; the engine wants an int, so integral floats in
        integer fields are handed on as ints.
        """
        assert operation.body_validator is not None
        error = best_match(operation.body_validator.iter_errors(document))
        if error is not None:
            raise _invalid(error, "", operation.body_secrets)
        if isinstance(document, dict) and operation.body_integers:
            document = {
                name: int(value)
                if name in operation.body_integers and isinstance(value, float)
                else value
                for name, value in document.items()
            }
        return document


def _types(declared: Any) -> list[Any]:
    return declared if isinstance(declared, list) else [declared]


def _segments(template: str) -> tuple[str | None, ...]:
    return tuple(
        None if part.startswith("{") and part.endswith("}") else part
        for part in template.split("/")[1:]
    )


def _match(segments: tuple[str | None, ...], parts: list[str]) -> list[str] | None:
    if len(segments) != len(parts):
        return None
    values = []
    for segment, part in zip(segments, parts, strict=True):
        if segment is None:
            if not part:
                return None
            values.append(unquote(part, errors="replace"))
        elif unquote(part, errors="replace") != segment:
            return None
    return values


def _typed(value: str, kind: Any) -> Any:
    # Query strings are text; booleans are spelled true/false, anything else stays a string
    # so that the schema rejects it with a message naming the parameter.
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _field_path(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _invalid(
    error: ValidationError, label: str, secrets: frozenset[tuple[str, ...]] = frozenset()
) -> InvalidInput:
    """Turn a JSON Schema error into a 400 that names the field and says what to send (and,
    for a secret field, never what was sent)."""
    path = list(error.absolute_path)
    keyword = error.validator
    if path and is_secret(path, secrets):
        field = _field_path(path)
        return InvalidInput(f"{label}{field}: {describe_rule(error)}", field)
    if keyword == "required":
        missing = [
            name
            for name in error.validator_value
            if isinstance(error.instance, dict) and name not in error.instance
        ]
        field = _field_path([*path, missing[0]]) if missing else _field_path(path)
        return InvalidInput(f"{label}{field!r} is required", field)
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(name for name in error.instance if name not in allowed)
        field = _field_path([*path, extra[0]]) if extra else _field_path(path)
        immutable = error.schema.get("x-hooksim-immutable", ())
        if extra and extra[0] in immutable:
            return InvalidInput(
                f"{field} cannot be changed after the subscription is created; "
                "create a new subscription for another card scope",
                field,
            )
        known = ", ".join(sorted(allowed)) or "none"
        return InvalidInput(f"unknown field {field!r} (allowed fields: {known})", field)
    field = _field_path(path) or "body"
    if "propertyNames" in error.relative_schema_path:
        hint = error.schema.get("x-hooksim-message", "that name is not allowed")
        return InvalidInput(f"{field}: name {_short(error.instance)} is not allowed: {hint}", field)
    hint = error.schema.get("x-hooksim-message")
    if hint:
        return InvalidInput(f"{label}{field}: {_short(error.instance)} {hint}", field)
    if keyword == "enum" and isinstance(error.instance, str):
        # The list can be long (25 event types): the likely intended one first.
        choices = [str(c) for c in error.validator_value]
        guess = did_you_mean(error.instance, choices)
        listed = ", ".join(choices)
        value = _short(error.instance)
        message = f"{label}{field}: {value} is not one of the allowed values{guess}: {listed}"
        return InvalidInput(message, field)
    return InvalidInput(f"{label}{field}: {_clip(error.message)}", field)


def _clip(text: str) -> str:
    return text if len(text) <= 400 else text[:397] + "..."


def parse_json_body(raw: bytes) -> Any:
    """Strict JSON: UTF-8, no NaN or Infinity, no lone surrogates, nesting at most 32 deep."""
    if not raw.strip():
        raise InvalidInput("the request body is empty; send a JSON object", "body")
    try:
        text = raw.decode("utf-8")
        document = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except UnicodeDecodeError:
        raise InvalidInput("the request body is not UTF-8 text", "body") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"the request body is not valid JSON: {exc}", "body") from None
    except (ValueError, RecursionError) as exc:
        # Numbers too long to convert, NaN/Infinity, nesting too deep for the parser.
        raise InvalidInput(f"the request body is not acceptable JSON: {exc}", "body") from None
    _check_tree(document)
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # Not quoted: the number may have been sent in a secret field.
        raise ValueError("a number is out of range (too large for a double)")
    return value


def _check_tree(document: Any) -> None:
    # Iterative, so that the check itself never recurses.
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise InvalidInput(
                    f"the request body nests deeper than {MAX_JSON_DEPTH} levels", "body"
                )
            children = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in children:
                if isinstance(key, str) and _SURROGATE.search(key):
                    raise InvalidInput("the request body holds a lone UTF-16 surrogate", "body")
                stack.append((child, depth + 1))
        elif isinstance(node, str) and _SURROGATE.search(node):
            raise InvalidInput("the request body holds a lone UTF-16 surrogate", "body")
