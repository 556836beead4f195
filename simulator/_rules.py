"""The delivery rules: what an answer means, and what follows it.

Every rule of the contract about outcomes, timeouts, 3xx, Retry-After, the retry schedule and
its window, the consecutive-failure counter, auto-disable and an attempt that could not even be
written (`internal-error`) is decided here, and only here
(the clause each one implements is named beside it). Pure functions of their arguments: no
I/O, no clock (the instant is an argument), no store. The executor (`_executor.py`) asks;
the answers are values (`Answer`, `Verdict`) that it applies.

`DeliveryRules` is the seam a platform profile plugs into: the executor reads the rules only
through it, and `ATOMIC_RULES` (the Atomic Webhooks API's, the default) holds the functions
below.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from ._exchange import TransportResult
from ._models import Batch, Delivery, DeliveryState, Outcome, Subscription
from ._settings import Settings

__all__ = [
    "ATOMIC_RULES",
    "INTERNAL_ERROR",
    "RETRIES_EXHAUSTED",
    "SUBSCRIPTION_DELETED",
    "SUBSCRIPTION_DISABLED",
    "Answer",
    "DeliveryRules",
    "Verdict",
    "after_attempt",
    "after_unprepared",
    "classify_status",
    "default_schedule",
    "disables",
    "failures_after_enable",
    "judge",
    "next_retry_at",
    "redirect_error",
    "retry_after_delay",
    "why_not_attempted",
]

# Why a delivery ended undelivered (DELIVERY-UNDELIVERED).
RETRIES_EXHAUSTED = "retries-exhausted"
SUBSCRIPTION_DISABLED = "subscription-disabled"
SUBSCRIPTION_DELETED = "subscription-deleted"
#: hooksim could not write the request (data spoiled after it was accepted, or a bug).
INTERNAL_ERROR = "internal-error"

# Float slack when comparing a retry time to the window's end, so that a retry exactly at the
# window's edge (inclusive: RETRY-WINDOW) is not lost to rounding.
_EPSILON = 1e-6

Unit = Delivery | Batch
_new_tuple = tuple.__new__


class Answer(NamedTuple):
    """One attempt's answer as the rules read it."""

    outcome: Outcome
    #: None when no status came in time.
    status_code: int | None
    #: Seconds the attempt took: the timeout at most.
    duration: float
    error: str | None
    #: The attempt's scheduled start (retries count from it).
    scheduled_at: float
    #: Seconds after `scheduled_at` the receiver asked the next retry to wait, or None.
    retry_after: float | None
    #: The receiver asked for no more retries of this message (a profile's abort header).
    abort: bool = False

    @property
    def succeeded(self) -> bool:
        return self.outcome is Outcome.SUCCESS


class Verdict(NamedTuple):
    """What follows an answered attempt of a delivery unit."""

    #: The subscription's consecutive-failure count from now on (None: leave it).
    failures: int | None
    #: How the unit ends now (None: it stays pending, or has already ended).
    end: DeliveryState | None = None
    #: Why it ends undelivered.
    reason: str | None = None
    #: The next attempt's scheduled start (retries count from it), or None.
    retry_at: float | None = None
    #: When that attempt runs: its scheduled start, or at once if that passed meanwhile.
    due: float | None = None
    #: Auto-disable the subscription (after ending the unit).
    disable: bool = False
    #: Send the delivered event once more, as a duplicate.
    duplicate: bool = False
    #: A profile's time-based disabling: `(since,)` sets when the subscription's failing
    #: streak began (`(None,)` clears it); None leaves it.
    streak: tuple[float | None] | None = None


# The verdicts of a success, built once: most attempts end with one of them. A success sets
# the counter back to 0 (DISABLE-RESET), and may be sent once more (DUPLICATE-INJECTION).
_DELIVERED = Verdict(0, DeliveryState.DELIVERED)
_DELIVERED_TWICE = Verdict(0, DeliveryState.DELIVERED, duplicate=True)
_RESET = Verdict(0)
_UNPREPARED = Verdict(None, DeliveryState.UNDELIVERED, INTERNAL_ERROR)


