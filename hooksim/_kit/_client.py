"""Sending deliveries: over real HTTP (urllib3, never following redirects) or in-process to a
WSGI app (the platform's `InProcessTransport`, no network).

Both senders turn every outcome into an `Exchange`: an answer with its status, or no answer
with the reason (`timeout`, `refused`, `dns`, ...). Only the grader decides what that means.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from hooksim.scenarios import connect_error, validate_url
from hooksim.simulator import InProcessTransport, OutgoingRequest
from hooksim.simulator import Outcome as _Outcome

if TYPE_CHECKING:
    import urllib3

__all__ = [
    "RESPONSE_CAP",
    "UNREACHABLE",
    "Delivery",
    "Exchange",
    "HttpSender",
    "Sender",
    "WsgiSender",
    "connect_error",
    "validate_url",
]

#: Bytes of a response body the kit keeps (the rest is read and dropped, or the connection
#: closed).
RESPONSE_CAP = 64 * 1024

#: Failures that mean nothing can be graded: the receiver was never reached.
UNREACHABLE = frozenset({"refused", "dns", "connect-failed", "connect-timeout", "tls"})

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request the kit sends, and what it is meant to be."""

    label: str
    method: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    #: `data.id` of the event inside (None when the body is not an event).
    data_id: str | None
    #: True when the signature is the correct one for exactly these bytes.
    signed_validly: bool


@dataclass(frozen=True, slots=True)
class Exchange:
    """A delivery and what came back: a status, or `error` when there was no answer."""

    delivery: Delivery
    url: str
    status: int | None
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes
    #: Seconds from sending to the end of the answer (or to giving up).
    elapsed: float
    #: No answer: timeout, refused, dns, reset, connect-failed, connect-timeout, tls, error,
    #: or not-sent (the kit gave up on a receiver that stopped answering).
    error: str | None = None
    #: Words for people about the error or a crash (never the secret).
    note: str | None = None
    response_truncated: bool = False

    @property
    def answered(self) -> bool:
        return self.status is not None

    def status_class(self) -> str:
        """`2xx`, `3xx`, `4xx`, `5xx`, or the error kind when there was no answer."""
        if self.status is None:
            return self.error or "error"
        return f"{self.status // 100}xx"

    def describe(self) -> str:
        """`401`, `timeout after 10 s`, `connection refused` ..."""
        if self.status is not None:
            return str(self.status)
        return self.note or (self.error or "no answer")


class Sender(Protocol):
    #: What the report calls the receiver: its URL, or the WSGI app.
    description: str
    #: What to check when the receiver answers 404 to correctly signed deliveries.
    not_found_hint: str
    url: str
    timeout: float

    def send(self, delivery: Delivery) -> Exchange: ...

    def close(self) -> None: ...


class HttpSender:
    """Real HTTP through one urllib3 pool: no redirects, no retries, no proxy or netrc magic,
    no headers beyond the platform's (urllib3 adds only Host and Content-Length)."""

    def __init__(self, url: str, timeout: float) -> None:
        import urllib3

        self.url = url
        self.description = url
        self.not_found_hint = (
            f"is {urlsplit(url).path or '/'} the path the receiver serves? Give check-receiver "
            "the receiver's full URL, path included (http://127.0.0.1:5000/hooks/atomic)"
        )
        self.timeout = timeout
        self.host = urlsplit(url).hostname or ""
        self._pool: urllib3.PoolManager = urllib3.PoolManager(num_pools=2, maxsize=4)

    def send(self, delivery: Delivery) -> Exchange:
        import urllib3
        import urllib3.exceptions as ux

        def failed(kind: str, note: str) -> Exchange:
            elapsed = time.perf_counter() - start
            return Exchange(delivery, self.url, None, (), b"", elapsed, kind, note)

        headers = dict(delivery.headers)
        # http.client would add "Accept-Encoding: identity"; the platform sends no such header.
        headers.setdefault("Accept-Encoding", urllib3.util.SKIP_HEADER)
        start = time.perf_counter()
        try:
            response = self._pool.urlopen(
                delivery.method,
                self.url,
                body=delivery.body,
                headers=headers,
                redirect=False,
                retries=False,
                timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
                preload_content=False,
            )
        except ux.SSLError as exc:
            return failed("tls", f"TLS handshake failed: {exc}")
        except ux.ConnectTimeoutError as exc:  # NewConnectionError and DNS errors included
            kind, note = connect_error(exc, self.host)
            return failed(kind, note)
        except ux.ReadTimeoutError:
            return failed("timeout", f"no answer within {self.timeout:g} s")
        except (ux.ProtocolError, ConnectionError) as exc:
            return failed("reset", f"connection closed without an answer ({exc})")
        except ux.HTTPError as exc:
            return failed("error", f"HTTP error: {exc}")
        try:
            body = response.read(RESPONSE_CAP)
            truncated = bool(response.read(1))
        except ux.ReadTimeoutError:
            response.close()
            return failed("timeout", f"answer not finished within {self.timeout:g} s")
        except (ux.HTTPError, OSError) as exc:
            response.close()
            return failed("reset", f"connection closed mid-answer ({exc})")
        elapsed = time.perf_counter() - start
        if truncated:
            response.close()  # the rest is not worth reading; drop the connection
        else:
            response.release_conn()
        return Exchange(
            delivery,
            self.url,
            response.status,
            tuple(response.headers.items()),
            body,
            elapsed,
            response_truncated=truncated,
        )

    def close(self) -> None:
        self._pool.clear()


