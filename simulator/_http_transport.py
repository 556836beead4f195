"""Real HTTP delivery for `hooksim serve`: an adapter, so it may read the wall clock.

Built on urllib3's pool manager (thread-safe, keep-alive pooling per endpoint) with every
choice a webhook platform must make explicit: separate connect and read timeouts and a total
deadline, redirects never followed (a 3xx is a failure), TLS verified by default (optionally
against a CA bundle), at most `max_body` bytes of the answer read, and every connection made
through the host policy (link-local and cloud metadata addresses refused; the addresses that
were checked are the ones connected to).
"""

from __future__ import annotations

import re
import socket
import ssl
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from ._control import SIMULATED_LATENCY_HEADER
from ._exchange import OutgoingRequest, TransportResult
from ._hosts import HostPolicy, HostRefused
from ._models import Outcome
from ._rules import classify_status, redirect_error

__all__ = ["DEFAULT_CONNECT_TIMEOUT", "DEFAULT_MAX_BODY", "HttpTransport"]

#: Seconds to establish a connection (capped by the request's own timeout).
DEFAULT_CONNECT_TIMEOUT = 5.0
#: Bytes of a receiver's answer kept; the rest is never read.
DEFAULT_MAX_BODY = 64 * 1024
_CHUNK = 16 * 1024


class _Refused(NewConnectionError):
    """The host policy refused the connection; `reason` is safe to log."""

    def __init__(self, conn: HTTPConnection, reason: str) -> None:
        super().__init__(conn, reason)
        self.reason = reason


