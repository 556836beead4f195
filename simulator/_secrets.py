"""Which request fields hold secrets, and how an error about one is told without its value.

The API contract marks them: `writeOnly: true` (OpenAPI's word for what is sent and never
answered: a credential's clientSecret, password, value, secretAccessKey, sessionToken) or
`x-hooksim-secret: true` (answered to their owner, but never quoted: custom header values,
which often carry an API key). An error about such a field names the field and the rule it
broke, never what was sent, however it was malformed (CR/LF, NUL, too long, a list).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from jsonschema.exceptions import ValidationError

__all__ = ["ANY", "secret_paths", "is_secret", "describe_rule"]

#: A path part that stands for any key or index (`additionalProperties`, `items`).
ANY = "*"

SecretPath = tuple[str, ...]
_COMBINATORS = ("allOf", "anyOf", "oneOf")


def secret_paths(
    schema: dict[str, Any], resolve: Callable[[dict[str, Any]], dict[str, Any]]
) -> frozenset[SecretPath]:
    """Every path (property names, ANY for any key or index) under which `schema` declares
    a secret value."""
    found: set[SecretPath] = set()
    _walk(schema, (), resolve, found, set())
    return frozenset(found)


def _walk(
    node: dict[str, Any],
    path: SecretPath,
    resolve: Callable[[dict[str, Any]], dict[str, Any]],
    found: set[SecretPath],
    visiting: set[int],
) -> None:
    node = resolve(node)
    if id(node) in visiting:  # a recursive schema: its secrets are already found
        return
    if node.get("writeOnly") or node.get("x-hooksim-secret"):
        found.add(path)
    visiting = visiting | {id(node)}
    for name, child in node.get("properties", {}).items():
        _walk(child, (*path, name), resolve, found, visiting)
    for key in ("additionalProperties", "items"):
        child = node.get(key)
        if isinstance(child, dict):
            _walk(child, (*path, ANY), resolve, found, visiting)
    for key in _COMBINATORS:
        for child in node.get(key, ()):
            _walk(child, path, resolve, found, visiting)
    for key in ("if", "then", "else", "not"):
        child = node.get(key)
        if isinstance(child, dict):
            _walk(child, path, resolve, found, visiting)


def is_secret(path: Iterable[str | int], paths: frozenset[SecretPath]) -> bool:
    """Whether the value at `path` is, or lies inside, a secret."""
    parts = list(path)
    for secret in paths:
        if len(secret) <= len(parts) and all(
            expected == ANY or expected == str(actual)
            for expected, actual in zip(secret, parts, strict=False)
        ):
            return True
    return False


def describe_rule(error: ValidationError) -> str:
    """What `error` says was required, in words that hold nothing of the value."""
    keyword, rule = error.validator, error.validator_value
    hint = error.schema.get("x-hooksim-message") if isinstance(error.schema, dict) else None
    if keyword == "type":
        kinds = rule if isinstance(rule, list) else [rule]
        return "must be " + " or ".join(_A.get(str(kind), str(kind)) for kind in kinds)
    if keyword == "minLength":
        return "must not be empty" if rule == 1 else f"must be at least {rule} characters"
    if keyword == "maxLength":
        return f"must be at most {rule} characters"
    if keyword == "pattern":
        return str(hint) if hint else "has characters that are not allowed here"
    if keyword in ("enum", "const"):
        choices = rule if isinstance(rule, list) else [rule]
        return "must be one of " + ", ".join(str(choice) for choice in choices)
    if hint:
        return str(hint)
    return f"is not valid (the contract's {keyword} rule)"


_A = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
