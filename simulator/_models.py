"""The platform's records: environments, subscriptions, events, deliveries, batches, attempts,
delivery credentials and API clients.

Plain data: what a store keeps and the API shows. Nothing here sends, signs, fetches a token
or reads a clock; the engine and the stores are typed on these records alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ._clock import format_time
from ._settings import Settings

__all__ = [
    "CREDENTIAL_FIELDS",
    "CREDENTIAL_TYPES",
    "ApiClient",
    "AttemptRecord",
    "Batch",
    "BatchPolicy",
    "Delivery",
    "DeliveryCredential",
    "DeliveryState",
    "Environment",
    "Event",
    "Outcome",
    "Subscription",
]


class Outcome(StrEnum):
    """How one attempt ended. Only SUCCESS counts as delivered."""

    SUCCESS = "success"
    HTTP_ERROR = "http-error"  # the receiver answered a status outside 2xx/3xx
    REDIRECT = "redirect"  # a 3xx: never followed, a failure
    TIMEOUT = "timeout"  # no answer within the platform timeout
    REFUSED = "refused"  # the connection was refused, or the host is not allowed
    RESET = "reset"  # the connection was dropped before an answer
    ERROR = "error"  # anything else that kept the request from being sent


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"


@dataclass(slots=True)
class Environment:
    id: str
    settings: Settings
    created: float


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """Group a subscription's events into one request: sent when `max_events` are waiting,
    or `max_wait` seconds after the first of them arrived."""

    max_events: int
    max_wait: float

    def to_api(self) -> dict[str, Any]:
        return {"maxEvents": self.max_events, "maxWaitSeconds": self.max_wait}


@dataclass(slots=True)
class Subscription:
    id: str
    environment_id: str
    types: list[str]
    url: str
    secret: str
    created: float
    updated: float
    headers: dict[str, str] = field(default_factory=dict)
    card_template_id: str | None = None
    action_flow_config_id: str | None = None
    name: str | None = None
    method: str = "POST"
    max_retries: int | None = None
    disable_after_failures: bool = True
    status: str = "active"
    disabled_reason: str | None = None
    disabled_at: float | None = None
    consecutive_failures: int = 0
    #: When its current streak of failed messages began, for a profile that disables by
    #: time (Svix); None while it is not failing, and always under the Atomic rules.
    failing_since: float | None = None
    #: A delivery credential of the environment (see `_credentials.py`), or None.
    credential_id: str | None = None
    #: A Jinja2 template that reshapes the payload (see `_mapping.py`), or None.
    mapping: str | None = None
    batch: BatchPolicy | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    def matches(self, data: dict[str, Any]) -> bool:
        """Whether an event's `data` is one this subscription asked for."""
        if data.get("analyticsEvent") not in self.types:
            return False
        if self.card_template_id is not None:
            card = data.get("cardContext") or {}
            if str(card.get("cardTemplateId")) != self.card_template_id:
                return False
        if self.action_flow_config_id is not None:
            platform = data.get("platformContext") or {}
            if str(platform.get("flowConfigId")) != self.action_flow_config_id:
                return False
        return True

    def to_api(self) -> dict[str, Any]:
        """The subscription as the API shows it (the seed shows `secret` here)."""
        return {
            "id": self.id,
            "name": self.name,
            "types": list(self.types),
            "url": self.url,
            "headers": dict(self.headers),
            "cardTemplateId": self.card_template_id,
            "actionFlowConfigId": self.action_flow_config_id,
            "method": self.method,
            "maxRetries": self.max_retries,
            "disableAfterFailures": self.disable_after_failures,
            "status": self.status,
            "disabledReason": self.disabled_reason,
            "consecutiveFailures": self.consecutive_failures,
            "secret": self.secret,
            "created": format_time(self.created),
            "updated": format_time(self.updated),
            # Shown only when set, so that plain subscriptions look as they always did.
            **({"credentialId": self.credential_id} if self.credential_id is not None else {}),
            **({"mapping": self.mapping} if self.mapping is not None else {}),
            **({"batch": self.batch.to_api()} if self.batch is not None else {}),
        }


@dataclass(slots=True)
class Event:
    """One analytics event, as it happened in an environment."""

    id: str
    environment_id: str
    type: str
    data: dict[str, Any]
    published_at: float
    #: `data` encoded once: every attempt and copy sends these same bytes.
    data_json: bytes | None = None


@dataclass(slots=True)
class Delivery:
    """One event on its way to one subscription: pending until delivered or given up."""

    event_id: str
    subscription_id: str
    environment_id: str
    first_attempt_at: float
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    next_attempt_at: float | None = None
    ended_at: float | None = None
    reason: str | None = None  # why it is undelivered

    @property
    def key(self) -> tuple[str, str]:
        return (self.event_id, self.subscription_id)


