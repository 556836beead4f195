from __future__ import annotations

import pytest
from _report_samples import sample_results
from hooksim.scenarios import ScenarioResult


@pytest.fixture
def results() -> list[ScenarioResult]:
    return sample_results()