class _PolicyConnection(HTTPConnection):
    """Connects only to addresses the host policy checked (set per transport, see below)."""

    policy: HostPolicy

    def _new_conn(self) -> socket.socket:
        try:
            infos = self.policy.resolve(self._dns_host, self.port)
        except HostRefused as exc:
            raise _Refused(self, str(exc)) from None
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except UnicodeError:
            raise LocationParseError(f"{self.host!r}, label empty or too long") from None
        error: OSError | None = None
        for family, socktype, proto, _, address in infos:
            sock = socket.socket(family, socktype, proto)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                sock.settimeout(self.timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(address)
            except TimeoutError as exc:
                sock.close()
                raise ConnectTimeoutError(
                    self, f"connection to {self.host} timed out (connect timeout {self.timeout})"
                ) from exc
            except OSError as exc:
                sock.close()
                error = exc
                continue
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        raise NewConnectionError(self, f"failed to connect to {self.host}: {error}") from error


class _PolicyHTTPSConnection(_PolicyConnection, HTTPSConnection):
    pass


class HttpTransport:
    """Delivers over real HTTP. Thread-safe: the engine's workers share one instance."""

    simulated = False

    def __init__(
        self,
        *,
        hosts: HostPolicy | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        max_body: int = DEFAULT_MAX_BODY,
        verify_tls: bool = True,
        ca_bundle: str | None = None,
        connections_per_endpoint: int = 10,
        simulated_latency: bool = False,
    ) -> None:
        if connect_timeout <= 0:
            raise ValueError("connect_timeout must be positive")
        if max_body < 0:
            raise ValueError("max_body must be >= 0")
        self.hosts = hosts if hosts is not None else HostPolicy()
        self.connect_timeout = connect_timeout
        self.max_body = max_body
        #: Take the latency from the answer's `Sim-Latency` header (platform seconds) instead
        #: of the real one: only under a virtual clock, where real time is not platform time.
        self.simulated_latency = simulated_latency
        attrs = {"policy": self.hosts}
        http_conn = type("HTTPConnection", (_PolicyConnection,), attrs)
        https_conn = type("HTTPSConnection", (_PolicyHTTPSConnection,), attrs)
        tls: dict[str, Any] = {"cert_reqs": ssl.CERT_REQUIRED if verify_tls else ssl.CERT_NONE}
        if ca_bundle is not None:
            tls["ca_certs"] = ca_bundle
        self._pool = urllib3.PoolManager(
            num_pools=100, maxsize=connections_per_endpoint, block=False, retries=False, **tls
        )
        self._timeouts: dict[float, urllib3.Timeout] = {}
        self._pool.pool_classes_by_scheme = {
            "http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type("Pool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
        }

    def close(self) -> None:
        self._pool.clear()

    def __enter__(self) -> HttpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _timeout(self, seconds: float) -> urllib3.Timeout:
        """The connect and read timeouts for a request timeout (built once per value)."""
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            if len(self._timeouts) >= 64:  # timeouts are few; odd ones must not pile up
                self._timeouts.clear()
            timeout = self._timeouts[seconds] = urllib3.Timeout(
                connect=min(self.connect_timeout, seconds), read=seconds
            )
        return timeout

    def send(self, request: OutgoingRequest) -> TransportResult:
        started = time.perf_counter()
        deadline = started + request.timeout

        def failed(outcome: Outcome, error: str) -> TransportResult:
            return TransportResult(outcome, latency=time.perf_counter() - started, error=error)

        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return failed(Outcome.ERROR, f"cannot deliver to a non-HTTP URL ({parts.scheme}:)")
        host = parts.hostname
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            # Straight to the endpoint's pool: the pool manager's `request` would parse the
            # URL again (urllib3's parser was a fifth of a send) and re-assemble its options.
            pool = self._pool.connection_from_host(
                f"[{host}]" if ":" in host else host, parts.port, parts.scheme
            )
            response = pool.urlopen(
                request.method,
                target,
                body=request.body,
                headers=request.headers,
                timeout=self._timeout(request.timeout),
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
            )
        except _Refused as exc:
            return failed(Outcome.REFUSED, f"host not allowed: {exc.reason}")
        except Exception as exc:
            return failed(*_classify(exc, host, parts.port, request.timeout))
        try:
            body = self._read_capped(response, deadline)
        except Exception as exc:
            response.close()
            return failed(*_classify(exc, host, parts.port, request.timeout))
        finally:
            response.release_conn()
        status = response.status
        outcome = classify_status(status)
        error = None
        if outcome is Outcome.REDIRECT:
            error = redirect_error(status, response.headers)
        headers = {k.lower(): v for k, v in response.headers.items()}
        latency = time.perf_counter() - started
        if self.simulated_latency:
            latency = _simulated_latency(headers.get(_LATENCY_HEADER))
        return TransportResult(
            outcome,
            status_code=status,
            headers=headers,
            body=body,
            latency=latency,
            error=error,
            virtual=self.simulated_latency,
        )

    def _read_capped(self, response: urllib3.BaseHTTPResponse, deadline: float) -> bytes:
        """At most `max_body` bytes, within the total deadline; an answer that is longer (or
        not read to its end) costs its connection rather than being read on."""
        chunks: list[bytes] = []
        size = 0
        sock = getattr(getattr(response, "connection", None), "sock", None)
        while size < self.max_body:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise ReadTimeoutError(None, None, "the answer took longer than the timeout")  # type: ignore[arg-type]
            if sock is not None:
                sock.settimeout(remaining)  # each read gets only what is left of the timeout
            # read1: whatever one read brings, so a receiver that trickles bytes cannot
            # hold a read open past the deadline.
            chunk = response.read1(min(_CHUNK, self.max_body - size), decode_content=False)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        if not _finished(response):
            response.close()  # unread data stays on the wire: never reuse this connection
        return b"".join(chunks)


_LATENCY_HEADER = SIMULATED_LATENCY_HEADER.lower()


def _simulated_latency(value: str | None) -> float:
    """Platform seconds an answer took by its `Sim-Latency` header: 0 without one (a real
    answer takes no virtual time), `inf` for one never given; unreadable values count as 0."""
    if value is None:
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        return 0.0
    return seconds if seconds >= 0 else 0.0


def _finished(response: urllib3.BaseHTTPResponse) -> bool:
    remaining = getattr(response, "length_remaining", None)
    return remaining == 0


#: A query string inside an exception's message.
_QUERY = re.compile(r"\?[^\s'\"()]*")


def _classify(exc: Exception, host: str, port: int | None, timeout: float) -> tuple[Outcome, str]:
    """An exception from urllib3 as an outcome and a reason that is safe to log (no URL
    query, no credentials)."""
    where = f"{host}:{port}" if port else host
    if isinstance(exc, NameResolutionError):
        return Outcome.REFUSED, f"DNS lookup of {host} failed: {_root(exc)}"
    if isinstance(exc, NewConnectionError):  # before ConnectTimeoutError: it subclasses it
        cause = _root(exc)
        if isinstance(cause, ConnectionRefusedError):
            return Outcome.REFUSED, f"connection refused by {where}"
        return Outcome.REFUSED, f"could not connect to {where}: {cause}"
    if isinstance(exc, ConnectTimeoutError):
        return Outcome.TIMEOUT, f"no connection to {where} within the connect timeout"
    if isinstance(exc, ReadTimeoutError):
        return Outcome.TIMEOUT, f"no answer from {where} within {timeout:g} s"
    if isinstance(exc, SSLError):
        return Outcome.ERROR, f"TLS with {where} failed: {_root(exc)}"
    if isinstance(exc, ProtocolError):
        cause = _root(exc)
        if isinstance(cause, TimeoutError):
            return Outcome.TIMEOUT, f"no answer from {where} within {timeout:g} s"
        return Outcome.RESET, f"connection to {where} dropped before a full answer: {cause}"
    if isinstance(exc, LocationParseError):
        return Outcome.ERROR, f"invalid host {host!r}"
    if isinstance(exc, HTTPError | OSError):
        # urllib3 may name the URL in its message: never its query (it may hold a token).
        detail = _QUERY.sub("?[query hidden]", str(exc))
        return Outcome.ERROR, f"request to {where} failed: {type(exc).__name__}: {detail}"
    return Outcome.ERROR, f"request to {where} failed: {type(exc).__name__}"


def _root(exc: BaseException) -> BaseException | str:
    """The innermost cause, e.g. the ConnectionResetError behind urllib3's ProtocolError."""
    seen: set[int] = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        nested = next(
            (a for a in getattr(current, "args", ()) if isinstance(a, BaseException)), None
        )
        nxt = nested or current.__cause__ or current.__context__
        if nxt is None:
            break
        current = nxt
    return current
