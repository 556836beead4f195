"""README "Stage an incident": `hooksim serve` started as the README starts it, its banner as
the README shows it, then the README's `hooksim sim` and curl blocks run as written in bash
with the export line it printed. Two deviations, both for the test's sake: `--port 0` (tests
never take a fixed port) and `--allow-hosts hooks.invalid` (the README's receiver URL,
127.0.0.1:9000, is then refused without a connection to whatever listens there)."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from _docs import ROOT, marked_block
from _shell import bash, explain, user_env

from hooksim._remote import RemotePlatform

pytestmark = [pytest.mark.served, pytest.mark.clause("SERVE", "SIM-EVENTS", "SIM-CLOCK")]

README = ROOT / "README.md"
FOR_TESTS = " --port 0 --allow-hosts hooks.invalid"


@dataclass
class Served:
    lines: list[str]
    exports: dict[str, str]

    @property
    def url(self) -> str:
        return self.exports["HOOKSIM_URL"]


def _command() -> str:
    block = marked_block(README, "serve")
    (line,) = block.code.strip().splitlines()
    return line.split("#", 1)[0].strip()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    process = subprocess.Popen(
        ["bash", "-c", "exec " + _command() + FOR_TESTS],
        cwd=tmp_path_factory.mktemp("serve"),
        env=user_env({"PYTHONUNBUFFERED": "1"}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.strip().startswith("export "):
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(60), "hooksim serve printed no export line"
        exported = [line for line in lines if line.strip().startswith("export ")]
        assert exported, f"hooksim serve stopped: {process.poll()}\n" + "\n".join(lines)
        words = shlex.split(exported[0].strip())[1:]
        yield Served(lines, dict(word.split("=", 1) for word in words))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
            reader.join(10)
            assert process.stdout is not None and process.stderr is not None
            process.stdout.close()
            process.stderr.close()


def test_the_banner_is_the_one_the_readme_shows(served: Served) -> None:
    block = marked_block(README, "serve-banner")
    printed = served.lines
    for shown in block.code.splitlines():
        if shown == "...":
            continue
        expected = shown.replace("http://127.0.0.1:8080", served.url)
        if expected.endswith("..."):
            prefix = expected.removesuffix("...")
            assert any(line.startswith(prefix) for line in printed), (block.where, shown)
        else:
            assert expected in printed, (block.where, shown, printed)


def test_the_sim_commands_run_as_written(served: Served, tmp_path: Path) -> None:
    block = marked_block(README, "serve-sim")
    before = _clock(served)
    done = bash(block, tmp_path, served.exports)
    assert done.returncode == 0, explain(done, block.where)
    out = done.stdout
    assert "subscribed http://127.0.0.1:9000/hook to card-completed" in out
    assert len(re.findall(r"^published card-completed \S+$", out, re.M)) == 3
    moved = re.search(r"^advanced 1h: the platform's clock is at (\S+)$", out, re.M)
    assert moved and _instant(moved.group(1)) - _instant(before) == timedelta(hours=1), out
    rows = [line.split() for line in out.splitlines() if line.startswith("2026-")]
    assert len(rows) >= 3 and {row[4] for row in rows} == {"refused"}


def test_the_curl_lines_run_as_written(served: Served, tmp_path: Path) -> None:
    """The curl block, then the credentials block in the same shell (it uses $TOKEN)."""
    curl = marked_block(README, "serve-curl")
    credentials = marked_block(README, "serve-credentials")
    assert all(line.startswith(("curl -s ", "TOKEN=$(curl -s ", "CRED=$(curl -s ", " "))
               for line in (curl.code + credentials.code).splitlines())  # fmt: skip
    before = _clock(served)
    done = bash(curl.code + credentials.code, tmp_path, served.exports)
    assert done.returncode == 0, explain(done, curl.where)
    assert '"error"' not in done.stdout, explain(done, curl.where)
    decoder = json.JSONDecoder()
    answers, text = [], done.stdout.strip()
    while text:
        value, end = decoder.raw_decode(text)
        answers.append(value)
        text = text[end:].strip()
    subscribed, published, advanced, with_credential = answers
    assert subscribed["data"]["types"] == ["card-completed"] and subscribed["data"]["secret"]
    assert len(published["data"]["eventIds"]) == 3
    assert _instant(advanced["data"]["now"]) - _instant(before) == timedelta(hours=1)
    batch = with_credential["data"]
    assert batch["credentialId"] and batch["batch"] == {"maxEvents": 50, "maxWaitSeconds": 5}
    assert "mapping" in batch


def _clock(served: Served) -> str:
    platform = RemotePlatform(
        served.url, served.exports["HOOKSIM_CLIENT_ID"], served.exports["HOOKSIM_CLIENT_SECRET"]
    )
    now: str = platform.expect_ok(platform.call("GET", "/_sim/clock"), "clock")["now"]
    return now


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
