"""The reference webhook platform: clock, store, engine, transports and management API."""

from ._api import make_app
from ._auth import ROLES, TOKEN_LIFETIME, ApiClient, Authority, Token
from ._clock import DEFAULT_START, Clock, VirtualClock, WallClock, format_time, parse_time
from ._credentials import CREDENTIAL_TYPES, DeliveryCredential
from ._errors import Conflict, Forbidden, HooksimError, InvalidInput, NotFound, Unauthorized
from ._events import EVENT_TYPES, PLATFORM_EVENTS, SDK_EVENTS, make_event_data
from ._ids import IdSource
from ._models import (
    AttemptRecord,
    BatchPolicy,
    Delivery,
    DeliveryState,
    Environment,
    Event,
    Outcome,
    Subscription,
)
from ._platform import USER_AGENT, Platform
from ._receivers import Behaviour, ReceivedRequest, RecordingReceiver
from ._retry import default_schedule, next_retry_at
from ._settings import Settings
from ._signals import (
    AttemptFinished,
    ClockAdvanced,
    DeliveryEnded,
    EventPublished,
    Signal,
    SubscriptionChanged,
)
from ._store import MemoryStore
from ._transport import (
    LATENCY_KEY,
    InProcessTransport,
    OutgoingRequest,
    SimulatedConnectionError,
    Transport,
    TransportResult,
)

__all__ = [
    "CREDENTIAL_TYPES",
    "DEFAULT_START",
    "EVENT_TYPES",
    "LATENCY_KEY",
    "PLATFORM_EVENTS",
    "ROLES",
    "SDK_EVENTS",
    "TOKEN_LIFETIME",
    "USER_AGENT",
    "ApiClient",
    "AttemptFinished",
    "AttemptRecord",
    "Authority",
    "BatchPolicy",
    "Behaviour",
    "Clock",
    "ClockAdvanced",
    "Conflict",
    "Delivery",
    "DeliveryCredential",
    "DeliveryEnded",
    "DeliveryState",
    "Environment",
    "Event",
    "EventPublished",
    "Forbidden",
    "HooksimError",
    "IdSource",
    "InProcessTransport",
    "InvalidInput",
    "MemoryStore",
    "NotFound",
    "OutgoingRequest",
    "Outcome",
    "Platform",
    "ReceivedRequest",
    "RecordingReceiver",
    "Settings",
    "Signal",
    "SimulatedConnectionError",
    "Subscription",
    "SubscriptionChanged",
    "Token",
    "Transport",
    "TransportResult",
    "Unauthorized",
    "VirtualClock",
    "WallClock",
    "default_schedule",
    "format_time",
    "make_app",
    "make_event_data",
    "next_retry_at",
    "parse_time",
]
