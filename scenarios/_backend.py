"""What a scenario runs against: the platform under test, seen the same way whether it is
hooksim's own, in process, or another implementation reached over HTTP (target mode).

A `Session` lasts a whole run (a target's capabilities, the receivers' listener); it opens a
`Backend` per scenario, started clean. Steps and expectations only talk to the backend, so a
scenario file means the same thing wherever it runs. What a backend cannot do (an optional
control feature the target does not offer) raises `NotApplicable` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from hooksim.simulator import AttemptRecord, Delivery, Profile, Settings, Subscription

from ._gateway import ApiGateway
from ._results import ExpectationResult, TargetInfo

__all__ = [
    "Backend",
    "BackendHooks",
    "Session",
    "SubscriptionState",
    "subscription_from_api",
]

WSGIApp = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    status: str  # active, disabled
    reason: str | None  # auto, api (when disabled)
    consecutive_failures: int


@dataclass(frozen=True, slots=True)
class BackendHooks:
    """What a backend tells the scenario as it runs (times are the platform's, absolute)."""

    status_changed: Callable[[float, str, str, str | None], None]  # t, sub id, status, reason
    clock_advanced: Callable[[float, float], None]  # from, to


class Backend(Protocol):
    """One scenario's platform under test, started clean."""

    environment_id: str
    settings: Settings
    api: ApiGateway
    #: The platform's time when the scenario started (absolute POSIX seconds).
    start: float

    def now(self) -> float: ...

    def receiver_url(self, name: str, path: str = "") -> str:
        """Where the platform must deliver to reach the scenario's receiver `name`."""
        ...

    def publish(
        self, event_type: str, *, count: int, overrides: Mapping[str, Any] | None
    ) -> list[str]: ...

    def advance(self, seconds: float) -> None: ...

    def run_pending(self) -> None: ...

    def inject_duplicate(self, event_id: str, subscription_id: str | None) -> None: ...

    def require(self, feature: str, why: str) -> None:
        """Raise NotApplicable unless the platform offers this optional control feature."""
        ...

    def attempts(
        self, *, subscription_id: str | None = None, kinds: tuple[str, ...]
    ) -> list[AttemptRecord]:
        """The attempts made, as the delivery log rows of hooksim's own platform."""
        ...

    def deliveries(self) -> list[Delivery]:
        """How each (event, subscription) stands: delivered, undelivered (with its reason)
        or pending."""
        ...

    def subscription_state(self, subscription_id: str) -> SubscriptionState | None:
        """None: it was deleted."""
        ...

    def event_data(self, event_id: str) -> dict[str, Any]: ...

    def subscription_matches(self, subscription_id: str, data: dict[str, Any]) -> bool: ...

    def after_step(self) -> None:
        """Called after every step (a target's subscription statuses are polled here)."""
        ...

    def extra_results(self) -> list[ExpectationResult]:
        """Checks the backend adds to every scenario (a target's records against what its
        receivers saw)."""
        ...

    def close(self) -> None: ...


class Session(Protocol):
    """The platform under test for a whole run."""

    info: TargetInfo
    #: The `hooksim run` options that choose this platform (`--target URL`...), for the
    #: command that reproduces a scenario; credentials are never among them.
    options: tuple[str, ...]

    def open(
        self,
        *,
        seed: int,
        settings: Settings,
        receivers: Mapping[str, WSGIApp],
        hooks: BackendHooks,
        start: float | None = None,
        profile: Profile | None = None,
    ) -> Backend:
        """A backend for one scenario, started clean, its clock at `start` (default: the
        platform's own start); raises NotApplicable when the scenario needs a setting the
        platform does not accept (or a platform profile it cannot run under)."""
        ...

    def requirements_missing(self, needs: Any) -> str | None:
        """Why a scenario with these needs cannot run here, or None."""
        ...

    def close(self) -> None: ...


def subscription_from_api(data: Mapping[str, Any], environment_id: str) -> Subscription:
    """A subscription as the management API showed it, for the routing rules only (which
    events it matches)."""
    card = data.get("cardTemplateId")
    flow = data.get("actionFlowConfigId")
    return Subscription(
        id=str(data.get("id")),
        environment_id=environment_id,
        types=list(data.get("types") or []),
        url=str(data.get("url", "")),
        secret="",
        created=0.0,
        updated=0.0,
        card_template_id=str(card) if card is not None else None,
        action_flow_config_id=str(flow) if flow is not None else None,
    )
