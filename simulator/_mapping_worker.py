"""The mapping sandbox's worker: a process of its own that compiles and renders templates.

Started by `_sandbox.py` as a script (`python -I _mapping_worker.py`): it imports only the
standard library and Jinja2, never hooksim, so it starts fast and holds nothing of the
platform. It answers one request at a time on its stdin/stdout (frames below) until stdin
ends. Each request runs under the bounds it carries, enforced by the operating system:
- CPU time: `ITIMER_PROF` interrupts the template after `cpu` seconds of this process's CPU
  (user + system); `RLIMIT_CPU` stops the whole process about a second later should a
  single operation hold the interpreter that long (the parent then reports a timeout);
- memory: `RLIMIT_AS` allows `memory` bytes of address space above what the process holds
  when the request starts; an allocation beyond it fails (MemoryError).
A worker that has grown by more than a request's memory bound since it started exits after
answering (the parent starts a fresh one).

The template language itself (which sandbox, which filters, what a template sees) is
described in `_mapping.py`.

Frames: request `>BdQII` (op, cpu seconds, memory bytes, source length, envelope length),
then the source (UTF-8) and the envelope (JSON); reply `>BI` (status, length) and the
payload: the body for OK, a reason (UTF-8) otherwise. A status with RETIRING set says the
worker exits after this reply.
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import struct
import sys
import time
from collections import OrderedDict
from types import FrameType, TracebackType
from typing import Any, BinaryIO

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

REQUEST = struct.Struct(">BdQII")
REPLY = struct.Struct(">BI")

CHECK, RENDER = 1, 2
OK, FAILED, TIMEOUT, MEMORY = 0, 1, 2, 3
#: Set on a reply's status when the worker exits after it.
RETIRING = 0x80

#: The largest body a mapping may render (the parent checks it too).
MAX_RENDERED = 1024 * 1024
#: `a ** b` is refused when its result would have more bits than this (a 1 MiB number).
MAX_POWER_BITS = 8 * 1024 * 1024
#: Compiled templates kept (by source).
CACHE_SIZE = 64


class Overtime(BaseException):
    """The request's CPU time is up (a BaseException: no template code can catch it)."""


class Refused(Exception):
    """What the template asked for is not allowed; the message says why."""


def _tojson(value: Any) -> str:
    def refuse(item: Any) -> Any:
        if isinstance(item, Undefined):
            item._fail_with_undefined_error()
        raise TypeError(f"{type(item).__name__} is not JSON serializable")

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=refuse)


class MappingEnvironment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, and: no compile-time folding of constant expressions
    (`optimized=False`: `{{ 'x' * 10**9 }}` would otherwise be computed while compiling),
    and `**` refused when its result would be huge (one such operation holds the
    interpreter for seconds, where no timer can interrupt it)."""

    intercepted_binops = frozenset({"**"})

    def __init__(self) -> None:
        super().__init__(
            autoescape=False,
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            optimized=False,
        )
        self.filters["tojson"] = _tojson

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and _huge_power(left, right):
            raise SecurityError("the result of ** would be too large")
        return super().call_binop(context, operator, left, right)


def _huge_power(base: Any, exponent: Any) -> bool:
    if not isinstance(base, int) or not isinstance(exponent, int) or exponent <= 1:
        return False
    return abs(base) > 1 and exponent * abs(base).bit_length() > MAX_POWER_BITS


ENV = MappingEnvironment()
_cache: OrderedDict[str, Template] = OrderedDict()


def compile_template(source: str) -> Template:
    """Parse (refusing `_` attributes, the way out of a sandbox) and compile `source`."""
    template = _cache.get(source)
    if template is not None:
        _cache.move_to_end(source)
        return template
    tree = ENV.parse(source)
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        # `x._y` never reaches a JSON field (Jinja looks attributes up first); `x["__y"]`
        # falls back to the attribute on anything that is not a mapping.
        name: Any
        if isinstance(node, nodes.Getattr):
            name, unsafe = node.attr, node.attr.startswith("_")
        elif isinstance(node, nodes.Getitem):
            name = node.arg.value if isinstance(node.arg, nodes.Const) else None
            unsafe = isinstance(name, str) and name.startswith("__")
        else:  # pragma: no cover - find_all yields only the two
            continue
        if unsafe:
            raise Refused(
                f"mapping line {node.lineno}: access to {name!r} is refused (the template runs "
                "in a sandbox; attributes starting with '_' are out of reach)"
            )
    template = ENV.from_string(source)
    _cache[source] = template
    if len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return template


def render(source: str, envelope_json: bytes) -> bytes:
    """The body `source` renders for the envelope; Refused with the reason if it cannot."""
    try:
        template = compile_template(source)
    except TemplateSyntaxError as exc:
        raise Refused(f"mapping line {exc.lineno}: {exc.message}") from None
    envelope = json.loads(envelope_json)
    context = dict(envelope)
    context["envelope"] = envelope
    size = 0
    chunks: list[str] = []
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_RENDERED:
                raise Refused(f"mapping rendered more than {MAX_RENDERED} bytes")
            chunks.append(chunk)
    except Refused:
        raise
    except SecurityError as exc:
        raise Refused(f"mapping refused{_line(exc.__traceback__)}: {exc}") from None
    except MemoryError:
        raise
    except Exception as exc:
        raise Refused(
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
        raise Refused(f"mapping rendered invalid JSON: {detail}{where}") from None
    except RecursionError:
        raise Refused("mapping rendered JSON nested too deeply") from None
    body = text.encode("utf-8", "surrogatepass")
    if len(body) > MAX_RENDERED:
        raise Refused(f"mapping rendered more than {MAX_RENDERED} bytes")
    return body


def check(source: str) -> None:
    """Compile `source` as a subscription's mapping; Refused naming the line if it cannot."""
    try:
        compile_template(source)
    except TemplateSyntaxError as exc:
        raise Refused(f"mapping line {exc.lineno}: {exc.message}") from None
    except RecursionError:
        raise Refused("mapping nests too deeply to compile") from None


