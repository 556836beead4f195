"""The reference model of the platform, for property-based tests (private).

`PlatformMachine` is the stateful model test; `ModelChecker` the invariant checker it uses;
`FaultSchedule` the receiver fault schedules `hooksim.strategies` generates; the scenario
recorder writes a failing case as YAML. The machine (which uses `hooksim.strategies`, which
uses `FaultSchedule`) is imported on first use, so that either side can be imported first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._checker import ModelChecker
from ._faults import Fault, FaultSchedule
from ._harness import Harness
from ._scenario import FAILURES_DIR_ENV, ScenarioRecorder, failures_dir
from ._violations import INVARIANTS, Violation

if TYPE_CHECKING:
    from ._machine import PlatformMachine, model_schedules, model_settings

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

_LAZY = {"PlatformMachine", "model_schedules", "model_settings"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'hooksim._model' has no attribute {name!r}")
    value = getattr(importlib.import_module("hooksim._model._machine"), name)
    globals()[name] = value
    return value
