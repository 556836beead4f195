"""Analytics events: the names a subscription may ask for, and realistic payloads for them.

The payload shape follows the seed's example (`data` of a webhook request); per-event
`properties` follow what the public Atomic documentation shows.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Mapping
from typing import Any, NoReturn

from ._clock import format_time
from ._encoding import encode_data
from ._errors import InvalidInput
from ._ids import IdSource

__all__ = [
    "EVENT_TYPES",
    "MAX_DATA_DEPTH",
    "PLATFORM_EVENTS",
    "SDK_EVENTS",
    "apply_overrides",
    "check_event_data",
    "check_overrides",
    "make_event_data",
]

#: Event data may nest objects and lists this deep (the event's own fields are 3 deep): deep
#: enough for any real payload, shallow enough that every receiver's JSON parser and every
#: mapping template can walk it without exhausting a stack.
MAX_DATA_DEPTH = 64

PLATFORM_EVENTS: tuple[str, ...] = (
    "card-published",
    "card-completed",
    "card-dismissed",
    "card-snoozed",
    "card-unsnoozed",
    "card-cancelled",
    "card-embargoed",
    "card-expired",
    "card-error",
)
SDK_EVENTS: tuple[str, ...] = (
    "card-displayed",
    "card-subview-displayed",
    "card-subview-exited",
    "card-feed-updated",
    "card-voted-up",
    "card-voted-down",
    "runtime-vars-updated",
    "stream-displayed",
    "user-redirected",
    "snooze-options-displayed",
    "snooze-options-canceled",
    "video-played",
    "video-completed",
    "sdk-initialized",
    "request-failed",
    "notification-received",
)
EVENT_TYPES: tuple[str, ...] = PLATFORM_EVENTS + SDK_EVENTS

# The card's status after each platform event; SDK events leave the card as it was.
_STATUS_AFTER = {
    "card-published": "active",
    "card-completed": "completed",
    "card-dismissed": "dismissed",
    "card-snoozed": "snoozed",
    "card-unsnoozed": "active",
    "card-cancelled": "cancelled",
    "card-embargoed": "embargoed",
    "card-expired": "expired",
    "card-error": "error",
}
_PLATFORMS = ("Web", "iOS", "Android")


def _properties(event_type: str, rng: random.Random) -> dict[str, Any]:
    if event_type == "card-completed":
        return {"values": {"rating": rng.randint(1, 5), "comment": "Looks good"}}
    if event_type == "card-feed-updated":
        return {"cardCount": rng.randint(0, 20)}
    if event_type == "card-voted-down":
        return {
            "reason": rng.choice(("too-often", "other", "not-relevant")),
            "source": "card",
            "message": "Not for me",
        }
    if event_type == "user-redirected":
        return {"linkMethod": "url", "url": "https://example.com/offer", "payload": {}}
    if event_type.startswith("card-subview-"):
        return {"subviewId": "subview-1", "subviewTitle": "Details", "subviewLevel": 1}
    if event_type.startswith("video-"):
        return {"media": "video", "mediaURL": "https://example.com/video.mp4"}
    if event_type == "request-failed":
        return {"path": "/v1/cards", "statusCode": 503}
    return {}


def make_event_data(
    event_type: str,
    *,
    ids: IdSource,
    now: float,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A realistic `data` object for one analytics event, with `overrides` applied."""
    rng = ids.rng
    timestamp = format_time(now)
    platform = rng.choice(_PLATFORMS)
    card_instance = str(rng.randint(1, 99999))
    data: dict[str, Any] = {
        "id": ids.uuid(),
        "analyticsEvent": event_type,
        "endUserId": f"user-{rng.randint(1, 9999):04d}",
        "timestamp": timestamp,
        "cardContext": {
            "cardInstanceStatus": _STATUS_AFTER.get(event_type, "active"),
            "cardTemplateId": str(rng.randint(1, 50)),
            "cardTemplateName": "Welcome card",
            "cardTemplateVersion": 1,
            "cardTemplateSettings": {"sendNotifications": False},
            "publishedAt": timestamp,
            "cardInstanceId": card_instance,
            "previousStatus": "active",
        },
        "eventContext": {
            "ip": f"203.0.113.{rng.randint(1, 254)}",
            "actionSource": "sdk" if event_type in SDK_EVENTS else "platform",
            "userLocalTimestamp": timestamp,
        },
        "properties": _properties(event_type, rng),
        "sdkContext": {
            "platform": platform,
            "sdkVersion": "23.3.0",
            "sdkDevice": "simulated",
            "sdkTimezone": "Pacific/Auckland",
            "isDNDActive": False,
        },
        "streamContext": {"streamId": "1", "streamName": "Home"},
        "platformContext": {
            "lifecycleId": ids.uuid(),
            "targetStreamIds": ["1"],
            "targetPlatforms": list(_PLATFORMS),
            "flowInstanceId": ids.uuid(),
            "flowInvocationId": ids.uuid(),
            "flowConfigId": ids.short_id(6),
            "triggerEventSource": "api",
            "eventDetail": {},
            "eventNotificationDetail": {},
        },
    }
    if overrides:
        apply_overrides(data, overrides)
    return data


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    """Merge `overrides` into `data` in place.

    Keys may be dotted paths (`cardContext.cardTemplateId`); mappings merge into mappings,
    anything else replaces the value.
    """
    for key, value in overrides.items():
        path = key.split(".")
        target = data
        for part in path[:-1]:
            child = target.get(part)
            if not isinstance(child, dict):
                child = {}
                target[part] = child
            target = child
        leaf = path[-1]
        if isinstance(value, Mapping) and isinstance(target.get(leaf), dict):
            apply_overrides(target[leaf], value)
        else:
            target[leaf] = copy.deepcopy(value)


