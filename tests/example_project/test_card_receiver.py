"""The example project's tests: its receiver against hooksim's platform, on a virtual clock."""

from __future__ import annotations

from hooksim.testing import (
    assert_attempt_times,
    assert_delivered_once,
    assert_each_event_processed_once,
    assert_subscription_active,
    describe_deliveries,
)


def test_each_completion_is_recorded_once_however_many_copies(hooksim_platform, app, app_url):
    events = hooksim_platform.publish_many("card-completed", 3)
    for event in events:
        hooksim_platform.inject_duplicate(event)  # at-least-once: a second copy of each
    hooksim_platform.advance("1m")
    assert_each_event_processed_once(app_url, effects=app.effect_counts)
    assert [entry["id"] for entry in app.completions] == [event.id for event in events]


def test_a_maintenance_window_delays_but_loses_nothing(hooksim_platform, app, app_url):
    app.available = False
    event = hooksim_platform.publish("card-completed")
    hooksim_platform.advance("1m")
    app.available = True
    hooksim_platform.advance("10m")
    assert_attempt_times(app_url, event, [0, 10, 30, 70])  # 503, 503, 503, then 200
    assert_delivered_once(app_url, event)
    assert_subscription_active(app_url)


def test_after_five_retries_the_event_is_kept_undelivered(hooksim_platform, app, app_url):
    app.available = False  # longer than the retries last (conftest: max_retries=5)
    hooksim_platform.publish("card-completed")
    hooksim_platform.advance("2h")
    assert [d.reason for d in hooksim_platform.deliveries()] == ["retries-exhausted"]
    assert len(hooksim_platform.attempts()) == 6
    assert app.completions == []


def test_a_delivery_signed_with_another_secret_is_refused(hooksim_platform, hooksim_mount, app):
    url = hooksim_mount(app)
    hooksim_platform.subscribe(url, ["card-completed"], secret="someone-elses-secret")
    hooksim_platform.publish("card-completed")
    hooksim_platform.advance("1m")
    assert app.completions == [], "acted on a forged delivery:\n" + describe_deliveries(url)
    assert {attempt.status_code for attempt in hooksim_platform.attempts()} == {401}


def test_subscribing_through_the_api(hooksim_client, hooksim_mount, app):
    subscription = hooksim_client.subscribe(hooksim_mount(app), ["card-completed"])
    app.secret = subscription["secret"]  # the secret the platform made for this subscription
    assert hooksim_client.test(subscription["id"])["success"] is True
    assert hooksim_client.disable(subscription["id"])["status"] == "disabled"


def test_the_receiver_passes_the_conformance_kit(hooksim_check_receiver, app):
    result = hooksim_check_receiver(app, secret=app.secret, count_effects=app.effect_counts)
    result.assert_passed()
