"""`make bench`: run every measurement, print a table, write `bench-results.json`.

`python -m bench [--quick] [--out FILE] [--skip NAME ...]`. `--quick` runs tiny sizes (the
smoke test in `make test` uses it: it checks that the harness works, not how fast anything
is). Each figure is the median of several runs; throughputs are paired with a floor measured
in the same round, and the ratio is the median of the rounds' ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._util import REPO, run_child, spawn
from .api import api_figures
from .inprocess import engine_run
from .over_http import http_deliveries_per_s, http_floor_per_s, transport_send_per_s
from .payload import floor_loop
from .scenario_runs import disable_scenario_wall_ms, library_wall_s
from .table import GOALS, print_table
from .xdist import xdist_figures

__all__ = ["main"]

PARTS = ("inprocess", "http", "scenarios", "scale", "api", "xdist")


@dataclass(frozen=True)
class Sizes:
    rounds: int  # rounds of floor + engine pairs
    floor_count: int
    engine_count: int
    http_count: int
    scenario_runs: int
    library_runs: int
    scale_events: int
    api_count: int
    api_runs: int
    xdist_runs: int


FULL = Sizes(5, 20_000, 20_000, 3_000, 9, 3, 1_000_000, 1_000, 5, 2)
QUICK = Sizes(1, 500, 200, 50, 1, 1, 2_000, 10, 1, 0)


def _rounds(sizes: Sizes) -> dict[str, Any]:
    floors, ready, generated, ready_ratio, generated_ratio, walls = [], [], [], [], [], []
    for _ in range(sizes.rounds):
        floor = floor_loop(sizes.floor_count)
        engine = engine_run(sizes.engine_count, generated=False)
        made = engine_run(sizes.engine_count, generated=True)
        floor_rate = sizes.floor_count / floor.cpu
        floors.append(floor_rate)
        ready.append(sizes.engine_count / engine.cpu)
        generated.append(sizes.engine_count / made.cpu)
        ready_ratio.append(ready[-1] / floor_rate)
        generated_ratio.append(generated[-1] / floor_rate)
        walls.append((sizes.floor_count / floor.wall, sizes.engine_count / engine.wall))
    median = statistics.median
    return {
        "floor_signed_bodies_per_s": median(floors),
        "inprocess_deliveries_per_s": median(ready),
        "inprocess_ratio": median(ready_ratio),
        "inprocess_generated_deliveries_per_s": median(generated),
        "inprocess_generated_ratio": median(generated_ratio),
        "floor_wall_per_s": median(f for f, _ in walls),
        "inprocess_wall_per_s": median(e for _, e in walls),
    }


def _http(sizes: Sizes) -> dict[str, Any]:
    floors, sends, deliveries = [], [], []
    with spawn("bench.receiver") as (_, port):
        for _ in range(min(sizes.rounds, 3)):
            floors.append(http_floor_per_s(int(port), sizes.http_count))
            sends.append(transport_send_per_s(int(port), sizes.http_count))
            deliveries.append(http_deliveries_per_s(int(port), sizes.http_count))
    median = statistics.median
    return {
        "http_floor_per_s": median(floors),
        "http_deliveries_per_s": median(deliveries),
        "http_ratio": median(d / f for d, f in zip(deliveries, floors, strict=True)),
        "http_transport_send_per_s": median(sends),
        "http_transport_send_ratio": median(s / f for s, f in zip(sends, floors, strict=True)),
    }


def _scenarios(sizes: Sizes) -> dict[str, Any]:
    library_s, hours, count = library_wall_s(sizes.library_runs)
    return {
        "disable_scenario_wall_ms": disable_scenario_wall_ms(sizes.scenario_runs),
        "library_wall_s": library_s,
        "library_scenarios": count,
        "virtual_hours_covered": hours,
    }


def _scale_child(events: int) -> dict[str, Any]:
    out = run_child("bench.scale", "--events", str(events), timeout=480)
    return dict(json.loads(out.strip().splitlines()[-1]))


def _scale(sizes: Sizes) -> dict[str, Any]:
    half = _scale_child(sizes.scale_events // 2)
    full = _scale_child(sizes.scale_events)
    return {
        "scale_events": full["events"],
        "scale_wall_s": full["wall_s"],
        "scale_cpu_s": full["cpu_s"],
        "scale_peak_rss_mb": full["peak_rss_mb"],
        "scale_pending_peak": full["pending_peak"],
        "scale_virtual_hours": full["virtual_hours"],
        "scale_half_wall_s": half["wall_s"],
        "scale_half_cpu_s": half["cpu_s"],
        "scale_half_peak_rss_mb": half["peak_rss_mb"],
        # CPU seconds of the child: its own work, whatever else the machine runs.
        "scale_linearity": full["cpu_s"] / (2 * half["cpu_s"]),
        "scale_linearity_wall": full["wall_s"] / (2 * half["wall_s"]),
    }


def _api(sizes: Sizes) -> dict[str, Any]:
    return api_figures(sizes.api_count, sizes.api_runs)


def _xdist(sizes: Sizes) -> dict[str, Any]:
    if not sizes.xdist_runs:
        return {"xdist_speedup": None}
    return xdist_figures(sizes.xdist_runs)


MEASUREMENTS: dict[str, Callable[[Sizes], dict[str, Any]]] = {
    "inprocess": _rounds,
    "http": _http,
    "scenarios": _scenarios,
    "scale": _scale,
    "api": _api,
    "xdist": _xdist,
}


def _machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "system": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--out", default=str(REPO / "bench-results.json"))
    parser.add_argument("--skip", nargs="*", default=[], choices=PARTS)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, measure in MEASUREMENTS.items():
        if name in args.skip:
            continue
        part_started = time.perf_counter()
        try:
            results.update(measure(sizes))
        except Exception as exc:  # one broken part must not lose the others' figures
            errors[name] = f"{type(exc).__name__}: {exc}"
            print(f"  {name} FAILED: {errors[name]}", file=sys.stderr, flush=True)
            continue
        print(f"  {name}: {time.perf_counter() - part_started:.1f} s", file=sys.stderr, flush=True)
    results["bench_wall_s"] = time.perf_counter() - started
    results["quick"] = args.quick
    results["machine"] = _machine()
    if errors:
        results["errors"] = errors
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print_table(results, GOALS)
    print(f"\nwrote {args.out}")
    for name, error in errors.items():
        print(f"{name} failed: {error}", file=sys.stderr)
    return 1 if errors else 0
