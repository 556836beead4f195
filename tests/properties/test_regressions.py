"""Cases the model test found in the engine, kept as the scenarios it wrote (then fixed).

Each file in `regressions/` is a shrunk failure of the model test, written by it as a YAML
scenario; the engine was fixed, and the scenario must keep passing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hooksim.scenarios import load_scenario, run_scenario

FOLDER = Path(__file__).parent / "regressions"
CASES = [
    pytest.param(
        path, id=path.stem, marks=pytest.mark.clause(*yaml.safe_load(path.read_text())["clauses"])
    )
    for path in sorted(FOLDER.glob("*.yaml"))
]


@pytest.mark.parametrize("path", CASES)
def test_a_case_the_model_test_found_stays_fixed(path: Path) -> None:
    result = run_scenario(load_scenario(path, path.name))
    problems = [(e.description, e.message) for e in result.expectations if not e.passed]
    assert result.status == "passed", result.error or problems
