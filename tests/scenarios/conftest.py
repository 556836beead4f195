"""Helpers: write a scenario into a temporary folder, load it, run it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hooksim.scenarios import ScenarioResult, load_scenario, load_text, run_scenario


def scenario_text(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


def run_text(body: str, *, seed: int | None = None) -> ScenarioResult:
    """Load and run a scenario written inline (dedented)."""
    return run_scenario(load_text(scenario_text(body), "inline.yaml"), seed=seed)


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
