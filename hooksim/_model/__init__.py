"""The reference model of the platform, for property-based tests (private).

`PlatformMachine` is the stateful model test; `ModelChecker` the invariant checker it uses;
`FaultSchedule` (`hooksim/_faults.py`) the receiver fault schedules `hooksim.strategies`
generates, re-exported here; the scenario recorder writes a failing case as YAML. The model
imports `hooksim.strategies`, never the other way round.
"""

from __future__ import annotations

from hooksim._faults import Fault, FaultSchedule

from ._checker import ModelChecker
from ._harness import Harness
from ._machine import PlatformMachine, model_schedules, model_settings
from ._scenario import FAILURES_DIR_ENV, ScenarioRecorder, failures_dir
from ._violations import INVARIANTS, Violation

__all__ = [
    "FAILURES_DIR_ENV",
    "INVARIANTS",
    "Fault",
    "FaultSchedule",
    "Harness",
    "ModelChecker",
    "PlatformMachine",
    "ScenarioRecorder",
    "Violation",
    "failures_dir",
    "model_schedules",
    "model_settings",
]
