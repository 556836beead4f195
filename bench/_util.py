"""Timing helpers shared by the measurements: medians of repeated runs, child processes."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = [
    "REPO",
    "Timed",
    "median_of",
    "per_second",
    "python_module",
    "run_child",
    "spawn",
    "timed",
]

#: The repository root: child processes run from here so that `bench` imports.
REPO = Path(__file__).resolve().parent.parent


def median_of(runs: int, measure: Callable[[], float]) -> float:
    """The median of `runs` calls of `measure` (each answers one figure)."""
    return statistics.median(measure() for _ in range(max(1, runs)))


def per_second(count: int, action: Callable[[], Any]) -> float:
    """`count` divided by the wall time `action()` took."""
    started = time.perf_counter()
    action()
    return count / (time.perf_counter() - started)


@dataclass(frozen=True)
class Timed:
    """How long something took: this process's CPU seconds and wall seconds."""

    cpu: float
    wall: float


def timed(action: Callable[[], Any]) -> Timed:
    """Run `action` once. For single-threaded work in this process, CPU time is the figure
    that stays comparable on a shared machine (other processes take the cores, not our
    CPU seconds); wall time is kept beside it."""
    cpu, wall = time.process_time(), time.perf_counter()
    action()
    return Timed(time.process_time() - cpu, time.perf_counter() - wall)


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@contextmanager
def spawn(module: str, *args: str):  # type: ignore[no-untyped-def]
    """Start `python -m module args` and answer (process, first line it printed).

    The child serves until its standard input closes; it is then waited for (or killed).
    """
    process = subprocess.Popen(
        python_module(module, *args),
        cwd=REPO,
        env=_child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line:
            raise RuntimeError(f"{module} exited before it was ready")
        yield process, line
    finally:
        stdin: IO[str] | None = process.stdin
        if stdin is not None:
            stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_child(module: str, *args: str, timeout: float) -> str:
    """Run `python -m module args` to its end; answers what it printed."""
    done = subprocess.run(
        python_module(module, *args),
        cwd=REPO,
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout
