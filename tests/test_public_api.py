"""The public names of hooksim's parts are pinned here (as httpx pins its exports).

When this fails because a documented name was added on purpose, add it to the list.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import hooksim.contracts
import hooksim.simulator
import pytest

SIMULATOR = [
    "ABORTED",
    "ATOMIC_PROFILE",
    "ApiClient",
    "AttemptFinished",
    "AttemptRecord",
    "Authority",
    "BatchPolicy",
    "Behaviour",
    "CONTRACT_NAME",
    "CREDENTIAL_TYPES",
    "Clock",
    "ClockAdvanced",
    "Conflict",
    "ControlHooks",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_PER_ENDPOINT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_START",
    "DEFAULT_WORKERS",
    "Delivery",
    "DeliveryCredential",
    "DeliveryEnded",
    "DeliveryPool",
    "DeliveryState",
    "Driver",
    "EVENT_TYPES",
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
    "LATENCY_KEY",
    "MAX_WORKERS",
    "MemoryStore",
    "NotFound",
    "NotSimulated",
    "Outcome",
    "OutgoingRequest",
    "PLATFORM_EVENTS",
    "Platform",
    "PlatformHarness",
    "Profile",
    "ROLES",
    "ReceivedRequest",
    "RecordingReceiver",
    "RequestReading",
    "ResetOrder",
    "SDK_EVENTS",
    "SIMULATED_LATENCY_HEADER",
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
    "TOKEN_LIFETIME",
    "Token",
    "Transport",
    "TransportResult",
    "USER_AGENT",
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

CONTRACTS = [
    "CLAUSES",
    "Clause",
    "DEFAULT_SIGNATURE_HEADER",
    "DEFAULT_TOLERANCE",
    "PAYLOAD_SCHEMA_FILE",
    "RESERVED_HEADERS",
    "SENDER_HEADERS",
    "SIGNING_VECTORS_FILE",
    "SIGNING_VECTORS_SCHEMA_FILE",
    "STANDARD_WEBHOOKS_VECTORS_FILE",
    "STANDARD_WEBHOOKS_VECTORS_SCHEMA_FILE",
    "SignatureError",
    "SigningVector",
    "SigningVectors",
    "StandardWebhooksVector",
    "StandardWebhooksVectors",
    "WHSEC_PREFIX",
    "control_text",
    "github_sign",
    "github_verify",
    "load_clauses",
    "load_control",
    "load_openapi",
    "load_signing_vectors",
    "load_standard_webhooks_vectors",
    "openapi_json",
    "openapi_text",
    "payload_schema",
    "reserved_headers",
    "served_openapi_text",
    "sign",
    "standard_webhooks_headers",
    "standard_webhooks_key",
    "standard_webhooks_sign",
    "standard_webhooks_verify",
    "stripe_sign",
    "stripe_verify",
    "validate_payload",
    "verify",
]


@pytest.mark.parametrize(
    ("module", "expected"),
    [(hooksim.simulator, SIMULATOR), (hooksim.contracts, CONTRACTS)],
    ids=["simulator", "contracts"],
)
def test_exported_names_are_pinned(module: ModuleType, expected: list[str]) -> None:
    assert expected == sorted(expected), "keep the pinned list sorted"
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), "a name is exported twice"
    assert sorted(exported) == expected
    for name in exported:
        assert getattr(module, name, None) is not None, f"{name} is exported but not defined"
        assert not name.startswith("_")


def test_contracts_import_nothing_above_them() -> None:
    # ARCHITECTURE.md: contracts is the lowest layer (stdlib, jsonschema, pyyaml).
    folder = Path(hooksim.contracts.__file__).parent
    above = re.compile(r"^\s*(from|import)\s+hooksim\.(simulator|scenarios|reports)\b", re.M)
    offenders = [p.name for p in sorted(folder.glob("*.py")) if above.search(p.read_text())]
    assert offenders == []


def test_the_served_platform_is_imported_only_when_used() -> None:
    """`import hooksim.simulator` stays light for simulations: the HTTP adapters load on first
    use of their names (`hooksim.simulator.ServedPlatform`, `HttpTransport`, ...)."""
    code = (
        "import sys, hooksim.simulator as s; assert 'urllib3' not in sys.modules; "
        "s.HttpTransport; assert 'urllib3' in sys.modules; "
        "assert 'ServedPlatform' in dir(s)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


_PARTS = ("simulator", "scenarios", "reports", "contracts")


def test_parts_import_each_other_only_by_their_public_names() -> None:
    """ARCHITECTURE.md: each part's `__init__.py` is its API. Code in one part (or the front
    door, `hooksim/`) never imports another part's private modules (`hooksim.<part>._x`)."""
    root = Path(hooksim.contracts.__file__).parents[1]
    private = re.compile(r"^\s*(?:from|import)\s+hooksim\.(\w+)\._\w+", re.MULTILINE)
    offenders = []
    for folder in ("hooksim", *_PARTS):
        for path in sorted((root / folder).rglob("*.py")):
            for part in private.findall(path.read_text()):
                if part in _PARTS and part != folder:
                    offenders.append(f"{path.relative_to(root)} imports hooksim.{part}._*")
    assert offenders == []
