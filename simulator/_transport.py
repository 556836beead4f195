"""The in-process transport: deliveries to WSGI apps, with no network at all.

The engine decides what to send and when; a transport (`Transport`, `_exchange.py`) decides
how. `InProcessTransport` calls WSGI apps mounted at URLs, with no network at all: a receiver
declares how long it "took" (virtual seconds) through the WSGI environ, or raises
`SimulatedConnectionError` to play a refused or reset connection.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from ._exchange import OutgoingRequest, TransportResult
from ._models import Outcome
from ._rules import classify_status, redirect_error

__all__ = ["LATENCY_KEY", "InProcessTransport", "SimulatedConnectionError"]

#: A WSGI receiver mounted in-process sets `environ[LATENCY_KEY] = seconds` to say how long
#: it took to answer; the platform lets that much virtual time pass.
LATENCY_KEY = "hooksim.latency"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SimulatedConnectionError(Exception):
    """Raised by an in-process receiver to play a network failure: `refused` or `reset`."""

    def __init__(self, kind: str = "refused") -> None:
        if kind not in ("refused", "reset"):
            raise ValueError(f"kind must be 'refused' or 'reset', not {kind!r}")
        super().__init__(f"connection {kind}")
        self.kind = kind


def _origin(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = (parts.hostname or "").lower()
    return parts.scheme, f"{host}:{port}", parts.path or "/"


class InProcessTransport:
    """Delivers to WSGI apps mounted at URL prefixes; anything unmounted is refused."""

    simulated = True

    def __init__(self) -> None:
        self._mounts: list[tuple[tuple[str, str], str, WSGIApp]] = []
        #: URL -> (its app or None, the part of the WSGI environ that depends only on the
        #: URL): a simulation sends to few URLs many times. Cleared when mounts change.
        self._routes: dict[str, tuple[WSGIApp | None, dict[str, Any]]] = {}

    def mount(self, url: str, app: WSGIApp) -> None:
        """Serve `url` and everything below it with `app` (the longest prefix wins)."""
        scheme, netloc, path = _origin(url)
        self.unmount(url)
        self._mounts.append(((scheme, netloc), path.rstrip("/") or "/", app))
        self._mounts.sort(key=lambda mount: len(mount[1]), reverse=True)
        self._routes.clear()

    def unmount(self, url: str) -> None:
        scheme, netloc, path = _origin(url)
        prefix = path.rstrip("/") or "/"
        self._mounts = [m for m in self._mounts if (m[0], m[1]) != ((scheme, netloc), prefix)]
        self._routes.clear()

    def resolve(self, url: str) -> WSGIApp | None:
        scheme, netloc, path = _origin(url)
        for origin, prefix, app in self._mounts:
            if origin == (scheme, netloc) and (
                prefix == "/" or path == prefix or path.startswith(prefix + "/")
            ):
                return app
        return None

    def _route(self, url: str) -> tuple[WSGIApp | None, dict[str, Any]]:
        route = self._routes.get(url)
        if route is None:
            if len(self._routes) >= 4096:  # URLs are few; never let odd ones pile up
                self._routes.clear()
            route = self._routes[url] = (self.resolve(url), _url_environ(url))
        return route

    def send(self, request: OutgoingRequest) -> TransportResult:
        app, url_environ = self._route(request.url)
        if app is None:
            return TransportResult(Outcome.REFUSED, error="connection refused (nothing mounted)")
        environ = _environ(request, url_environ)
        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured["status"] = status
            captured["headers"] = headers
            return _ignore_write

        try:
            chunks = app(environ, start_response)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except SimulatedConnectionError as exc:
            outcome = Outcome.REFUSED if exc.kind == "refused" else Outcome.RESET
            latency = float(environ.get(LATENCY_KEY, 0.0))
            return TransportResult(outcome, latency=latency, error=str(exc))
        except Exception as exc:  # a crashing receiver is a 500 to the platform, as on a server
            return TransportResult(
                Outcome.HTTP_ERROR,
                status_code=500,
                latency=float(environ.get(LATENCY_KEY, 0.0)),
                error=f"receiver raised {type(exc).__name__}: {exc}",
            )
        status = _status_code(captured["status"])
        outcome = classify_status(status)
        headers: dict[str, str] = {}
        for name, value in captured["headers"]:  # a loop: no comprehension frame per answer
            headers[name.lower()] = value
        return TransportResult(  # positional, in field order: once per delivery
            outcome,
            status,
            headers,
            body,
            float(environ.get(LATENCY_KEY, 0.0)),
            redirect_error(status, headers) if outcome is Outcome.REDIRECT else None,
        )


def _ignore_write(data: bytes) -> None:
    """The `write` callable of WSGI's start_response (the legacy push API): unused."""


#: A status line -> its code ("200 OK" -> 200). Lines are few and repeat.
_STATUS_CODES: dict[str, int] = {}


def _status_code(line: str) -> int:
    code = _STATUS_CODES.get(line)
    if code is None:
        code = int(line.split(" ", 1)[0])
        if len(_STATUS_CODES) < 4096:  # odd lines must not pile up
            _STATUS_CODES[line] = code
    return code


def _url_environ(url: str) -> dict[str, Any]:
    """The environ keys that follow from the URL alone (parsed once per URL)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {
        "SCRIPT_NAME": "",
        "PATH_INFO": parts.path or "/",
        "QUERY_STRING": parts.query,
        "SERVER_NAME": parts.hostname or "localhost",
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme or "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "HTTP_HOST": parts.netloc,
    }


#: Header name -> its WSGI environ key (None: not passed on). Names are few and repeat.
_ENVIRON_KEYS: dict[str, str | None] = {}


def _environ_key(name: str) -> str | None:
    key = _ENVIRON_KEYS.get(name, "")
    if key == "":
        key = name.upper().replace("-", "_")
        if key == "CONTENT_LENGTH":
            key = None  # from the body's length, never from a header
        elif key != "CONTENT_TYPE":
            key = "HTTP_" + key
        if len(_ENVIRON_KEYS) < 4096:  # odd names must not pile up
            _ENVIRON_KEYS[name] = key
    return key


def _environ(request: OutgoingRequest, url_environ: dict[str, Any]) -> dict[str, Any]:
    # Built by hand rather than with werkzeug's EnvironBuilder: this runs once per delivery
    # and the builder costs more than the rest of the attempt. A fresh dict each time: the
    # receiver may change it.
    body = request.body
    environ = {
        **url_environ,
        "REQUEST_METHOD": request.method,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "hooksim.timeout": request.timeout,
    }
    keys = _ENVIRON_KEYS
    for name, value in request.headers.items():
        key = keys[name] if name in keys else _environ_key(name)
        if key is not None:
            environ[key] = value
    return environ
