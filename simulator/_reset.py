"""A platform started afresh: what `POST /_sim/reset` builds on a served platform, and what
each in-process harness builds (scenarios, the pytest plugin, the model test), the same way,
so that a seed draws the same ids, secrets, jitter and duplicates in both (the control
contract's `seeded-randomness`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ._auth import ROLES, ApiClient
from ._clock import DEFAULT_START, Clock, VirtualClock
from ._control import ResetOrder
from ._exchange import Transport
from ._models import Environment
from ._platform import Platform
from ._profile import Profile

__all__ = ["fresh_platform", "start_platform"]

#: Builds a platform from `Platform`'s keyword arguments (a subclass, to test another one).
PlatformFactory = Callable[..., Platform]


def fresh_platform(
    order: ResetOrder, *, transport: Transport, token_clock: Clock, profile: Profile | None = None
) -> tuple[Platform, dict[str, ApiClient]]:
    """A platform on a virtual clock at `order.start` with one environment, delivering
    with `order.settings`, seeded with `order.seed`, and a new client per role."""
    platform, _, clients = start_platform(
        order, transport=transport, token_clock=token_clock, profile=profile
    )
    return platform, clients


def start_platform(
    order: ResetOrder,
    *,
    transport: Transport,
    token_clock: Clock,
    profile: Profile | None = None,
    clock: VirtualClock | None = None,
    roles: Iterable[str] = ROLES,
    platform_factory: PlatformFactory | None = None,
) -> tuple[Platform, Environment, dict[str, ApiClient]]:
    """`fresh_platform`, with its environment, on `clock` when given (else one at
    `order.start`), built by `platform_factory`, and a client for each of `roles` only. An
    empty `order.environment_id` gets a generated one."""
    factory = platform_factory if platform_factory is not None else Platform
    platform = factory(
        clock=clock
        if clock is not None
        else VirtualClock(order.start if order.start is not None else DEFAULT_START),
        settings=order.settings,
        transport=transport,
        seed=order.seed,
        token_clock=token_clock,
        profile=profile,
    )
    environment = platform.create_environment(order.environment_id or None, settings=order.settings)
    clients = {role: platform.auth.create_client(environment.id, role) for role in roles}
    return platform, environment, clients
