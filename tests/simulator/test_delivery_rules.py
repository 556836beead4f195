"""The delivery rules as tables, one row a case of a contract clause (contracts/clauses.yaml).

`simulator/_rules.py` decides every rule about outcomes, timeouts, 3xx, Retry-After, the
retry schedule and window, the failure counter and auto-disable, as pure functions. These
tables call them directly: no platform, no clock, no store. Each row's expected value is
written out from the clause's text (the schedule 0, 10, 30, 70 ... 10230 s; the 23rd
failure disables, the 22nd does not), never computed with the code under test.
"""

from __future__ import annotations

import random
from typing import Any, NamedTuple

import pytest
from hooksim.simulator import (
    BatchPolicy,
    Delivery,
    DeliveryState,
    Outcome,
    Settings,
    Subscription,
    TransportResult,
)
from hooksim.simulator._models import Batch
from hooksim.simulator._rules import (
    ATOMIC_RULES,
    Answer,
    Verdict,
    after_attempt,
    after_unprepared,
    classify_status,
    judge,
    redirect_error,
    retry_after_delay,
    why_not_attempted,
)

DELIVERED = DeliveryState.DELIVERED
UNDELIVERED = DeliveryState.UNDELIVERED
WINDOW = 4 * 3600.0


def subscription(**fields: Any) -> Subscription:
    values: dict[str, Any] = {
        "id": "s1",
        "environment_id": "dev",
        "types": ["card-completed"],
        "url": "http://receiver.test/hook",
        "secret": "s3cret",
        "created": 0.0,
        "updated": 0.0,
    }
    return Subscription(**(values | fields))


def delivery(attempts: int = 1, first_attempt_at: float = 0.0, **fields: Any) -> Delivery:
    return Delivery("e1", "s1", "dev", first_attempt_at, attempts=attempts, **fields)


def answer(
    outcome: Outcome = Outcome.HTTP_ERROR,
    scheduled_at: float = 0.0,
    retry_after: float | None = None,
) -> Answer:
    status = {Outcome.SUCCESS: 200, Outcome.HTTP_ERROR: 500, Outcome.REDIRECT: 302}.get(outcome)
    return Answer(outcome, status, 0.0, None, scheduled_at, retry_after)


class Case(NamedTuple):
    unit: Delivery | Batch
    subscription: Subscription | None
    answer: Answer
    expected: Verdict
    settings: Settings = Settings()
    now: float = 0.0
    cancelled: bool = False


def case(clauses: tuple[str, ...], name: str, row: Case) -> Any:
    return pytest.param(row, id=name, marks=pytest.mark.clause(*clauses))


def retry(failures: int, at: float, due: float | None = None) -> Verdict:
    return Verdict(failures, retry_at=at, due=at if due is None else due)


# The default schedule's attempts, in seconds after the first (RETRY-SCHEDULE).
SCHEDULE = [0, 10, 30, 70, 150, 310, 630, 1270, 2550, 5110, 10230]

