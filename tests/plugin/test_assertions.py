"""The assertions of `hooksim.testing` explain themselves: a failure lists what was delivered
and when (virtual offsets, attempt numbers, outcomes)."""

from __future__ import annotations

import pytest
from hooksim.scenarios import TIME_TOLERANCE, same_times

from hooksim.testing import (
    DeliveryAssertionError,
    assert_attempt_times,
    assert_delivered_once,
    assert_each_event_processed_once,
    assert_subscription_active,
    assert_subscription_disabled,
    describe_deliveries,
    format_offset,
)


def _message(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    return str(excinfo.value)


def test_delivered_once_passes_and_returns_the_successful_attempt(
    hooksim_platform, hooksim_receiver
):
    receiver = hooksim_receiver(status=[500, 200])
    receiver.subscribe(["card-published"])
    event = hooksim_platform.publish("card-published", id="evt-1")
    hooksim_platform.advance("1m")
    record = assert_delivered_once(receiver, event)
    assert (record.attempt, record.status_code) == (2, 200)


def test_two_copies_are_listed_with_times_attempts_and_outcomes(hooksim_platform, hooksim_receiver):
    receiver = hooksim_receiver(status=[503, 200], dedupe=False)
    receiver.subscribe(["card-published"])
    event = hooksim_platform.publish("card-published", id="evt-1")
    hooksim_platform.advance(60)
    hooksim_platform.inject_duplicate(event)
    with pytest.raises(DeliveryAssertionError) as excinfo:
        assert_delivered_once(receiver, event)
    message = _message(excinfo)
    assert message.startswith(
        "event evt-1 was delivered 2 times to receiver receiver-1 "
        "(https://receiver-1.hooksim.test/webhook), expected once:"
    )
    lines = message.splitlines()
    assert "+0:00:00  attempt 1" in lines[1] and "503 http-error" in lines[1]
    assert "+0:00:10  attempt 2" in lines[2] and "200 success" in lines[2]
    assert "processed" in lines[2]
    assert "+0:01:00  duplicate #2" in lines[3] and "200 success" in lines[3]
    assert lines[-1] == "The receiver processed it 2 times."


def test_an_event_never_sent_says_why_and_lists_what_did_arrive(hooksim_platform, hooksim_receiver):
    receiver = hooksim_receiver()
    receiver.subscribe(["card-completed"])
    hooksim_platform.publish("card-completed", id="done-1")
    event = hooksim_platform.publish("card-dismissed", id="gone-1")
    with pytest.raises(DeliveryAssertionError) as excinfo:
        assert_delivered_once(receiver, event)
    message = _message(excinfo)
    assert "event gone-1 was never sent to receiver receiver-1" in message
    assert "no subscription there took it" in message
    assert "types ['card-completed']" in message
    assert "did get (1 attempts):" in message
    assert "attempt 1     event done-1  -> 200 success" in message


def test_an_event_never_delivered_shows_its_failures_and_the_next_attempt(
    hooksim_platform, hooksim_receiver
):
    receiver = hooksim_receiver(status=500)
    receiver.subscribe()
    event = hooksim_platform.publish("card-published", id="evt-9")
    hooksim_platform.advance(35)
    with pytest.raises(DeliveryAssertionError) as excinfo:
        assert_delivered_once(receiver, event)
    message = _message(excinfo)
    assert "was sent to receiver receiver-1" in message and "3 times but never delivered" in message
    assert message.count("500 http-error") == 3
    assert "next attempt at +0:01:10" in message


def test_a_subscription_disabled_early_says_when_why_and_what_came_before(
    hooksim_platform, hooksim_receiver
):
    hooksim_platform.configure(disable_threshold=3)
    receiver = hooksim_receiver(status=502)
    subscription = receiver.subscribe()
    hooksim_platform.publish("card-published", id="evt-1")
    hooksim_platform.advance("1h")
    with pytest.raises(DeliveryAssertionError) as excinfo:
        assert_subscription_active(receiver)
    message = _message(excinfo)
    assert f"subscription {subscription.id} (https://receiver-1.hooksim.test/webhook) " in message
    assert "was disabled automatically at +0:00:30 (threshold: 3 consecutive failures" in message
    assert "+0:00:30  disabled automatically, after 3 consecutive failed attempts" in message
    assert "Its attempts (3):" in message
    assert "+0:00:10  attempt 2     event evt-1  -> 502 http-error" in message
    assert_subscription_disabled(receiver)


def test_a_subscription_disabled_through_the_api_names_the_api(hooksim_platform, hooksim_receiver):
    receiver = hooksim_receiver()
    subscription = receiver.subscribe()
    hooksim_platform.advance(5)
    hooksim_platform.disable(subscription)
    with pytest.raises(DeliveryAssertionError, match="disabled through the API at \\+0:00:05"):
        assert_subscription_active(hooksim_platform, subscription.id)


def test_a_subscription_still_active_is_explained(hooksim_platform, hooksim_receiver):
    receiver = hooksim_receiver(status=500)
    receiver.subscribe()
    hooksim_platform.publish()
    hooksim_platform.advance(15)
    with pytest.raises(DeliveryAssertionError) as excinfo:
        assert_subscription_disabled(receiver)
    assert "is still active at +0:00:15: 2 consecutive failures, disable threshold 23" in str(
        excinfo.value
    )


@pytest.mark.clause("RETRY-SCHEDULE")
@pytest.mark.hooksim_settings(retry_base=10.0004)
def test_attempt_times_agree_within_half_a_millisecond_as_in_scenario_files(
    hooksim_platform, hooksim_receiver
):
    # One rule for scenario files and the plugin (`hooksim.scenarios.same_times`).
    receiver = hooksim_receiver(status=[500, 200])
    receiver.subscribe()
    event = hooksim_platform.publish(id="evt-1")
    hooksim_platform.advance(60)
    assert_attempt_times(receiver, event, [0, 10])  # 0.4 ms away: the same to the ms
    with pytest.raises(DeliveryAssertionError):
        assert_attempt_times(receiver, event, [0, 9.9994])  # 0.6 ms from 10.000: not
    assert same_times([10.0004], [10]) and not same_times([10.0005], [10])
    assert TIME_TOLERANCE == 0.0005


def test_attempt_times_show_each_attempt_expected_against_actual(
    hooksim_platform, hooksim_receiver
):
    receiver = hooksim_receiver(status=[500, 500, 500, 200])
    receiver.subscribe()
    hooksim_platform.advance(100)  # offsets in the message count from publication
    event = hooksim_platform.publish(id="evt-1")
    hooksim_platform.advance("5m")
    assert_attempt_times(receiver, event, [0, "10s", "30s", "1m10s"])
    with pytest.raises(DeliveryAssertionError) as excinfo:
        assert_attempt_times(receiver, event, [0, 10, 20])
    lines = _message(excinfo).splitlines()
    assert lines[0] == (
        "attempts of event evt-1 to receiver receiver-1 (https://receiver-1.hooksim.test/webhook): "
        "expected 3 at [0, 10, 20], got 4 at [0, 10, 30, 70] "
        "(seconds after it was published at +0:01:40):"
    )
    assert lines[1].startswith("    attempt 1   expected")
    assert lines[3].startswith("  x attempt 3   expected       +0:00:20  got     +0:00:30")
    assert lines[4].startswith("  x attempt 4   expected (not expected)  got     +0:01:10")
    assert lines[4].endswith("-> 200 success")


def test_each_event_processed_once_lists_the_copies_of_each_double(
    hooksim_platform, hooksim_receiver
):
    receiver = hooksim_receiver(dedupe=False)
    receiver.subscribe()
    first = hooksim_platform.publish(id="evt-1")
    hooksim_platform.publish(id="evt-2")
    hooksim_platform.advance(30)
    hooksim_platform.inject_duplicate(first)
    with pytest.raises(DeliveryAssertionError) as excinfo:
        assert_each_event_processed_once(receiver)
    message = _message(excinfo)
    assert message.splitlines()[0].startswith("1 of 2 events were not processed exactly once")
    assert "evt-1: processed 2 times, delivered 2 times (2 attempts):" in message
    assert "+0:00:30  duplicate #1  event evt-1  -> 200 success  processed" in message
    assert "evt-2" not in message


def test_a_deduplicating_receiver_processes_each_event_once(hooksim_platform, hooksim_receiver):
    receiver = hooksim_receiver(dedupe=True)
    receiver.subscribe()
    event = hooksim_platform.publish()
    hooksim_platform.inject_duplicate(event)
    assert_each_event_processed_once(receiver)
    assert "skipped (duplicate)" in describe_deliveries(receiver, event)


def test_an_apps_effects_are_counted_by_the_callback(hooksim_platform, hooksim_mount):
    effects: dict[str, int] = {}

    def app(environ, start_response):
        effects["evt-1"] = effects.get("evt-1", 0) + 1  # acts on every copy: not idempotent
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    url = hooksim_mount(app)
    hooksim_platform.subscribe(url, ["card-published"])
    event = hooksim_platform.publish(id="evt-1")
    with pytest.raises(TypeError, match="pass effects="):
        assert_each_event_processed_once(url)
    assert_each_event_processed_once(url, effects=effects)
    hooksim_platform.inject_duplicate(event)
    with pytest.raises(DeliveryAssertionError, match="evt-1: processed 2 times"):
        assert_each_event_processed_once(url, effects=lambda: effects)


def test_nothing_delivered_is_not_a_pass(hooksim_platform, hooksim_receiver):
    receiver = hooksim_receiver(status=500)
    receiver.subscribe()
    hooksim_platform.publish()
    with pytest.raises(DeliveryAssertionError, match="no event was delivered"):
        assert_each_event_processed_once(receiver)


def test_a_plain_url_string_is_refused_with_a_hint(hooksim_platform):
    with pytest.raises(TypeError, match="use the one hooksim_mount returned"):
        assert_delivered_once("https://example.test/hook", "evt-1")  # type: ignore[arg-type]


def test_describe_deliveries_of_the_whole_platform_names_the_urls(
    hooksim_platform, hooksim_receiver
):
    one, two = hooksim_receiver(name="one"), hooksim_receiver(name="two", status=410)
    one.subscribe()
    two.subscribe()
    hooksim_platform.publish(id="evt-1")
    text = describe_deliveries(hooksim_platform)
    assert "[https://one-1.hooksim.test/webhook]" in text
    assert "410 http-error  [https://two-2.hooksim.test/webhook]" in text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "+0:00:00"), (70, "+0:01:10"), (5110, "+1:25:10"), (1.5, "+0:00:01.500"),
     (90000, "+1d 01:00:00"), (-3, "-0:00:03")],
)  # fmt: skip
def test_format_offset(seconds, text):
    assert format_offset(seconds) == text


def test_a_failure_in_a_users_test_points_at_the_users_line(pytester):
    pytester.makepyfile(
        """
        from hooksim.testing import assert_delivered_once

        def test_double(hooksim_platform, hooksim_receiver):
            receiver = hooksim_receiver(dedupe=False)
            receiver.subscribe(["card-published"])
            event = hooksim_platform.publish("card-published", id="evt-1")
            hooksim_platform.inject_duplicate(event)
            assert_delivered_once(receiver, event)
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            ">*assert_delivered_once(receiver, event)",
            "E*hooksim.testing.DeliveryAssertionError: event evt-1 was delivered 2 times to "
            "receiver receiver-1 (https://receiver-1.hooksim.test/webhook), expected once:",
            "E*+0:00:00  attempt 1     event evt-1  -> 200 success  processed",
            "E*+0:00:00  duplicate #1  event evt-1  -> 200 success  processed",
            "E*The receiver processed it 2 times.",
        ]
    )
    assert "_assertions.py" not in result.stdout.str()  # the helper's own frames are hidden
