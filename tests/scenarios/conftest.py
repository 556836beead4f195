"""Helpers: write a scenario into a temporary folder, load it, run it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hooksim.scenarios import (
    ExpectationResult,
    ScenarioResult,
    load_scenario,
    load_text,
    run_scenario,
)
from hooksim.scenarios._delivery_check import DESCRIPTION as JUDGE


def scenario_text(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


def run_text(body: str, *, seed: int | None = None) -> ScenarioResult:
    """Load and run a scenario written inline (dedented)."""
    return run_scenario(load_text(scenario_text(body), "inline.yaml"), seed=seed)


def written(result: ScenarioResult) -> list[ExpectationResult]:
    """The results of the expectations the scenario wrote: every result but the delivery
    judge's verdict, which the runner adds last to every scenario."""
    assert result.expectations[-1].description == JUDGE, "the judge's verdict comes last"
    return result.expectations[:-1]


def failed(result: ScenarioResult) -> list[str]:
    return [f"{e.description}: {e.message}" for e in result.expectations if not e.passed]


def assert_passed(result: ScenarioResult) -> None:
    assert result.error is None, result.error
    assert failed(result) == []
    assert result.status == "passed"


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(name: str, body: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(scenario_text(body), encoding="utf-8")
        return path

    return write


__all__ = ["assert_passed", "failed", "load_scenario", "run_text", "scenario_text"]
