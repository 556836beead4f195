"""hooksim: contract testing and deterministic simulation of the Atomic Webhooks API.

Public names are imported on first use (PEP 562), so `import hooksim`, and with it the pytest
plugin, stays light. To add a name: one line in `__all__`, one in `_LAZY`, one under
TYPE_CHECKING.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "CheckResult",
    "EffectsProbeError",
    "Exchange",
    "KitError",
    "KitResult",
    "ReceiverUnreachable",
    "check_receiver",
    "fetch_effects",
]

# public name -> the module that defines it
_LAZY: dict[str, str] = {
    "CheckResult": "hooksim._kit",
    "EffectsProbeError": "hooksim._kit",
    "Exchange": "hooksim._kit",
    "KitError": "hooksim._kit",
    "KitResult": "hooksim._kit",
    "ReceiverUnreachable": "hooksim._kit",
    "check_receiver": "hooksim._kit",
    "fetch_effects": "hooksim._kit",
}

if TYPE_CHECKING:
    from hooksim._kit import CheckResult as CheckResult
    from hooksim._kit import EffectsProbeError as EffectsProbeError
    from hooksim._kit import Exchange as Exchange
    from hooksim._kit import KitError as KitError
    from hooksim._kit import KitResult as KitResult
    from hooksim._kit import ReceiverUnreachable as ReceiverUnreachable
    from hooksim._kit import check_receiver as check_receiver
    from hooksim._kit import fetch_effects as fetch_effects


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hooksim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
