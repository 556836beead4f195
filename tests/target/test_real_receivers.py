"""The user's own receiver in a scenario (README "Check your own receiver"): the README's Flask
receiver, served for real, driven by the README's YAML scenario, in process and against a
target; its bookkeeping read from its effects probe; a receiver that does not dedupe fails.
Rebinding from the command line, real-time clock starts, not-applicable without a probe."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _docs import ROOT, marked_block
from hooksim.scenarios import Binding, Runner, load_text, run_scenario
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from .conftest import Target

pytestmark = [
    pytest.mark.served,
    pytest.mark.clause("AT-LEAST-ONCE", "SIGN-RAW-BYTES", "SIM-SECRETS"),
]

RECEIVER = marked_block(ROOT / "README.md", "check-your-own-receiver")
SCENARIO = marked_block(ROOT / "README.md", "receiver-scenario")
ENTRY = "from hooksim.cli import main; main()"


def load(code: str, tmp_path: Path, name: str) -> ModuleType:
    source = tmp_path / f"{name}.py"
    source.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@contextmanager
def served(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def hooksim_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", ENTRY, "run", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def receiver(tmp_path: Path) -> ModuleType:
    return load(RECEIVER.code, tmp_path, "readme_receiver")


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "orders.yaml"
    path.write_text(SCENARIO.code)
    return path


def test_the_readme_scenario_drives_the_readme_receiver_rebound_from_the_command_line(
    receiver: ModuleType, scenario_file: Path, tmp_path: Path
) -> None:
    with served(receiver.app) as base:
        done = hooksim_run(
            str(scenario_file),
            "--receiver",
            f"orders={base}/hooks/atomic",
            "--effects",
            f"orders={base}/test/effects",
            "--report",
            str(tmp_path / "report"),
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        # A second run against the same, still running receiver: its earlier effects do not
        # count (the probe is read when the scenario starts).
        again = hooksim_run(
            str(scenario_file),
            "--receiver",
            f"orders={base}/hooks/atomic",
            "--effects",
            f"orders={base}/test/effects",
            cwd=tmp_path,
        )
        assert again.returncode == 0, again.stdout[-3000:]
    results = json.loads((tmp_path / "report" / "results.json").read_text())
    [scenario] = results["scenarios"]
    judged = [e for e in scenario["expectations"] if e["description"].startswith("every delivery")]
    assert judged[0]["passed"] and judged[0]["actual"]["requests judged"] == 6


def test_a_receiver_that_does_not_dedupe_fails_processed_once(
    scenario_file: Path, tmp_path: Path
) -> None:
    code = RECEIVER.code.replace("if data_id not in effects:", "if True:")
    careless = load(code, tmp_path, "careless_receiver")
    with served(careless.app) as base:
        done = hooksim_run(
            str(scenario_file),
            "--receiver",
            f"orders={base}/hooks/atomic",
            "--effects",
            f"orders={base}/test/effects",
            cwd=tmp_path,
        )
        assert done.returncode == 1
        assert "processed_once: expected True, got False" in done.stdout
        assert "processed: expected 3, got 6" in done.stdout
        # The printed command reproduces the failure: the same seed, the same receiver bound
        # (without the bindings it would run the scenario's scripted receiver and pass).
        (command,) = [
            line.split("Reproduce: ", 1)[1].strip()
            for line in done.stdout.splitlines()
            if "Reproduce: " in line
        ]
        assert command.endswith(
            f" --receiver orders={base}/hooks/atomic --effects orders={base}/test/effects"
        ), command
        again = hooksim_run(*shlex.split(command)[2:], cwd=tmp_path)
        assert again.returncode == 1, again.stdout[-3000:]
        assert "processed: expected 3, got 6" in again.stdout


def test_the_scenario_against_a_target_with_the_real_receiver(
    receiver: ModuleType, scenario_file: Path, tmp_path: Path, start_target: Callable[..., Target]
) -> None:
    target = start_target()
    with served(receiver.app) as base:
        done = target.run(
            str(scenario_file),
            "--receiver",
            f"orders={base}/hooks/atomic",
            "--effects",
            f"orders={base}/test/effects",
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 scenario: 1 passed" in done.stdout


class TimestampChecking:
    """A receiver with a five-minute tolerance on the payload's timestamp, like receivers
    that refuse replays; it counts what it accepted."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.accepted: list[str] = []
        self.refused = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.path == "/effects":
            counts = {i: self.accepted.count(i) for i in self.accepted}
            return Response(json.dumps({"effects": counts}))(environ, start_response)
        body = request.get_data()
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        if request.headers.get("X-Atomic-Signature") != signature:
            return Response("bad signature", status=401)(environ, start_response)
        data = json.loads(body)["data"]
        from hooksim.simulator import parse_time

        if abs(parse_time(data["timestamp"]) - time.time()) > 300:
            self.refused += 1
            return Response("stale", status=400)(environ, start_response)
        self.accepted.append(str(data["id"]))
        return Response(status=204)(environ, start_response)


CLOCKED = """\
name: A receiver that checks timestamps
receivers:
  shop: {effects_url: /effects}
subscriptions:
  orders: {receiver: shop, types: [card-completed]}
steps:
  - publish: {type: card-completed, id: now}
expect:
  - delivered: {events: [now]}
  - receiver: {name: shop, received: 1, processed: 1}
"""


def test_a_real_receiver_sees_real_time_so_its_tolerance_holds() -> None:
    scenario = load_text(CLOCKED.replace("receivers:\n  shop: {effects_url: /effects}\n", (
        "receivers:\n  shop: {url: 'http://placeholder.invalid/', effects_url: /effects,"
        " secret: a-known-secret-value}\n"
    )), "clocked.yaml")  # fmt: skip
    app = TimestampChecking("a-known-secret-value")
    result = run_scenario(scenario, receivers={"shop": Binding(app)})
    assert result.passed, [e.message for e in result.expectations if not e.passed]
    assert app.accepted == ["now"] and app.refused == 0


def test_without_an_effects_probe_what_it_processed_is_not_applicable() -> None:
    scenario = load_text(
        textwrap.dedent(
            """\
            name: No probe
            receivers:
              shop: {url: 'http://placeholder.invalid/', secret: a-known-secret-value}
            subscriptions:
              orders: {receiver: shop, types: [card-completed]}
            steps:
              - publish: {type: card-completed, id: one}
            expect:
              - receiver: {name: shop, received: 1, signatures_valid: true}
              - receiver: {name: shop, processed: 1}
            """
        ),
        "probe.yaml",
    )
    app = TimestampChecking("a-known-secret-value")
    result = Runner(receivers={"shop": app}).run([scenario]).results[0]
    first, second = result.expectations[:2]
    assert first.status == "passed"
    assert second.status == "not-applicable"
    assert "without an effects probe" in (second.not_applicable or "")
    assert result.status == "not-applicable"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--receiver", "nobody=http://127.0.0.1:9/"], "no scenario of this run declares"),
        (["--receiver", "orders"], "write NAME=URL"),
        (["--receiver", "orders=ftp://x"], "http:// or https://"),
    ],
)
def test_rebinding_mistakes_exit_2(
    scenario_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    done = hooksim_run(str(scenario_file), *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
