"""The reference webhook platform: clock, store, engine, transports and management API.

The served platform's adapters (`ServedPlatform`, `HttpTransport`, the wall-clock `Driver`...)
are imported on first use: a simulation never pays for urllib3 and the server.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._api import make_app
from ._auth import ROLES, TOKEN_LIFETIME, Authority, Token
from ._clock import DEFAULT_START, Clock, VirtualClock, WallClock, format_time, parse_time
from ._control import CONTRACT_NAME, SIMULATED_LATENCY_HEADER, ControlHooks, ResetOrder
from ._durations import format_duration, format_offset, parse_duration
from ._errors import (
    Conflict,
    Forbidden,
    HooksimError,
    InvalidInput,
    NotFound,
    Unauthorized,
    did_you_mean,
)
from ._events import EVENT_TYPES, PLATFORM_EVENTS, SDK_EVENTS, make_event_data
from ._exchange import OutgoingRequest, Transport, TransportResult
from ._harness import PlatformHarness, StatusRecord
from ._ids import IdSource
from ._models import (
    CREDENTIAL_TYPES,
    ApiClient,
    AttemptRecord,
    BatchPolicy,
    Delivery,
    DeliveryCredential,
    DeliveryState,
    Environment,
    Event,
    Outcome,
    Subscription,
)
from ._platform import Platform
from ._profile import ATOMIC_PROFILE, NotSimulated, Profile
from ._profile_rules import ABORTED, profile_schedule
from ._receivers import (
    Behaviour,
    ReceivedRequest,
    RecordingReceiver,
    RequestReading,
    identify_body,
    request_headers,
)
from ._reset import fresh_platform
from ._rules import classify_status, default_schedule, next_retry_at
from ._settings import Settings
from ._signals import (
    AttemptFinished,
    ClockAdvanced,
    DeliveryEnded,
    EventPublished,
    Signal,
    SubscriptionChanged,
)
from ._spill_store import SpillingStore
from ._sqlite_store import SqliteStore
from ._storage import Store, StoreError
from ._store import MemoryStore
from ._transport import LATENCY_KEY, InProcessTransport, SimulatedConnectionError
from ._writer import USER_AGENT

if TYPE_CHECKING:
    from ._driver import DEFAULT_PER_ENDPOINT, DEFAULT_WORKERS, MAX_WORKERS, DeliveryPool, Driver
    from ._hosts import HostPolicy, HostRefused
    from ._http_server import DEFAULT_MAX_CONNECTIONS, DEFAULT_READ_TIMEOUT
    from ._http_transport import HttpTransport
    from ._serve import ServedPlatform, ServeError, ServeOptions

#: Public names loaded on first use, and the private module that defines each.
_ADAPTERS = {
    "DEFAULT_MAX_CONNECTIONS": "._http_server",
    "DEFAULT_PER_ENDPOINT": "._driver",
    "DEFAULT_WORKERS": "._driver",
    "DEFAULT_READ_TIMEOUT": "._http_server",
    "MAX_WORKERS": "._driver",
    "DeliveryPool": "._driver",
    "Driver": "._driver",
    "HostPolicy": "._hosts",
    "HostRefused": "._hosts",
    "HttpTransport": "._http_transport",
    "ServeError": "._serve",
    "ServeOptions": "._serve",
    "ServedPlatform": "._serve",
}


def __getattr__(name: str) -> Any:
    module = _ADAPTERS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ADAPTERS))


__all__ = [
    "CONTRACT_NAME",
    "ABORTED",
    "ATOMIC_PROFILE",
    "CREDENTIAL_TYPES",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_PER_ENDPOINT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_START",
    "DEFAULT_WORKERS",
    "EVENT_TYPES",
    "LATENCY_KEY",
    "MAX_WORKERS",
    "PLATFORM_EVENTS",
    "ROLES",
    "SDK_EVENTS",
    "SIMULATED_LATENCY_HEADER",
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
    "ControlHooks",
    "Delivery",
    "DeliveryCredential",
    "DeliveryEnded",
    "DeliveryPool",
    "DeliveryState",
    "Driver",
    "Environment",
    "Event",
    "EventPublished",
    "Forbidden",
    "HooksimError",
    "HostPolicy",
    "HostRefused",
    "HttpTransport",
    "IdSource",
    "InProcessTransport",
    "InvalidInput",
    "MemoryStore",
    "NotFound",
    "NotSimulated",
    "Outcome",
    "OutgoingRequest",
    "Platform",
    "PlatformHarness",
    "Profile",
    "ReceivedRequest",
    "RecordingReceiver",
    "RequestReading",
    "ResetOrder",
    "ServeError",
    "ServeOptions",
    "ServedPlatform",
    "Settings",
    "Signal",
    "SimulatedConnectionError",
    "SpillingStore",
    "SqliteStore",
    "StatusRecord",
    "Store",
    "StoreError",
    "Subscription",
    "SubscriptionChanged",
    "Token",
    "Transport",
    "TransportResult",
    "Unauthorized",
    "VirtualClock",
    "WallClock",
    "classify_status",
    "default_schedule",
    "did_you_mean",
    "format_duration",
    "format_offset",
    "format_time",
    "fresh_platform",
    "identify_body",
    "make_app",
    "make_event_data",
    "next_retry_at",
    "parse_duration",
    "parse_time",
    "profile_schedule",
    "request_headers",
]
