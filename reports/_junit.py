"""JUnit XML: one test case per scenario, so CI systems show scenario results natively."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from hooksim.scenarios import (
    ExpectationResult,
    RunFinished,
    RunnerEvent,
    ScenarioResult,
    format_offset,
)

from ._format import format_value
from ._summary import summarize

__all__ = ["JUnitWriter", "junit_tree", "write_junit"]


def _classname(file: str) -> str:
    """`library/outage.yaml` → `library.outage`: how CI tools group test cases."""
    path = PurePosixPath(file.replace("\\", "/"))
    parts = [part for part in path.with_suffix("").parts if part not in ("", "/", ".", "..")]
    return ".".join(parts) or "scenarios"


#: Characters XML 1.0 cannot hold at all; user text could carry them (a receiver's body).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _expectation_text(expectation: ExpectationResult) -> str:
    lines = [f"{expectation.description} (checked at {format_offset(expectation.t)})"]
    if expectation.source is not None:
        lines.append(f"  at {expectation.source.label()}:")
        lines.extend(
            f"  {number:>5} | {text}"
            for number, text in enumerate(
                expectation.source.text.splitlines(), expectation.source.line
            )
        )
    lines.append(f"  expected: {format_value(expectation.expected)}")
    lines.append(f"  actual:   {format_value(expectation.actual)}")
    if expectation.message:
        lines.append(f"  {expectation.message}")
    return _xml("\n".join(lines))


def _testcase(result: ScenarioResult) -> ET.Element:
    case = ET.Element(
        "testcase",
        {
            "classname": _classname(result.file),
            "name": _xml(result.name),
            "file": _xml(result.file),
            "time": _seconds(result.wall_seconds),
        },
    )
    reproduce = _xml(f"Reproduce: {result.reproduce}")
    if result.status == "error":
        why = _xml(result.error or "the scenario could not run")
        error = ET.SubElement(case, "error", {"message": why, "type": "ScenarioError"})
        error.text = f"{why}\n\n{reproduce}\n"
    elif result.status == "failed":
        failed = [e for e in result.expectations if not e.passed]
        if len(failed) == 1:
            message = failed[0].message or failed[0].description
        else:
            message = f"{len(failed)} expectations failed"
        failure = ET.SubElement(
            case, "failure", {"message": _xml(message), "type": "ExpectationFailed"}
        )
        body = [_expectation_text(e) for e in failed] or [_xml(result.error or "it failed")]
        failure.text = "\n\n".join([*body, reproduce]) + "\n"
    elif result.status == "not-applicable":
        why = _xml(f"not applicable: {result.why_not_applicable}")
        skipped = ET.SubElement(case, "skipped", {"message": why, "type": "NotApplicable"})
        skipped.text = why + "\n"
    return case


def junit_tree(results: Sequence[ScenarioResult]) -> ET.ElementTree:
    counts = summarize(results)
    attributes = {
        "name": "hooksim",
        "tests": str(counts["total"]),
        "failures": str(counts["failed"]),
        "errors": str(counts["errors"]),
        "skipped": str(counts["not_applicable"]),
        "time": _seconds(sum(r.wall_seconds for r in results)),
    }
    suites = ET.Element("testsuites", attributes)
    suite = ET.SubElement(suites, "testsuite", attributes)
    suite.extend(_testcase(result) for result in results)
    ET.indent(suites)
    return ET.ElementTree(suites)


def write_junit(results: Sequence[ScenarioResult], path: str | Path) -> Path:
    """Write JUnit XML for `results` to `path` (folders created) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(results).write(target, encoding="utf-8", xml_declaration=True)
    return target


class JUnitWriter:
    """Writes JUnit XML when the run finishes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def handle(self, event: RunnerEvent) -> None:
        if isinstance(event, RunFinished):
            write_junit(event.results, self.path)
