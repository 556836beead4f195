"""A scenario's timeline as inline SVG: attempts against virtual time, status changes, the clock.

One lane per subscription. Each attempt is a mark coloured by its outcome (and shaped: circles
succeeded, squares failed), with a tooltip. A lane with many attempts is drawn as stacked bars
per pixel column instead (counts by outcome), so a burst of thousands stays readable; so is
a lane where many attempts fall on the same instants (bars then carry their counts). Status
changes are diamonds; the top lane shows the spans over which the clock advanced.

When most marks crowd the start of a long span (exponential backoff: 10 s, 30 s, 70 s, ...
then hours) the axis is square-root scaled so that each attempt stays visible; when the clock
never moved, attempts are drawn in the order they were made. The caption says which.

A subscription's creation (its first `active`, at the start) is not drawn: its lane says so.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from hooksim.scenarios import AttemptRow, ScenarioResult, StatusChange, format_offset

from ._format import format_duration

__all__ = ["OUTCOME_COLOURS", "STATUS_COLOURS", "TimeScale", "drawn_changes", "render_timeline"]

#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
OUTCOME_COLOURS = {
    "success": "#009E73",
    "http-error": "#D55E00",
    "timeout": "#E69F00",
    "refused": "#0072B2",
    "reset": "#56B4E9",
    "redirect": "#CC79A7",
    "error": "#4D4D4D",
}
_OTHER_OUTCOME = "#999999"
STATUS_COLOURS = {"active": "#009E73", "disabled": "#B3261E", "deleted": "#4D4D4D"}
_CLOCK = "#C9D3E0"
_SMALL = {"fill": "#3D444D", "text_anchor": "middle"}

WIDTH = 960
LEFT = 170  # room for lane names
RIGHT = 44
PLOT = WIDTH - LEFT - RIGHT
TOP = 14
LANE = 40
MAX_LANES = 12
DENSE = 160  # more attempts than this in a lane: draw buckets
BUCKET_PX = 4

# Round values an axis may show, in seconds.
_NICE = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800]
_NICE += [3600 * h for h in (1, 2, 3, 4, 6, 8, 12)] + [86400 * d for d in (1, 2, 3, 7, 14, 30)]


@dataclass(frozen=True, slots=True)
class TimeScale:
    """Maps positions onto the plot's x axis: virtual seconds (linear or square root), or,
    when the clock never moved, attempt numbers (`order`)."""

    end: float
    sqrt: bool = False
    order: bool = False

    def x(self, t: float) -> float:
        fraction = min(max(t, 0.0) / self.end, 1.0)
        return LEFT + PLOT * (math.sqrt(fraction) if self.sqrt else fraction)

    def t(self, x: float) -> float:
        fraction = min(max((x - LEFT) / PLOT, 0.0), 1.0)
        return self.end * (fraction * fraction if self.sqrt else fraction)

    def label(self, value: float) -> str:
        return f"#{value + 0.5:.0f}" if self.order else format_duration(value)

    def caption(self) -> str:
        if self.order:
            return "attempt number, in the order they were made (the virtual clock did not move)"
        if self.sqrt:
            return "virtual time since the start (square-root scale, so early retries stay apart)"
        return "virtual time since the scenario started"

    def ticks(self) -> list[float]:
        if self.order:
            steps = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
            every = next((s for s in steps if self.end / s <= 8), steps[-1])
            # attempt n is drawn at n - 0.5: the first, then every `every`-th
            return [0.5] + [n - 0.5 for n in range(every, int(self.end) + 1, every)]
        if not self.sqrt:
            step = next((s for s in _NICE if self.end / s <= 8), self.end / 8)
            return [step * i for i in range(int(round(self.end / step)) + 1)]
        kept = [0.0]
        for value in (v for v in _NICE if v <= self.end):
            if self.x(value) - self.x(kept[-1]) >= 64 and self.x(self.end) - self.x(value) >= 72:
                kept.append(value)
        return [*kept, self.end]

    @classmethod
    def for_result(cls, result: ScenarioResult) -> TimeScale:
        times = [a.t for a in result.attempts]
        changes = [c.t for c in drawn_changes(result)]
        span = max(
            [result.virtual_seconds, *times, *changes] + [end for _, end in result.clock_advances]
        )
        if span <= 0:
            if len(result.attempts) > 1:
                return cls(float(len(result.attempts)), order=True)
            return cls(60.0)
        linear, root = cls._fit(span, 8), cls._fit(span, 12, sqrt=True)
        # Backoff (10 s, 30 s, 70 s, ... then hours) or a long quiet check after the action
        # crowds the marks at the start; a square root spreads them with the whole span in view.
        marks = times + changes
        if span >= 600 and linear.crowding(marks) - root.crowding(marks) >= 12:
            return root
        return linear

    @classmethod
    def _fit(cls, span: float, divisions: int, sqrt: bool = False) -> TimeScale:
        step = next((s for s in _NICE if span / s <= divisions), span / divisions)
        return cls(math.ceil(span / step - 1e-9) * step, sqrt=sqrt)

    def crowding(self, times: Sequence[float]) -> float:
        """How much marks at different times overlap: for each pair of neighbours, the pixels
        they lack to stand a mark's width (12 px) apart, summed."""
        xs = sorted({self.x(t) for t in times})
        return sum(max(12.0 - (b - a), 0.0) for a, b in zip(xs, xs[1:], strict=False))


