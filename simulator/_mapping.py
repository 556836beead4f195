"""Payload mapping: a subscription's Jinja2 template that reshapes what it receives.

The real platform runs a JavaScript function; hooksim runs a Jinja2 template in
`jinja2.sandbox.ImmutableSandboxedEnvironment` (the sandbox that also refuses to change the
event data it is given): autoescape off, `StrictUndefined` (a missing field is an error, not
an empty string), and a `tojson` filter that writes compact JSON (Jinja's own escapes for
HTML). The template sees the envelope's fields (`requestId`, `environmentId`, `webhookId`,
`isBatched`, `data`: a list when batched) and the whole `envelope`; what it renders must be
JSON, and is sent (and signed) as it was rendered, surrounding whitespace removed.

A template that does not compile, or that reaches for an underscore attribute (the way out of
a sandbox), is refused when the subscription is created or updated (`check_mapping`, an
InvalidInput naming the line). A failure at delivery time (`render_mapping` raises
`MappingFailure`) fails that attempt, which is retried like any failure.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ._errors import InvalidInput

__all__ = [
    "MAX_MAPPING_BYTES",
    "MAX_MAPPED_BYTES",
    "MappingFailure",
    "check_mapping",
    "render_mapping",
]

#: The largest template accepted (UTF-8 bytes).
MAX_MAPPING_BYTES = 64 * 1024
#: The largest body a mapping may render.
MAX_MAPPED_BYTES = 1024 * 1024


class MappingFailure(Exception):
    """The mapping could not produce a body for this request; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _tojson(value: Any) -> str:
    def refuse(item: Any) -> Any:
        if isinstance(item, Undefined):
            item._fail_with_undefined_error()
        raise TypeError(f"{type(item).__name__} is not JSON serializable")

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=refuse)


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False
    )
    env.filters["tojson"] = _tojson
    return env


_ENV = _environment()


def check_mapping(source: Any) -> str | None:
    """Validate a subscription's `mapping` (None removes it); InvalidInput names the line."""
    if source is None:
        return None
    if not isinstance(source, str) or not source.strip():
        raise InvalidInput("mapping must be a non-empty Jinja2 template string, or null", "mapping")
    if len(source.encode("utf-8", "surrogatepass")) > MAX_MAPPING_BYTES:
        raise InvalidInput(f"mapping is larger than {MAX_MAPPING_BYTES} bytes", "mapping")
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"mapping line {exc.lineno}: {exc.message}", "mapping") from None
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        # `x._y` never reaches a JSON field (Jinja looks attributes up first); `x["__y"]`
        # falls back to the attribute on anything that is not a mapping.
        if isinstance(node, nodes.Getattr):
            name, unsafe = node.attr, node.attr.startswith("_")
        elif isinstance(node, nodes.Getitem):
            name = _constant(node.arg)
            unsafe = isinstance(name, str) and name.startswith("__")
        else:  # pragma: no cover - find_all yields only the two
            continue
        if unsafe:
            raise InvalidInput(
                f"mapping line {node.lineno}: access to {name!r} is refused (the template runs "
                "in a sandbox; attributes starting with '_' are out of reach)",
                "mapping",
            )
    try:
        _compile(source)
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"mapping line {exc.lineno}: {exc.message}", "mapping") from None
    return source


def _constant(node: nodes.Node) -> Any:
    return node.value if isinstance(node, nodes.Const) else None


@functools.lru_cache(maxsize=256)
def _compile(source: str) -> Template:
    return _ENV.from_string(source)


def render_mapping(source: str, envelope: Mapping[str, Any]) -> bytes:
    """The body `source` renders for `envelope`, as UTF-8 JSON; MappingFailure if it cannot."""
    try:
        template = _compile(source)
    except TemplateSyntaxError as exc:  # stored before a check existed: still only a failure
        raise MappingFailure(f"mapping line {exc.lineno}: {exc.message}") from None
    context = dict(envelope)
    context["envelope"] = envelope
    size = 0
    chunks: list[str] = []
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_MAPPED_BYTES:
                raise MappingFailure(f"mapping rendered more than {MAX_MAPPED_BYTES} bytes")
            chunks.append(chunk)
    except MappingFailure:
        raise
    except SecurityError as exc:
        raise MappingFailure(f"mapping refused{_line(exc.__traceback__)}: {exc}") from None
    except Exception as exc:
        raise MappingFailure(
            f"mapping failed{_line(exc.__traceback__)}: {type(exc).__name__}: {exc}"
        ) from None
    text = "".join(chunks).strip()
    try:
        json.loads(text)
    except ValueError as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        where = (
            f" (line {exc.lineno} column {exc.colno} of the output)"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise MappingFailure(f"mapping rendered invalid JSON: {detail}{where}") from None
    body = text.encode("utf-8")
    if len(body) > MAX_MAPPED_BYTES:
        raise MappingFailure(f"mapping rendered more than {MAX_MAPPED_BYTES} bytes")
    return body


def _line(tb: TracebackType | None) -> str:
    """' at line N' of the template where the error was raised, when Jinja tells it."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" at line {line}" if line is not None else ""
