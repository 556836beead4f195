"""The retry schedule, as a pure function of the settings and what happened so far."""

from __future__ import annotations

import math
import random

from ._settings import Settings

__all__ = ["default_schedule", "next_retry_at"]

# Float slack when comparing a retry time to the window's end, so that a retry exactly at the
# window's edge (inclusive) is not lost to rounding.
_EPSILON = 1e-6


def next_retry_at(
    settings: Settings,
    *,
    attempts_made: int,
    first_attempt_at: float,
    previous_scheduled_at: float,
    subscription_max_retries: int | None = None,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """When retry number `attempts_made` should run, or None when there is none.

    Retry k (k = 1, 2, ...) waits retry_base * 2**(k-1) after the previous attempt's scheduled
    start, capped by max_delay when set; it is scheduled only while it falls within the retry
    window of the first attempt (inclusive) and within the retry caps.
    """
    retry_number = attempts_made
    for cap in (settings.max_retries, subscription_max_retries):
        if cap is not None and retry_number > cap:
            return None
    # The exponent is capped so that a long schedule (max_delay with many retries) cannot
    # overflow a float: 2**1000 seconds is beyond any window or cap anyway.
    delay = settings.retry_base * 2.0 ** min(retry_number - 1, 1000)
    if settings.max_delay is not None:
        delay = min(delay, settings.max_delay)
    if settings.jitter and rng is not None:
        delay *= 1.0 + rng.uniform(-settings.jitter, settings.jitter)
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    when = previous_scheduled_at + delay
    if not math.isfinite(when):
        return None
    if (
        settings.retry_window is not None
        and when - first_attempt_at > settings.retry_window + _EPSILON
    ):
        return None
    return when


def default_schedule(settings: Settings | None = None, limit: int = 10_000) -> list[float]:
    """Offsets (seconds from the first attempt) of every attempt to a receiver that always
    fails, ignoring auto-disable: the schedule the contract promises."""
    settings = settings or Settings()
    offsets = [0.0]
    while len(offsets) < limit:
        when = next_retry_at(
            settings,
            attempts_made=len(offsets),
            first_attempt_at=0.0,
            previous_scheduled_at=offsets[-1],
        )
        if when is None:
            break
        offsets.append(when)
    return offsets
