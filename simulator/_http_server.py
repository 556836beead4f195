"""The HTTP server under the served API: werkzeug's threaded server, held to the HTTP rules
werkzeug's development server leaves out, and to bounds it does not have.

An adapter (sockets, threads, the monotonic clock). What it adds to werkzeug:
- chunked request bodies decoded as RFC 9112 section 7.1 says (`Dechunked`): chunk
  extensions are ignored and trailer fields read and dropped (werkzeug refuses both), and
  anything malformed ends the body with an error that the API answers as a 400;
- a read timeout: a connection silent for `read_timeout` seconds while its request is being
  read is dropped, and one that has not sent its whole request (line, headers and body)
  within READ_DEADLINE_FACTOR times that is shut down, however slowly it trickles;
- a bound on connections served at once (`max_connections`, a thread each): one more is
  answered 503 with Retry-After and closed at once, never queued behind the others;
- access lines that show the path, never the query (pre-signed analytics URLs carry their
  signature there), and only when asked.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import socket
import threading
import time
from typing import Any, Protocol

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_READ_TIMEOUT",
    "BoundedServer",
    "Dechunked",
    "RequestHandler",
]

#: Seconds a connection may stay silent while its request is read (`--read-timeout`).
DEFAULT_READ_TIMEOUT = 10.0
#: A whole request must have arrived within this many read timeouts of the connection.
READ_DEADLINE_FACTOR = 6
#: Connections served at once, at most (`--max-connections`).
DEFAULT_MAX_CONNECTIONS = 128

log = logging.getLogger("hooksim.serve")

#: The longest chunk-size line or trailer field line read (extensions included).
MAX_CHUNK_LINE = 4096
#: The most trailer fields read after the last chunk.
MAX_TRAILER_FIELDS = 64
_HEX = frozenset(b"0123456789abcdefABCDEF")
#: A query string in a logged request line.
_QUERY = re.compile(r"\?[^\s'\"]*")


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def readline(self, size: int = -1, /) -> bytes: ...


class Dechunked(io.RawIOBase):
    """A chunked request body, decoded (`chunk-size [; extensions] CRLF data CRLF ... 0 CRLF
    trailers CRLF`). A malformed size, a missing line end, a body that ends inside a chunk or
    too long a line raise OSError, which werkzeug's reader turns into `ClientDisconnected`
    and the API into a 400. The size line accepts a bare LF too, as RFC 9112 allows."""

    def __init__(self, stream: _Readable) -> None:
        self._stream = stream
        self._left = 0  # bytes of the current chunk not read yet
        self._done = False

    def readable(self) -> bool:
        return True

    def _line(self, what: str) -> bytes:
        line = self._stream.readline(MAX_CHUNK_LINE + 1)
        if not line.endswith(b"\n"):
            if len(line) > MAX_CHUNK_LINE:
                raise OSError(f"{what} is longer than {MAX_CHUNK_LINE} bytes")
            raise OSError(f"the body ended inside a {what}")
        return line

    def _chunk_size(self) -> int:
        digits = self._line("chunk size line").split(b";", 1)[0].strip(b" \t\r\n")
        if not digits or len(digits) > 16 or not _HEX.issuperset(digits):
            raise OSError("a chunk size is not a hexadecimal number")
        return int(digits, 16)

    def _skip_trailers(self) -> None:
        for _ in range(MAX_TRAILER_FIELDS + 1):
            if self._line("trailer field") in (b"\r\n", b"\n"):
                return
        raise OSError(f"more than {MAX_TRAILER_FIELDS} trailer fields")

    def readinto(self, buffer: Any) -> int:
        if self._done or not len(buffer):
            return 0
        if self._left == 0:
            size = self._chunk_size()
            if size == 0:
                self._skip_trailers()
                self._done = True
                return 0
            self._left = size
        data = self._stream.read(min(len(buffer), self._left))
        if not data:
            raise OSError("the body ended inside a chunk")
        count = len(data)
        buffer[:count] = data
        self._left -= count
        if self._left == 0 and self._stream.readline(3) not in (b"\r\n", b"\n"):
            raise OSError("a chunk is not followed by a line end")
        return count


class _UntilRead(io.RawIOBase):
    """A request body that tells the server's read deadline when it has been received:
    `length` bytes, or its end (the deadline covers receiving a request, not answering it).
    """

    def __init__(self, stream: Any, done: Any, length: int | None = None) -> None:
        self._stream, self._done, self._left = stream, done, length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left is not None:
            buffer = memoryview(buffer)[: self._left]
        count: int = self._stream.readinto(buffer)
        if self._left is not None:
            self._left -= count
        if (not count and len(buffer)) or self._left == 0:
            self._done()
        return count


class ReadDeadlines:
    """The connections whose request is still being received, and when each must have
    arrived in full; a thread shuts down (both directions) those past it, which ends any
    read blocked on them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._deadlines: dict[socket.socket, float] = {}
        self._closed = False
        self._thread: threading.Thread | None = None
        #: Connections shut down for being too slow, so far.
        self.expired = 0

    def watch(self, connection: socket.socket, seconds: float) -> None:
        with self._cond:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="hooksim-read-deadlines", daemon=True
                )
                self._thread.start()
            self._deadlines[connection] = time.monotonic() + seconds
            self._cond.notify()

    def done(self, connection: socket.socket) -> None:
        with self._cond:
            self._deadlines.pop(connection, None)

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                late = [c for c, deadline in self._deadlines.items() if deadline <= now]
                for connection in late:
                    del self._deadlines[connection]
                    self.expired += 1
                    with contextlib.suppress(OSError):  # already gone
                        connection.shutdown(socket.SHUT_RDWR)
                wait = min(self._deadlines.values(), default=now + 1.0) - now
                self._cond.wait(max(0.05, min(wait, 1.0)))

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()


