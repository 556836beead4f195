"""The bundled library: every scenario passes against the reference platform (one test per
file, so pytest-xdist can spread them), and together they cover the contract's clauses."""

from __future__ import annotations

import pytest
from hooksim.contracts import CLAUSES
from hooksim.scenarios import library_files, load_all, load_scenario, run_scenario

LIBRARY = library_files()
#: Clauses about the real HTTP server and its SQLite file, which in-process scenarios cannot
#: exercise; the serve, store and crash tests (tests/serve/, tests/store/, tests/crash/) cover
#: them. A reset and simulated latency need a served platform too (tests/serve/, and every
#: scenario's target-mode run against `hooksim serve`, tests/target/).
NOT_IN_PROCESS = {
    "SERVE",
    "SERVE-ALLOW-HOSTS",
    "DURABLE-STORE",
    "DURABLE-CRASH-RECOVERY",
    "SIM-RESET",
    "SIM-LATENCY",
}


@pytest.mark.parametrize("item", LIBRARY, ids=[item.file for item in LIBRARY])
def test_library_scenario_passes(item) -> None:
    scenario = load_scenario(item.source, item.file)
    result = run_scenario(scenario)
    assert result.error is None, result.error
    failures = [f"{e.source.label()}: {e.message}" for e in result.expectations if not e.passed]
    assert failures == []
    assert result.status == "passed"
    assert result.expectations, "a library scenario checks something"


def test_the_library_is_big_enough_and_self_describing() -> None:
    scenarios = load_all(LIBRARY)
    assert len(scenarios) >= 25
    assert len({s.name for s in scenarios}) == len(scenarios)
    for scenario in scenarios:
        assert scenario.file.startswith("library/") and scenario.file.endswith(".yaml")
        assert scenario.description, scenario.file
        assert scenario.clauses, scenario.file
        assert scenario.seed is not None, scenario.file


def test_the_library_covers_every_clause() -> None:
    covered = {clause for s in load_all(LIBRARY) for clause in s.clauses}
    assert set(CLAUSES) - covered == NOT_IN_PROCESS
