"""Simulation control (`/_sim/...`): not part of the Atomic API, documented as such.

Publish analytics events, read and move the platform's clock, read the delivery log. The
same bearer tokens apply (role `workbench`); the environment comes from the body or query,
and for the clock (shared by every environment) defaults to the token's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ._api_errors import json_response
from ._clock import VirtualClock, format_time
from ._errors import Conflict

if TYPE_CHECKING:
    from ._api import Call

__all__ = ["HANDLERS"]


def _environment(call: Call, given: Any) -> str:
    assert call.token is not None
    environment_id = given if isinstance(given, str) else call.token.environment_id
    call.require(environment_id)
    return environment_id


def publish_events(call: Call) -> Response:
    body = call.body
    environment_id = _environment(call, body["environmentId"])
    with call.platform.lock:
        events = call.platform.publish(
            environment_id,
            body["type"],
            count=body.get("count", 1),
            overrides=body.get("overrides"),
        )
    return json_response({"data": {"eventIds": [event.id for event in events]}})


def _clock(call: Call) -> dict[str, Any]:
    clock = call.platform.clock
    return {"data": {"now": format_time(clock.now()), "virtual": bool(clock.is_virtual)}}


def get_clock(call: Call) -> Response:
    _environment(call, call.query.get("environmentId"))
    with call.platform.lock:
        return json_response(_clock(call))


def advance_clock(call: Call) -> Response:
    _environment(call, call.body.get("environmentId"))
    platform = call.platform
    with platform.lock:
        if not isinstance(platform.clock, VirtualClock):
            raise Conflict(
                "this platform follows the wall clock, which cannot be advanced; "
                "start it with a virtual clock (hooksim serve --clock virtual)"
            )
        platform.advance(float(call.body["seconds"]))
        return json_response(_clock(call))


def list_deliveries(call: Call) -> Response:
    environment_id = _environment(call, call.query["environmentId"])
    with call.platform.lock:
        records = call.platform.attempts(
            environment_id,
            subscription_id=call.query.get("subscription"),
            event_id=call.query.get("event"),
        )
        rows = [record.to_api() for record in records]
    return json_response({"data": rows})


HANDLERS = {
    "simPublishEvents": publish_events,
    "simGetClock": get_clock,
    "simAdvanceClock": advance_clock,
    "simListDeliveries": list_deliveries,
}