@dataclass(slots=True, eq=False)
class Batch:
    """Events of a batched subscription sent as one request (`_batching.py` collects them):
    attempted, retried and ended as one unit. Each event keeps its own `Delivery` among
    `members`; the batch's `attempts`, `first_attempt_at` and `next_attempt_at` are theirs."""

    number: int
    environment_id: str
    subscription_id: str
    policy: BatchPolicy
    members: list[Delivery] = field(default_factory=list)
    first_attempt_at: float | None = None
    next_attempt_at: float | None = None
    attempts: int = 0
    #: Still the subscription's open batch (events may join it).
    collecting: bool = True

    @property
    def key(self) -> tuple[str, str]:
        return (f"batch:{self.number}", self.subscription_id)

    def pending(self) -> list[Delivery]:
        return [m for m in self.members if m.state is DeliveryState.PENDING]


@dataclass(slots=True)
class AttemptRecord:
    """One row of the delivery log: one real request (or one refused before it was sent)."""

    environment_id: str
    event_id: str
    subscription_id: str
    attempt: int  # 1 for the first attempt, 2 for retry 1, ...; 0 for a test delivery
    kind: str  # "delivery", "duplicate" or "test"
    scheduled_at: float
    started_at: float
    finished_at: float
    outcome: Outcome
    status_code: int | None
    duration: float
    request_id: str
    method: str
    url: str
    headers: dict[str, str]
    error: str | None = None
    body: bytes = b""
    #: Every event a batched request carried (`event_id` is the first); empty when unbatched.
    event_ids: tuple[str, ...] = ()

    @property
    def succeeded(self) -> bool:
        return self.outcome is Outcome.SUCCESS

    def to_api(self, *, headers: bool = False) -> dict[str, Any]:
        """The log row as the API shows it; with `headers`, the request's headers as the log
        keeps them (credentials already redacted, LOG-REDACT), for the control contract."""
        return {
            "eventId": self.event_id,
            "subscriptionId": self.subscription_id,
            "attempt": self.attempt,
            "kind": self.kind,
            "time": format_time(self.started_at),
            "finishedAt": format_time(self.finished_at),
            "outcome": str(self.outcome),
            "statusCode": self.status_code,
            "durationMs": round(self.duration * 1000, 3),
            "requestId": self.request_id,
            "error": self.error,
            **({"eventIds": list(self.event_ids)} if self.event_ids else {}),
            **({"headers": dict(self.headers)} if headers else {}),
        }


# name -> (required, secret, kind of value): what each credential type holds. Validation
# (`_credentials.check_credential_fields`) reads the kinds; `to_api` hides the secrets.
CredentialField = tuple[bool, bool, str]
CREDENTIAL_FIELDS: dict[str, dict[str, CredentialField]] = {
    "oauth2-client-credentials": {
        "tokenUrl": (True, False, "url"),
        "clientId": (True, False, "text"),
        "clientSecret": (True, True, "text"),
        "scope": (False, False, "text"),
        "tokenRequest": (False, False, "body|query"),
    },
    "basic": {"username": (True, False, "username"), "password": (True, True, "text")},
    "api-key": {"headerName": (True, False, "header"), "value": (True, True, "text")},
    "aws-sigv4": {
        "accessKeyId": (True, False, "text"),
        "secretAccessKey": (True, True, "text"),
        "sessionToken": (False, True, "text"),
        "region": (True, False, "aws-name"),
        "service": (True, False, "aws-name"),
        "signing": (False, False, "headers|query"),
    },
}
CREDENTIAL_TYPES = tuple(CREDENTIAL_FIELDS)


@dataclass(slots=True, eq=False)
class DeliveryCredential:
    """One stored delivery credential (`_credentials.py` applies it to requests). `fields`
    holds everything, secrets included; `to_api` never shows a secret."""

    id: str
    environment_id: str
    type: str
    created: float
    fields: dict[str, str]
    name: str | None = None

    def to_api(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type}
        for name, (_, secret, _) in CREDENTIAL_FIELDS[self.type].items():
            if not secret:
                shown[name] = self.fields.get(name)
            elif name == "sessionToken":
                shown["hasSessionToken"] = name in self.fields
        shown["created"] = format_time(self.created)
        return shown


@dataclass(slots=True)
class ApiClient:
    """A client of the management API (OAuth2 client credentials) in one environment."""

    client_id: str
    secret: str
    role: str
    environment_id: str
