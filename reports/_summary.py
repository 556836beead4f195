"""What every report says first: totals, and which contract clauses the scenarios covered."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata

from hooksim.contracts import load_clauses
from hooksim.scenarios import ScenarioResult

__all__ = [
    "ClauseRow",
    "ScenarioRef",
    "anchors",
    "clause_rows",
    "hooksim_version",
    "summarize",
]


def hooksim_version() -> str:
    """The installed hooksim's version (writers use it when no `RunStarted` told them)."""
    try:
        return metadata.version("hooksim")
    except metadata.PackageNotFoundError:  # running from a tree that was never installed
        return "0+unknown"


def summarize(results: Sequence[ScenarioResult]) -> dict[str, int]:
    """`{"total", "passed", "failed", "errors", "not_applicable"}`: the counts every report
    starts with (not-applicable is neither a pass nor a failure)."""
    return {
        "total": len(results),
        "passed": sum(result.status == "passed" for result in results),
        "failed": sum(result.status == "failed" for result in results),
        "errors": sum(result.status == "error" for result in results),
        "not_applicable": sum(result.status == "not-applicable" for result in results),
    }


def anchors(results: Sequence[ScenarioResult]) -> list[str]:
    """A stable, unique HTML id per scenario, readable in a URL: `s3-outage-then-recovery`."""
    out = []
    for index, result in enumerate(results, 1):
        slug = re.sub(r"[^a-z0-9]+", "-", result.name.lower()).strip("-")[:60]
        out.append(f"s{index}-{slug}" if slug else f"s{index}")
    return out


@dataclass(frozen=True, slots=True)
class ScenarioRef:
    name: str
    anchor: str
    status: str


@dataclass(slots=True)
class ClauseRow:
    id: str
    title: str | None  # None: a scenario names an id the contract does not have
    source: str | None
    scenarios: list[ScenarioRef] = field(default_factory=list)

    @property
    def status(self) -> str:
        """`uncovered`, `failed` (some covering scenario failed or could not run), `passed`
        (some passed, none failed), or `not-applicable` (every covering one was)."""
        if not self.scenarios:
            return "uncovered"
        if any(ref.status in ("failed", "error") for ref in self.scenarios):
            return "failed"
        if all(ref.status == "not-applicable" for ref in self.scenarios):
            return "not-applicable"
        return "passed"


def clause_rows(results: Sequence[ScenarioResult]) -> list[ClauseRow]:
    """One row per contract clause in the contract's order, then ids only scenarios know."""
    rows = {c.id: ClauseRow(c.id, c.title, c.source) for c in load_clauses()}
    for result, anchor in zip(results, anchors(results), strict=True):
        for clause_id in dict.fromkeys(result.clauses):
            row = rows.setdefault(clause_id, ClauseRow(clause_id, None, None))
            row.scenarios.append(ScenarioRef(result.name, anchor, result.status))
    return list(rows.values())
