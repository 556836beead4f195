"""hooksim's own platform, in process: a fresh platform per scenario, the simulator's one
in-process harness (`PlatformHarness`: built the way a served platform's `POST /_sim/reset`
builds one, on a virtual clock, its receivers mounted on an in-process transport, no
network)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hooksim.simulator import (
    CONTRACT_NAME,
    AttemptRecord,
    ClockAdvanced,
    ControlHooks,
    Delivery,
    NotFound,
    Platform,
    PlatformHarness,
    Profile,
    Settings,
    Signal,
    SubscriptionChanged,
    make_app,
)

from ._backend import BackendHooks, SubscriptionState, WSGIApp
from ._extras import MissingExtra
from ._gateway import ApiGateway, InProcessGateway
from ._loader import RECEIVER_BASE_URL
from ._requirements import Needs
from ._results import ExpectationResult, TargetInfo

__all__ = ["ENVIRONMENT_ID", "InProcessBackend", "InProcessSession"]

#: The environment every in-process scenario runs in (a served platform's default too).
ENVIRONMENT_ID = "dev"
_STATUS_AFTER = {"created": "active", "enabled": "active", "disabled": "disabled"}


class InProcessBackend:
    def __init__(
        self,
        *,
        seed: int,
        settings: Settings,
        receivers: Mapping[str, WSGIApp],
        hooks: BackendHooks,
        start: float | None = None,
        profile: Profile | None = None,
    ) -> None:
        self.settings = settings
        self.harness = PlatformHarness(
            settings, seed=seed, environment_id=ENVIRONMENT_ID, start=start, profile=profile
        )
        self.transport = self.harness.transport
        self.platform: Platform = self.harness.platform
        self.environment_id = ENVIRONMENT_ID
        self.start = self.harness.start
        self._hooks = hooks
        self.platform.add_listener(self._on_signal)
        self.api: ApiGateway = InProcessGateway(
            make_app(self.platform), ENVIRONMENT_ID, self.harness.clients
        )
        for name, receiver in receivers.items():
            self.harness.mount(self.receiver_url(name), receiver)

    # time and events ---------------------------------------------------------------------
    def now(self) -> float:
        return self.platform.clock.now()

    def receiver_url(self, name: str, path: str = "") -> str:
        return RECEIVER_BASE_URL + name + path

    def publish(
        self, event_type: str, *, count: int, overrides: Mapping[str, Any] | None
    ) -> list[str]:
        events = self.platform.publish(
            self.environment_id, event_type, count=count, overrides=overrides
        )
        return [event.id for event in events]

    def advance(self, seconds: float) -> None:
        self.platform.advance(seconds)

    def run_pending(self) -> None:
        self.platform.run_pending()

    def inject_duplicate(self, event_id: str, subscription_id: str | None) -> None:
        self.platform.inject_duplicate(self.environment_id, event_id, subscription_id)

    def require(self, feature: str, why: str) -> None:
        pass  # hooksim's own platform offers every feature of the control contract

    # what happened -----------------------------------------------------------------------
    def attempts(
        self, *, subscription_id: str | None = None, kinds: tuple[str, ...]
    ) -> list[AttemptRecord]:
        return self.platform.attempts(
            self.environment_id, subscription_id=subscription_id, kinds=kinds
        )

    def deliveries(self) -> list[Delivery]:
        return self.platform.deliveries(self.environment_id)

    def subscription_state(self, subscription_id: str) -> SubscriptionState | None:
        try:
            current = self.platform.subscription(self.environment_id, subscription_id)
        except NotFound:
            return None
        return SubscriptionState(
            current.status, current.disabled_reason, current.consecutive_failures
        )

    def event_data(self, event_id: str) -> dict[str, Any]:
        return dict(self.platform.event(self.environment_id, event_id).data)

    def subscription_matches(self, subscription_id: str, data: dict[str, Any]) -> bool:
        return self.platform.subscription(self.environment_id, subscription_id).matches(data)

    def after_step(self) -> None:
        pass  # statuses come as signals, the moment they change

    def extra_results(self) -> list[ExpectationResult]:
        return []

    def close(self) -> None:
        self.platform.remove_listener(self._on_signal)
        self.harness.close()

    def _on_signal(self, signal: Signal) -> None:
        if isinstance(signal, SubscriptionChanged):
            if signal.change == "deleted":
                status, reason = "deleted", None
            elif signal.change in _STATUS_AFTER:
                status = _STATUS_AFTER[signal.change]
                reason = signal.reason if status == "disabled" else None
            else:
                return
            self._hooks.status_changed(signal.time, signal.subscription.id, status, reason)
        elif isinstance(signal, ClockAdvanced):
            self._hooks.clock_advanced(signal.start, signal.end)


class InProcessSession:
    """The embedded reference platform: every scenario on a platform of its own."""

    def __init__(self, *, start: float | None = None) -> None:
        self.start = start
        hooks = ControlHooks()
        self.info = TargetInfo(None, f"{hooks.name} {hooks.version}", CONTRACT_NAME)
        self.options: tuple[str, ...] = ()

    def open(
        self,
        *,
        seed: int,
        settings: Settings,
        receivers: Mapping[str, WSGIApp],
        hooks: BackendHooks,
        start: float | None = None,
        profile: Profile | None = None,
    ) -> InProcessBackend:
        return InProcessBackend(
            seed=seed,
            settings=settings,
            receivers=receivers,
            hooks=hooks,
            start=start if start is not None else self.start,
            profile=profile,
        )

    def requirements_missing(self, needs: Needs) -> str | None:
        """hooksim's own platform offers every feature of the control contract; what it may
        lack is an optional extra of this installation (botocore for AWS SigV4)."""
        for extra, reason, span in needs.extras:
            if not extra.installed():
                return MissingExtra(extra.name, extra.install_command, reason, span).describe()
        return None

    def close(self) -> None:
        pass