def check_overrides(event_type: str, overrides: Mapping[str, Any] | None, now: float) -> None:
    """Refuse `overrides` (InvalidInput naming the field) unless the data they make can be sent.

    Checked as it will be sent: merged into an event of `event_type`, dotted keys expanded,
    since a key of a few thousand dots is a small request but a very deep object. Every event
    of a publication has the same shape, so one made with a throwaway id source stands for
    all of them (and a refused request draws nothing from the platform's seeded source).
    """
    if not overrides:
        return
    if not isinstance(overrides, Mapping):
        raise InvalidInput("overrides must be an object of event fields", "overrides")
    # The value as given first: merging walks it recursively.
    _check_tree(overrides, "overrides", dotted=True)
    sample = make_event_data(event_type, ids=IdSource(0), now=now, overrides=overrides)
    check_event_data(sample, "overrides")


def check_event_data(data: Mapping[str, Any], field: str) -> bytes:
    """The bytes `data` will be sent as; InvalidInput naming `field` when it cannot be sent:
    nested deeper than MAX_DATA_DEPTH, or holding what JSON cannot (a cycle, a non-string
    key, NaN or infinity, an object that is not a number, string, list or mapping)."""
    try:
        raw = encode_data(data)
    except (TypeError, ValueError, RecursionError):
        raw = None
    # Brackets bound the depth from above (strings may hold some): almost every event has
    # fewer than the limit, and is then not walked at all.
    if raw is None or raw.count(b"{") + raw.count(b"[") > MAX_DATA_DEPTH:
        _check_tree(data, field, dotted=False)
    if raw is None:  # e.g. a lone surrogate, or an integer of thousands of digits
        raise InvalidInput(f"{field} cannot be encoded as UTF-8 JSON", field)
    return raw


def _check_tree(value: Any, field: str, *, dotted: bool) -> None:
    """Walk `value` without recursion; with `dotted`, a top-level key `a.b.c` counts as the
    three levels it becomes. A cycle ends as too deep."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, Mapping | list | tuple):
            if depth > MAX_DATA_DEPTH:
                _too_deep(field, path)
            if isinstance(node, Mapping):
                for key, child in node.items():
                    if not isinstance(key, str):
                        if key is not None and not isinstance(key, int | float):
                            raise InvalidInput(
                                f"{field} has a {type(key).__name__} as a key, which JSON "
                                f"cannot{_where(path)}",
                                field,
                            )
                        key = str(key)  # as the encoder writes it
                    levels = key.count(".") + 1 if dotted and depth == 1 else 1
                    where = f"{path}.{key}" if path else key
                    if depth + levels - 1 > MAX_DATA_DEPTH:  # the object holding the value
                        _too_deep(field, where)
                    stack.append((child, depth + levels, where))
            else:
                for index, child in enumerate(node):
                    stack.append((child, depth + 1, f"{path}[{index}]"))
        elif isinstance(node, float) and not math.isfinite(node):
            raise InvalidInput(f"{field} holds {node!r}, which JSON cannot{_where(path)}", field)
        elif node is not None and not isinstance(node, str | int | float):
            raise InvalidInput(
                f"{field} holds a {type(node).__name__}, which JSON cannot{_where(path)}", field
            )


def _too_deep(field: str, path: str) -> NoReturn:
    raise InvalidInput(
        f"{field} nests deeper than {MAX_DATA_DEPTH} levels{_where(path)}: event data may nest "
        f"objects and lists at most {MAX_DATA_DEPTH} levels deep, a dotted key counting one "
        "level per part",
        field,
    )


def _where(path: str) -> str:
    if not path:
        return ""
    shown = path if len(path) <= 80 else path[:77] + "..."
    return f" (at {shown})"
