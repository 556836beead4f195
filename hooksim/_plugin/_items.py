"""YAML scenarios as pytest items (pytest's documented non-python-tests pattern).

One file is one scenario, hence one item. An invalid file is a collection error naming
`file:line:column` and what was expected; a failed scenario shows the YAML lines of each failed
expectation, expected and actual, and the command that reproduces it, without a Python
traceback. Each result also goes to the session report (`--hooksim-report`).
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from hooksim.scenarios import Binding, format_offset

from ._report import REPORT_KEY

if TYPE_CHECKING:
    from hooksim.scenarios import ExpectationResult, Scenario, ScenarioResult

__all__ = ["ScenarioFailed", "ScenarioFile", "ScenarioItem", "format_failure"]

#: Attempts of the delivery log a failure shows (the report has them all).
LOG_ROWS = 20


class ScenarioFailed(Exception):
    """A scenario ran and did not pass (an expectation failed, or a step could not run)."""

    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(f"scenario {result.name!r} {result.status}")
        self.result = result


def display_path(path: Path, config: pytest.Config) -> str:
    """The file as results name it: relative to where pytest was invoked, so the reproduce
    command works from there."""
    try:
        text = os.path.relpath(path, config.invocation_params.dir)
    except ValueError:  # another drive on Windows
        return path.name
    return Path(text).as_posix()


class ScenarioFile(pytest.File):
    """A scenario file; loading it checks it (schema, references) before anything runs."""

    def collect(self) -> Iterator[ScenarioItem]:
        from hooksim.scenarios import ScenarioInputError, load_scenario

        try:
            scenario = load_scenario(self.path, display_path(self.path, self.config))
        except ScenarioInputError as exc:
            count = max(1, len(exc.problems))
            raise self.CollectError(
                f"invalid hooksim scenario ({count} problem{'s' * (count != 1)}):\n{exc.message}"
            ) from None
        yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)


class ScenarioItem(pytest.Item):
    """One scenario, run on a fresh platform with a virtual clock (`hooksim run` semantics)."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.result: ScenarioResult | None = None
        #: The command that reproduces the result (set when it ran).
        self.reproduce = ""
        self.add_marker("hooksim")
        # `-k RETRY-SCHEDULE` selects the scenarios that cover a contract clause.
        self.extra_keyword_matches.update(scenario.clauses)

    def runtest(self) -> None:
        from hooksim.scenarios import run_scenario

        from ._target import target_session

        bindings: dict[str, Any] = {}
        for answer in reversed(self.config.hook.pytest_hooksim_receivers(config=self.config)):
            bindings.update(answer or {})  # the hook's first answer comes last: it wins
        bound = {n: b for n, b in bindings.items() if n in self.scenario.receivers}
        result = run_scenario(
            self.scenario,
            seed=self.config.getoption("hooksim_seed", None),
            session=target_session(self.config),
            receivers=bound,
            profile=self.config.getoption("hooksim_profile", None),
        )
        self.result = result
        # A receiver bound to a WSGI app in the test suite exists only in pytest: `hooksim
        # run` would play the scenario's scripted receiver instead, and could pass.
        in_pytest_only = any(not isinstance(Binding.of(b).target, str) for b in bound.values())
        self.reproduce = self._pytest_command(result) if in_pytest_only else result.reproduce
        self.user_properties.append(("hooksim_seed", result.seed))
        self.user_properties.append(("hooksim_reproduce", self.reproduce))
        report = self.config.stash.get(REPORT_KEY, None)
        if report is not None:
            report.record(self, result)
        if result.status == "not-applicable" and not self.config.getoption("hooksim_strict"):
            pytest.skip(f"not applicable: {result.why_not_applicable}")
        if not result.passed:
            raise ScenarioFailed(result)

    def _pytest_command(self, result: ScenarioResult) -> str:
        """This item alone under pytest, with the seed, profile and target it ran with."""
        words = ["pytest", self.nodeid, "--hooksim-seed", str(result.seed)]
        for option in ("hooksim_profile", "hooksim_target", "hooksim_environment"):
            value = self.config.getoption(option, None)
            if value:
                words += ["--" + option.replace("_", "-"), str(value)]
        return shlex.join(words)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> Any:
        if isinstance(excinfo.value, ScenarioFailed):
            return format_failure(excinfo.value.result, self.reproduce)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"hooksim scenario: {self.name}"


# the failure text --------------------------------------------------------------------------
def format_failure(result: ScenarioResult, reproduce: str | None = None) -> str:
    """What pytest prints for a failed scenario: no Python traceback, the YAML instead."""
    lines = [f"hooksim scenario {result.name!r} {result.status} ({result.file})"]
    if result.error:
        lines += ["", f"error: {result.error}"]
    if result.status == "not-applicable":
        lines += ["", f"not applicable (--hooksim-strict): {result.why_not_applicable}"]
    for expectation in result.expectations:
        if expectation.status == "failed":
            lines += ["", *_expectation(expectation)]
    if result.attempts:
        lines += ["", *_log(result)]
    lines += ["", f"Reproduce: {reproduce or result.reproduce}"]
    return "\n".join(lines)


def _expectation(e: ExpectationResult) -> list[str]:
    lines = [f"x {e.description}  (checked at {format_offset(e.t)})"]
    if e.source is not None:
        lines.append(f"  {e.source.label()}:")
        width = len(str(e.source.end_line))
        for number, text in enumerate(e.source.text.splitlines(), e.source.line):
            lines.append(f"  {number:>{width}} | {text}")
    lines.append(f"  expected: {_value(e.expected)}")
    lines.append(f"  actual:   {_value(e.actual)}")
    if e.message:
        lines.append(f"  {e.message}")
    return lines


def _log(result: ScenarioResult) -> list[str]:
    rows = result.attempts
    lines = [f"Delivery log ({len(rows)} attempt{'s' * (len(rows) != 1)}):"]
    for row in rows[:LOG_ROWS]:
        what = f"attempt {row.attempt}" if row.kind == "delivery" else f"{row.kind} #{row.attempt}"
        status = f"{row.status_code} " if row.status_code is not None else ""
        lines.append(
            f"  {format_offset(row.t):>12}  {what:<13} {row.event_id} -> {row.subscription}: "
            f"{status}{row.outcome}"
        )
    if len(rows) > LOG_ROWS:
        lines.append(f"  ... {len(rows) - LOG_ROWS} more (see --hooksim-report DIR)")
    return lines


def _value(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)
