"""The stateful model test: random API calls, publications, clock advances, duplicates and
receiver faults, with every invariant of the contract checked after every step.

On failure the shrunk case is written to `hooksim-failures/platform-model.yaml` (or under
$HOOKSIM_FAILURES_DIR) as a scenario: `hooksim run` on it shows the same failure.
"""

from __future__ import annotations

import pytest
from _property_settings import MODEL

from hooksim._model import PlatformMachine

pytestmark = pytest.mark.clause(
    "NOTHING-LOST",
    "DISABLE-THRESHOLD",
    "DISABLE-STOPS-DELIVERY",
    "DISABLED-NOT-ATTEMPTED",
    "RETRY-SCHEDULE",
    "RETRY-WINDOW",
    "RETRY-MAX-RETRIES",
    "RETRY-AFTER",
    "SIGN-HMAC",
    "DELIVERY-ENVELOPE",
    "AT-LEAST-ONCE",
    "DUPLICATE-INJECTION",
    "DELIVERY-TIMEOUT",
    "DELIVERY-SUCCESS-2XX",
)

TestPlatformModel = PlatformMachine.TestCase
TestPlatformModel.settings = MODEL
