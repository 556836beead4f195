"""The HTTP server under the served API: werkzeug's threaded server, held to the HTTP rules
werkzeug's development server leaves out.

An adapter (sockets and threads). What it adds to werkzeug's request handler:
- chunked request bodies decoded as RFC 9112 section 7.1 says (`Dechunked`): chunk
  extensions are ignored and trailer fields read and dropped (werkzeug refuses both), and
  anything malformed ends the body with an error that the API answers as a 400;
- access lines that show the path, never the query (pre-signed analytics URLs carry their
  signature there), and only when asked.
"""

from __future__ import annotations

import io
import logging
from typing import Any, Protocol

from werkzeug.serving import WSGIRequestHandler

__all__ = ["Dechunked", "RequestHandler"]

log = logging.getLogger("hooksim.serve")

#: The longest chunk-size line or trailer field line read (extensions included).
MAX_CHUNK_LINE = 4096
#: The most trailer fields read after the last chunk.
MAX_TRAILER_FIELDS = 64
_HEX = frozenset(b"0123456789abcdefABCDEF")


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


class RequestHandler(WSGIRequestHandler):
    """werkzeug's handler with RFC 9112 chunked bodies, quiet unless `access_log`."""

    access_log = False

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        if environ.get("wsgi.input_terminated"):  # werkzeug found `Transfer-Encoding: chunked`
            environ["wsgi.input"] = Dechunked(self.rfile)
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.access_log:
            path = self.path.split("?", 1)[0]
            log.info('%s "%s %s" %s', self.address_string(), self.command, path, code)
