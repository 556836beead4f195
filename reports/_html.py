"""The HTML conformance report: one self-contained file a person opens in a browser.

Rendered from jinja2 templates with autoescaping on (scenario names, descriptions and YAML are
user input). Inline CSS and SVG only: no script, and nothing fetched from the network, which
the page's Content-Security-Policy also enforces. Same results, same bytes: the report holds
no date and no paths of the machine that rendered it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from hooksim.scenarios import (
    AttemptRow,
    ExpectationResult,
    RunFinished,
    RunnerEvent,
    RunStarted,
    ScenarioResult,
    format_offset,
)
from markupsafe import Markup, escape

from ._format import format_duration, format_value, format_wall
from ._summary import ClauseRow, anchors, clause_rows, hooksim_version, summarize
from ._timeline import OUTCOME_COLOURS, render_timeline

__all__ = ["LOG_ROWS", "HtmlReportWriter", "render_html", "render_html_text"]

#: Delivery log rows shown per scenario; the rest are counted ("N more"), the JSON has them all.
LOG_ROWS = 200
#: Passed expectations listed per scenario (failed ones are always all shown).
PASSED_ROWS = 200


def _inline_code(text: str) -> Markup:
    """Escape `text`, then show `backticked` parts as code (clause titles use them)."""
    parts = re.split(r"`([^`]+)`", str(text))
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if odd else escape(part)
        for odd, part in ((i % 2 == 1, p) for i, p in enumerate(parts))
    )


def _paragraphs(text: str) -> list[str]:
    """Text split on blank lines, each paragraph's own line breaks joined (YAML wraps lines)."""
    blocks = re.split(r"\n\s*\n", str(text).strip())
    return [" ".join(block.split()) for block in blocks if block.strip()]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hooksim.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        duration=format_duration,
        offset=format_offset,
        wall=format_wall,
        value=format_value,
        code=_inline_code,
        paragraphs=_paragraphs,
    )
    env.globals["outcome_colours"] = OUTCOME_COLOURS
    return env


@dataclass(frozen=True, slots=True)
class ScenarioView:
    """One scenario as the template draws it."""

    result: ScenarioResult
    anchor: str
    timeline: Markup
    failed: list[ExpectationResult]
    passed: list[ExpectationResult]
    passed_hidden: int
    not_applicable: list[ExpectationResult]
    log: list[AttemptRow]
    log_hidden: int
    outcomes: dict[str, int]
    clause_titles: dict[str, str | None]


def _view(result: ScenarioResult, anchor: str, titles: Mapping[str, str]) -> ScenarioView:
    passed = [e for e in result.expectations if e.passed]
    outcomes: dict[str, int] = {}
    for attempt in result.attempts:
        outcomes[attempt.outcome] = outcomes.get(attempt.outcome, 0) + 1
    return ScenarioView(
        result=result,
        anchor=anchor,
        timeline=Markup(render_timeline(result)),  # built with ElementTree, which escapes
        failed=[e for e in result.expectations if e.status == "failed"],
        not_applicable=[e for e in result.expectations if e.status == "not-applicable"],
        passed=passed[:PASSED_ROWS],
        passed_hidden=max(len(passed) - PASSED_ROWS, 0),
        log=result.attempts[:LOG_ROWS],
        log_hidden=max(len(result.attempts) - LOG_ROWS, 0),
        outcomes=dict(sorted(outcomes.items(), key=lambda item: -item[1])),
        clause_titles={c: titles.get(c) for c in dict.fromkeys(result.clauses)},
    )


def render_html_text(results: Sequence[ScenarioResult], *, meta: Mapping[str, Any]) -> str:
    """The report's HTML as text (what `render_html` writes)."""
    results = list(results)
    clauses: list[ClauseRow] = clause_rows(results)
    titles = {row.id: row.title for row in clauses if row.title is not None}
    known = [row for row in clauses if row.title is not None]
    wall_clock = meta.get("wall_clock") or {}
    target = meta.get("target") if isinstance(meta.get("target"), dict) else None
    context = {
        "target": target,
        "version": meta.get("hooksim") or hooksim_version(),
        "seed": meta.get("seed"),
        # The platform profiles the scenarios were judged under, each once.
        "profiles": list(dict.fromkeys(r.profile for r in results)),
        "counts": summarize(results),
        "virtual_total": sum(r.virtual_seconds for r in results),
        "wall_total": wall_clock.get("total_seconds", sum(r.wall_seconds for r in results)),
        "scenarios": [
            _view(result, anchor, titles)
            for result, anchor in zip(results, anchors(results), strict=True)
        ],
        "clauses": clauses,
        "clauses_known": len(known),
        "clauses_covered": sum(row.status != "uncovered" for row in known),
        "log_rows": LOG_ROWS,
    }
    return _environment().get_template("report.html.j2").render(context)


def render_html(
    results: Sequence[ScenarioResult], out_dir: str | Path, *, meta: Mapping[str, Any]
) -> Path:
    """Write the report to `out_dir/index.html` (folder created) and return that path.

    `meta` is the results document without its scenarios (as `load_results` returns it):
    `hooksim` (version), `seed`, and optionally `wall_clock.total_seconds`.
    """
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "index.html"
    target.write_text(render_html_text(results, meta=meta), encoding="utf-8")
    return target


class HtmlReportWriter:
    """Writes the HTML report into `directory` when the run finishes; `path` is then set."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path: Path | None = None
        self._meta: dict[str, Any] = {"hooksim": hooksim_version(), "seed": None}

    def handle(self, event: RunnerEvent) -> None:
        if isinstance(event, RunStarted):
            target = dataclasses.asdict(event.target) if event.target is not None else None
            self._meta = {"hooksim": event.version, "seed": event.seed, "target": target}
        elif isinstance(event, RunFinished):
            meta = {**self._meta, "wall_clock": {"total_seconds": event.wall_seconds}}
            self.path = render_html(event.results, self.directory, meta=meta)