VERDICTS = [
    # DELIVERY-SUCCESS-2XX, DISABLE-RESET ------------------------------------------------
    case(
        ("DELIVERY-SUCCESS-2XX",),
        "a 2xx delivers",
        Case(delivery(), subscription(), answer(Outcome.SUCCESS), Verdict(0, DELIVERED)),
    ),
    case(
        ("DISABLE-RESET",),
        "a success resets the counter",
        Case(
            delivery(),
            subscription(consecutive_failures=22),
            answer(Outcome.SUCCESS),
            Verdict(0, DELIVERED),
        ),
    ),
    case(
        ("DELIVERY-SUCCESS-2XX",),
        "a 3xx is a failure, retried",
        Case(delivery(), subscription(), answer(Outcome.REDIRECT), retry(1, 10)),
    ),
    *[
        case(
            ("DELIVERY-SUCCESS-2XX",),
            f"{outcome} is a failure, retried",
            Case(delivery(), subscription(), answer(outcome), retry(1, 10)),
        )
        for outcome in (Outcome.HTTP_ERROR, Outcome.TIMEOUT, Outcome.REFUSED, Outcome.RESET)
    ],
    # RETRY-SCHEDULE ----------------------------------------------------------------------
    *[
        case(
            ("RETRY-SCHEDULE",),
            f"after attempt {number} at {at} s the next is at {following} s",
            Case(
                delivery(number),
                subscription(),
                answer(scheduled_at=at),
                retry(1, following),
            ),
        )
        for number, (at, following) in enumerate(zip(SCHEDULE, SCHEDULE[1:], strict=False), start=1)
    ],
    case(
        ("RETRY-SCHEDULE", "RETRY-WINDOW", "DELIVERY-UNDELIVERED"),
        "the 11th attempt is the last: the 12th would be past 4 hours",
        Case(
            delivery(11),
            subscription(),
            answer(scheduled_at=10230),
            Verdict(1, UNDELIVERED, "retries-exhausted"),
        ),
    ),
    case(
        ("RETRY-SCHEDULE",),
        "a retry counts from the previous scheduled start, not from its answer",
        Case(delivery(2), subscription(), answer(scheduled_at=10), retry(1, 30), now=19.5),
    ),
    case(
        ("RETRY-SCHEDULE",),
        "a retry whose time passed while the answer was awaited runs at once",
        Case(
            delivery(1),
            subscription(),
            answer(),
            retry(1, 1.0, due=5.0),
            settings=Settings(retry_base=1.0, timeout=5.0),
            now=5.0,
        ),
    ),
    # RETRY-WINDOW ------------------------------------------------------------------------
    case(
        ("RETRY-WINDOW",),
        "a retry exactly at the window's edge is made",
        Case(
            delivery(3),
            subscription(),
            answer(scheduled_at=30),
            retry(1, 70),
            settings=Settings(retry_window=70),
        ),
    ),
    case(
        ("RETRY-WINDOW",),
        "a retry past the window's edge is not",
        Case(
            delivery(3),
            subscription(),
            answer(scheduled_at=30),
            Verdict(1, UNDELIVERED, "retries-exhausted"),
            settings=Settings(retry_window=69.999),
        ),
    ),
    case(
        ("RETRY-WINDOW",),
        "the window counts from the first attempt",
        Case(
            delivery(3, first_attempt_at=100.0),
            subscription(),
            answer(scheduled_at=130),
            retry(1, 170),
            settings=Settings(retry_window=70),
        ),
    ),
    # RETRY-MAX-RETRIES -------------------------------------------------------------------
    case(
        ("RETRY-MAX-RETRIES",),
        "the platform's max_retries allows retry 2",
        Case(
            delivery(2),
            subscription(),
            answer(scheduled_at=10),
            retry(1, 30),
            settings=Settings(max_retries=2),
        ),
    ),
    case(
        ("RETRY-MAX-RETRIES",),
        "the platform's max_retries stops at retry 3",
        Case(
            delivery(3),
            subscription(),
            answer(scheduled_at=30),
            Verdict(1, UNDELIVERED, "retries-exhausted"),
            settings=Settings(max_retries=2),
        ),
    ),
    case(
        ("RETRY-MAX-RETRIES",),
        "a subscription's maxRetries 0 means no retry",
        Case(
            delivery(1),
            subscription(max_retries=0),
            answer(),
            Verdict(1, UNDELIVERED, "retries-exhausted"),
        ),
    ),
    # RETRY-MAX-DELAY ---------------------------------------------------------------------
    case(
        ("RETRY-MAX-DELAY",),
        "max_delay caps each delay",
        Case(
            delivery(5),
            subscription(),
            answer(scheduled_at=150),
            retry(1, 210),
            settings=Settings(max_delay=60),
        ),
    ),
    # RETRY-AFTER -------------------------------------------------------------------------
    case(
        ("RETRY-AFTER",),
        "a longer Retry-After postpones the retry",
        Case(delivery(), subscription(), answer(retry_after=100), retry(1, 100)),
    ),
    case(
        ("RETRY-AFTER",),
        "a shorter Retry-After leaves the backoff",
        Case(delivery(), subscription(), answer(retry_after=3), retry(1, 10)),
    ),
    case(
        ("RETRY-AFTER", "RETRY-WINDOW"),
        "a Retry-After still ends at the window",
        Case(
            delivery(),
            subscription(),
            answer(retry_after=WINDOW + 1),
            Verdict(1, UNDELIVERED, "retries-exhausted"),
        ),
    ),
    # DISABLE-THRESHOLD, DISABLE-OPT-OUT --------------------------------------------------
    case(
        ("DISABLE-THRESHOLD",),
        "the 22nd consecutive failure does not disable",
        Case(delivery(), subscription(consecutive_failures=21), answer(), retry(22, 10)),
    ),
    case(
        ("DISABLE-THRESHOLD", "DELIVERY-UNDELIVERED"),
        "the 23rd consecutive failure disables",
        Case(
            delivery(),
            subscription(consecutive_failures=22),
            answer(),
            Verdict(23, UNDELIVERED, "subscription-disabled", disable=True),
        ),
    ),
    case(
        ("DISABLE-THRESHOLD", "SETTINGS"),
        "the threshold is a setting",
        Case(
            delivery(),
            subscription(consecutive_failures=2),
            answer(),
            Verdict(3, UNDELIVERED, "subscription-disabled", disable=True),
            settings=Settings(disable_threshold=3),
        ),
    ),
    case(
        ("DISABLE-OPT-OUT",),
        "disableAfterFailures false keeps retrying past the threshold",
        Case(
            delivery(),
            subscription(consecutive_failures=99, disable_after_failures=False),
            answer(),
            retry(100, 10),
        ),
    ),
    case(
        ("DISABLE-THRESHOLD",),
        "a failure of a delivery that already ended still counts",
        Case(
            delivery(state=UNDELIVERED), subscription(consecutive_failures=4), answer(), Verdict(5)
        ),
    ),
    # DISABLE-STOPS-DELIVERY, DELIVERY-UNDELIVERED ----------------------------------------
    case(
        ("DISABLE-STOPS-DELIVERY",),
        "a failure answered after a disable is not retried",
        Case(
            delivery(),
            subscription(status="disabled"),
            answer(),
            Verdict(1, UNDELIVERED, "subscription-disabled"),
        ),
    ),
    case(
        ("DISABLE-STOPS-DELIVERY",),
        "a failure in flight across a disable and re-enable is the last attempt",
        Case(
            delivery(),
            subscription(),
            answer(),
            Verdict(1, UNDELIVERED, "subscription-disabled"),
            cancelled=True,
        ),
    ),
    case(
        ("DISABLE-STOPS-DELIVERY",),
        "a success in flight across a disable delivers",
        Case(
            delivery(),
            subscription(status="disabled"),
            answer(Outcome.SUCCESS),
            Verdict(0, DELIVERED),
            cancelled=True,
        ),
    ),
    case(
        ("DELIVERY-UNDELIVERED",),
        "a failure answered after the subscription was deleted",
        Case(delivery(), None, answer(), Verdict(None, UNDELIVERED, "subscription-deleted")),
    ),
    case(
        ("DELIVERY-UNDELIVERED",),
        "a success answered after the subscription was deleted",
        Case(delivery(), None, answer(Outcome.SUCCESS), Verdict(None, DELIVERED)),
    ),
    # BATCHING: the same rules for a batch --------------------------------------------------
    case(
        ("BATCHING", "RETRY-SCHEDULE"),
        "a batch retries on the schedule from its first attempt",
        Case(
            Batch(1, "dev", "s1", BatchPolicy(10, 5), [delivery()], 50.0, 80.0, 3),
            subscription(),
            answer(scheduled_at=80),
            retry(1, 120),
        ),
    ),
    case(
        ("BATCHING", "DISABLE-THRESHOLD"),
        "a batch's failure counts once towards the threshold",
        Case(
            Batch(1, "dev", "s1", BatchPolicy(10, 5), [delivery(), delivery()], 0.0, 0.0, 1),
            subscription(consecutive_failures=22),
            answer(),
            Verdict(23, UNDELIVERED, "subscription-disabled", disable=True),
        ),
    ),
    case(
        ("BATCHING",),
        "a batch whose events all ended only counts the failure",
        Case(
            Batch(1, "dev", "s1", BatchPolicy(10, 5), [delivery(state=UNDELIVERED)], 0.0, 0.0, 1),
            subscription(),
            answer(),
            Verdict(1),
        ),
    ),
]


