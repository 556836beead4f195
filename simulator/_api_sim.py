"""The control contract (`/_sim/...`, `contracts/control.yaml`): not part of the Atomic API.

What a platform's test build serves so that hooksim can drive it: capabilities, reset,
publishing events, reading and moving the clock, the delivery log and delivery states,
duplicate injection and fixed secrets. The same bearer tokens apply (role `workbench`); the
environment comes from the body or query and defaults to the token's.

Reading the clock takes no platform lock: a receiver asks it while an advance (which holds
the lock) waits for that receiver's answer.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from ._api_errors import json_response
from ._clock import VirtualClock, format_time, parse_time
from ._control import CONTRACT_NAME, ResetOrder
from ._durations import parse_duration
from ._errors import Conflict, InvalidInput
from ._settings import Settings

if TYPE_CHECKING:
    from ._api import Call

__all__ = ["HANDLERS"]

#: On until nothing is pending, at most this long (the same bound as one advance).
_IDLE_LIMIT = 366 * 86400.0


def _environment(call: Call, given: Any) -> str:
    assert call.token is not None
    environment_id = given if isinstance(given, str) else call.token.environment_id
    call.require(environment_id)
    return environment_id


def capabilities(call: Call) -> Response:
    _environment(call, None)
    control = call.app.control
    return json_response(
        {
            "data": {
                "contract": CONTRACT_NAME,
                "implementation": {"name": control.name, "version": control.version},
                "operations": sorted(call.app.handlers),
                "features": sorted(control.features()),
                "settings": [f.name for f in fields(Settings)],
            }
        }
    )


def reset(call: Call) -> Response:
    body = call.body
    environment_id = _environment(call, body.get("environmentId"))
    control = call.app.control
    if control.reset is None:
        raise Conflict(f"this platform cannot be reset: {control.why_no_reset}")
    start = None
    if "start" in body:
        try:
            start = parse_time(body["start"])
        except ValueError:
            raise InvalidInput(
                f"start must be an ISO-8601 instant, not {body['start']!r}", "start"
            ) from None
    assert call.token is not None
    order = ResetOrder(
        environment_id=environment_id,
        caller_client_id=call.token.client_id,
        seed=body.get("seed"),
        settings=_settings(body.get("settings", {})),
        start=start,
    )
    platform, clients = control.reset(order)
    call.app.platform = platform
    return json_response(
        {
            "data": {
                "environmentId": environment_id,
                "now": format_time(platform.clock.now()),
                "clients": {
                    role: {"clientId": client.client_id, "clientSecret": client.secret}
                    for role, client in clients.items()
                },
            }
        }
    )


def _settings(raw: dict[str, Any]) -> Settings:
    known = {f.name for f in fields(Settings)}
    for name in raw:
        if name not in known:
            raise InvalidInput(
                f"unknown setting {name!r}; known settings: {', '.join(sorted(known))}",
                f"settings.{name}",
            )
    values = dict(raw)
    if isinstance(values.get("retry_after_statuses"), list):
        values["retry_after_statuses"] = tuple(values["retry_after_statuses"])
    try:
        return Settings(**values)
    except InvalidInput as exc:
        where = f"settings.{exc.field}" if exc.field else "settings"
        raise InvalidInput(exc.message, where) from None
    except TypeError as exc:  # a value of a type the dataclass cannot even hold
        raise InvalidInput(f"invalid settings: {exc}", "settings") from None


def publish_events(call: Call) -> Response:
    body = call.body
    environment_id = _environment(call, body.get("environmentId"))
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
    now = clock.now()
    return {"data": {"now": format_time(now), "virtual": bool(clock.is_virtual), "seconds": now}}


def get_clock(call: Call) -> Response:
    _environment(call, call.query.get("environmentId"))
    return json_response(_clock(call))


def advance_clock(call: Call) -> Response:
    body = call.body
    _environment(call, body.get("environmentId"))
    given = [key for key in ("seconds", "duration", "idle") if key in body]
    if len(given) != 1:
        raise InvalidInput(
            "give one of seconds (a number), duration (such as '1h30m') or idle: true"
            + (f", not {' and '.join(given)}" if given else ""),
            given[1] if len(given) > 1 else "seconds",
        )
    platform = call.platform
    with platform.lock:
        if not isinstance(platform.clock, VirtualClock):
            raise Conflict(
                "this platform follows the wall clock, which cannot be advanced; "
                "start it with a virtual clock (hooksim serve --clock virtual)"
            )
        if "idle" in body:
            if body["idle"] is not True:
                raise InvalidInput("idle must be true (or leave it out)", "idle")
            platform.run_pending(_IDLE_LIMIT)
        else:
            platform.advance(_seconds(body))
        return json_response(_clock(call))


def _seconds(body: dict[str, Any]) -> float:
    if "seconds" in body:
        return float(body["seconds"])
    try:
        seconds = parse_duration(body["duration"])
    except ValueError as exc:
        raise InvalidInput(str(exc), "duration") from None
    if seconds > _IDLE_LIMIT:
        raise InvalidInput(
            f"duration must be at most 366 days, not {body['duration']!r}", "duration"
        )
    return seconds


def list_deliveries(call: Call) -> Response:
    environment_id = _environment(call, call.query.get("environmentId"))
    with call.platform.lock:
        records = call.platform.attempts(
            environment_id,
            subscription_id=call.query.get("subscription"),
            event_id=call.query.get("event"),
        )
        rows = [record.to_api(headers=True) for record in records]
    return json_response({"data": rows})


def list_delivery_states(call: Call) -> Response:
    environment_id = _environment(call, call.query.get("environmentId"))
    wanted = call.query.get("subscription")
    with call.platform.lock:
        rows = [
            {
                "eventId": delivery.event_id,
                "subscriptionId": delivery.subscription_id,
                "state": str(delivery.state),
                "reason": delivery.reason,
                "attempts": delivery.attempts,
                "endedAt": (
                    format_time(delivery.ended_at) if delivery.ended_at is not None else None
                ),
            }
            for delivery in call.platform.deliveries(environment_id)
            if wanted is None or delivery.subscription_id == wanted
        ]
    return json_response({"data": rows})


def inject_duplicate(call: Call) -> Response:
    body = call.body
    environment_id = _environment(call, body.get("environmentId"))
    with call.platform.lock:
        records = call.platform.inject_duplicate(
            environment_id, body["eventId"], body.get("subscriptionId")
        )
        rows = [record.to_api(headers=True) for record in records]
    return json_response({"data": rows})


def set_secret(call: Call) -> Response:
    body = call.body
    environment_id = _environment(call, body.get("environmentId"))
    with call.platform.lock:
        subscription = call.platform.set_secret(
            environment_id, call.path["subscriptionId"], body["secret"]
        )
        return json_response({"data": subscription.to_api()})


HANDLERS = {
    "simCapabilities": capabilities,
    "simReset": reset,
    "simPublishEvents": publish_events,
    "simGetClock": get_clock,
    "simAdvanceClock": advance_clock,
    "simListDeliveries": list_deliveries,
    "simListDeliveryStates": list_delivery_states,
    "simInjectDuplicate": inject_duplicate,
    "simSetSecret": set_secret,
}
