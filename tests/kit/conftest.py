from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from kit_receivers import Serve
from werkzeug.serving import make_server


@contextmanager
def _serve(app: Any, path: str = "/webhooks/atomic") -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) in a thread; yield its URL; close everything."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="kit-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{path}"
    finally:
        release = getattr(app, "gate", None)
        if release is not None:
            release.set()  # let held requests finish before the server goes
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def serve() -> Serve:
    return _serve


@pytest.fixture(autouse=True)
def _quiet_werkzeug() -> Iterator[None]:
    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture
def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"
