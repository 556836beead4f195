"""Servers for the API measurement, each in a process of its own (`python -m bench.api_server`).

`hooksim PORT_FILE`: the platform as `hooksim serve` runs it (`ServedPlatform`, virtual
clock, so nothing is delivered meanwhile), with a known client and no subscription cap.
`plain LIST_JSON CREATE_JSON`: a plain werkzeug app on the same werkzeug server that answers
GET with the list's JSON and POST (after reading and parsing the body) with the created
subscription's JSON: the floor of an API call in this stack.
Each prints its port and serves until its standard input closes.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "bench"
CLIENT_SECRET = "bench-secret"


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _plain_app(list_json: bytes, create_json: bytes) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if request.method == "POST":
            json.loads(request.get_data())
            response = Response(create_json, 201, content_type="application/json")
        else:
            response = Response(list_json, 200, content_type="application/json")
        return response(environ, start_response)

    return app


def _serve_plain(list_file: str, create_file: str) -> None:
    app = _plain_app(Path(list_file).read_bytes(), Path(create_file).read_bytes())
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    threading.Thread(target=server.serve_forever, args=(0.2,), daemon=True).start()
    print(server.port, flush=True)
    sys.stdin.read()
    server.shutdown()


def _serve_hooksim() -> None:
    from hooksim.simulator import ServedPlatform, ServeOptions

    options = ServeOptions(
        port=0,
        clock="virtual",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        settings={"max_subscriptions": 1_000_000},
    )
    with ServedPlatform(options) as served:
        print(served.port, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    if sys.argv[1] == "plain":
        _serve_plain(sys.argv[2], sys.argv[3])
    else:
        _serve_hooksim()
