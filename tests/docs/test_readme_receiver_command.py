"""README "Check your own receiver": its Flask receiver saved as `receiver.py`, then the
commands below it run as written in bash (the receiver started in the background, then
graded): every check passes. The one deviation: the port, 5000 in the README, is a free one
(tests never take a fixed port); the grading waits until the receiver listens, as a person
typing the second command does."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from _docs import ROOT, marked_block
from _shell import bash, explain, free_port, user_env, wait_for_port

pytestmark = pytest.mark.served

README = ROOT / "README.md"


def test_the_receiver_commands_run_as_written(tmp_path: Path) -> None:
    receiver = marked_block(README, "check-your-own-receiver")
    commands = marked_block(README, "check-your-own-receiver-command")
    (tmp_path / "receiver.py").write_text(receiver.code, encoding="utf-8")
    port = free_port()
    assert commands.code.count("5000") == 3, f"{commands.where}: the port changed"
    background, grading = commands.code.replace("5000", str(port)).split(" &\n", 1)
    server = subprocess.Popen(
        ["bash", "-c", "exec " + background],
        cwd=tmp_path,
        env=user_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, server)
        done = bash(grading, tmp_path)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert done.returncode == 0, explain(done, commands.where)
    assert "0 failed" in done.stdout and "PASS" in done.stdout
    assert "idempotent-effects" in done.stdout