def drawn_changes(result: ScenarioResult) -> list[StatusChange]:
    """The status changes worth a marker: all but each subscription's creation at the start."""
    seen: set[str] = set()
    out = []
    for change in result.status_changes:
        first = change.subscription not in seen
        seen.add(change.subscription)
        if not (first and change.status == "active" and change.t <= 0):
            out.append(change)
    return out


def _el(parent: ET.Element, tag: str, title: str | None = None, **attrs: object) -> ET.Element:
    element = ET.SubElement(
        parent, tag, {k.rstrip("_").replace("_", "-"): _num(v) for k, v in attrs.items()}
    )
    if title is not None:
        ET.SubElement(element, "title").text = title
    return element


def _num(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)


def _colour(outcome: str) -> str:
    return OUTCOME_COLOURS.get(outcome, _OTHER_OUTCOME)


# An attempt with where it is drawn.
Placed = tuple[float, AttemptRow]
Lane = tuple[str, list[Placed], list[StatusChange]]


def _lanes(result: ScenarioResult, scale: TimeScale, changes: list[StatusChange]) -> list[Lane]:
    """One lane per subscription in order of appearance; past MAX_LANES the quietest share one."""
    names = list(
        dict.fromkeys([a.subscription for a in result.attempts])
        | dict.fromkeys(c.subscription for c in changes)
    )
    lane_of, others = {name: name for name in names}, ""
    if len(names) > MAX_LANES:
        counts = Counter(a.subscription for a in result.attempts)
        busiest = sorted(names, key=lambda n: -counts[n])[: MAX_LANES - 1]  # stable sort
        others = f"{len(names) - len(busiest)} other subscriptions"
        lane_of = {name: name if name in busiest else others for name in names}
    lanes: dict[str, Lane] = {}
    for name in lane_of.values():
        lanes.setdefault(name, (name, [], []))
    if others:
        lanes[others] = lanes.pop(others)  # the shared lane comes last
    for index, attempt in enumerate(result.attempts):
        x = scale.x(index + 0.5 if scale.order else attempt.t)
        lanes[lane_of[attempt.subscription]][1].append((x, attempt))
    for change in changes:
        lanes[lane_of[change.subscription]][2].append(change)
    return list(lanes.values())


def _attempt_title(a: AttemptRow) -> str:
    code = f" {a.status_code}" if a.status_code is not None else ""
    kind = "" if a.kind == "delivery" else f" ({a.kind})"
    return (
        f"{format_offset(a.t)} · {a.event_type} {a.event_id} · attempt {a.attempt}{kind}"
        f" · {a.outcome}{code} · took {format_duration(a.duration)}"
    )


def _marks(group: ET.Element, placed: Sequence[Placed], y: float) -> None:
    for x, a in placed:
        colour = _colour(a.outcome)
        common = {"fill": colour, "stroke": "#fff", "stroke_width": 1.5, "data_outcome": a.outcome}
        if a.outcome == "success":
            _el(group, "circle", _attempt_title(a), cx=x, cy=y, r=6.0, **common)
        else:
            square = {"x": x - 5.5, "y": y - 5.5, "width": 11, "height": 11}
            _el(group, "rect", _attempt_title(a), **square, **common)