# before an attempt ---------------------------------------------------------------------------
def why_not_attempted(subscription: Subscription | None) -> str | None:
    """Why a due attempt is not made (the unit then ends undelivered), or None to make it.
    Nothing is sent to a disabled or deleted subscription (DISABLE-STOPS-DELIVERY,
    DISABLED-NOT-ATTEMPTED)."""
    if subscription is None:  # API-DELETE
        return SUBSCRIPTION_DELETED
    if not subscription.active:  # DISABLED-NOT-ATTEMPTED
        return SUBSCRIPTION_DISABLED
    return None


def failures_after_enable(subscription: Subscription) -> int:
    """A re-enabled subscription's consecutive-failure count: it starts again from 0
    (API-ENABLE)."""
    return 0


# an answer -----------------------------------------------------------------------------------
def classify_status(status: int) -> Outcome:
    """Only a 2xx delivers; a 3xx is never followed and fails (DELIVERY-SUCCESS-2XX)."""
    if 200 <= status < 300:  # DELIVERY-SUCCESS-2XX
        return Outcome.SUCCESS
    if 300 <= status < 400:  # DELIVERY-SUCCESS-2XX: never followed
        return Outcome.REDIRECT
    return Outcome.HTTP_ERROR


def redirect_error(status: int, headers: Mapping[str, str]) -> str:
    """Why a 3xx failed the attempt (DELIVERY-SUCCESS-2XX), the same for every transport, as
    the log says it (LOG-ATTEMPTS): where it pointed (scheme, host and path only: a query may
    carry a token, LOG-REDACT)."""
    location = headers.get("location")
    if not location:  # LOG-ATTEMPTS
        return f"{status} redirect not followed"
    parts = urlsplit(location)
    # LOG-REDACT: never the query.
    shown = f"{parts.scheme}://{parts.hostname}{parts.path}" if parts.hostname else parts.path
    return f"{status} redirect not followed (Location: {shown})"


def judge(result: TransportResult, settings: Settings, scheduled_at: float) -> Answer:
    """A transport's result as the rules read it. No answer within the timeout is a timeout
    that took exactly the timeout (DELIVERY-TIMEOUT), and a Retry-After that came after it
    was never heard (RETRY-AFTER)."""
    timeout = settings.timeout
    if result.latency > timeout:  # DELIVERY-TIMEOUT
        return Answer(
            Outcome.TIMEOUT, None, timeout, f"no answer within {timeout:g} s", scheduled_at, None
        )
    # Built as a tuple (the NamedTuple's own constructor costs three times as much): one per
    # attempt, on the engine's hot path.
    return _new_tuple(
        Answer,
        (
            result.outcome,
            result.status_code,
            result.latency,
            result.error,
            scheduled_at,
            retry_after_delay(result, settings, scheduled_at)  # RETRY-AFTER
            if result.status_code in settings.retry_after_statuses
            else None,
            False,
        ),
    )


def retry_after_delay(
    result: TransportResult, settings: Settings, scheduled_at: float
) -> float | None:
    """Seconds after the attempt's scheduled start that the receiver asked the next retry to
    wait, or None (RETRY-AFTER). Only on `settings.retry_after_statuses`; delta-seconds or an
    HTTP-date (RFC 9110), a date read on the platform's own clock (virtual in a simulation).
    A past, unreadable or infinite value leaves the backoff."""
    if result.status_code not in settings.retry_after_statuses:  # RETRY-AFTER
        return None
    value = result.headers.get("retry-after")
    if value is None:  # RETRY-AFTER: the backoff delay stands
        return None
    try:
        seconds = float(value)  # RETRY-AFTER: delta-seconds
    except ValueError:  # RETRY-AFTER: or an HTTP-date
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None  # unreadable: the backoff delay stands (RETRY-AFTER)
        if moment.tzinfo is None:  # an HTTP-date is always GMT (RETRY-AFTER)
            moment = moment.replace(tzinfo=UTC)
        seconds = moment.timestamp() - scheduled_at
    # RETRY-AFTER: a past, negative or infinite value leaves the backoff.
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


