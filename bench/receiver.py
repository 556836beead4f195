"""A minimal webhook receiver for the HTTP floor: `python -m bench.receiver`.

It runs in its own process (so its work does not share the measuring process's GIL), prints
its port, answers every request `200 ok` on keep-alive connections (one thread per
connection), and stops when its standard input closes. It parses no more HTTP than a POST
with a Content-Length needs: the floor is the network path, not a web framework.
"""

from __future__ import annotations

import socket
import socketserver
import sys
import threading

__all__ = ["serve"]

_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


class _Connection(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffered = b""
        while True:
            while b"\r\n\r\n" not in buffered:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffered += chunk
            head, _, buffered = buffered.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(buffered) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffered += chunk
            buffered = buffered[length:]
            sock.sendall(_ANSWER)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve() -> None:
    with _Server(("127.0.0.1", 0), _Connection) as server:
        thread = threading.Thread(target=server.serve_forever, args=(0.2,), daemon=True)
        thread.start()
        print(server.server_address[1], flush=True)
        sys.stdin.read()  # until the parent closes our standard input
        server.shutdown()


if __name__ == "__main__":
    serve()
