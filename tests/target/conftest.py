"""Targets for target mode: `hooksim serve --clock virtual` started as a separate process
(the reference implementation of the control contract), from the installed package or from a
copy with planted defects (`mutants`)."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

CLIENT_ID = "target-tests"
CLIENT_SECRET = "target-tests-secret-value"
ENTRY = "from hooksim.cli import main; main()"


def pytest_configure(config: pytest.Config) -> None:
    # pytester for the plugin's target options (see tests/plugin/conftest.py for why here).
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


@dataclass
class Target:
    url: str
    process: subprocess.Popen[str]

    def run(
        self, *args: str, cwd: Path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`hooksim run --target` against it, as a user would type it."""
        command = [
            sys.executable,
            "-c",
            ENTRY,
            "run",
            "--target",
            self.url,
            "--client-id",
            CLIENT_ID,
            *args,
        ]
        environment = {**os.environ, "HOOKSIM_CLIENT_SECRET": CLIENT_SECRET, "NO_COLOR": "1"}
        environment["COLUMNS"] = "200"
        environment.update(env or {})
        return subprocess.run(
            command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=900
        )


def _start(
    command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> Target:
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=cwd,
    )
    try:
        return _wait_for_url(process)
    except BaseException:
        process.kill()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
        raise


def _wait_for_url(process: subprocess.Popen[str]) -> Target:
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen = []
    while True:
        try:
            line = lines.get(timeout=60)
        except queue.Empty:
            raise AssertionError(
                "hooksim serve printed no URL within 60 s:\n" + "".join(seen)
            ) from None
        if line is None:
            raise AssertionError("hooksim serve stopped:\n" + "".join(seen))
        seen.append(line)
        match = re.search(r"serving at (http://\S+)", line)
        if match:
            return Target(match.group(1), process)


def _serve_args() -> list[str]:
    return [
        "serve",
        "--clock",
        "virtual",
        "--port",
        "0",
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
    ]


@pytest.fixture
def start_target() -> Iterator[Callable[..., Target]]:
    """Start `hooksim serve --clock virtual` in a process of its own; with `mutants`, from a
    copy of the package where those bugs are planted."""
    started: list[Target] = []

    def start(mutants: Sequence[object] = (), work: Path | None = None) -> Target:
        if mutants:
            from mutants._run import mutated_hooksim

            assert work is not None
            command, env = mutated_hooksim(mutants, work / "copy", _serve_args())  # type: ignore[arg-type]
            # From inside the copy: `-c` puts the working folder first on sys.path, ahead of
            # the editable install's finder.
            target = _start(command, env, cwd=work / "copy")
        else:
            target = _start([sys.executable, "-c", ENTRY, *_serve_args()])
        started.append(target)
        return target

    yield start
    for target in started:
        target.process.terminate()
        try:
            target.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            target.process.kill()
            target.process.wait(timeout=10)
        if target.process.stdout is not None:
            target.process.stdout.close()
