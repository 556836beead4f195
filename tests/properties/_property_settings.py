"""Hypothesis settings for the property tests: deterministic in `make test`, long in `make soak`.

`make test` (CI) derandomizes and keeps no example database, so a run is the same everywhere
and writes no `.hypothesis/` folder. `HOOKSIM_SOAK=1` (`make soak`) runs the model test with
10,000 fresh random examples instead. These are settings objects applied per test, not a
loaded profile, so that the rest of the suite (schemathesis uses hypothesis too) keeps its own.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

SOAK = os.environ.get("HOOKSIM_SOAK") == "1"

_COMMON = settings(
    deadline=None,
    database=None,
    derandomize=not SOAK,
    print_blob=SOAK,
    report_multiple_bugs=False,  # one failure, so hooksim-failures/ holds its shrunk case
    # No explain phase: it replays the failure under a tracer for minutes, and the scenario
    # written to hooksim-failures/ already says what happened.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: The stateful model test: 200 examples of up to 25 steps (10,000 under soak).
MODEL = settings(_COMMON, max_examples=10_000 if SOAK else 200, stateful_step_count=25)

#: Pure functions: cheap, so many examples.
PURE = settings(_COMMON, max_examples=2_000 if SOAK else 300)

#: Strategies checked against the platform or its API: a few ms each.
PLATFORM = settings(_COMMON, max_examples=1_000 if SOAK else 100)
