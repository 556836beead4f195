"""The contract's delivery rules, written down a second time, as simply as possible.

The model checker judges the platform with these, never with the engine's own code: how an
answer is judged, when the next retry is due, whether a subscription matches an event, and
how long a delivery can possibly stay pending. Times are seconds; nothing here has state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hooksim.simulator import Settings

__all__ = [
    "EPSILON",
    "Answer",
    "delay_before_retry",
    "judge",
    "latest_end",
    "matches",
    "retry_after_seconds",
    "retry_due",
]

#: Float slack for comparing instants (the contract's window edge is inclusive).
EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class Answer:
    """What a receiver did with one request, as the receiver itself saw it."""

    kind: str  # answered, refused, reset, hang
    status: int | None
    latency: float
    headers: Mapping[str, str]


def judge(answer: Answer, timeout: float) -> tuple[str, float]:
    """The attempt's outcome and how long it took (DELIVERY-SUCCESS-2XX, DELIVERY-TIMEOUT)."""
    if answer.kind == "hang" or answer.latency > timeout:
        return "timeout", timeout
    if answer.kind in ("refused", "reset"):
        return answer.kind, answer.latency
    status = answer.status or 0
    if 200 <= status < 300:
        return "success", answer.latency
    if 300 <= status < 400:
        return "redirect", answer.latency
    return "http-error", answer.latency


def retry_after_seconds(answer: Answer, outcome: str, settings: Settings) -> float | None:
    """The Retry-After the platform heard (RETRY-AFTER): only from an answer it waited for."""
    if outcome == "timeout" or answer.status not in settings.retry_after_statuses:
        return None
    for name, value in answer.headers.items():
        if name.lower() == "retry-after":
            try:
                seconds = float(value)
            except ValueError:
                return None
            return seconds if seconds >= 0 else None
    return None


def delay_before_retry(settings: Settings, retry: int, retry_after: float | None) -> float:
    """Retry k waits base * 2^(k-1), capped by max_delay; a longer Retry-After wins."""
    delay = settings.retry_base * 2.0 ** min(retry - 1, 1000)
    if settings.max_delay is not None:
        delay = min(delay, settings.max_delay)
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return delay


def retry_due(
    settings: Settings,
    *,
    attempts_made: int,
    first_at: float,
    previous_scheduled: float,
    subscription_max_retries: int | None,
    retry_after: float | None,
) -> float | None:
    """When the next retry is scheduled, or None when the delivery has had its last attempt
    (RETRY-SCHEDULE, RETRY-WINDOW, RETRY-MAX-RETRIES, RETRY-MAX-DELAY, RETRY-AFTER)."""
    retry = attempts_made  # after n attempts, the next one is retry n
    caps = [c for c in (settings.max_retries, subscription_max_retries) if c is not None]
    if caps and retry > min(caps):
        return None
    when = previous_scheduled + delay_before_retry(settings, retry, retry_after)
    if settings.retry_window is not None and when - first_at > settings.retry_window + EPSILON:
        return None
    return when


def latest_end(
    settings: Settings, subscription_max_retries: int | None, longest_retry_after: float
) -> float:
    """An upper bound on how long after its first attempt a delivery can stay pending.

    Each scheduled attempt is within the window (or, without one, within the capped retries
    of the longest delays); each may then wait for the previous answer, at most a timeout.
    """
    caps = [c for c in (settings.max_retries, subscription_max_retries) if c is not None]
    retries = min(caps) if caps else None
    if settings.retry_window is not None:
        span = settings.retry_window
        if retries is None:  # the window bounds the count: delays are at least the first one
            shortest = min(settings.retry_base, settings.max_delay or settings.retry_base)
            retries = int(settings.retry_window / shortest) + 1
    else:
        assert retries is not None  # Settings refuses a schedule without any bound
        span = sum(
            delay_before_retry(settings, k, longest_retry_after) for k in range(1, retries + 1)
        )
    return span + (retries + 1) * settings.timeout + 1.0


def matches(
    *,
    types: list[str],
    card_template_id: str | None,
    action_flow_config_id: str | None,
    data: Mapping[str, Any],
) -> bool:
    """FILTER-TYPES, FILTER-CARD-TEMPLATE, FILTER-ACTION-FLOW: compared as strings."""
    if data.get("analyticsEvent") not in types:
        return False
    if card_template_id is not None:
        card = data.get("cardContext") or {}
        if "cardTemplateId" not in card or str(card["cardTemplateId"]) != card_template_id:
            return False
    if action_flow_config_id is not None:
        flow = data.get("platformContext") or {}
        if "flowConfigId" not in flow or str(flow["flowConfigId"]) != action_flow_config_id:
            return False
    return True
