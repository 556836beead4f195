"""The model's own records: what each subscription, event and delivery should be.

Plain mutable records, filled in by the checker from what it asked the platform to do and
what the receivers saw; never copied from the platform's state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["AttemptModel", "DeliveryModel", "EventModel", "SubscriptionModel", "normalise_body"]


@dataclass(slots=True)
class SubscriptionModel:
    name: str
    id: str
    secret: str
    receiver: str
    types: list[str]
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    card_template_id: str | None = None
    action_flow_config_id: str | None = None
    max_retries: int | None = None
    disable_after_failures: bool = True
    status: str = "active"  # active, disabled, deleted
    reason: str | None = None  # api or auto while disabled
    disabled_at: float | None = None
    failures: int = 0  # consecutive failed delivery attempts

    @property
    def active(self) -> bool:
        return self.status == "active"

    def apply(self, body: dict[str, Any]) -> None:
        """Take a (normalised) subscribe or update body."""
        for key, attribute in _ATTRIBUTES.items():
            if key in body:
                setattr(self, attribute, body[key])


_ATTRIBUTES = {
    "types": "types",
    "method": "method",
    "headers": "headers",
    "cardTemplateId": "card_template_id",
    "actionFlowConfigId": "action_flow_config_id",
    "maxRetries": "max_retries",
    "disableAfterFailures": "disable_after_failures",
}


def normalise_body(body: dict[str, Any]) -> dict[str, Any]:
    """A subscribe or update body as the contract says the platform keeps it (SUB-TYPES:
    a name listed twice is kept once; SUB-FIELDS: scope ids are strings)."""
    clean = dict(body)
    if "types" in clean:
        clean["types"] = list(dict.fromkeys(clean["types"]))
    for key in ("cardTemplateId", "actionFlowConfigId"):
        if clean.get(key) is not None:
            clean[key] = str(clean[key])
    if "headers" in clean:
        clean["headers"] = dict(clean["headers"])
    return clean


@dataclass(slots=True)
class EventModel:
    id: str
    type: str
    published: float
    data: dict[str, Any]  # the fields the model set (type, card template, flow config)


@dataclass(slots=True)
class AttemptModel:
    number: int
    scheduled: float
    start: float
    method: str
    finish: float | None = None
    outcome: str | None = None


@dataclass(slots=True)
class DeliveryModel:
    """One event on its way to one subscription, as the contract says it should go."""

    event: str
    subscription: str
    first: float
    attempts: list[AttemptModel] = field(default_factory=list)
    current: AttemptModel | None = None  # sent, not yet answered
    next_scheduled: float | None = None
    next_start: float | None = None
    cancelled: bool = False  # in flight when its subscription was disabled
    state: str = "pending"
    reason: str | None = None
    ended_at: float | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.event, self.subscription)

    @property
    def waiting(self) -> bool:
        """Pending with nothing in flight: its next attempt is due at `next_start`."""
        return self.state == "pending" and self.current is None

    def end(self, state: str, reason: str | None, at: float) -> None:
        self.state, self.reason, self.ended_at = state, reason, at
        self.next_scheduled = self.next_start = None

    def starts(self) -> list[float]:
        started = [a.start for a in self.attempts]
        if self.current is not None:
            started.append(self.current.start)
        return started
