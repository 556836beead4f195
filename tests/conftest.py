"""Settings shared by the whole suite."""

from __future__ import annotations

import os

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