class BoundedServer(ThreadedWSGIServer):
    """werkzeug's threaded server serving at most `max_connections` at once, each within
    its read deadline (`ReadDeadlines`)."""

    def __init__(
        self,
        *args: Any,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        self.max_connections = max_connections
        self.read_timeout = read_timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        #: Connections answered 503 because max_connections were being served.
        self.turned_away = 0
        # werkzeug's constructor closes the socket it made itself when given a descriptor
        # (server_close): the deadlines exist only once it is done.
        self._deadlines: ReadDeadlines | None = None
        super().__init__(*args, **kwargs)
        self._deadlines = ReadDeadlines()

    @property
    def read_deadlines(self) -> ReadDeadlines:
        assert self._deadlines is not None
        return self._deadlines

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.turned_away += 1
            self._turn_away(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _turn_away(self, request: socket.socket) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "too_many_connections",
                    "message": f"the server is serving {self.max_connections} connections, "
                    "the most it takes at once; try again in a moment",
                }
            }
        ).encode()
        head = (
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        ).encode()
        try:
            request.settimeout(1.0)
            request.sendall(head + body)
        except OSError:
            pass
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        if self._deadlines is not None:
            self._deadlines.close()


class RequestHandler(WSGIRequestHandler):
    """werkzeug's handler with RFC 9112 chunked bodies and the server's read bounds, quiet
    unless `access_log`."""

    access_log = False

    def setup(self) -> None:
        super().setup()
        server = self.server
        if isinstance(server, BoundedServer):
            self.connection.settimeout(server.read_timeout)  # each read waits at most this
            server.read_deadlines.watch(self.connection, server.read_timeout * READ_DEADLINE_FACTOR)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self._received()

    def _received(self) -> None:
        if isinstance(self.server, BoundedServer):
            self.server.read_deadlines.done(self.connection)

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        if environ.get("wsgi.input_terminated"):  # werkzeug found `Transfer-Encoding: chunked`
            environ["wsgi.input"] = _UntilRead(Dechunked(self.rfile), self._received)
            return environ
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # werkzeug reads no body then
        if length > 0:
            environ["wsgi.input"] = _UntilRead(self.rfile, self._received, length)
        else:
            self._received()  # nothing more to receive
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.access_log:
            path = self.path.split("?", 1)[0]
            log.info('%s "%s %s" %s', self.address_string(), self.command, path, code)

    def log(self, type: str, message: str, *args: Any) -> None:
        """werkzeug's own lines (a bad request line, a timeout): through hooksim's logger,
        with any query string hidden, since a request line may carry a signed URL's token."""
        text = _QUERY.sub("?[query hidden]", message % args if args else message)
        log.log(
            logging.WARNING if type == "error" else logging.INFO,
            "%s: %s",
            self.address_string(),
            text,
        )
