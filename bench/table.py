"""The table `make bench` prints: each figure, its goal (from issue 6) and whether it holds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["GOALS", "Row", "print_table"]


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    unit: str = ""
    goal: str = ""
    holds: Callable[[float], bool] | None = None


GOALS: tuple[Row, ...] = (
    Row("floor_signed_bodies_per_s", "floor: json.dumps + HMAC", "/s (CPU)"),
    Row("inprocess_deliveries_per_s", "in-process deliveries", "/s (CPU)"),
    Row("inprocess_ratio", "  ratio to the floor", "", ">= 0.4", lambda v: v >= 0.4),
    Row("inprocess_generated_deliveries_per_s", "  with event data made", "/s (CPU)"),
    Row("inprocess_generated_ratio", "  its ratio to the floor"),
    Row("http_floor_per_s", "HTTP floor: http.client", "/s"),
    Row("http_deliveries_per_s", "HTTP deliveries", "/s"),
    Row("http_ratio", "  ratio to the floor", "", ">= 0.6", lambda v: v >= 0.6),
    Row("http_transport_send_per_s", "  HttpTransport.send alone", "/s"),
    Row("http_transport_send_ratio", "  its ratio to the floor"),
    Row("disable_scenario_wall_ms", "23-failure disable scenario", " ms", "< 50", lambda v: v < 50),
    Row("library_wall_s", "bundled library", " s", "< 5", lambda v: v < 5),
    Row("virtual_hours_covered", "  virtual hours covered", " h"),
    Row("scale_events", "scale: events published"),
    Row("scale_wall_s", "  wall time", " s"),
    Row("scale_peak_rss_mb", "  peak RSS", " MB", "< 1000", lambda v: v < 1000),
    Row("scale_linearity", "  1M / (2 x 500k), CPU", "", "<= 1.1", lambda v: v <= 1.1),
    Row("api_requests_per_s", "API list + subscribe", "/s"),
    Row("api_plain_requests_per_s", "  plain werkzeug app", "/s"),
    Row("api_ratio", "  ratio"),
    Row("xdist_speedup", "library: pytest -n 2 vs -n 0", "x"),
    Row("bench_wall_s", "make bench wall time", " s", "< 600", lambda v: v < 600),
)


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3g}" if value < 10 else f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_table(results: Mapping[str, Any], rows: tuple[Row, ...] = GOALS) -> None:
    print(f"{'figure':36} {'value':>16}  {'goal':>8}  holds")
    for row in rows:
        if row.key not in results:
            continue
        value = results[row.key]
        holds = ""
        if row.holds is not None and isinstance(value, int | float) and not results.get("quick"):
            holds = "yes" if row.holds(value) else "NO"
        print(f"{row.label:36} {_show(value) + row.unit:>16}  {row.goal:>8}  {holds}")
