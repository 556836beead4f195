"""How the management API answers errors: always JSON, always saying what was wrong.

The engine's `HooksimError`s already carry a status, a code and a message for a person; the
API adds the few errors only HTTP has (405, 413, 415) and renders them all one way:
`{"error": {"code", "message", "field"?}}`. The token endpoint speaks RFC 6749 instead.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

from ._errors import HooksimError, InvalidInput

__all__ = [
    "ApiError",
    "MethodNotAllowed",
    "OAuthError",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "error_body",
    "error_response",
    "json_response",
    "oauth_error_response",
]

#: Longest message an error answer quotes, so that a 1 MiB bad value is not echoed back.
_MAX_MESSAGE = 600


class ApiError(HooksimError):
    """An error that only exists at the HTTP edge; may carry extra response headers."""

    def __init__(
        self, message: str, *, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.headers = headers or {}


class MethodNotAllowed(ApiError):
    code = "method_not_allowed"
    status = 405


class PayloadTooLarge(ApiError):
    code = "payload_too_large"
    status = 413


class UnsupportedMediaType(ApiError):
    code = "unsupported_media_type"
    status = 415


class OAuthError(HooksimError):
    """An RFC 6749 error of the token endpoint (`invalid_client`, `unsupported_grant_type`...)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = error
        self.status = status


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    # ensure_ascii keeps any odd string (even a lone surrogate) encodable.
    body = json.dumps(payload, separators=(",", ":"))
    response = Response(body, status=status, mimetype="application/json")
    # Answers carry secrets and tokens: no cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def error_body(error: HooksimError) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": error.code, "message": _clip(error.message)}
    field = getattr(error, "field", None) if isinstance(error, InvalidInput | ApiError) else None
    if field:
        detail["field"] = field
    return {"error": detail}


def error_response(error: HooksimError) -> Response:
    headers = dict(error.headers) if isinstance(error, ApiError) else {}
    if error.status == 401:
        # RFC 6750 section 3: a 401 names the scheme the client must use.
        headers.setdefault("WWW-Authenticate", 'Bearer realm="hooksim"')
    return json_response(error_body(error), error.status, headers)


def oauth_error_response(error: HooksimError) -> Response:
    """RFC 6749 section 5.2: `{"error": code, "error_description": text}`."""
    code = error.code if isinstance(error, OAuthError) else "invalid_request"
    status = error.status
    headers: dict[str, str] = {"Pragma": "no-cache"}
    if status == 401:
        # RFC 6749: a 401 for client authentication names the scheme the client must use.
        headers["WWW-Authenticate"] = 'Basic realm="hooksim"'
    body = {"error": code, "error_description": _clip(error.message)}
    return json_response(body, status, headers)
