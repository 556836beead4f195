"""The management API: a werkzeug WSGI app in front of one `Platform`.

`make_app(platform)` answers the Atomic Webhooks API (and hooksim's Workbench, analytics,
auth and simulation operations) exactly as `contracts/openapi.yaml` declares them. Every
request goes the same way: route (404/405), User-Agent (400), authentication (401),
environment and role (404/403), query and body against the contract's schemas (400/413/415),
then one small handler that calls the platform under its lock.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from ._analytics import FileSigner
from ._api_analytics import HANDLERS as ANALYTICS_HANDLERS
from ._api_auth import HANDLERS as AUTH_HANDLERS
from ._api_auth import bearer_token
from ._api_contract import Contract, Operation, parse_json_body
from ._api_credentials import HANDLERS as DELIVERY_CREDENTIAL_HANDLERS
from ._api_errors import (
    PayloadTooLarge,
    UnsupportedMediaType,
    error_response,
    json_response,
    oauth_error_response,
)
from ._api_sim import HANDLERS as SIM_HANDLERS
from ._api_webhooks import HANDLERS as WEBHOOK_HANDLERS
from ._auth import Authority, Token
from ._control import ControlHooks
from ._errors import HooksimError, InvalidInput
from ._platform import Platform

__all__ = ["MAX_BODY_BYTES", "ApiApp", "Call", "make_app"]

#: Request bodies larger than this are refused with a 413.
MAX_BODY_BYTES = 1024 * 1024

Handler = Callable[["Call"], Response]


class _ApiRequest(Request):
    # One byte more than a body may have: werkzeug stops reading a chunked body at this
    # limit without saying whether more followed, so a body that reaches it is too large
    # (`read_body`). A Content-Length over it is refused before anything is read.
    max_content_length = MAX_BODY_BYTES + 1


@dataclass(slots=True)
class Call:
    """One request on its way to a handler: what was asked, by whom, already validated."""

    app: ApiApp
    request: Request
    operation: Operation
    path: dict[str, str]
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    token: Token | None = None

    @property
    def platform(self) -> Platform:
        return self.app.platform

    def require(self, environment_id: str) -> None:
        """404 unless the token belongs to this environment, 403 unless it has the role."""
        assert self.token is not None and self.operation.role is not None
        Authority.require(self.token, environment_id, self.operation.role)

    def read_body(self) -> bytes:
        return read_body(self.request)


@functools.cache
def _default_contract() -> Contract:
    return Contract()


class ApiApp:
    """The WSGI app. Stateless apart from the platform and the analytics URL signer."""

    def __init__(
        self,
        platform: Platform,
        *,
        contract: Contract | None = None,
        signer: FileSigner | None = None,
        control: ControlHooks | None = None,
    ) -> None:
        #: Replaced by `POST /_sim/reset` on a served platform (see `ControlHooks.reset`).
        self.platform = platform
        self.control = control if control is not None else ControlHooks()
        self.contract = contract if contract is not None else _default_contract()
        self.signer = signer if signer is not None else FileSigner()
        self.handlers: dict[str, Handler] = {
            **WEBHOOK_HANDLERS,
            **DELIVERY_CREDENTIAL_HANDLERS,
            **ANALYTICS_HANDLERS,
            **AUTH_HANDLERS,
            **SIM_HANDLERS,
        }
        # The contract and the code must name the same operations, or the app refuses to start.
        declared, implemented = set(self.contract.operations), set(self.handlers)
        if declared != implemented:
            raise RuntimeError(
                "openapi.yaml and the API disagree: "
                f"not implemented {sorted(declared - implemented)}, "
                f"not declared {sorted(implemented - declared)}"
            )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = _ApiRequest(environ)
        try:
            response = self.dispatch(request)
        except HooksimError as error:
            response = error_response(error)
        except Exception:
            response = self._crash(environ)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        operation, path = self.contract.route(raw_path(request.environ), request.method)
        call = Call(self, request, operation, path)
        try:
            return self._run(call)
        except HooksimError as error:
            if operation.auth == "basic":
                return oauth_error_response(error)
            return error_response(error)

    def _run(self, call: Call) -> Response:
        operation, request = call.operation, call.request
        handler = self.handlers[operation.operation_id]
        if operation.auth == "none":
            return handler(call)
        if not request.headers.get("User-Agent", "").strip():
            raise InvalidInput("the User-Agent header is required on every request", "User-Agent")
        if operation.auth == "basic":
            # The token endpoint authenticates its client itself and speaks RFC 6749.
            return handler(call)
        # Not under the platform's lock: the clock must answer while an advance holds it.
        call.token = bearer_token(request, self.platform.auth)
        if "environmentId" in call.path:
            call.require(call.path["environmentId"])
        call.query = self.contract.query(operation, request.args)
        if operation.body_media_type is not None:
            call.body = self.contract.body(operation, self._json_body(request))
        return handler(call)

    @staticmethod
    def _json_body(request: Request) -> Any:
        mimetype = request.mimetype
        if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
            raise UnsupportedMediaType(
                f"send the request body as application/json, not {mimetype}", field="Content-Type"
            )
        return parse_json_body(read_body(request))

    def _crash(self, environ: dict[str, Any]) -> Response:
        # A bug, not a client mistake: say so, and leave the traceback (never the request's
        # headers or body, which may hold secrets) for whoever runs the server.
        stream = environ.get("wsgi.errors")
        if stream is not None:
            stream.write(traceback.format_exc())
        return json_response(
            {"error": {"code": "internal_error", "message": "hooksim failed on this request"}},
            500,
        )


def read_body(request: Request) -> bytes:
    """The request body, at most MAX_BODY_BYTES (413 beyond, with Content-Length or chunked);
    a chunked body that is malformed or ends early is a 400."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large(request.content_length)
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _too_large(None) from None
    except ClientDisconnected:
        # The server's dechunking failed (a bad chunk size or line end), or the client
        # stopped sending before the body ended.
        raise InvalidInput(
            "the request body could not be read: its chunked encoding is malformed, or it "
            "ended before it was complete",
            "body",
        ) from None
    if len(body) > MAX_BODY_BYTES:
        raise _too_large(None)
    return body


def _too_large(size: int | None) -> PayloadTooLarge:
    given = f" ({size} bytes)" if size is not None else ""
    return PayloadTooLarge(
        f"the request body is too large{given}; at most {MAX_BODY_BYTES} bytes (1 MiB)",
        field="body",
    )


def raw_path(environ: dict[str, Any]) -> str:
    """The request path as sent, still percent-encoded (so `%2F` inside an id stays there).

    Falls back to re-encoding PATH_INFO when the server gives no raw URI, or when the raw URI
    does not agree with SCRIPT_NAME + PATH_INFO (the app is mounted under a prefix).
    """
    script = environ.get("SCRIPT_NAME", "")
    path_info = environ.get("PATH_INFO", "") or "/"
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw and not script:
        raw = raw.split("?", 1)[0].split("#", 1)[0]
        if "://" in raw:  # absolute-form request target
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        if unquote_to_bytes(raw) == path_info.encode("latin-1", "replace"):
            return raw
    return quote(path_info.encode("latin-1", "replace"), safe="/:@!$&'()*+,;=-._~")


def make_app(platform: Platform, *, control: ControlHooks | None = None) -> ApiApp:
    """The management API for `platform`, as a WSGI app; `control` is what only a server can
    do for the control contract (reset, simulated latency)."""
    return ApiApp(platform, control=control)
