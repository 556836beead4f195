"""The scenario runner end to end, timed inside this process (interpreter start-up and
imports excluded): the 23-failure disable scenario, and the whole bundled library."""

from __future__ import annotations

import time

from hooksim.scenarios import ScenarioFile, library_files, load_scenario, run_scenario

from ._util import median_of

__all__ = ["DISABLE_SCENARIO", "disable_scenario_wall_ms", "library_wall_s"]

DISABLE_SCENARIO = "library/twenty-third-failure-disables.yaml"


def _run(item: ScenarioFile) -> float:
    """Load, validate and run one file; answers the virtual seconds it covered."""
    result = run_scenario(load_scenario(item.source, item.file))
    if result.status != "passed":
        raise RuntimeError(f"{item.file} did not pass: {result.status} {result.error or ''}")
    return result.virtual_seconds


def disable_scenario_wall_ms(runs: int) -> float:
    (item,) = [i for i in library_files() if i.file == DISABLE_SCENARIO]
    _run(item)  # warm: first-use imports and caches are start-up, not the scenario

    def once() -> float:
        started = time.perf_counter()
        _run(item)
        return (time.perf_counter() - started) * 1000

    return median_of(runs, once)


def library_wall_s(runs: int) -> tuple[float, float, int]:
    """(median wall seconds, virtual hours covered, scenario count) for the whole library."""
    items = library_files()
    virtual = [0.0]

    def once() -> float:
        started = time.perf_counter()
        virtual[0] = sum(_run(item) for item in items)
        return time.perf_counter() - started

    return median_of(runs, once), virtual[0] / 3600, len(items)
