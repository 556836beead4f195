"""The contract: OpenAPI for the management API, the payload schema, and the signing rule."""

from ._openapi import control_text, load_control, load_openapi, openapi_text
from ._signing import DEFAULT_SIGNATURE_HEADER, sign, verify

__all__ = ["DEFAULT_SIGNATURE_HEADER", "sign", "verify"]
__all__ += ["control_text", "load_control", "load_openapi", "openapi_text"]
from ._clauses import CLAUSES, Clause, load_clauses  # noqa: E402

__all__ += ["CLAUSES", "Clause", "load_clauses"]
from ._payload import PAYLOAD_SCHEMA_FILE, payload_schema, validate_payload  # noqa: E402

__all__ += ["PAYLOAD_SCHEMA_FILE", "payload_schema", "validate_payload"]
