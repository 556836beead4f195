"""The bundled library's test (`tests/scenarios/test_scenario_library.py`, one test per
scenario) under `pytest -n 2` against `-n 0`, each a fresh pytest process timed from the
outside (so worker start-up counts, as it does for whoever runs it)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

from ._util import REPO

__all__ = ["LIBRARY_TEST", "xdist_figures"]

LIBRARY_TEST = "tests/scenarios/test_scenario_library.py"


def _pytest_wall_s(workers: int) -> float:
    command = [sys.executable, "-m", "pytest", LIBRARY_TEST, "-q", "-p", "no:cacheprovider"]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "-n", str(workers)], cwd=REPO, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"pytest -n {workers} failed:\n{done.stdout[-2000:]}")
    return elapsed


def xdist_figures(runs: int) -> dict[str, Any]:
    serial, parallel = [], []
    for _ in range(runs):  # alternating, so that both see the same machine
        serial.append(_pytest_wall_s(0))
        parallel.append(_pytest_wall_s(2))
    return {
        "xdist_serial_s": statistics.median(serial),
        "xdist_parallel_s": statistics.median(parallel),
        "xdist_speedup": statistics.median(serial) / statistics.median(parallel),
    }
