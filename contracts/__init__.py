"""The contract: OpenAPI for the management API, the payload schema, and the signing rule."""

from ._headers import RESERVED_HEADERS, SENDER_HEADERS, reserved_headers
from ._openapi import (
    control_text,
    load_control,
    load_openapi,
    openapi_json,
    openapi_text,
    served_openapi_text,
)
from ._signing import DEFAULT_SIGNATURE_HEADER, sign, verify

__all__ = ["DEFAULT_SIGNATURE_HEADER", "sign", "verify"]
__all__ += ["RESERVED_HEADERS", "SENDER_HEADERS", "reserved_headers"]
__all__ += ["control_text", "load_control", "load_openapi", "openapi_json", "openapi_text"]
__all__ += ["served_openapi_text"]
from ._clauses import CLAUSES, Clause, load_clauses  # noqa: E402

__all__ += ["CLAUSES", "Clause", "load_clauses"]
from ._payload import PAYLOAD_SCHEMA_FILE, payload_schema, validate_payload  # noqa: E402

__all__ += ["PAYLOAD_SCHEMA_FILE", "payload_schema", "validate_payload"]
from ._signing_vectors import (  # noqa: E402
    SIGNING_VECTORS_FILE,
    SIGNING_VECTORS_SCHEMA_FILE,
    SigningVector,
    SigningVectors,
    load_signing_vectors,
)

__all__ += [
    "SIGNING_VECTORS_FILE",
    "SIGNING_VECTORS_SCHEMA_FILE",
    "SigningVector",
    "SigningVectors",
    "load_signing_vectors",
]
from ._schemes import (  # noqa: E402
    DEFAULT_TOLERANCE,
    WHSEC_PREFIX,
    SignatureError,
    github_sign,
    github_verify,
    standard_webhooks_headers,
    standard_webhooks_key,
    standard_webhooks_sign,
    standard_webhooks_verify,
    stripe_sign,
    stripe_verify,
)

__all__ += [
    "DEFAULT_TOLERANCE",
    "WHSEC_PREFIX",
    "SignatureError",
    "github_sign",
    "github_verify",
    "standard_webhooks_headers",
    "standard_webhooks_key",
    "standard_webhooks_sign",
    "standard_webhooks_verify",
    "stripe_sign",
    "stripe_verify",
]
from ._standard_webhooks_vectors import (  # noqa: E402
    STANDARD_WEBHOOKS_VECTORS_FILE,
    STANDARD_WEBHOOKS_VECTORS_SCHEMA_FILE,
    StandardWebhooksVector,
    StandardWebhooksVectors,
    load_standard_webhooks_vectors,
)

__all__ += [
    "STANDARD_WEBHOOKS_VECTORS_FILE",
    "STANDARD_WEBHOOKS_VECTORS_SCHEMA_FILE",
    "StandardWebhooksVector",
    "StandardWebhooksVectors",
    "load_standard_webhooks_vectors",
]
