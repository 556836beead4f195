"""The retry schedule, for any settings: `next_retry_at` and `default_schedule` against the
contract's formula (RETRY-SCHEDULE, RETRY-WINDOW, RETRY-MAX-RETRIES, RETRY-MAX-DELAY,
RETRY-AFTER, RETRY-JITTER)."""

from __future__ import annotations

import random

import pytest
from _property_settings import PURE
from hooksim.simulator import Settings, default_schedule, next_retry_at
from hypothesis import assume, given
from hypothesis import strategies as st

import hooksim.strategies as hs

pytestmark = pytest.mark.clause("RETRY-SCHEDULE", "RETRY-WINDOW")

SLACK = 1e-6
bases = st.floats(0.001, 3600, allow_nan=False)
windows = st.floats(0.001, 30 * 86400, allow_nan=False)


def _settings(**fixed: object) -> st.SearchStrategy[Settings]:
    return hs.settings(jitter=0.0, **fixed)


@PURE
@given(_settings())
def test_the_schedule_starts_at_zero_rises_and_stays_in_the_window(settings: Settings) -> None:
    offsets = default_schedule(settings)
    assert offsets[0] == 0.0
    assert all(b > a for a, b in zip(offsets, offsets[1:], strict=False))
    if settings.retry_window is not None:
        assert offsets[-1] <= settings.retry_window + SLACK
    if settings.max_retries is not None:
        assert len(offsets) <= settings.max_retries + 1


@PURE
@given(bases, windows)
def test_the_count_follows_the_formula(base: float, window: float) -> None:
    """Retry k is at base * (2^k - 1) after the first attempt; every one within the window
    is made, so the count is 1 + the largest such k."""
    offsets = default_schedule(Settings(retry_base=base, retry_window=window))
    for k, offset in enumerate(offsets):
        assert offset == pytest.approx(base * (2**k - 1), rel=1e-9)
    retries = 0
    while base * (2 ** (retries + 1) - 1) <= window + SLACK:
        retries += 1
    assert len(offsets) == 1 + retries


@PURE
@given(bases, st.integers(0, 50))
def test_without_a_window_max_retries_alone_counts(base: float, retries: int) -> None:
    offsets = default_schedule(Settings(retry_base=base, retry_window=None, max_retries=retries))
    assert len(offsets) == retries + 1


@PURE
@given(_settings(), st.integers(1, 60), st.floats(0, 86400), st.integers(0, 1000))
def test_each_delay_is_the_backoff_capped_by_max_delay(
    settings: Settings, attempts: int, first: float, caps: int
) -> None:
    previous = first + attempts * 7.0
    when = next_retry_at(
        settings,
        attempts_made=attempts,
        first_attempt_at=first,
        previous_scheduled_at=previous,
        subscription_max_retries=caps,
    )
    delay = settings.retry_base * 2.0 ** (attempts - 1)
    if settings.max_delay is not None:
        delay = min(delay, settings.max_delay)
    limits = [c for c in (settings.max_retries, caps) if c is not None]
    beyond_window = (
        settings.retry_window is not None
        and previous + delay - first > settings.retry_window + SLACK
    )
    if attempts > min(limits) or beyond_window:
        assert when is None
    else:
        assert when == pytest.approx(previous + delay)


@PURE
@given(_settings(), st.integers(1, 30), st.floats(0, 100_000))
def test_a_longer_retry_after_postpones_a_shorter_one_does_not(
    settings: Settings, attempts: int, retry_after: float
) -> None:
    known = {"attempts_made": attempts, "first_attempt_at": 0.0, "previous_scheduled_at": 0.0}
    plain = next_retry_at(settings, **known)
    heard = next_retry_at(settings, retry_after=retry_after, **known)
    assume(plain is not None)
    if heard is None:  # postponed beyond the window: no retry
        assert settings.retry_window is not None and retry_after > settings.retry_window
    else:
        assert heard == pytest.approx(max(plain, retry_after))


@PURE
@given(hs.settings(jitter=st.floats(0.01, 0.99)), st.integers(1, 20), st.integers(0, 2**32))
def test_jitter_stays_within_its_factor_and_repeats_with_the_seed(
    settings: Settings, attempts: int, seed: int
) -> None:
    known = {"attempts_made": attempts, "first_attempt_at": 0.0, "previous_scheduled_at": 0.0}
    plain = next_retry_at(settings.with_changes(jitter=0.0), **known)
    first = next_retry_at(settings, rng=random.Random(seed), **known)
    again = next_retry_at(settings, rng=random.Random(seed), **known)
    assert first == again
    if plain is not None and first is not None:
        assert (
            (1 - settings.jitter) * plain - SLACK <= first <= (1 + settings.jitter) * plain + SLACK
        )
