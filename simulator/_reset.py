"""A platform started afresh: what `POST /_sim/reset` builds on a served platform, and what
each scenario run builds in process, the same way, so that a seed draws the same ids,
secrets, jitter and duplicates in both (the control contract's `seeded-randomness`)."""

from __future__ import annotations

from ._auth import ROLES, ApiClient
from ._clock import DEFAULT_START, Clock, VirtualClock
from ._control import ResetOrder
from ._exchange import Transport
from ._platform import Platform
from ._profile import Profile

__all__ = ["fresh_platform"]


def fresh_platform(
    order: ResetOrder, *, transport: Transport, token_clock: Clock, profile: Profile | None = None
) -> tuple[Platform, dict[str, ApiClient]]:
    """A platform on a virtual clock at `order.start` with one environment, delivering
    with `order.settings`, seeded with `order.seed`, and a new client per role."""
    platform = Platform(
        clock=VirtualClock(order.start if order.start is not None else DEFAULT_START),
        settings=order.settings,
        transport=transport,
        seed=order.seed,
        token_clock=token_clock,
        profile=profile,
    )
    environment = platform.create_environment(order.environment_id, settings=order.settings)
    clients = {role: platform.auth.create_client(environment.id, role) for role in ROLES}
    return platform, clients