def _buckets(group: ET.Element, placed: Sequence[Placed], y: float) -> None:
    columns: dict[int, list[AttemptRow]] = {}
    for x, a in placed:
        column = min(int((x - LEFT) // BUCKET_PX), PLOT // BUCKET_PX - 1)
        columns.setdefault(column, []).append(a)
    peak = max(len(attempts) for attempts in columns.values())
    height = LANE - 14
    wide = len(columns) <= 60  # few piles: wider bars, each with its count on top
    width = 8 if wide else BUCKET_PX - 1
    counted = -math.inf
    for column, attempts in sorted(columns.items()):
        x0, total = LEFT + column * BUCKET_PX + BUCKET_PX / 2 - width / 2, len(attempts)
        counts = sorted(Counter(a.outcome for a in attempts).items())
        bar = max(2.0, height * math.sqrt(total / peak))
        first, last = min(a.t for a in attempts), max(a.t for a in attempts)
        when = format_offset(first) + ("" if first == last else f" to {format_offset(last)}")
        summary = ", ".join(f"{n} {outcome}" for outcome, n in counts)
        bucket = _el(group, "g", f"{when} · {total} attempts: {summary}", data_count=total)
        top = y + height / 2 + 4 - bar
        if wide and x0 - counted >= 14:  # counts need room; the tooltip always has it
            counted = x0
            count = _el(bucket, "text", x=x0 + width / 2, y=top - 2, **_SMALL, font_size=9)
            count.text = str(total)
        for outcome, n in counts:
            part = bar * n / total
            _el(
                bucket,
                "rect",
                x=x0,
                y=top,
                width=width,
                height=part,
                fill=_colour(outcome),
                data_outcome=outcome,
            )
            top += part


def _changes(
    group: ET.Element, changes: Sequence[StatusChange], scale: TimeScale, y: float
) -> None:
    labelled = -math.inf
    for change in sorted(changes, key=lambda c: c.t):
        x = scale.x(0 if scale.order else change.t)
        reason = f" ({change.reason})" if change.reason else ""
        title = f"{format_offset(change.t)} · {change.subscription} {change.status}{reason}"
        colour = STATUS_COLOURS.get(change.status, _OTHER_OUTCOME)
        # a line through the lane and a diamond above the attempt marks, so neither hides
        marker = _el(group, "g", title, data_status=change.status, fill=colour, stroke=colour)
        top = y - LANE / 2 + 3
        _el(
            marker,
            "line",
            x1=x,
            y1=top + 6,
            x2=x,
            y2=y + LANE / 2 - 3,
            stroke_width=1.5,
            stroke_dasharray="3 2",
        )
        _el(marker, "path", d=f"M{_num(x)} {_num(top)}l6 6l-6 6l-6 -6z", stroke="#fff")
        if x - labelled >= 70:  # label the first of changes that fall close together
            label = _el(group, "text", x=x + 9, y=top + 10, fill="#3D444D", font_size=11)
            label.text = change.status
            labelled = x


def _clock(
    group: ET.Element, advances: Sequence[tuple[float, float]], scale: TimeScale, y: float
) -> None:
    runs: list[list[float]] = []  # [x0, x1]; spans under 3 px join their neighbours
    for start, end in sorted(advances):
        x0, x1 = scale.x(start), scale.x(end)
        if runs and x0 - runs[-1][1] < 1.5 and min(x1 - x0, runs[-1][1] - runs[-1][0]) < 3:
            runs[-1][1] = max(runs[-1][1], x1)
        else:
            runs.append([x0, x1])
    for x0, x1 in runs:
        title = f"clock advanced {format_offset(scale.t(x0))} to {format_offset(scale.t(x1))}"
        _el(group, "rect", title, x=x0, y=y - 5, width=max(x1 - x0, 2.0), height=10, rx=3)


def _legend(
    svg: ET.Element, result: ScenarioResult, changes: list[StatusChange], y: float
) -> float:
    """Draw the legend from `y` down, wrapping as needed; return where it ends."""
    outcomes = sorted({a.outcome for a in result.attempts}, key=_outcome_order)
    items = [(o, _colour(o), "circle" if o == "success" else "rect") for o in outcomes]
    statuses = sorted({c.status for c in changes})
    items += [(f"status {s}", STATUS_COLOURS.get(s, _OTHER_OUTCOME), "diamond") for s in statuses]
    if result.clock_advances:
        items.append(("clock advancing", _CLOCK, "span"))
    legend = _el(svg, "g", class_="legend")
    x = float(LEFT)
    for label, colour, shape in items:
        width = 40 + 6.2 * len(label)
        if x + width > WIDTH and x > LEFT:
            x, y = float(LEFT), y + 20
        if shape == "circle":
            _el(legend, "circle", cx=x + 6, cy=y, r=6.0, fill=colour)
        elif shape == "rect":
            _el(legend, "rect", x=x + 0.5, y=y - 5.5, width=11, height=11, fill=colour)
        elif shape == "diamond":
            _el(legend, "path", d=f"M{_num(x + 6)} {_num(y - 8)}l6 8l-6 8l-6 -8z", fill=colour)
        else:
            _el(legend, "rect", x=x, y=y - 5, width=18, height=10, rx=3, fill=colour)
        _el(legend, "text", x=x + 22, y=y + 4).text = label
        x += width
    return y + 12


def _outcome_order(outcome: str) -> tuple[int, str]:
    order = list(OUTCOME_COLOURS)
    return (order.index(outcome) if outcome in order else len(order), outcome)


def render_timeline(result: ScenarioResult) -> str:
    """The scenario's timeline as an `<svg>` element (text), ready to inline in HTML; empty
    when there is nothing to draw (no attempts, no status change, a clock that never moved)."""
    changes = drawn_changes(result)
    if not (result.attempts or changes or result.clock_advances):
        return ""
    scale = TimeScale.for_result(result)
    lanes = _lanes(result, scale, changes)
    rows = (1 if result.clock_advances else 0) + max(len(lanes), 1)
    axis_y = TOP + rows * LANE
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "timeline",
            "role": "img",
            "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
            "font-size": "12",
        },
    )
    attempts = len(result.attempts)
    over = (
        f"{attempts} attempts at one instant"
        if scale.order
        else (f"{attempts} attempts over {format_duration(scale.end)} of virtual time")
    )
    ET.SubElement(
        svg, "desc"
    ).text = f"Timeline of {result.name}: {over}, {len(changes)} status changes; {scale.caption()}."
    svg.set("aria-label", f"Timeline: {over}")
    grid = _el(svg, "g", class_="grid", stroke="#E3E7ED")
    labels = _el(svg, "g", class_="lanes", fill="#2B3340", text_anchor="end")
    y = TOP + LANE / 2
    if result.clock_advances:
        _el(labels, "text", x=LEFT - 12, y=y + 4).text = "clock"
        clock = _el(svg, "g", class_="clock", fill=_CLOCK, stroke="#fff", stroke_width=1)
        _clock(clock, result.clock_advances, scale, y)
        y += LANE
    for number, (name, placed, lane_changes) in enumerate(lanes):
        if number % 2 == 0:
            stripe = _el(grid, "rect", x=LEFT, y=y - LANE / 2, width=PLOT, height=LANE)
            stripe.set("fill", "#F6F8FA")
            stripe.set("stroke", "none")
        shown = name if len(name) <= 24 else name[:23] + "…"
        _el(labels, "text", None if shown == name else name, x=LEFT - 12, y=y + 4).text = shown
        group = _el(svg, "g", class_="attempts", data_subscription=name)
        columns = len({int((x - LEFT) // BUCKET_PX) for x, _ in placed})
        piled = len(placed) > 8 and len(placed) >= 2 * columns  # marks would hide each other
        (_buckets if len(placed) > DENSE or piled else _marks)(group, placed, y)
        _changes(_el(svg, "g", class_="status-changes"), lane_changes, scale, y)
        y += LANE
    if not lanes:
        note = _el(labels, "text", x=LEFT + 8, y=y + 4, text_anchor="start")
        note.text = "no delivery attempts in this scenario"
    axis = _el(svg, "g", class_="axis", fill="#4A5565", text_anchor="middle")
    _el(axis, "line", x1=LEFT, y1=axis_y, x2=LEFT + PLOT, y2=axis_y, stroke="#8A94A6")
    for tick in scale.ticks():
        x = scale.x(tick)
        _el(grid, "line", x1=x, y1=TOP, x2=x, y2=axis_y)
        _el(axis, "line", x1=x, y1=axis_y, x2=x, y2=axis_y + 5, stroke="#8A94A6")
        _el(axis, "text", x=x, y=axis_y + 18).text = scale.label(tick)
    caption = _el(axis, "text", x=LEFT, y=axis_y + 36, text_anchor="start", fill="#6B7585")
    caption.text = scale.caption()
    bottom = _legend(svg, result, changes, axis_y + 60)
    height = math.ceil(bottom + 8)
    svg.set("viewBox", f"0 0 {WIDTH} {height}")
    svg.set("width", str(WIDTH))
    svg.set("height", str(height))
    return ET.tostring(svg, encoding="unicode", short_empty_elements=True)
