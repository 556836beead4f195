"""Checking a parsed scenario against the scenario JSON Schema (`_schema.json`), with
messages for people: where (file:line:column and the YAML path), what was expected, and a
"did you mean" for a misspelt key or name."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from hooksim.simulator import did_you_mean
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance

from ._errors import Problem
from ._marks import Document, Path

__all__ = ["SCHEMA_FILE", "did_you_mean", "schema", "schema_problems"]

SCHEMA_FILE = "_schema.json"
MAX_PROBLEMS = 20


@cache
def schema() -> dict[str, Any]:
    """The scenario format as JSON Schema (draft 2020-12), as shipped in the package."""
    text = resources.files("hooksim.scenarios").joinpath(SCHEMA_FILE).read_text("utf-8")
    value: dict[str, Any] = json.loads(text)
    return value


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def schema_problems(
    document: Document, validator: Draft202012Validator | None = None
) -> list[Problem]:
    """Every way the document breaks the schema (the scenario schema unless `validator` says
    another, such as a platform profile's), in file order (at most MAX_PROBLEMS)."""
    problems: dict[tuple[int, int, str], Problem] = {}
    for error in (validator or _validator()).iter_errors(document.value):
        for narrowed in _narrow(error):
            for problem in _explain(narrowed, document):
                problems.setdefault((problem.line, problem.column, problem.message), problem)
    ordered = sorted(problems.values(), key=lambda p: (p.line, p.column))
    return ordered[:MAX_PROBLEMS]


def _narrow(error: ValidationError) -> list[ValidationError]:
    """For anyOf/oneOf on a mapping or list, the errors of the branch the value was meant for."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    if not isinstance(error.instance, dict | list) and "x-expected" in error.schema:
        return [error]
    typed = [e for e in error.context if not _type_mismatch(e, error)]
    if not typed:
        return [error]
    branch = max(typed, key=relevance).relative_schema_path[0]
    chosen = [e for e in typed if e.relative_schema_path[0] == branch]
    return [narrowed for e in chosen for narrowed in _narrow(e)]


def _type_mismatch(sub: ValidationError, parent: ValidationError) -> bool:
    """Whether `sub` only says the value is not of its branch's kind."""
    same_place = list(sub.absolute_path) == list(parent.absolute_path)
    return same_place and sub.validator in ("type", "enum", "const", "anyOf", "pattern")


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


#: Keys of a step itself, easily written inside its action's mapping instead.
_STEP_KEYS = ("at", "every", "until")


def _misplaced_on_step(path: Path, key: str) -> str | None:
    """For `publish: {type: x, every: 5m}`: where the key goes, rather than 'unknown'."""
    if len(path) != 3 or path[0] != "steps" or key not in _STEP_KEYS:
        return None
    action = path[2]
    return (
        f"{key!r} belongs to the step, beside {action!r}, not inside it: write "
        f"`- {action}: {{...}}` and `{key}: ...` on the next line, indented like {action!r}"
    )


def _explain(error: ValidationError, document: Document) -> list[Problem]:
    path: Path = tuple(error.absolute_path)
    value = error.instance
    sub = error.schema if isinstance(error.schema, dict) else {}
    expected = sub.get("x-expected")
    kind = error.validator
    parent = document.value_at(path) if path else None
    if isinstance(value, str) and isinstance(parent, dict) and value in parent:
        what = expected or error.message  # a bad key (propertyNames)
        return [document.problem((*path, value), f"bad name {value!r}: expected {what}", key=True)]
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(sub.get("properties", {}))
        unknown = [key for key in value if key not in allowed]
        if not allowed:  # a mapping of names: the values were wrong, reported elsewhere
            return [document.problem(path, error.message)]
        return [
            document.problem(
                (*path, key),
                _misplaced_on_step(path, key)
                or f"unknown key {key!r}{did_you_mean(key, allowed)}; "
                f"expected one of: {', '.join(allowed)}",
                key=True,
            )
            for key in unknown
        ]
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [document.problem(path, f"missing required key {missing!r}")]
    if kind == "enum":
        choices = [str(c) for c in sub.get("enum", [])]
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        listed = ", ".join("null" if c is None else str(c) for c in sub.get("enum", []))
        what = expected or f"one of: {listed}"
        return [document.problem(path, f"expected {what}, got {_describe(value)}{hint}")]
    if kind == "type":
        wanted = sub.get("type")
        names = [wanted] if isinstance(wanted, str) else list(wanted or [])
        what = expected or " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        return [document.problem(path, f"expected {what}, got {_describe(value)}")]
    if kind in ("anyOf", "oneOf", "pattern", "const"):
        what = expected or error.message
        return [document.problem(path, f"expected {what}, got {_describe(value)}")]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {
            "minimum": ">=",
            "maximum": "<=",
            "exclusiveMinimum": ">",
            "exclusiveMaximum": "<",
        }[kind]
        what = expected or f"a number {bound} {error.validator_value}"
        return [document.problem(path, f"expected {what}, got {_describe(value)}")]
    if kind == "minItems":
        return [document.problem(path, f"expected at least {error.validator_value} item(s)")]
    if kind == "uniqueItems":
        return [document.problem(path, "expected every item to be different")]
    if kind == "minProperties":
        keys = ", ".join(sub.get("properties", {}))
        return [document.problem(path, f"expected at least one of: {keys}")]
    if kind in ("minLength", "maxLength"):
        return [document.problem(path, f"expected {expected or error.message}")]
    if kind == "propertyNames":
        return [document.problem(path, f"bad key: {expected or error.message}")]
    return [document.problem(path, expected or error.message)]
