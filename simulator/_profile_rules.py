"""A profile's delivery rules: the `DeliveryRules` seam filled from a `Profile`.

What stays the contract's own (`_rules.py`): nothing is sent to a disabled or deleted
subscription, only a 2xx within the timeout delivers, 3xx is a failure, a Retry-After on the
settings' statuses postpones a retry. What a profile changes:

- the schedule: a list of delays (Svix, Standard Webhooks) counted from the previous attempt's
  scheduled start or from its failure, with the settings' seeded jitter; or the settings'
  exponential rule inside the retry window (Atomic, and Stripe's "exponential backoff for up to
  3 days"); an empty list means no automatic retries (GitHub);
- statuses that disable the endpoint at once (Standard Webhooks: 410 Gone);
- a response header that stops the message's retries (Svix: `webhook-delivery: abort-message`),
  ending it undelivered as `aborted`;
- disabling: after consecutive failures (the settings' threshold), after a time of continuous
  failure (Svix: a message that exhausts its retries more than `disable_after` seconds after
  the first one that did, with no success in between; the memory of failure expires after
  `forgive_after`), or never.

Pure functions of their arguments, like `_rules.py`: the profile is fixed when they are made.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from ._exchange import TransportResult
from ._models import Delivery, DeliveryState, Outcome, Subscription
from ._profile import Profile
from ._rules import (
    ATOMIC_RULES,
    RETRIES_EXHAUSTED,
    SUBSCRIPTION_DISABLED,
    Answer,
    DeliveryRules,
    Unit,
    Verdict,
    after_unprepared,
    disables,
    failures_after_enable,
    judge,
    next_retry_at,
    why_not_attempted,
)
from ._rules import after_attempt as contract_after_attempt
from ._settings import Settings

__all__ = ["ABORTED", "profile_retry_at", "profile_rules", "profile_schedule"]

AfterAttempt = Callable[
    [Unit, Subscription | None, Settings, Answer, float, random.Random | None, bool], Verdict
]

#: Why a message ended undelivered when the receiver asked for no more retries.
ABORTED = "aborted-by-receiver"


def _changes_rules(profile: Profile) -> bool:
    return (
        profile.retry_delays is not None
        or profile.delays_from != "scheduled-start"
        or bool(profile.disable_statuses)
        or profile.abort_header is not None
        or profile.disable != "consecutive"
    )


def profile_rules(profile: Profile) -> DeliveryRules:
    """The rules the executor follows for `profile` (exactly `ATOMIC_RULES` when it changes
    none of them)."""
    if not _changes_rules(profile):
        return ATOMIC_RULES
    return DeliveryRules(
        why_not_attempted,
        failures_after_enable,
        _judge_for(profile),
        _after_attempt_for(profile),
        after_unprepared,
    )


def profile_retry_at(
    profile: Profile,
    settings: Settings,
    *,
    attempts_made: int,
    first_attempt_at: float,
    previous_scheduled_at: float,
    answered_at: float,
    subscription_max_retries: int | None = None,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """When retry number `attempts_made` runs under `profile`, or None when there is none."""
    delays = profile.retry_delays
    if delays is None:
        return next_retry_at(
            settings,
            attempts_made=attempts_made,
            first_attempt_at=first_attempt_at,
            previous_scheduled_at=previous_scheduled_at,
            subscription_max_retries=subscription_max_retries,
            retry_after=retry_after,
            rng=rng,
        )
    retry_number = attempts_made
    if retry_number > len(delays):
        return None
    for cap in (settings.max_retries, subscription_max_retries):
        if cap is not None and retry_number > cap:
            return None
    delay = delays[retry_number - 1]
    if settings.jitter and rng is not None:
        delay *= 1.0 + rng.uniform(-settings.jitter, settings.jitter)
    base = answered_at if profile.delays_from == "answer" else previous_scheduled_at
    if retry_after is not None:
        # Retry-After counts from the attempt's scheduled start, as in `_rules.py`.
        delay = max(delay, retry_after - (base - previous_scheduled_at))
    when = base + delay
    return when if math.isfinite(when) else None


def profile_schedule(profile: Profile, settings: Settings, limit: int = 1000) -> list[float]:
    """Offsets from the first attempt of every attempt to a receiver that always fails at
    once (no jitter, no disabling): the schedule the profile promises."""
    quiet = settings.with_changes(jitter=0.0)
    offsets = [0.0]
    while len(offsets) < limit:
        when = profile_retry_at(
            profile,
            quiet,
            attempts_made=len(offsets),
            first_attempt_at=0.0,
            previous_scheduled_at=offsets[-1],
            answered_at=offsets[-1],
        )
        if when is None:
            break
        offsets.append(when)
    return offsets


def _judge_for(profile: Profile) -> Callable[[TransportResult, Settings, float], Answer]:
    header = profile.abort_header

    def judge_answer(result: TransportResult, settings: Settings, scheduled_at: float) -> Answer:
        answer = judge(result, settings, scheduled_at)
        if (
            header is not None
            and answer.status_code is not None
            and result.headers.get(header[0], "").strip().lower() == header[1]
        ):
            return answer._replace(abort=True)
        return answer

    return judge_answer


def _after_attempt_for(profile: Profile) -> AfterAttempt:
    disable_statuses = frozenset(profile.disable_statuses)

    def profile_after_attempt(
        unit: Unit,
        subscription: Subscription | None,
        settings: Settings,
        answer: Answer,
        now: float,
        rng: random.Random | None,
        cancelled: bool = False,
    ) -> Verdict:
        succeeded = answer.outcome is Outcome.SUCCESS
        pending = subscription is not None and (
            unit.state is DeliveryState.PENDING
            if isinstance(unit, Delivery)
            else bool(unit.pending())
        )
        if subscription is None or succeeded or not pending or not subscription.active:
            # The contract's own rules: a deleted subscription, a success (and its injected
            # duplicate), an unit that already ended, a disabled subscription.
            verdict = contract_after_attempt(
                unit, subscription, settings, answer, now, rng, cancelled
            )
            if succeeded and subscription is not None and subscription.failing_since is not None:
                # A success ends a failing streak (svix-server: process_success_cache).
                verdict = verdict._replace(streak=(None,))
            return verdict
        failures = subscription.consecutive_failures + 1
        if cancelled:  # disabled while this attempt was in flight: it was the last one
            return Verdict(failures, DeliveryState.UNDELIVERED, SUBSCRIPTION_DISABLED)
        if answer.status_code in disable_statuses:
            return Verdict(failures, DeliveryState.UNDELIVERED, SUBSCRIPTION_DISABLED, disable=True)
        if profile.disable == "consecutive" and disables(subscription, failures, settings):
            return Verdict(failures, DeliveryState.UNDELIVERED, SUBSCRIPTION_DISABLED, disable=True)
        if answer.abort:
            return Verdict(failures, DeliveryState.UNDELIVERED, ABORTED)
        first_attempt_at = unit.first_attempt_at
        assert first_attempt_at is not None
        when = profile_retry_at(
            profile,
            settings,
            attempts_made=unit.attempts,
            first_attempt_at=first_attempt_at,
            previous_scheduled_at=answer.scheduled_at,
            answered_at=now,
            subscription_max_retries=subscription.max_retries,
            retry_after=answer.retry_after,
            rng=rng,
        )
        if when is not None:
            return Verdict(failures, retry_at=when, due=max(when, now))
        if profile.disable != "continuous-failure":
            return Verdict(failures, DeliveryState.UNDELIVERED, RETRIES_EXHAUSTED)
        return _exhausted_by_time(profile, subscription, failures, now)

    return profile_after_attempt


def _exhausted_by_time(
    profile: Profile, subscription: Subscription, failures: int, now: float
) -> Verdict:
    """A message exhausted its retries under a time-based rule (svix-server's
    `process_failure_cache`): the first one starts the streak; one more than `disable_after`
    seconds later disables, unless the streak was forgotten (`forgive_after`) meanwhile."""
    since = subscription.failing_since
    after = profile.disable_after
    assert after is not None
    forgotten = (
        since is None or profile.forgive_after is not None and now - since > profile.forgive_after
    )
    if forgotten:
        return Verdict(failures, DeliveryState.UNDELIVERED, RETRIES_EXHAUSTED, streak=(now,))
    assert since is not None
    if now - since > after and subscription.disable_after_failures:
        return Verdict(failures, DeliveryState.UNDELIVERED, SUBSCRIPTION_DISABLED, disable=True)
    return Verdict(failures, DeliveryState.UNDELIVERED, RETRIES_EXHAUSTED)