@pytest.mark.parametrize("row", VERDICTS)
def test_the_verdict_after_an_answer(row: Case) -> None:
    verdict = after_attempt(
        row.unit,
        row.subscription,
        row.settings,
        row.answer,
        row.now,
        random.Random(0),
        cancelled=row.cancelled,
    )
    assert verdict == row.expected


@pytest.mark.clause("DUPLICATE-INJECTION", "DETERMINISM")
@pytest.mark.parametrize(
    ("unit", "active", "probability", "duplicate"),
    [
        (delivery(), True, 1.0, True),
        (delivery(), True, 0.0, False),
        (delivery(), False, 1.0, False),  # nothing more is sent to a disabled subscription
        (Batch(1, "dev", "s1", BatchPolicy(2, 5), [delivery()], 0.0, 0.0, 1), True, 1.0, False),
    ],
    ids=["always", "never", "disabled", "batch"],
)
def test_a_delivered_event_is_duplicated_with_the_seeded_probability(
    unit: Delivery | Batch, active: bool, probability: float, duplicate: bool
) -> None:
    rng = random.Random(7)
    before = rng.getstate()
    verdict = after_attempt(
        unit,
        subscription(status="active" if active else "disabled"),
        Settings(duplicate_probability=probability),
        answer(Outcome.SUCCESS),
        0.0,
        rng,
    )
    assert (verdict.end, verdict.duplicate) == (DELIVERED, duplicate)
    if probability == 0.0:
        assert rng.getstate() == before  # no draw: the seeded stream is the same as without


