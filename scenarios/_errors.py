"""What the scenario layer raises on purpose: each problem names where it is and what was
expected, so that the CLI can print it and exit 2 without a traceback."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NotApplicable", "Problem", "ScenarioError", "ScenarioInputError", "StepFailed"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a scenario file."""

    file: str
    line: int  # 1-based
    column: int  # 1-based
    path: str  # the YAML path, e.g. steps[2].publish.count ("" for the document)
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """Base of the scenario layer's own errors."""


class ScenarioInputError(ScenarioError):
    """Bad input before anything runs: an invalid scenario file, an unknown path, a bad -k."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            message = problems
        else:
            self.problems = problems
            message = "\n".join(str(p) for p in problems)
        super().__init__(message)
        self.message = message


class StepFailed(ScenarioError):
    """A step could not do what it says (an unexpected API answer, a clock going backwards).

    The scenario stops there with status `error`; the message names the step's file:line.
    """


class NotApplicable(ScenarioError):
    """What a scenario (or one expectation) needs is not offered where it runs: an optional
    control feature, an API operation or a setting a target does not serve, or bookkeeping a
    real receiver does not expose. Reported as not-applicable with `reason`, never as passed.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
