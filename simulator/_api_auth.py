"""OAuth2 client credentials (`POST /oauth2/token`), bearer tokens, and the credentials API.

The token endpoint follows RFC 6749 section 4.4: the client authenticates with HTTP Basic,
`grant_type=client_credentials` comes in a form body or the query, and both answers and
errors are plain RFC 6749 JSON. Everything else uses the API's own error shape.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from werkzeug.wrappers import Request, Response

from ._api_errors import OAuthError, json_response
from ._auth import TOKEN_LIFETIME, Authority, Token
from ._errors import InvalidInput, Unauthorized

if TYPE_CHECKING:
    from ._api import Call
    from ._platform import Platform

__all__ = ["HANDLERS", "bearer_token"]

_FORM = "application/x-www-form-urlencoded"


def bearer_token(request: Request, authority: Authority) -> Token:
    """The live token of an `Authorization: Bearer ...` header, or Unauthorized."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise Unauthorized(
            "a bearer token is required (Authorization: Bearer <token>); "
            "get one from POST /oauth2/token"
        )
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return authority.authenticate(value.strip())


def issue_token(call: Call) -> Response:
    request, platform = call.request, call.platform
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        raise OAuthError(
            "invalid_client",
            "authenticate the client with HTTP Basic (clientId:clientSecret)",
            401,
        )
    client_id, secret = credentials.username, credentials.password or ""
    with platform.lock:
        if not _known_client(platform, client_id, secret):
            raise OAuthError("invalid_client", "unknown client id or wrong secret", 401)

    form = _form(call)
    grants = [value for name, value in form if name == "grant_type"]
    grants += request.args.getlist("grant_type")
    if not grants:
        raise OAuthError("invalid_request", "grant_type is required (client_credentials)")
    if len(grants) > 1:
        raise OAuthError("invalid_request", "grant_type must be given exactly once")
    if grants[0] != "client_credentials":
        raise OAuthError(
            "unsupported_grant_type",
            f"grant_type {grants[0][:60]!r} is not supported; use client_credentials",
        )
    # The rest of the form (scope) against the contract; unknown parameters are ignored.
    try:
        call.app.contract.body(call.operation, dict(form))
        call.app.contract.query(call.operation, request.args.to_dict(flat=False))
    except InvalidInput as error:
        raise OAuthError("invalid_request", error.message) from None

    with platform.lock:
        token = platform.auth.issue_token(client_id, secret)
    payload = {"access_token": token.value, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME}
    return json_response(payload, 200, {"Pragma": "no-cache"})


def _known_client(platform: Platform, client_id: str, secret: str) -> bool:
    # Checked before anything else is read, so that a bad client is always a 401.
    for environment_id in list(platform.store.environments):
        for client in platform.auth.clients(environment_id):
            if client.client_id == client_id:
                return hmac.compare_digest(client.secret.encode(), secret.encode())
    return False


def _form(call: Call) -> list[tuple[str, str]]:
    raw = call.read_body()
    if not raw:
        return []
    mimetype = call.request.mimetype
    if mimetype and mimetype != _FORM:
        raise OAuthError("invalid_request", f"send the parameters as {_FORM}, not {mimetype}")
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", f"the body is not valid {_FORM}") from None


def create_credential(call: Call) -> Response:
    environment_id = call.path["environmentId"]
    platform = call.platform
    with platform.lock:
        platform.environment(environment_id)
        client = platform.auth.create_client(environment_id, call.body["role"])
    payload: dict[str, Any] = {
        "clientId": client.client_id,
        "clientSecret": client.secret,
        "role": client.role,
    }
    location = f"/v1/{_q(environment_id)}/credentials/{_q(client.client_id)}"
    return json_response({"data": payload}, 201, {"Location": location})


def delete_credential(call: Call) -> Response:
    platform = call.platform
    with platform.lock:
        platform.auth.delete_client(call.path["environmentId"], call.path["clientId"])
    response = Response(status=204)
    del response.headers["Content-Type"]  # no body, so no media type
    return response


def _q(text: str) -> str:
    return quote(text, safe="")


HANDLERS = {
    "issueToken": issue_token,
    "createCredential": create_credential,
    "deleteCredential": delete_credential,
}
