"""What the control contract's handlers need from whoever serves the platform.

The management API app answers `/_sim/...` for any platform; what only the server can do
(rebuild the platform for a reset, honour simulated latency on real HTTP) it is told through
a `ControlHooks`. The in-process app (scenarios, tests) has none of those: its capabilities
say so, and a reset is a 409 naming why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING

from ._settings import Settings

if TYPE_CHECKING:
    from ._auth import ApiClient
    from ._platform import Platform

__all__ = [
    "ALWAYS_OFFERED",
    "CONTRACT_NAME",
    "SIMULATED_LATENCY_HEADER",
    "ControlHooks",
    "ResetOrder",
    "Resetter",
]

#: The contract and its version, as `GET /_sim` names them.
CONTRACT_NAME = "hooksim-control/1"

#: A receiver's answer header that says how long, in platform time, the answer took
#: (feature `simulated-latency`): a number of seconds, or `inf` for an answer never given.
SIMULATED_LATENCY_HEADER = "Sim-Latency"

#: Optional features every hooksim platform offers, served or embedded.
ALWAYS_OFFERED = frozenset(
    {
        "advance-idle",
        "delivery-log",
        "delivery-states",
        "duplicates",
        "fixed-secrets",
        "seeded-randomness",
        "permanent-delete",
    }
)


@dataclass(frozen=True, slots=True)
class ResetOrder:
    """A `POST /_sim/reset`, checked: what the new state of the environment must be."""

    environment_id: str
    caller_client_id: str
    seed: int | None
    settings: Settings
    start: float | None


#: Builds the platform that replaces the current one, and a client per role.
Resetter = Callable[[ResetOrder], "tuple[Platform, dict[str, ApiClient]]"]


def _version() -> str:
    try:
        return metadata.version("hooksim")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(slots=True)
class ControlHooks:
    reset: Resetter | None = None
    #: Why `reset` is None, for the 409 a reset then gets.
    why_no_reset: str = (
        "this platform is embedded in a program; only `hooksim serve --clock virtual` "
        "(without --db) can be reset"
    )
    simulated_latency: bool = False
    name: str = "hooksim"
    version: str = ""

    def __post_init__(self) -> None:
        if not self.version:
            self.version = _version()

    def features(self) -> set[str]:
        offered = set(ALWAYS_OFFERED)
        if self.simulated_latency:
            offered.add("simulated-latency")
        return offered