@pytest.mark.clause("DUPLICATE-INJECTION", "DETERMINISM")
def test_duplicates_follow_the_seeded_stream() -> None:
    settings = Settings(duplicate_probability=0.5)

    def draws(seed: int) -> list[bool]:
        rng = random.Random(seed)
        return [
            after_attempt(
                delivery(), subscription(), settings, answer(Outcome.SUCCESS), 0, rng
            ).duplicate
            for _ in range(40)
        ]

    assert draws(3) == draws(3)
    assert 5 < sum(draws(3)) < 35  # about half, not all or none


@pytest.mark.clause("RETRY-JITTER", "DETERMINISM")
def test_jitter_draws_from_the_seeded_source_within_its_bounds() -> None:
    settings = Settings(jitter=0.5)
    rng = random.Random(11)
    retries = [
        after_attempt(delivery(), subscription(), settings, answer(), 0, rng).retry_at
        for _ in range(50)
    ]
    assert all(r is not None and 5.0 <= r <= 15.0 for r in retries)
    assert len(set(retries)) > 40
    rng = random.Random(11)
    again = [
        after_attempt(delivery(), subscription(), settings, answer(), 0, rng).retry_at
        for _ in range(50)
    ]
    assert again == retries


# before an attempt --------------------------------------------------------------------------
@pytest.mark.clause("DISABLED-NOT-ATTEMPTED", "DISABLE-STOPS-DELIVERY")
@pytest.mark.parametrize(
    ("sub", "reason"),
    [
        (subscription(), None),
        (subscription(status="disabled"), "subscription-disabled"),
        (None, "subscription-deleted"),
    ],
    ids=["active", "disabled", "deleted"],
)
def test_nothing_is_sent_to_a_disabled_or_deleted_subscription(
    sub: Subscription | None, reason: str | None
) -> None:
    assert why_not_attempted(sub) == reason


@pytest.mark.clause("NOTHING-LOST", "DELIVERY-UNDELIVERED")
@pytest.mark.parametrize(
    ("unit", "sub"),
    [
        (delivery(), subscription()),
        (delivery(attempts=5), subscription(consecutive_failures=22)),
        (
            Batch(1, "dev", "s1", BatchPolicy(2, 5), [delivery(), delivery()], 0.0, 0.0, 1),
            subscription(consecutive_failures=3),
        ),
    ],
    ids=["first-attempt", "one-short-of-disabling", "batch"],
)
def test_a_request_that_could_not_be_written_ends_its_unit_and_counts_nothing(
    unit: Delivery | Batch, sub: Subscription
) -> None:
    # Not retried (it would fail the same way), and the receiver did nothing wrong: the
    # counter is left as it is (None), so one short of the threshold does not disable.
    expected = Verdict(None, UNDELIVERED, "internal-error")
    assert after_unprepared(unit, sub, Settings()) == expected
    assert ATOMIC_RULES.after_unprepared(unit, sub, Settings()) == expected


# judging an answer ----------------------------------------------------------------------------
class Judged(NamedTuple):
    result: TransportResult
    expected: Answer
    settings: Settings = Settings()
    scheduled_at: float = 1_767_225_600.0  # 2026-01-01T00:00:00Z


START = 1_767_225_600.0


def limited(status: int, value: str, latency: float = 0.0) -> TransportResult:
    return TransportResult(
        Outcome.HTTP_ERROR, status, {"retry-after": value}, b"", latency, f"{status}"
    )


