"""One platform under test, in process: the one harness that the scenario runner's in-process
backend, the pytest plugin's `hooksim_platform` and the model test each build.

A platform on a virtual clock, started the way a served platform's reset starts one
(`start_platform`), delivering through an `InProcessTransport` to the WSGI apps (receivers)
mounted on it, and the history of its subscriptions' statuses, taken from its signals as they
happen. Tokens live on a clock of their own that stands still: simulated hours never log a
client out, and a run stays the same from one machine to the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ._auth import ROLES
from ._clock import DEFAULT_START, VirtualClock
from ._control import ResetOrder
from ._profile import Profile
from ._reset import PlatformFactory, start_platform
from ._settings import Settings
from ._signals import Signal, SubscriptionChanged
from ._transport import InProcessTransport, WSGIApp

__all__ = ["PlatformHarness", "StatusRecord"]


@dataclass(frozen=True, slots=True)
class StatusRecord:
    """A subscription's status change, at a virtual offset from the platform's start."""

    t: float
    subscription_id: str
    action: str  # created, updated, disabled, enabled, deleted
    reason: str | None  # "auto" or "api" for a disable
    consecutive_failures: int


class PlatformHarness:
    """A fresh platform on a virtual clock with one environment and apps mounted in process.

    `environment_id` None gets a generated one; `roles` are the API clients made for it
    (`clients`, by role); `transport` may be an `InProcessTransport` that also routes
    elsewhere; `platform_factory` builds the platform from `Platform`'s keyword arguments.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        seed: int | None = 0,
        environment_id: str | None = None,
        start: float | None = None,
        clock: VirtualClock | None = None,
        token_clock: VirtualClock | None = None,
        profile: Profile | None = None,
        transport: InProcessTransport | None = None,
        roles: Iterable[str] = ROLES,
        platform_factory: PlatformFactory | None = None,
    ) -> None:
        if clock is None:
            clock = VirtualClock(start if start is not None else DEFAULT_START)
        self.clock = clock
        self.transport = transport if transport is not None else InProcessTransport()
        order = ResetOrder(environment_id or "", "", seed, settings, self.clock.now())
        self.platform, environment, self.clients = start_platform(
            order,
            transport=self.transport,
            token_clock=token_clock if token_clock is not None else VirtualClock(),
            profile=profile,
            clock=self.clock,
            roles=roles,
            platform_factory=platform_factory,
        )
        self.environment_id = environment.id
        self.start = self.clock.now()
        self.history: list[StatusRecord] = []
        self.platform.add_listener(self._on_signal)

    # time ------------------------------------------------------------------------------
    def elapsed(self) -> float:
        """Virtual seconds since the platform started."""
        return self.clock.now() - self.start

    def offset(self, timestamp: float) -> float:
        """A platform time (POSIX seconds) as virtual seconds since the start."""
        return timestamp - self.start

    # receivers -------------------------------------------------------------------------
    def mount(self, url: str, app: WSGIApp) -> str:
        """Deliver what is sent to `url` (and below it) to the WSGI `app`; returns `url`."""
        self.transport.mount(url, app)
        return url

    def close(self) -> None:
        self.platform.remove_listener(self._on_signal)
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()

    def _on_signal(self, signal: Signal) -> None:
        if isinstance(signal, SubscriptionChanged):
            sub = signal.subscription
            self.history.append(
                StatusRecord(
                    round(self.offset(signal.time), 6),
                    sub.id,
                    signal.change,
                    signal.reason,
                    sub.consecutive_failures,
                )
            )
