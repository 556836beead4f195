"""Payload mapping: a subscription's Jinja2 template that reshapes what it receives.

The real platform runs a JavaScript function; hooksim runs a Jinja2 template in
`jinja2.sandbox.ImmutableSandboxedEnvironment` (the sandbox that also refuses to change the
event data it is given): autoescape off, `StrictUndefined` (a missing field is an error, not
an empty string), and a `tojson` filter that writes compact JSON (Jinja's own escapes for
HTML). The template sees the envelope's fields (`requestId`, `environmentId`, `webhookId`,
`isBatched`, `data`: a list when batched) and the whole `envelope`; what it renders must be
JSON, and is sent (and signed) as it was rendered, surrounding whitespace removed.

Templates come from API callers, so they are held to bounds (`MappingLimits`, from the
environment's settings): at most `mapping_timeout` seconds of CPU time (default 100 ms) and
`mapping_memory_mb` MiB of memory (default 256) for each compilation and each rendering, at
most MAX_MAPPING_BYTES of source, at most MAX_MAPPED_BYTES rendered. They are enforced by
running every template in a worker process (`_sandbox.py` starts them,
`_mapping_worker.py` is what runs there, under the operating system's CPU-time and
address-space limits), so a template that loops, allocates or computes without end stops at
its bound and holds up nothing else: no other subscription, no API call, no shutdown.
Expressions are not folded while compiling, and `**` is refused when its result would be
huge (no timer can interrupt one such operation).

A template that does not compile, that reaches for an underscore attribute (the way out of a
sandbox), or that exceeds its bounds while compiling is refused when the subscription is
created or updated (`check_mapping`, an InvalidInput naming the line). A failure at delivery
time (`render_mapping` raises `MappingFailure`: an error, a bound reached) fails that
attempt, which is retried like any failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import _mapping_worker as worker
from ._errors import InvalidInput
from ._sandbox import SandboxAnswer, default_pool
from ._settings import Settings

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_MAPPED_BYTES",
    "MAX_MAPPING_BYTES",
    "MappingFailure",
    "MappingLimits",
    "check_mapping",
    "render_mapping",
]

#: The largest template accepted (UTF-8 bytes).
MAX_MAPPING_BYTES = 64 * 1024
#: The largest body a mapping may render.
MAX_MAPPED_BYTES = worker.MAX_RENDERED


@dataclass(frozen=True, slots=True)
class MappingLimits:
    """What one compilation or rendering of a template may use."""

    cpu_seconds: float = 0.1
    memory_mb: int = 256

    @classmethod
    def of(cls, settings: Settings) -> MappingLimits:
        return cls(settings.mapping_timeout, settings.mapping_memory_mb)

    def overrun(self, answer: SandboxAnswer, doing: str) -> str | None:
        """Why the sandbox stopped `doing` (compile, render) at a bound, or None."""
        if answer.status == worker.TIMEOUT:
            return (
                f"mapping took more than {self.cpu_seconds * 1000:g} ms of CPU time to "
                f"{doing} (the mapping timeout: setting mapping_timeout, hooksim serve "
                "--mapping-timeout)"
            )
        if answer.status == worker.MEMORY:
            return (
                f"mapping needed more than {self.memory_mb} MiB of memory to {doing} "
                "(setting mapping_memory_mb, hooksim serve --mapping-memory)"
            )
        return None


#: The bounds of the default settings.
DEFAULT_LIMITS = MappingLimits()


class MappingFailure(Exception):
    """The mapping could not produce a body for this request; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_mapping(source: Any, limits: MappingLimits = DEFAULT_LIMITS) -> str | None:
    """Validate a subscription's `mapping` (None removes it): it compiles within `limits`.
    InvalidInput names the line, or the bound it reached."""
    if source is None:
        return None
    if not isinstance(source, str) or not source.strip():
        raise InvalidInput("mapping must be a non-empty Jinja2 template string, or null", "mapping")
    if len(source.encode("utf-8", "surrogatepass")) > MAX_MAPPING_BYTES:
        raise InvalidInput(f"mapping is larger than {MAX_MAPPING_BYTES} bytes", "mapping")
    answer = _run(worker.CHECK, source, b"", limits)
    if answer.status != worker.OK:
        reason = limits.overrun(answer, "compile") or answer.payload.decode("utf-8", "replace")
        raise InvalidInput(reason, "mapping")
    return source


def render_mapping(
    source: str, envelope_json: bytes, limits: MappingLimits = DEFAULT_LIMITS
) -> bytes:
    """The body `source` renders for the envelope (its JSON), as UTF-8 JSON; MappingFailure
    if it cannot, or reaches a bound of `limits`."""
    answer = _run(worker.RENDER, source, envelope_json, limits)
    if answer.status == worker.OK:
        return answer.payload
    raise MappingFailure(
        limits.overrun(answer, "render") or answer.payload.decode("utf-8", "replace")
    )


def _run(op: int, source: str, envelope: bytes, limits: MappingLimits) -> SandboxAnswer:
    return default_pool().run(
        op, source, envelope, limits.cpu_seconds, limits.memory_mb * 1024 * 1024
    )
