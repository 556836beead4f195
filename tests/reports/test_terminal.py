from __future__ import annotations

import dataclasses
import io

from _report_samples import error, failing, passing
from hooksim.reports import TerminalReporter
from hooksim.scenarios import (
    RunFinished,
    RunStarted,
    ScenarioFinished,
    ScenarioResult,
    ScenarioStarted,
)
from rich.console import Console


def _run(reporter: TerminalReporter, results: list[ScenarioResult]) -> None:
    reporter.handle(RunStarted(total=len(results), seed=None, version="1"))
    for index, result in enumerate(results):
        reporter.handle(ScenarioStarted(result.name, result.file, index))
        reporter.handle(ScenarioFinished(result, index))
    reporter.handle(RunFinished(results, wall_seconds=0.75))


def _console(*, terminal: bool = False) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=terminal, color_system=None)
    return console, out


def test_summary_table_and_totals() -> None:
    console, out = _console()
    _run(TerminalReporter(console), [passing(), failing(), error()])
    text = out.getvalue()
    for header in ("Scenario", "Result", "Virtual time", "Wall time"):
        assert header in text
    assert "Outage then recovery" in text and "4 h" in text and "12 ms" in text
    assert "3 scenarios: 1 passed, 1 failed, 1 error" in text
    assert "4 h 30 min of virtual time in 750 ms" in text


def test_a_run_that_moved_no_clock_says_so() -> None:
    console, out = _console()
    _run(TerminalReporter(console), [dataclasses.replace(passing(), virtual_seconds=0.0)])
    assert "1 scenario: 1 passed · no virtual time in 750 ms" in out.getvalue()


def test_failures_show_yaml_lines_expected_actual_and_reproduce() -> None:
    console, out = _console()
    _run(TerminalReporter(console, progress=False), [failing(), error()])
    text = out.getvalue()
    assert "FAILED The 23rd failure disables <b>not bold</b>" in text  # not rich markup
    assert "scenarios/my disable.yaml:31" in text
    assert "33     status: active  # <script>alert(1)</script>" in text
    assert 'expected: {"reason": null, "status": "active"}' in text
    assert 'actual:   {"reason": "auto", "status": "disabled"}' in text
    assert "Reproduce: hooksim run 'scenarios/my disable.yaml' --seed 42" in text
    assert "ERROR Receiver that does not exist" in text
    assert "step 2 names receiver 'flaky', which is not defined" in text


def test_progress_bar_on_a_terminal_is_cleared_at_the_end() -> None:
    console, out = _console(terminal=True)
    reporter = TerminalReporter(console)
    reporter.handle(RunStarted(total=2, seed=1, version="1"))
    assert reporter._progress is not None
    _run(reporter, [passing(), passing()])
    assert reporter._progress is None
    assert "2 scenarios: 2 passed" in out.getvalue()


def test_no_progress_when_asked_or_not_a_terminal() -> None:
    console, _ = _console(terminal=True)
    reporter = TerminalReporter(console, progress=False)
    reporter.handle(RunStarted(total=1, seed=1, version="1"))
    assert reporter._progress is None
    console, _ = _console(terminal=False)
    reporter = TerminalReporter(console)
    reporter.handle(RunStarted(total=1, seed=1, version="1"))
    assert reporter._progress is None
