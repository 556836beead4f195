"""The receiver kit's opt-in `handles-batched` check: a signed batch of several events must
get a 2xx (in-process, and over HTTP through the CLI's --batched)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

import pytest
from click.testing import CliRunner
from hooksim.contracts import verify
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

import hooksim
from hooksim.cli import main

SECRET = "kit-batched-secret"


class Receiver:
    """Verifies the raw body; accepts `data` as one event, or as a list when `batches`."""

    def __init__(self, batches: bool = True) -> None:
        self.batches = batches
        self.batch_sizes: list[int] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_data()
        if not verify(SECRET, body, request.headers.get("X-Atomic-Signature", "")):
            return Response("bad signature", 401)(environ, start_response)
        envelope = json.loads(body)
        data = envelope["data"]
        if isinstance(data, list):
            if not self.batches or envelope["isBatched"] is not True:
                return Response("one event at a time", 400)(environ, start_response)
            self.batch_sizes.append(len(data))
            ids = [item["id"] for item in data]
        else:
            ids = [data["id"]]
        return Response(json.dumps({"ok": ids}), 200)(environ, start_response)


@pytest.mark.clause("BATCHING")
def test_a_receiver_that_takes_batches_passes_handles_batched() -> None:
    receiver = Receiver()
    result = hooksim.check_receiver(receiver, secret=SECRET, batched=True)
    check = {c.id: c for c in result}["handles-batched"]
    assert check.status == "pass", result.explain()
    assert receiver.batch_sizes == [3, 1]
    assert check.clauses == ("BATCHING",)


@pytest.mark.clause("BATCHING")
def test_a_receiver_that_reads_one_event_fails_handles_batched() -> None:
    result = hooksim.check_receiver(Receiver(batches=False), secret=SECRET, batched=True)
    failed = {c.id for c in result.failed}
    assert failed == {"handles-batched"}, result.explain()
    assert "expected 2xx" in {c.id: c for c in result}["handles-batched"].reason


def test_handles_batched_is_opt_in() -> None:
    result = hooksim.check_receiver(Receiver(batches=False), secret=SECRET)
    assert "handles-batched" not in result.ids()
    assert result.passed


@pytest.mark.clause("BATCHING")
@pytest.mark.parametrize(("batches", "code"), [(True, 0), (False, 1)])
def test_the_cli_runs_it_with_batched(batches: bool, code: int) -> None:
    server = make_server("127.0.0.1", 0, Receiver(batches), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        result = CliRunner().invoke(main, ["check-receiver", url, "--secret", SECRET, "--batched"])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert result.exit_code == code, result.output
    assert "handles-batched" in result.output
    assert SECRET not in result.output
