"""The Webhooks API of the seed (subscribe, list, test, disable) and the Workbench operations.

By the time a handler runs, the token, environment and role are checked and the body
matches the contract; the platform still applies its own rules (known event names,
reserved headers, the 100-subscription cap) and answers with errors that say what to fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from werkzeug.wrappers import Response

from ._api_errors import json_response

if TYPE_CHECKING:
    from ._api import Call

__all__ = ["HANDLERS"]


def _ids(call: Call) -> tuple[str, str]:
    return call.path["environmentId"], call.path["id"]


def create_webhook(call: Call) -> Response:
    environment_id = call.path["environmentId"]
    with call.platform.lock:
        subscription = call.platform.subscribe(environment_id, call.body)
        data = subscription.to_api()
    location = f"/v1/{quote(environment_id, safe='')}/webhook/{quote(subscription.id, safe='')}"
    return json_response({"data": data}, 201, {"Location": location})


def list_webhooks(call: Call) -> Response:
    with call.platform.lock:
        data = [s.to_api() for s in call.platform.subscriptions(call.path["environmentId"])]
    return json_response({"data": data})


def get_webhook(call: Call) -> Response:
    with call.platform.lock:
        data = call.platform.subscription(*_ids(call)).to_api()
    return json_response({"data": data})


def update_webhook(call: Call) -> Response:
    environment_id, subscription_id = _ids(call)
    with call.platform.lock:
        subscription = call.platform.update_subscription(environment_id, subscription_id, call.body)
        data = subscription.to_api()
    return json_response({"data": data})


def send_test(call: Call) -> Response:
    # Not under the platform lock: under the wall clock the platform sends the test request
    # without it, so a slow receiver holds up neither deliveries nor other API calls.
    record = call.platform.test_subscription(*_ids(call))
    return json_response({"data": {"success": record.succeeded, **record.to_api()}})


def enable_webhook(call: Call) -> Response:
    with call.platform.lock:
        data = call.platform.enable_subscription(*_ids(call)).to_api()
    return json_response({"data": data})


def delete_webhook(call: Call) -> Response:
    # The seed's DELETE disables; deleting for good is the Workbench's (permanent=true).
    platform = call.platform
    with platform.lock:
        if call.query.get("permanent", False):
            subscription = platform.delete_subscription(*_ids(call))
        else:
            subscription = platform.disable_subscription(*_ids(call))
        data = subscription.to_api()
    return json_response({"data": data})


HANDLERS = {
    "createWebhook": create_webhook,
    "listWebhooks": list_webhooks,
    "getWebhook": get_webhook,
    "updateWebhook": update_webhook,
    "testWebhook": send_test,
    "enableWebhook": enable_webhook,
    "deleteWebhook": delete_webhook,
}
