"""The effects probe: what a receiver has done, read over HTTP (or from a WSGI app).

A receiver's test build serves a GET (for example `/test/effects`) answering how many times it
has acted on each event, by `data.id`:

    {"effects": {"01H8X3ZP6Q3V5K2J7D9RTEYB4M": 1, "01H8X3ZP6Q3V5K2J7D9RTEYB4N": 2}}

An id it never acted on may be left out (it counts 0). Other top-level keys are ignored. The
counts must already include every delivery the receiver has answered. `fetch_effects(url)`
reads it and checks the answer strictly: anything else raises `EffectsProbeFailure`, whose
`kind` says what went wrong and whose message says it for people. Scenarios read it for a
real receiver's bookkeeping; `hooksim check-receiver --effects-url` too (through the kit).
"""

from __future__ import annotations

import errno
import json
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from hooksim.simulator import USER_AGENT, HooksimError, InvalidInput

__all__ = [
    "EFFECTS_PROBE_CAP",
    "EffectsProbeFailure",
    "connect_error",
    "fetch_effects",
    "parse_effects",
    "validate_url",
]

#: The largest probe answer read (a receiver that keeps every id it ever saw grows).
EFFECTS_PROBE_CAP = 16 * 1024 * 1024
_EXCERPT = 60

ProbeErrorKind = Literal[
    "bad-url", "unreachable", "timeout", "status", "too-large", "not-json", "shape"
]


class EffectsProbeFailure(HooksimError):
    """The effects probe could not be read, or its answer is not `{"effects": {id: n}}`.

    `kind` is one of `bad-url`, `unreachable`, `timeout`, `status` (not a 2xx, redirects
    included), `too-large`, `not-json` and `shape`.
    """

    def __init__(self, message: str, kind: ProbeErrorKind) -> None:
        super().__init__(message)
        self.kind: ProbeErrorKind = kind


def shown(url: str) -> str:
    """The URL without credentials or query (a test build may guard its probe with a token)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _excerpt(body: bytes) -> str:
    text = body[:_EXCERPT].decode("utf-8", errors="replace")
    return repr(text + ("…" if len(body) > _EXCERPT else ""))


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"key {key!r} appears twice")
            seen.add(key)
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "a string", float: "a number with a fraction",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)  # fmt: skip


def parse_effects(body: bytes, where: str = "the effects probe") -> dict[str, int]:
    """The counts in a probe answer; `EffectsProbeError` (kind `not-json` or `shape`)
    naming exactly what is wrong otherwise."""
    expected = 'expected {"effects": {"<data.id>": <times acted on>, ...}}'
    try:
        document = json.loads(
            body.decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constant,
        )
    except UnicodeDecodeError:
        raise EffectsProbeFailure(
            f"{where} answered bytes that are not UTF-8 JSON: {_excerpt(body)}", "not-json"
        ) from None
    except ValueError as exc:
        if not body.strip():
            message = f"{where} answered an empty body; {expected}"
            raise EffectsProbeFailure(message, "not-json") from None
        raise EffectsProbeFailure(
            f"{where} did not answer JSON ({exc}): {_excerpt(body)}", "not-json"
        ) from None
    if not isinstance(document, dict):
        raise EffectsProbeFailure(f"{where} answered {_kind_of(document)}; {expected}", "shape")
    if "effects" not in document:
        keys = ", ".join(repr(key) for key in list(document)[:5]) or "none"
        raise EffectsProbeFailure(
            f'{where} answered no "effects" key (keys: {keys}); {expected}', "shape"
        )
    effects = document["effects"]
    if not isinstance(effects, dict):
        raise EffectsProbeFailure(
            f'{where}: "effects" is {_kind_of(effects)}, expected an object of data.id to count',
            "shape",
        )
    counts: dict[str, int] = {}
    for data_id, count in effects.items():
        if not data_id:
            raise EffectsProbeFailure(f'{where}: "effects" has an empty data.id', "shape")
        whole = isinstance(count, int) and not isinstance(count, bool)
        if not whole or count < 0:
            what = count if whole else _kind_of(count)
            raise EffectsProbeFailure(
                f'{where}: "effects"[{data_id!r}] is {what}, expected a whole number ≥ 0 '
                "(how many times the receiver acted on that data.id)",
                "shape",
            )
        counts[data_id] = count
    return counts


def fetch_effects(url: str, *, timeout: float = 10.0) -> dict[str, int]:
    """GET the receiver's effects probe at `url`: `{data.id: times acted on}`.

    Redirects are not followed and nothing is retried. Raises `EffectsProbeError` when the
    probe cannot be reached, answers anything but a 2xx, or answers anything but
    `{"effects": {"<data.id>": <whole number ≥ 0>, ...}}`.
    """
    import urllib3
    import urllib3.exceptions as ux

    try:
        validate_url(url, what="effects probe URL")
    except InvalidInput as exc:
        raise EffectsProbeFailure(exc.message, "bad-url") from None
    where = f"the effects probe ({shown(url)})"
    pool = urllib3.PoolManager(num_pools=1, maxsize=1)
    response: urllib3.BaseHTTPResponse | None = None
    try:
        response = pool.request(
            "GET",
            url,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            redirect=False,
            retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            preload_content=False,
        )
        body = response.read(EFFECTS_PROBE_CAP + 1)
    except ux.ReadTimeoutError:
        message = f"{where} did not answer within {timeout:g} s"
        raise EffectsProbeFailure(message, "timeout") from None
    except ux.ConnectTimeoutError as exc:
        _, note = connect_error(exc, urlsplit(url).hostname or "")
        raise EffectsProbeFailure(f"{where} is unreachable: {note}", "unreachable") from None
    except (ux.HTTPError, OSError) as exc:
        raise EffectsProbeFailure(
            f"{where} closed the connection without a whole answer ({type(exc).__name__})",
            "unreachable",
        ) from None
    finally:
        if response is not None:
            response.close()  # one request per probe read: nothing is kept for later
        pool.clear()
    if not 200 <= response.status < 300:
        location = response.headers.get("Location")
        hint = (
            f" (a redirect to {location}: give the probe's own URL, redirects are not followed)"
            if location and 300 <= response.status < 400
            else ""
        )
        raise EffectsProbeFailure(
            f"{where} answered {response.status}{hint}; expected 200 with the effect counts",
            "status",
        )
    if len(body) > EFFECTS_PROBE_CAP:
        raise EffectsProbeFailure(
            f"{where} answered more than {EFFECTS_PROBE_CAP // (1024 * 1024)} MiB", "too-large"
        )
    return parse_effects(body, where)


def connect_error(exc: BaseException, host: str) -> tuple[str, str]:
    """What kept a connection from being made: a kind and a phrase for people."""
    import urllib3.exceptions as ux

    if isinstance(exc, ux.NameResolutionError):
        return "dns", f"the name {host!r} does not resolve"
    if isinstance(exc, ux.NewConnectionError):
        cause = exc.__context__ or exc.__cause__
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return "refused", "connection refused"
        return "connect-failed", f"could not connect: {cause or exc}"
    return "connect-timeout", "could not connect within the timeout"


def validate_url(url: str, what: str = "receiver URL") -> str:
    """The URL if it is an absolute http(s) URL with a host; InvalidInput naming `what`."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidInput(f"bad {what} {url!r}: {exc}", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            f"bad {what} {url!r}: expected http:// or https:// and a host", field="url"
        )
    if any(ch.isspace() for ch in url):
        raise InvalidInput(f"bad {what} {url!r}: contains whitespace", field="url")
    return url
