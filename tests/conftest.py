"""Settings shared by the whole suite."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

# The fuzz tests of hostile input use `settings.get_profile("hooksim-fuzz")` (a slow one
# may take a fraction of its examples): deterministic with 50 examples in `make test`, 1,000
# fresh random ones under `HOOKSIM_SOAK=1`. No example database (no `.hypothesis/` folder),
# and no explain phase (it replays a failure under a tracer for minutes).
_SOAK = os.environ.get("HOOKSIM_SOAK") == "1"
settings.register_profile(
    "hooksim-fuzz",
    max_examples=1_000 if _SOAK else 50,
    deadline=None,
    database=None,
    derandomize=not _SOAK,
    print_blob=_SOAK,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _same_pytest_output_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    # pytest prints more (whole failure texts in its short summary) when CI or BUILD_NUMBER is
    # set. The tests that run pytest inside pytest (pytester) read that output, so they see the
    # same text on a developer's machine as on the CI machine.
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
