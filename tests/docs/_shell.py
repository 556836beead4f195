"""Running a documentation block as a user would: in bash, in a folder of its own, with the
commands of this installation (`hooksim`, `flask`, `pytest`) first on the PATH."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from _docs import DocBlock

#: The folder holding this installation's commands.
BIN = Path(sys.executable).parent


def user_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a user's shell: no HOOKSIM_* of ours, this installation first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOOKSIM_", "PYTEST_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", COLUMNS="200", NO_COLOR="1")
    env.update(extra or {})
    return env


def bash(
    block: DocBlock | str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """The block's lines in one bash, stopping at the first command that fails."""
    code = block.code if isinstance(block, DocBlock) else block
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", code],
        cwd=cwd,
        env=user_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def explain(done: subprocess.CompletedProcess[str], where: str) -> str:
    return f"{where}: exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], limit: float = 30.0) -> None:
    """Until something listens on 127.0.0.1:`port` (the process must stay alive meanwhile)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert process.poll() is None, f"it exited ({process.returncode}) before listening"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {limit:g} s")
