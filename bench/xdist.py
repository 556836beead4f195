"""The bundled library's test (`tests/scenarios/test_scenario_library.py`, one test per
scenario) under `pytest -n 2` against `-n 0`, each a fresh pytest process timed from the
outside (so worker start-up counts, as it does for whoever runs it). A failing test does not
stop the measurement (the library is others' work in progress too): pytest's exit codes
are recorded beside the times."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

from ._util import REPO

__all__ = ["LIBRARY_TEST", "xdist_figures"]

LIBRARY_TEST = "tests/scenarios/test_scenario_library.py"


def _pytest_wall_s(workers: int) -> tuple[float, int]:
    command = [sys.executable, "-m", "pytest", LIBRARY_TEST, "-q", "-p", "no:cacheprovider"]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "-n", str(workers)], cwd=REPO, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: tests ran, some failed; anything else: no run
        raise RuntimeError(f"pytest -n {workers} did not run:\n{done.stdout[-2000:]}")
    return elapsed, done.returncode


def xdist_figures(runs: int) -> dict[str, Any]:
    serial: list[float] = []
    parallel: list[float] = []
    codes: set[int] = set()
    for _ in range(runs):  # alternating, so that both see the same machine
        for times, workers in ((serial, 0), (parallel, 2)):
            elapsed, code = _pytest_wall_s(workers)
            times.append(elapsed)
            codes.add(code)
    return {
        "xdist_tests_passed": codes == {0},
        "xdist_serial_s": statistics.median(serial),
        "xdist_parallel_s": statistics.median(parallel),
        "xdist_speedup": statistics.median(serial) / statistics.median(parallel),
    }
