from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace

from _report_samples import burst, error, exhausted, failing, many_subscriptions, passing
from hooksim.reports._timeline import (
    DENSE,
    MAX_LANES,
    TimeScale,
    drawn_changes,
    render_timeline,
)
from hooksim.scenarios import ScenarioResult, StatusChange

SVG = "{http://www.w3.org/2000/svg}"


def _svg(result: ScenarioResult) -> ET.Element:
    return ET.fromstring(render_timeline(result))


def _outcomes(svg: ET.Element) -> Counter[str]:
    return Counter(
        element.get("data-outcome", "")
        for element in svg.iter()
        if element.get("data-outcome") and not _in_legend(svg, element)
    )


def _in_legend(svg: ET.Element, element: ET.Element) -> bool:
    legend = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "legend")
    return element in list(legend.iter())


def _texts(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}text")]


def test_one_mark_per_attempt_coloured_by_outcome() -> None:
    svg = _svg(exhausted())
    assert _outcomes(svg) == {"timeout": 2, "http-error": 3, "refused": 3, "reset": 3}
    marks = [e for e in svg.iter() if e.get("data-outcome") == "timeout"]
    assert {m.get("fill") for m in marks} == {"#E69F00"}
    titles = [m.findtext(f"{SVG}title") or "" for m in marks]
    assert any("attempt 4" in title and "timeout" in title for title in titles)


def test_success_and_failure_have_different_shapes_and_a_legend() -> None:
    svg = _svg(passing())
    shapes = {e.get("data-outcome"): e.tag for e in svg.iter() if e.get("data-outcome")}
    assert shapes == {"success": f"{SVG}circle", "http-error": f"{SVG}rect"}
    texts = _texts(svg)
    assert {"success", "http-error", "clock advancing"} <= set(texts)


def test_backoff_over_four_hours_uses_human_units_and_a_sqrt_axis() -> None:
    scale = TimeScale.for_result(passing())
    assert scale.sqrt and scale.end == 4 * 3600
    texts = _texts(_svg(passing()))
    assert {"0", "10 min", "1 h", "4 h"} <= set(texts)
    assert any("square-root scale" in text for text in texts)
    xs = sorted(scale.x(a.t) for a in passing().attempts)
    assert min(b - a for a, b in zip(xs, xs[1:], strict=False)) >= 10  # every attempt apart


def test_even_spread_stays_linear() -> None:
    scale = TimeScale.for_result(failing())
    assert not scale.sqrt and scale.end == 1800
    assert [int(t) for t in scale.ticks()] == [0, 300, 600, 900, 1200, 1500, 1800]


def test_thousands_of_attempts_are_bucketed() -> None:
    result = burst(6000)
    svg = _svg(result)
    counts = _outcomes(svg)
    assert set(counts) == {"success", "timeout", "http-error"}
    buckets = [g for g in svg.iter(f"{SVG}g") if g.get("data-count")]
    assert sum(int(g.get("data-count") or 0) for g in buckets) == 6000
    assert len(list(svg.iter())) < 6000  # far fewer elements than attempts
    assert len(result.attempts) / 3 > DENSE


def test_status_changes_and_clock_spans() -> None:
    svg = _svg(failing())
    (diamond,) = [e for e in svg.iter() if e.get("data-status")]
    assert diamond.get("data-status") == "disabled"
    assert "orders-hook disabled (auto)" in (diamond.findtext(f"{SVG}title") or "")
    clock = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "clock")
    assert len(clock.findall(f"{SVG}rect")) == 1


def test_many_subscriptions_share_a_lane_past_the_cap() -> None:
    svg = _svg(many_subscriptions())
    lanes = [g.get("data-subscription") for g in svg.iter(f"{SVG}g") if g.get("data-subscription")]
    assert len(lanes) == MAX_LANES
    assert lanes[-1] == f"{30 - MAX_LANES + 1} other subscriptions"
    assert sum(_outcomes(svg).values()) == 30


def test_nothing_to_draw() -> None:
    assert render_timeline(error()) == ""


def test_creation_at_the_start_is_not_drawn_but_later_changes_are() -> None:
    result = failing()
    result.status_changes = [
        StatusChange(0.0, "orders-hook", "active", None),  # created with the scenario
        StatusChange(0.0, "late-hook", "disabled", "api"),
        StatusChange(1320.0, "orders-hook", "disabled", "auto"),
        StatusChange(1500.0, "orders-hook", "active", None),  # re-enabled
    ]
    assert [c.t for c in drawn_changes(result)] == [0.0, 1320.0, 1500.0]
    svg = _svg(result)
    assert [e.get("data-status") for e in svg.iter() if e.get("data-status")] == [
        "disabled",
        "active",
        "disabled",
    ]


def test_only_the_clock_moved() -> None:
    result = error()
    result.status_changes = [StatusChange(0.0, "hook", "active", None)]
    result.clock_advances = [(0.0, 3600.0)]
    svg = _svg(result)
    assert "no delivery attempts in this scenario" in _texts(svg)
    assert "status active" not in _texts(svg)


def test_when_the_clock_never_moved_attempts_are_drawn_in_order() -> None:
    result = burst(3000)
    result.attempts = [replace(a, t=0.0) for a in result.attempts]
    result.virtual_seconds, result.clock_advances = 0.0, []
    scale = TimeScale.for_result(result)
    assert scale.order and scale.end == 3000
    svg = _svg(result)
    texts = _texts(svg)
    assert {"#1", "#1000", "#2000", "#3000"} <= set(texts)
    assert any("in the order they were made" in text for text in texts)
    buckets = [g for g in svg.iter(f"{SVG}g") if g.get("data-count")]
    assert len(buckets) > 100  # spread across the width, not piled up at zero
    assert sum(int(g.get("data-count") or 0) for g in buckets) == 3000


def test_a_long_quiet_check_after_the_action_keeps_the_action_readable() -> None:
    result = failing()  # 23 attempts over 22 minutes ...
    result.virtual_seconds = 6 * 3600.0  # ... then the clock runs on to see nothing arrives
    scale = TimeScale.for_result(result)
    assert scale.sqrt
    assert scale.x(22 * 60) - scale.x(0) > 150  # the 23 attempts spread over 150+ px
