"""Delivery credentials (`/v1/{env}/webhook-credentials`): create, list, show, delete.

What the platform presents to protected receivers (OAuth client credentials, Basic, an API
key, AWS SigV4; see `_credentials.py`). Answers never hold a secret: `to_api` leaves them out,
and the contract's response schema allows no property that could hold one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from werkzeug.wrappers import Response

from ._api_errors import json_response

if TYPE_CHECKING:
    from ._api import Call

__all__ = ["HANDLERS"]


def create_credential(call: Call) -> Response:
    environment_id = call.path["environmentId"]
    with call.platform.lock:
        data = call.platform.create_credential(environment_id, call.body).to_api()
    location = (
        f"/v1/{quote(environment_id, safe='')}/webhook-credentials/{quote(data['id'], safe='')}"
    )
    return json_response({"data": data}, 201, {"Location": location})


def list_credentials(call: Call) -> Response:
    with call.platform.lock:
        data = [c.to_api() for c in call.platform.credentials(call.path["environmentId"])]
    return json_response({"data": data})


def get_credential(call: Call) -> Response:
    with call.platform.lock:
        credential = call.platform.credential(call.path["environmentId"], call.path["credentialId"])
        data = credential.to_api()
    return json_response({"data": data})


def delete_credential(call: Call) -> Response:
    with call.platform.lock:
        call.platform.delete_credential(call.path["environmentId"], call.path["credentialId"])
    response = Response(status=204)
    del response.headers["Content-Type"]  # no body, so no media type
    return response


HANDLERS = {
    "createWebhookCredential": create_credential,
    "listWebhookCredentials": list_credentials,
    "getWebhookCredential": get_credential,
    "deleteWebhookCredential": delete_credential,
}
