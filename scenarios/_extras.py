"""Which optional extras of the hooksim package a scenario needs, and whether they are installed.

`pip install hooksim` brings what `hooksim run` needs for almost every scenario; a few
features sit behind an extra (`pip install 'hooksim[aws]'`: botocore signs AWS SigV4 delivery
credentials). A scenario that uses such a feature without its extra cannot run as written:
`missing_extras` says so before it runs, with the extra and the command that installs it, so
that the runner can report it not applicable instead of failing on a consequence (an API
refusal several steps before the failure it causes).

An extra is known here by the modules it provides; `EXTRAS` must name the extras of
`pyproject.toml` (tests/scenarios/test_scenario_extras.py holds them together).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._model import Scenario, Step
from ._results import SourceSpan

__all__ = ["EXTRAS", "Extra", "MissingExtra", "extras_needed", "missing_extras"]


@dataclass(frozen=True, slots=True)
class Extra:
    """An optional extra of the hooksim package (`[project.optional-dependencies]`)."""

    name: str
    #: Top-level modules the extra installs: all importable means it is installed.
    modules: tuple[str, ...]
    #: What it is for, for people.
    purpose: str

    @property
    def install_command(self) -> str:
        return f"pip install 'hooksim[{self.name}]'"

    def installed(self) -> bool:
        return all(importlib.util.find_spec(module) is not None for module in self.modules)


#: The extras a scenario can need, by name.
EXTRAS: dict[str, Extra] = {
    "aws": Extra("aws", ("botocore",), "AWS Signature Version 4 delivery credentials"),
}


@dataclass(frozen=True, slots=True)
class MissingExtra:
    """An extra a scenario needs and this installation lacks."""

    extra: str
    install_command: str
    #: Why the scenario needs it, from its own lines.
    reason: str
    #: The first line that needs it.
    span: SourceSpan

    def describe(self) -> str:
        return (
            f"{self.span.label()}: needs the '{self.extra}' extra, which is not installed "
            f"({self.reason}): {self.install_command}"
        )


def _aws_sigv4_credential(step: Step) -> str | None:
    """An `api` step that stores an aws-sigv4 delivery credential: botocore signs with it."""
    if step.kind != "api" or str(step.args.get("method", "")).upper() != "POST":
        return None
    if "webhook-credentials" not in str(step.args.get("path", "")):
        return None
    body: Any = step.args.get("body")
    if isinstance(body, dict) and body.get("type") == "aws-sigv4":
        return "it stores an aws-sigv4 delivery credential, which botocore signs"
    return None


#: (extra, a step -> why it needs that extra, or None)
_STEP_NEEDS: tuple[tuple[str, Callable[[Step], str | None]], ...] = (
    ("aws", _aws_sigv4_credential),
)


def extras_needed(scenario: Scenario) -> list[tuple[Extra, str, SourceSpan]]:
    """Each extra the scenario needs, once, with why and the first line that needs it."""
    found: dict[str, tuple[Extra, str, SourceSpan]] = {}
    for step in scenario.steps:
        for extra_name, needs in _STEP_NEEDS:
            if extra_name in found:
                continue
            reason = needs(step)
            if reason is not None:
                found[extra_name] = (EXTRAS[extra_name], reason, step.span)
    return list(found.values())


def missing_extras(
    scenario: Scenario, installed: Callable[[Extra], bool] = Extra.installed
) -> tuple[MissingExtra, ...]:
    """The extras `scenario` needs that are not installed (`installed` decides; by default,
    whether their modules can be imported here). Empty: it can run as written."""
    return tuple(
        MissingExtra(extra.name, extra.install_command, reason, span)
        for extra, reason, span in extras_needed(scenario)
        if not installed(extra)
    )