class WsgiSender:
    """In-process delivery to a WSGI app through the platform's own in-process transport.

    Each request runs in a daemon thread so that a receiver slower than the timeout is graded
    as a timeout, as over HTTP, instead of stalling the kit. A receiver may also declare a
    latency through `environ["hooksim.latency"]` (as for the platform); it counts as time.
    """

    def __init__(self, app: WSGIApp, timeout: float, path: str = "/") -> None:
        if not path.startswith("/"):
            path = "/" + path
        self.url = "http://localhost" + path
        name = getattr(app, "__qualname__", None) or type(app).__qualname__
        self.description = f"WSGI app {getattr(app, '__module__', '?')}.{name} at {path}"
        self.not_found_hint = (
            f"the app was called at path {path!r}, which it does not serve: pass the path of "
            "its webhook route, path='/hooks/atomic' (hooksim_check_receiver(app, secret=..., "
            "path=...) in pytest, hooksim.check_receiver(app, secret=..., path=...))"
        )
        self.timeout = timeout
        self._transport = InProcessTransport()
        self._transport.mount("http://localhost/", app)
        self._threads: list[threading.Thread] = []

    def send(self, delivery: Delivery) -> Exchange:
        request = OutgoingRequest(
            delivery.method, self.url, dict(delivery.headers), delivery.body, self.timeout
        )
        outcome: dict[str, Any] = {}

        def call() -> None:
            try:
                outcome["result"] = self._transport.send(request)
            except BaseException as exc:  # noqa: BLE001 - reported, never raised in a thread
                outcome["crash"] = exc

        thread = threading.Thread(target=call, name="hooksim-kit-wsgi", daemon=True)
        self._threads.append(thread)
        start = time.perf_counter()
        thread.start()
        thread.join(self.timeout)
        elapsed = time.perf_counter() - start
        if thread.is_alive():
            note = f"no answer within {self.timeout:g} s"
            return Exchange(delivery, self.url, None, (), b"", elapsed, "timeout", note)
        if "crash" in outcome:
            crash = outcome["crash"]
            note = f"the app raised {type(crash).__name__}: {crash}"
            return Exchange(delivery, self.url, 500, (), b"", elapsed, None, note)
        result = outcome["result"]
        elapsed += result.latency
        if result.outcome in (_Outcome.REFUSED, _Outcome.RESET):
            kind = "refused" if result.outcome is _Outcome.REFUSED else "reset"
            return Exchange(delivery, self.url, None, (), b"", elapsed, kind, result.error)
        if elapsed > self.timeout:
            note = f"no answer within {self.timeout:g} s (declared latency {result.latency:g} s)"
            return Exchange(delivery, self.url, None, (), b"", elapsed, "timeout", note)
        body = result.body[:RESPONSE_CAP]
        return Exchange(
            delivery,
            self.url,
            result.status_code,
            tuple(result.headers.items()),
            body,
            elapsed,
            note=result.error,
            response_truncated=len(result.body) > RESPONSE_CAP,
        )

    def close(self) -> None:
        # Give stragglers (receivers slower than the timeout) a moment; they are daemons.
        for thread in self._threads:
            thread.join(0.05)
        self._threads.clear()
