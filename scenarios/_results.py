"""What a scenario run produces, and the events the runner emits while it runs.

The runner only emits `RunnerEvent`s; the terminal output, the JSON results, JUnit and the HTML
report are independent consumers (see `hooksim.reports`). Every value here is plain data
that `to_dict()` turns into JSON without loss, so a saved results file can be rendered again.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Union

__all__ = [
    "AttemptRow",
    "ExpectationResult",
    "RunFinished",
    "RunStarted",
    "RunnerEvent",
    "ScenarioFinished",
    "ScenarioResult",
    "ScenarioStarted",
    "SourceSpan",
    "StatusChange",
    "TargetInfo",
]

#: A scenario or expectation that needs what the platform under test does not offer is
#: `not-applicable` (with the reason): never counted as passed.
Status = Literal["passed", "failed", "error", "not-applicable"]

#: Files of the bundled library are named with this prefix in results (`library/x.yaml`);
#: `hooksim run library/x.yaml` finds them in the installed package.
LIBRARY_PREFIX = "library/"


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """Where something was written: the YAML lines a failure points at."""

    file: str  # as given on the command line or relative to the library; never absolute
    line: int  # 1-based, first line
    end_line: int  # 1-based, last line (inclusive)
    text: str  # those lines, verbatim

    def label(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """One attempt from the delivery log, in the units reports draw (seconds from start)."""

    t: float  # virtual seconds since the scenario started
    duration: float
    event_id: str
    event_type: str
    subscription: str  # the scenario's name for the subscription (its id when unnamed)
    receiver: str | None
    attempt: int
    kind: str  # delivery, duplicate, test
    outcome: str
    status_code: int | None


@dataclass(frozen=True, slots=True)
class StatusChange:
    t: float
    subscription: str
    status: str  # active / disabled / deleted
    reason: str | None


@dataclass(frozen=True, slots=True)
class ExpectationResult:
    description: str  # one line saying what was expected, for people
    passed: bool
    expected: Any
    actual: Any
    t: float  # virtual seconds since start when it was checked
    source: SourceSpan | None = None
    message: str | None = None  # why it failed, in a sentence
    #: Why it could not be checked where the scenario ran (then `passed` is False too).
    not_applicable: str | None = None

    @property
    def status(self) -> Status:
        if self.not_applicable is not None:
            return "not-applicable"
        return "passed" if self.passed else "failed"


@dataclass(slots=True)
class ScenarioResult:
    name: str
    file: str
    description: str
    clauses: list[str]
    seed: int
    settings: dict[str, Any]
    status: Status
    virtual_seconds: float  # how much virtual time the scenario covered
    wall_seconds: float  # wall-clock time it took (kept out of determinism comparisons)
    expectations: list[ExpectationResult] = field(default_factory=list)
    attempts: list[AttemptRow] = field(default_factory=list)
    status_changes: list[StatusChange] = field(default_factory=list)
    clock_advances: list[tuple[float, float]] = field(default_factory=list)
    error: str | None = None  # set when the scenario could not run to the end
    #: Why the scenario as a whole could not run where it was asked to (`not-applicable`).
    not_applicable: str | None = None
    #: The platform profile it ran under (`atomic` unless the scenario or the run named one).
    profile: str = "atomic"
    #: The `hooksim run` options that chose where it ran: the target (`--target URL`,
    #: `--environment`) and the receivers bound to the user's own (`--receiver NAME=URL`,
    #: `--effects NAME=URL`); empty for hooksim's own platform and scripted receivers.
    run_options: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def why_not_applicable(self) -> str | None:
        """Why it could not be (fully) checked where it ran: the scenario's own reason, or
        those of its expectations that could not be checked; None when nothing was."""
        if self.not_applicable:
            return self.not_applicable
        reasons = dict.fromkeys(
            f"{e.description}: {e.not_applicable}" for e in self.expectations if e.not_applicable
        )
        return "; ".join(reasons) or None

    @property
    def reproduce(self) -> str:
        """The command that runs this scenario alone with its seed, where it ran: against
        the same target, with the same receivers bound (a target's client id and secret are
        left to HOOKSIM_CLIENT_ID and HOOKSIM_CLIENT_SECRET).

        Derived, not stored: the JSON results hold no command lines, so that two runs of the
        same scenarios against the same platform compare equal whatever they were called with.
        """
        profile = f" --profile {shlex.quote(self.profile)}" if self.profile != "atomic" else ""
        where = "".join(f" {shlex.quote(option)}" for option in self.run_options)
        file = self.file if self.file.startswith(LIBRARY_PREFIX) else shlex.quote(self.file)
        return f"hooksim run {file} --seed {self.seed}{profile}{where}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScenarioResult:
        values = dict(data)
        values["expectations"] = [
            ExpectationResult(
                **{
                    **e,
                    "source": SourceSpan(**e["source"]) if e.get("source") else None,
                }
            )
            for e in data.get("expectations", [])
        ]
        values["attempts"] = [AttemptRow(**a) for a in data.get("attempts", [])]
        values["status_changes"] = [StatusChange(**s) for s in data.get("status_changes", [])]
        values["clock_advances"] = [tuple(pair) for pair in data.get("clock_advances", [])]
        return cls(**values)


# runner events ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TargetInfo:
    """The implementation a run judged: the embedded reference platform, or a target."""

    url: str | None  # None: hooksim's own platform, in process
    implementation: str  # its name and version, as its capabilities say
    contract: str  # the control contract it serves

    @property
    def label(self) -> str:
        where = f" at {self.url}" if self.url else " (in process)"
        return f"{self.implementation}{where}"


@dataclass(frozen=True, slots=True)
class RunStarted:
    total: int  # how many scenarios will run
    seed: int | None  # the --seed given, if any
    version: str
    target: TargetInfo | None = None


@dataclass(frozen=True, slots=True)
class ScenarioStarted:
    name: str
    file: str
    index: int  # 0-based position in the run


@dataclass(frozen=True, slots=True)
class ScenarioFinished:
    result: ScenarioResult
    index: int


@dataclass(frozen=True, slots=True)
class RunFinished:
    results: list[ScenarioResult]
    wall_seconds: float
    target: TargetInfo | None = None

    @property
    def passed(self) -> bool:
        """Nothing failed (a not-applicable scenario is not a failure, nor a pass)."""
        return all(result.status in ("passed", "not-applicable") for result in self.results)

    @property
    def not_applicable(self) -> int:
        return sum(result.status == "not-applicable" for result in self.results)


RunnerEvent = Union[RunStarted, ScenarioStarted, ScenarioFinished, RunFinished]  # noqa: UP007
