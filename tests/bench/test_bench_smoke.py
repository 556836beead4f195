"""The benchmark harness runs end to end at tiny sizes and writes every figure it promises.

A smoke test only: no timing is asserted (benchmarks are `make bench`, never tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

REQUIRED = {
    "floor_signed_bodies_per_s",
    "inprocess_deliveries_per_s",
    "inprocess_ratio",
    "http_floor_per_s",
    "http_deliveries_per_s",
    "http_ratio",
    "disable_scenario_wall_ms",
    "library_wall_s",
    "virtual_hours_covered",
    "scale_events",
    "scale_wall_s",
    "scale_peak_rss_mb",
    "scale_linearity",
    "api_requests_per_s",
    "api_ratio",
    "xdist_speedup",
}


def test_quick_bench_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench-results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert set(results) >= REQUIRED
    assert results["quick"] is True
    assert results["scale_events"] == 2_000
    assert results["library_scenarios"] >= 25
    for key in REQUIRED - {"xdist_speedup"}:  # the quick run skips the pytest-in-pytest part
        assert results[key] > 0, key
    assert "in-process deliveries" in done.stdout
