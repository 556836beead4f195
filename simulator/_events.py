"""Analytics events: the names a subscription may ask for, and realistic payloads for them.

The payload shape follows the seed's example (`data` of a webhook request); per-event
`properties` follow what the public Atomic documentation shows.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from typing import Any

from ._clock import format_time
from ._ids import IdSource

__all__ = [
    "EVENT_TYPES",
    "PLATFORM_EVENTS",
    "SDK_EVENTS",
    "apply_overrides",
    "make_event_data",
]

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
