"""`--hooksim-report DIR`: the session's scenarios in one HTML report and JSON results, whole
under pytest-xdist too (workers send their results; only the controller writes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SCENARIO = """\
name: {name}
clauses: [RETRY-SCHEDULE]
receivers:
  shop:
    behaviour:
      - {{requests: 1, status: 500}}
      - 200
subscriptions:
  orders:
    receiver: shop
    types: [card-published]
steps:
  - publish: {{type: card-published, id: evt-1}}
  - advance: 1m
expect:
  - attempts: {{event: evt-1, count: {count}}}
"""

#: Plugins of other packages a subprocess run need not load (it is faster without them).
QUIET_PLUGINS = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio")

NAMES = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]


def _project(pytester: pytest.Pytester) -> None:
    """Six scenarios in two folders (Delta fails), and a Python test that is not in the report."""
    for index, name in enumerate(NAMES):
        folder = pytester.path / ("early" if index < 3 else "late")
        folder.mkdir(exist_ok=True)
        count = 3 if name == "Delta" else 2
        (folder / f"scenario_{name.lower()}.yaml").write_text(
            SCENARIO.format(name=name, count=count)
        )
    pytester.makepyfile(test_python="def test_plain(): pass")


def _results(directory: Path) -> dict[str, Any]:
    document = json.loads((directory / "results.json").read_text())
    for scenario in document["scenarios"]:
        scenario.pop("wall_seconds")
    document.pop("wall_clock")
    return document


def test_the_report_has_every_scenario_of_the_session(pytester):
    _project(pytester)
    result = pytester.runpytest_inprocess("--hooksim-report", "report", "--hooksim-seed", "5")
    result.assert_outcomes(passed=6, failed=1)
    report = pytester.path / "report"
    result.stdout.fnmatch_lines([f"*- hooksim report (6 scenarios): {report / 'index.html'} -*"])
    html = (report / "index.html").read_text()
    for name in NAMES:
        assert name in html
    document = _results(report)
    assert [s["name"] for s in document["scenarios"]] == NAMES  # collection order
    assert [s["file"] for s in document["scenarios"]][:2] == [
        "early/scenario_alpha.yaml",
        "early/scenario_bravo.yaml",
    ]
    assert document["summary"] == {
        "errors": 0,
        "failed": 1,
        "not_applicable": 0,
        "passed": 5,
        "total": 6,
    }
    assert document["seed"] == 5
    assert "test_plain" not in html


def test_the_report_is_whole_under_xdist(pytester):
    _project(pytester)
    serial = pytester.runpytest_inprocess("--hooksim-report", "serial", "-p", "no:cacheprovider")
    serial.assert_outcomes(passed=6, failed=1)
    result = pytester.runpytest_subprocess(
        "-n", "2", "--hooksim-report", "parallel", "-p", "no:cacheprovider", *QUIET_PLUGINS
    )
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(["*- hooksim report (6 scenarios): *parallel*index.html -*"])
    html = (pytester.path / "parallel" / "index.html").read_text()
    for name in NAMES:
        assert name in html
    # The same results as a run without workers, in the same order.
    assert _results(pytester.path / "parallel") == _results(pytester.path / "serial")


def test_no_report_without_the_option_nor_for_collect_only(pytester):
    _project(pytester)
    pytester.runpytest_inprocess().assert_outcomes(passed=6, failed=1)
    pytester.runpytest_inprocess("--collect-only", "--hooksim-report", "report")
    assert not (pytester.path / "report").exists()
    assert not any(pytester.path.glob("**/index.html"))


def test_a_session_without_scenarios_writes_an_empty_report(pytester):
    pytester.makepyfile(test_python="def test_plain(): pass")
    result = pytester.runpytest_inprocess("--hooksim-report", "out")
    result.stdout.fnmatch_lines(["*- hooksim report (0 scenarios): *out*index.html -*"])
    assert _results(pytester.path / "out")["summary"]["total"] == 0
