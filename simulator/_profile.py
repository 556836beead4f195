"""A platform profile: the documented rules another webhook sender follows, as a record.

The reference platform simulates the Atomic Webhooks API by default (`ATOMIC_PROFILE`). A
profile replaces the parts that differ between senders, at the engine room's two seams
(ARCHITECTURE.md): the request writer's signing scheme and envelope (`_profile_writer.py`)
and the delivery rules (`_profile_rules.py`): the retry schedule and its end, the statuses
with a special meaning, a response header that stops retries, and how an endpoint comes to be
disabled. Numbers that are delivery settings already (timeout, jitter, Retry-After statuses)
become the profile's default `Settings`.

Profiles are written as YAML files (`contracts/profiles/`, read by `hooksim.scenarios`), each
rule with its source and a list of what the sender documents but hooksim does not simulate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._settings import Settings

__all__ = [
    "ATOMIC_PROFILE",
    "DISABLE_KINDS",
    "ENVELOPES",
    "SECRET_FORMATS",
    "SIGNING_SCHEMES",
    "NotSimulated",
    "Profile",
]

#: How requests are signed (code in `hooksim.contracts`): one name per scheme.
SIGNING_SCHEMES = ("atomic", "standard-webhooks", "svix", "stripe", "github")
#: How events are wrapped in a body.
ENVELOPES = ("atomic", "standard-webhooks", "stripe", "github")
#: How a new subscription's secret looks: a UUID (Atomic), `whsec_` and base64 of 24 random
#: bytes (Standard Webhooks, Svix), `whsec_` and 32 letters and digits (Stripe), or a hex token.
SECRET_FORMATS = ("uuid", "whsec-base64", "whsec-text", "hex")
#: consecutive: a count of consecutive failed attempts (settings' disable_threshold);
#: continuous-failure: every message exhausted its retries for `disable_after` seconds
#: (Svix); never: nothing disables an endpoint but the statuses in `disable_statuses`.
DISABLE_KINDS = ("consecutive", "continuous-failure", "never")


@dataclass(frozen=True, slots=True)
class NotSimulated:
    """A rule the sender documents that hooksim does not simulate, and why."""

    rule: str
    why: str


@dataclass(frozen=True, slots=True)
class Profile:
    """How one sender delivers. Every field's default is the Atomic Webhooks API's."""

    name: str
    title: str = ""
    description: str = ""
    signing: str = "atomic"
    envelope: str = "atomic"
    secret_format: str = "uuid"
    #: The User-Agent requests carry (None: hooksim's own).
    user_agent: str | None = None
    #: Delays (seconds) before retry 1, 2, ...; None: the settings' exponential rule.
    retry_delays: tuple[float, ...] | None = None
    #: What a retry's delay counts from: the previous attempt's `scheduled-start` (Atomic)
    #: or its `answer` (the failure, as Svix documents).
    delays_from: str = "scheduled-start"
    #: Answers with these statuses disable the endpoint at once (Standard Webhooks: 410).
    disable_statuses: tuple[int, ...] = ()
    #: A response header (lower-case name, value) that stops the message's retries.
    abort_header: tuple[str, str] | None = None
    disable: str = "consecutive"
    #: continuous-failure: seconds of failure before disabling, and after which an old
    #: failure is forgiven (its memory expires).
    disable_after: float | None = None
    forgive_after: float | None = None
    #: Seconds a receiver accepts a timestamp away from its clock (None: no timestamp), and
    #: whether the sender's reference library checks the future too.
    tolerance: float | None = None
    tolerance_future: bool = True
    #: Settings this sender implies (timeout, jitter, retry window...), over hooksim's.
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: Where each rule comes from: rule -> citation.
    sources: Mapping[str, str] = field(default_factory=dict)
    not_simulated: tuple[NotSimulated, ...] = ()
    #: The file it was read from (None: built in).
    file: str | None = None

    def __post_init__(self) -> None:
        for name, allowed in (
            ("signing", SIGNING_SCHEMES),
            ("envelope", ENVELOPES),
            ("secret_format", SECRET_FORMATS),
            ("disable", DISABLE_KINDS),
            ("delays_from", ("scheduled-start", "answer")),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"profile {name} must be one of {', '.join(allowed)}")
        if self.disable == "continuous-failure" and self.disable_after is None:
            raise ValueError("a continuous-failure profile needs disable_after")

    def default_settings(self, **changes: Any) -> Settings:
        """The settings this sender implies, with `changes` over them (a scenario's)."""
        return Settings(**{**self.settings, **changes})

    def to_dict(self) -> dict[str, Any]:
        """What the reports and `hooksim profiles` show."""
        return {
            "name": self.name,
            "title": self.title or self.name,
            "file": self.file,
            "signing": self.signing,
            "envelope": self.envelope,
            "retry_delays": list(self.retry_delays) if self.retry_delays is not None else None,
            "delays_from": self.delays_from,
            "disable": self.disable,
            "disable_after": self.disable_after,
            "disable_statuses": list(self.disable_statuses),
            "abort_header": list(self.abort_header) if self.abort_header else None,
            "tolerance": self.tolerance,
            "settings": dict(self.settings),
            "sources": dict(self.sources),
            "not_simulated": [{"rule": n.rule, "why": n.why} for n in self.not_simulated],
        }


#: The Atomic Webhooks API as the contract pins it (contracts/README.md): the default.
ATOMIC_PROFILE = Profile(
    "atomic",
    title="Atomic Webhooks API",
    tolerance=None,
)
