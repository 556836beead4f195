"""After each step: the platform's state against the model's, and the helpers that turn a
finding into scenario expectations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._rules import EPSILON
from ._state import DeliveryModel
from ._violations import Violation

if TYPE_CHECKING:
    from ._checker import ModelChecker

__all__ = [
    "attempts_expect",
    "compare_deliveries",
    "compare_subscriptions",
    "data_bytes",
    "header",
    "number",
    "states_expect",
]


def compare_deliveries(model: ModelChecker, platform: Any) -> None:
    """The platform's deliveries are the model's: the same ones, each in the same state."""
    found = {}
    for delivery in platform.deliveries(model.env):
        name = model.names.get(delivery.subscription_id, delivery.subscription_id)
        found[(delivery.event_id, name)] = delivery
    for key, expected in model.deliveries.items():
        real = found.pop(key, None)
        state = (expected.state, expected.reason, expected.ended_at)
        shown = (
            (str(real.state), real.reason, _maybe(real.ended_at, model.start))
            if real is not None
            else ("missing", None, None)
        )
        if shown[:2] != state[:2] or not _close(shown[2], state[2]):
            raise Violation(
                "nothing-lost",
                f"the delivery of {key[0]} to {key[1]} is {shown[0]} ({shown[1]}, ended at "
                f"{shown[2]}); the model has it {expected.state} ({expected.reason}, ended at "
                f"{expected.ended_at})",
                expect=states_expect(model.deliveries, key[1]),
            )
    if found:
        event, name = next(iter(found))
        raise Violation(
            "nothing-lost",
            f"the platform has a delivery of {event} to {name}, which was not active and "
            "matching when it was published",
            expect=[attempts_expect(event, name, count=0)],
        )


def compare_subscriptions(model: ModelChecker, listed: list[dict[str, Any]]) -> None:
    """The API lists each subscription with the status and failure count the model has."""
    shown = {model.names.get(item["id"], item["id"]): item for item in listed}
    for name, sub in model.subs.items():
        item = shown.pop(name, None)
        if sub.status == "deleted":
            if item is not None:
                raise Violation("api", f"{name} was deleted but is still listed")
            continue
        if item is None:
            raise Violation("api", f"{name} is not listed")
        if (item["status"], item["disabledReason"]) != (sub.status, sub.reason):
            raise Violation(
                "disable-at-threshold" if "auto" in (item["disabledReason"], sub.reason) else "api",
                f"{name} is listed {item['status']} ({item['disabledReason']}); the model has "
                f"it {sub.status} ({sub.reason})",
                expect=[
                    {"subscription": {"name": name, "status": sub.status, "reason": sub.reason}}
                ],
            )
        if item["consecutiveFailures"] != sub.failures:
            raise Violation(
                "disable-at-threshold",
                f"{name} shows {item['consecutiveFailures']} consecutive failures; the model "
                f"counted {sub.failures} (failed delivery attempts since the last success "
                "or enable; tests and duplicates do not count)",
                expect=[{"subscription": {"name": name, "consecutive_failures": sub.failures}}],
            )
    if shown:
        raise Violation("api", f"unknown subscriptions are listed: {sorted(shown)}")


def states_expect(deliveries: dict[Any, DeliveryModel], name: str) -> list[dict[str, Any]]:
    """Scenario expectations of what became of every delivery to `name`."""
    mine = [d for d in deliveries.values() if d.subscription == name]
    expect: list[dict[str, Any]] = [
        {
            "delivered": {
                "subscription": name,
                "events": [d.event for d in mine if d.state == "delivered"],
            }
        }
    ]
    for reason in ("retries-exhausted", "subscription-disabled", "subscription-deleted"):
        events = [d.event for d in mine if d.reason == reason]
        expect.append({"undelivered": {"subscription": name, "reason": reason, "events": events}})
    return expect


def attempts_expect(event: str, name: str, **checks: Any) -> dict[str, Any]:
    if "at" in checks:
        checks["at"] = [number(t) for t in checks["at"]]
    return {"attempts": {"event": event, "subscription": name, "kind": "delivery", **checks}}


def number(t: float) -> float | int:
    value = round(t, 6)
    return int(value) if value == int(value) else value


def _maybe(instant: float | None, start: float) -> float | None:
    return None if instant is None else instant - start


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= EPSILON


def header(headers: dict[str, str], name: str) -> str | None:
    wanted = name.lower().replace("_", "-")
    for key, value in headers.items():
        if key.lower().replace("_", "-") == wanted:
            return value
    return None


def data_bytes(body: bytes) -> bytes:
    """The exact bytes of `data` in an envelope written in the contract's order."""
    marker = body.find(b',"data":')
    return body[marker + 8 : -1] if marker >= 0 and body.endswith(b"}") else body