JUDGED = [
    case(
        ("DELIVERY-TIMEOUT",),
        "no answer within the timeout is a timeout of exactly the timeout",
        Judged(
            TransportResult(Outcome.SUCCESS, 200, latency=10.5),
            Answer(Outcome.TIMEOUT, None, 10.0, "no answer within 10 s", START, None),
        ),
    ),
    case(
        ("DELIVERY-TIMEOUT",),
        "an answer at exactly the timeout counts",
        Judged(
            TransportResult(Outcome.SUCCESS, 200, latency=10.0),
            Answer(Outcome.SUCCESS, 200, 10.0, None, START, None),
        ),
    ),
    case(
        ("DELIVERY-TIMEOUT", "SETTINGS"),
        "the timeout is a setting",
        Judged(
            TransportResult(Outcome.SUCCESS, 200, latency=2.5),
            Answer(Outcome.TIMEOUT, None, 2.0, "no answer within 2 s", START, None),
            Settings(timeout=2.0),
        ),
    ),
    case(
        ("RETRY-AFTER",),
        "Retry-After in seconds on a 429",
        Judged(
            limited(429, "100"),
            Answer(Outcome.HTTP_ERROR, 429, 0.0, "429", START, 100.0),
        ),
    ),
    case(
        ("RETRY-AFTER",),
        "Retry-After on a 503",
        Judged(limited(503, "45"), Answer(Outcome.HTTP_ERROR, 503, 0.0, "503", START, 45.0)),
    ),
    case(
        ("RETRY-AFTER",),
        "Retry-After on a 500 is not heard",
        Judged(limited(500, "45"), Answer(Outcome.HTTP_ERROR, 500, 0.0, "500", START, None)),
    ),
    case(
        ("RETRY-AFTER",),
        "Retry-After as an HTTP-date counts from the scheduled start",
        Judged(
            limited(429, "Thu, 01 Jan 2026 00:01:40 GMT"),
            Answer(Outcome.HTTP_ERROR, 429, 0.0, "429", START, 100.0),
        ),
    ),
    *[
        case(
            ("RETRY-AFTER",),
            f"Retry-After {value!r} leaves the backoff",
            Judged(limited(429, value), Answer(Outcome.HTTP_ERROR, 429, 0.0, "429", START, None)),
        )
        for value in ("-3", "soon", "inf", "nan", "Wed, 31 Dec 2025 07:28:00 GMT")
    ],
    case(
        ("RETRY-AFTER", "DELIVERY-TIMEOUT"),
        "a Retry-After answered after the timeout was never heard",
        Judged(
            limited(429, "100", latency=11.0),
            Answer(Outcome.TIMEOUT, None, 10.0, "no answer within 10 s", START, None),
        ),
    ),
]


@pytest.mark.parametrize("row", JUDGED)
def test_an_answer_is_judged(row: Judged) -> None:
    assert judge(row.result, row.settings, row.scheduled_at) == row.expected


@pytest.mark.clause("RETRY-AFTER")
@pytest.mark.parametrize(
    ("status", "value", "delay"),
    [(429, "30", 30.0), (503, "30", 30.0), (500, "30", None), (429, "-1", None)],
)
def test_retry_after_is_read_only_on_its_statuses(
    status: int, value: str, delay: float | None
) -> None:
    assert retry_after_delay(limited(status, value), Settings(), START) == delay
    custom = Settings(retry_after_statuses=(500,))
    assert retry_after_delay(limited(500, value), custom, START) == (
        None if value == "-1" else 30.0
    )


@pytest.mark.clause("DELIVERY-SUCCESS-2XX")
@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (199, Outcome.HTTP_ERROR),
        (200, Outcome.SUCCESS),
        (204, Outcome.SUCCESS),
        (299, Outcome.SUCCESS),
        (300, Outcome.REDIRECT),
        (302, Outcome.REDIRECT),
        (399, Outcome.REDIRECT),
        (400, Outcome.HTTP_ERROR),
        (429, Outcome.HTTP_ERROR),
        (500, Outcome.HTTP_ERROR),
    ],
)
def test_only_a_2xx_delivers_and_a_3xx_is_never_followed(status: int, outcome: Outcome) -> None:
    assert classify_status(status) is outcome


@pytest.mark.clause("DELIVERY-SUCCESS-2XX", "LOG-REDACT")
def test_a_redirect_is_logged_without_its_query() -> None:
    location = {"location": "https://elsewhere.test/path?token=abc"}
    assert redirect_error(302, location) == (
        "302 redirect not followed (Location: https://elsewhere.test/path)"
    )
    assert redirect_error(301, {}) == "301 redirect not followed"


@pytest.mark.clause("BATCHING", "DISABLE-THRESHOLD", "API-ENABLE")
def test_the_default_rules_object_answers_with_these_functions() -> None:
    # The executor reads the rules only through this object (a profile's seam).
    row = Case(delivery(), subscription(consecutive_failures=22), answer(), Verdict(23))
    verdict = ATOMIC_RULES.after_attempt(
        row.unit, row.subscription, row.settings, row.answer, 0.0, None
    )
    assert verdict == after_attempt(row.unit, row.subscription, row.settings, row.answer, 0, None)
    assert ATOMIC_RULES.why_not_attempted(None) == "subscription-deleted"
    assert ATOMIC_RULES.failures_after_enable(subscription(consecutive_failures=23)) == 0
    result = TransportResult(Outcome.SUCCESS, 200, latency=1.0)
    assert ATOMIC_RULES.judge(result, Settings(), 5.0) == judge(result, Settings(), 5.0)
