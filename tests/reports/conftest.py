from __future__ import annotations

import pytest
from _report_samples import sample_results
from hooksim.scenarios._results import ScenarioResult


@pytest.fixture
def results() -> list[ScenarioResult]:
    return sample_results()
