"""Writing what a property test did as a YAML scenario that does it again.

The recorder keeps each step in the scenario language as it happens (subscriptions and
management calls through the API, publications with explicit ids and filter fields, clock
advances, injected duplicates, receiver behaviour changes). When the model checker raises a
`Violation`, `document()` turns the steps into a scenario that stops where the failure shows
and expects what the model expected, so `hooksim run FILE` fails the same way.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from hooksim._faults import FaultSchedule
from hooksim.simulator import Settings

from ._rules import EPSILON
from ._violations import Violation

__all__ = ["FAILURES_DIR_ENV", "ScenarioRecorder", "dump", "failures_dir"]

#: Where shrunk failures are written (default `hooksim-failures/` in the working directory).
FAILURES_DIR_ENV = "HOOKSIM_FAILURES_DIR"


def failures_dir() -> Path:
    return Path(os.environ.get(FAILURES_DIR_ENV) or "hooksim-failures")


class ScenarioRecorder:
    def __init__(
        self, settings: Settings, schedules: dict[str, FaultSchedule], *, seed: int
    ) -> None:
        self.settings = settings
        self.receivers = {name: schedule.to_yaml() for name, schedule in schedules.items()}
        self.seed = seed
        self.steps: list[dict[str, Any]] = []
        self.spans: list[tuple[float, float]] = []  # virtual time before and after each step

    def record(self, step: dict[str, Any], before: float, after: float) -> None:
        self.steps.append(step)
        self.spans.append((before, after))

    def settings_yaml(self) -> dict[str, Any]:
        """The settings that differ from the defaults, as the scenario format writes them."""
        default = Settings()
        chosen: dict[str, Any] = {}
        for item in fields(Settings):
            value = getattr(self.settings, item.name)
            if value != getattr(default, item.name):
                chosen[item.name] = list(value) if isinstance(value, tuple) else _number(value)
        return chosen

    def steps_for(self, violation: Violation | None) -> list[dict[str, Any]]:
        steps = list(self.steps)
        if violation is None or violation.cut is None or not steps:
            return steps
        before, after = self.spans[-1]
        cut = max(violation.cut, before)
        if cut < after - EPSILON and "advance" in steps[-1]:
            steps[-1] = {"advance": {"until": _number(cut)}}
        elif cut > after + EPSILON:
            steps.append({"advance": {"until": _number(cut)}})
        if violation.freeze is not None:
            # Stop the subscription where the failure shows; attempts already sent finish
            # within a timeout and are logged, nothing later is sent.
            steps.append({"disable": {"subscription": violation.freeze, "as": "freeze"}})
            steps.append({"advance": {"until": _number(cut + self.settings.timeout)}})
        return steps

    def document(self, title: str, violation: Violation | None, error: str) -> dict[str, Any]:
        description = (
            f"Written by the hooksim model test ({title}) from the case hypothesis shrank to.\n"
            f"{error}\n"
        )
        if violation is not None and not violation.expect:
            description += "No scenario expectation states this property; the steps reproduce it.\n"
        document: dict[str, Any] = {
            "name": f"{title}: {violation.invariant if violation else 'error'}",
            "description": description,
        }
        if violation is not None and violation.clauses:
            document["clauses"] = list(violation.clauses)
        document["seed"] = self.seed
        settings = self.settings_yaml()
        if settings:
            document["settings"] = settings
        document["receivers"] = {
            name: {"behaviour": behaviour} for name, behaviour in self.receivers.items()
        }
        document["steps"] = self.steps_for(violation)
        if violation is not None and violation.expect:
            document["expect"] = violation.expect
        return document

    def write(self, path: Path, document: dict[str, Any]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(document), "utf-8")
        return path


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None  # PyYAML falls back when a block cannot hold it
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump(document: dict[str, Any]) -> str:
    """YAML as people write scenarios: keys in order, multi-line text as a literal block."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _number(value: Any) -> Any:
    if isinstance(value, float):
        rounded = round(value, 6)
        return int(rounded) if rounded == int(rounded) else rounded
    return value