# the schedule --------------------------------------------------------------------------------
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
    start (RETRY-SCHEDULE), capped by max_delay when set (RETRY-MAX-DELAY), times a seeded
    jitter factor when set (RETRY-JITTER), or longer when the receiver asked (RETRY-AFTER); it
    is scheduled only while it falls within the retry window of the first attempt, inclusive
    (RETRY-WINDOW), and within the retry caps (RETRY-MAX-RETRIES).
    """
    retry_number = attempts_made
    for cap in (settings.max_retries, subscription_max_retries):
        if cap is not None and retry_number > cap:  # RETRY-MAX-RETRIES: the stricter wins
            return None
    # RETRY-SCHEDULE. The exponent is capped so that a long schedule (max_delay with many
    # retries) cannot overflow a float: 2**1000 seconds is beyond any window or cap anyway.
    delay = settings.retry_base * 2.0 ** min(retry_number - 1, 1000)
    if settings.max_delay is not None:  # RETRY-MAX-DELAY
        delay = min(delay, settings.max_delay)
    if settings.jitter and rng is not None:  # RETRY-JITTER
        delay *= 1.0 + rng.uniform(-settings.jitter, settings.jitter)
    if retry_after is not None and retry_after > delay:  # RETRY-AFTER: only ever longer
        delay = retry_after
    when = previous_scheduled_at + delay
    if not math.isfinite(when):  # beyond any time: beyond the window too (RETRY-WINDOW)
        return None
    # RETRY-WINDOW: within the window of the first attempt, its edge included.
    if (
        settings.retry_window is not None
        and when - first_attempt_at > settings.retry_window + _EPSILON
    ):
        return None
    return when


def default_schedule(settings: Settings | None = None, limit: int = 10_000) -> list[float]:
    """Offsets (seconds from the first attempt) of every attempt to a receiver that always
    fails, ignoring auto-disable: the schedule the contract promises (RETRY-SCHEDULE,
    RETRY-WINDOW)."""
    settings = settings or Settings()  # the defaults of the contract's table (SETTINGS)
    offsets = [0.0]
    while len(offsets) < limit:  # RETRY-SCHEDULE, retry after retry
        when = next_retry_at(
            settings,
            attempts_made=len(offsets),
            first_attempt_at=0.0,
            previous_scheduled_at=offsets[-1],
        )
        if when is None:  # RETRY-WINDOW: no retry beyond it
            break
        offsets.append(when)
    return offsets


# after an answer -----------------------------------------------------------------------------
def disables(subscription: Subscription, failures: int, settings: Settings) -> bool:
    """Whether `failures` consecutive failed attempts disable the subscription: the 23rd
    does, the 22nd never (DISABLE-THRESHOLD), unless it opted out (DISABLE-OPT-OUT)."""
    # DISABLE-OPT-OUT, DISABLE-THRESHOLD
    return subscription.disable_after_failures and failures >= settings.disable_threshold


def after_attempt(
    unit: Unit,
    subscription: Subscription | None,
    settings: Settings,
    answer: Answer,
    now: float,
    rng: random.Random | None,
    cancelled: bool = False,
) -> Verdict:
    """What follows the answered attempt of `unit` (a delivery or a batch, `unit.attempts`
    made so far), judged at `now`. `subscription` is None when it was deleted while the
    attempt was in flight; `cancelled`, when it was disabled meanwhile (that attempt was the
    last: a failure is not retried even if it was re-enabled since). `rng` draws jitter and
    duplicates (seeded: the same run twice gives the same verdicts, DETERMINISM). The clauses
    are the counter (DISABLE-THRESHOLD, DISABLE-RESET), the unit's end (DELIVERY-UNDELIVERED)
    or its retry (RETRY-SCHEDULE), and auto-disable."""
    succeeded = answer.outcome is Outcome.SUCCESS
    if subscription is None:  # deleted while the attempt was in flight (API-DELETE):
        # its answer still decides how the unit ends, and nothing more is sent.
        if succeeded:  # API-DELETE
            return Verdict(None, DeliveryState.DELIVERED)
        return Verdict(None, DeliveryState.UNDELIVERED, SUBSCRIPTION_DELETED)
    # BATCHING: a batch is pending while any of its events is.
    if isinstance(unit, Delivery):
        pending = unit.state is DeliveryState.PENDING
    else:
        pending = bool(unit.pending())
    if succeeded:  # DISABLE-RESET, DUPLICATE-INJECTION
        # DISABLE-RESET: any success sets the counter back to 0.
        if not pending:
            return _RESET
        if (
            type(unit) is Delivery  # a batch is not copied
            and subscription.active  # nothing more is sent to a disabled subscription
            and settings.duplicate_probability > 0
            and rng is not None
            and rng.random() < settings.duplicate_probability  # DUPLICATE-INJECTION
        ):
            return _DELIVERED_TWICE
        return _DELIVERED
    failures = subscription.consecutive_failures + 1
    if not pending:  # DISABLE-THRESHOLD: every real attempt counts, even of an ended unit
        return Verdict(failures)
    if not subscription.active:  # DISABLE-STOPS-DELIVERY: no retry to a disabled one
        return Verdict(failures, DeliveryState.UNDELIVERED, SUBSCRIPTION_DISABLED)
    if disables(subscription, failures, settings):  # DISABLE-THRESHOLD
        # The unit ends, then the subscription is disabled.
        return Verdict(failures, DeliveryState.UNDELIVERED, SUBSCRIPTION_DISABLED, disable=True)
    if cancelled:  # disabled while this attempt was in flight: the last (DISABLE-STOPS-DELIVERY)
        return Verdict(failures, DeliveryState.UNDELIVERED, SUBSCRIPTION_DISABLED)
    first_attempt_at = unit.first_attempt_at
    assert first_attempt_at is not None  # set when its first attempt was made
    when = next_retry_at(
        settings,
        attempts_made=unit.attempts,
        first_attempt_at=first_attempt_at,
        previous_scheduled_at=answer.scheduled_at,
        subscription_max_retries=subscription.max_retries,
        retry_after=answer.retry_after,
        rng=rng,
    )
    if when is None:  # DELIVERY-UNDELIVERED at its final failed attempt
        return Verdict(failures, DeliveryState.UNDELIVERED, RETRIES_EXHAUSTED)
    # A retry whose time passed while the answer was awaited runs at once; the schedule
    # still counts from its scheduled start.
    return Verdict(failures, retry_at=when, due=max(when, now))


def after_unprepared(unit: Unit, subscription: Subscription, settings: Settings) -> Verdict:
    """What follows an attempt whose request could not be written, so that nothing was sent
    (an event whose data cannot be encoded although it was accepted, a bug in hooksim): the
    unit ends undelivered at once, `internal-error`, the log row saying why (NOTHING-LOST:
    never in limbo). Not retried, since a retry would fail the same way; and not counted
    against the subscription (its counter is left as it is, nothing disables it), since the
    receiver did nothing wrong."""
    return _UNPREPARED


@dataclass(frozen=True, slots=True)
class DeliveryRules:
    """The rules the executor follows, as functions with the signatures of this module's
    (a platform profile would supply its own, e.g. `replace(ATOMIC_RULES, after_attempt=f)`)."""

    why_not_attempted: Callable[[Subscription | None], str | None]
    failures_after_enable: Callable[[Subscription], int]
    judge: Callable[[TransportResult, Settings, float], Answer]
    after_attempt: Callable[
        [Unit, Subscription | None, Settings, Answer, float, random.Random | None, bool], Verdict
    ]
    after_unprepared: Callable[[Unit, Subscription, Settings], Verdict]


#: The Atomic Webhooks API's rules: the functions of this module.
ATOMIC_RULES = DeliveryRules(
    why_not_attempted, failures_after_enable, judge, after_attempt, after_unprepared
)
