"""Headers a subscription may not set (DELIVERY-HEADERS): the one list the platform's
validation, its delivery credentials, the receiver kit and the property-test strategies use.
"""

from __future__ import annotations

from ._signing import DEFAULT_SIGNATURE_HEADER

__all__ = ["RESERVED_HEADERS", "SENDER_HEADERS", "reserved_headers"]

#: Headers every request's sender writes itself (HTTP framing, the body's type, its own
#: name): nothing a user configures may replace them.
SENDER_HEADERS = frozenset(
    {"content-type", "content-length", "host", "transfer-encoding", "connection", "user-agent"}
)

#: ...and `Authorization`, which belongs to delivery credentials: a subscription's custom
#: headers may set none of these (lowercase names).
RESERVED_HEADERS = SENDER_HEADERS | {"authorization"}


def reserved_headers(signature_header: str = DEFAULT_SIGNATURE_HEADER) -> frozenset[str]:
    """Every header a subscription may not set, the signature header included."""
    return RESERVED_HEADERS | {signature_header.lower()}