def _line(tb: TracebackType | None) -> str:
    """' at line N' of the template where the error was raised, when Jinja tells it."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" at line {line}" if line is not None else ""


# the process -------------------------------------------------------------------------------


def _address_space() -> int:
    """Bytes of address space this process holds now (Linux), or 0 when unknown."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _overtime(signum: int, frame: FrameType | None) -> None:
    raise Overtime


def _bounded(cpu: float, memory: int) -> None:
    signal.setitimer(signal.ITIMER_PROF, cpu)
    # A second after the timer, for an operation the timer could not interrupt: SIGXCPU
    # ends the process (the parent sees it and reports a timeout).
    limit = math.ceil(time.process_time() + cpu) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (limit, resource.RLIM_INFINITY))
    held = _address_space()
    if held:
        resource.setrlimit(resource.RLIMIT_AS, (held + memory, resource.RLIM_INFINITY))


def _unbounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def serve_one(op: int, cpu: float, memory: int, source: str, envelope: bytes) -> tuple[int, bytes]:
    """Run one request under its bounds: (status, payload)."""
    result: tuple[int, bytes]
    try:
        _bounded(cpu, memory)
        try:
            if op == CHECK:
                check(source)
                result = OK, b""
            else:
                result = OK, render(source, envelope)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
    except Overtime:
        result = TIMEOUT, b""
    except MemoryError:
        result = MEMORY, b""
    except Refused as exc:
        result = FAILED, str(exc).encode("utf-8", "replace")
    except RecursionError:
        result = FAILED, b"mapping nests too deeply"
    _unbounded()  # no timer is pending any more: it fired, or it was stopped
    return result


def _read(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


def main() -> None:
    signal.signal(signal.SIGPROF, _overtime)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when this ends
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - only frames on stdout
    check("{}")  # warm up before measuring what a fresh worker holds
    started_with = _address_space()
    while (header := _read(requests, REQUEST.size)) is not None:
        op, cpu, memory, source_length, envelope_length = REQUEST.unpack(header)
        source = _read(requests, source_length)
        envelope = _read(requests, envelope_length)
        if source is None or envelope is None:
            return
        status, payload = serve_one(
            op, cpu, memory, source.decode("utf-8", "surrogatepass"), envelope
        )
        # Grown well past its size at start (what it caches, what the allocator kept after
        # a large template), it retires: the parent starts a fresh one.
        retiring = _address_space() > started_with + memory
        replies.write(REPLY.pack(status | (RETIRING if retiring else 0), len(payload)) + payload)
        replies.flush()
        if retiring:
            return


if __name__ == "__main__":
    main()
