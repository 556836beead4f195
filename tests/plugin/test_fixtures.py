"""The fixtures: a fresh platform per test, overridable settings and seed, the management API
client, scriptable receivers, the user's own WSGI app or URL, and the conformance kit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from hooksim.simulator import Behaviour, Platform, Settings, VirtualClock

from hooksim.testing import HooksimPlatform, MountedURL, UnexpectedResponse


def test_each_test_gets_a_fresh_platform(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("round", [1, 2])
        def test_fresh(hooksim_platform, hooksim_receiver, hooksim_clock, round):
            assert hooksim_platform.now == 0
            assert hooksim_platform.subscriptions() == []
            assert hooksim_platform.platform.events(hooksim_platform.environment_id) == []
            receiver = hooksim_receiver()
            assert receiver.url == "https://receiver-1.hooksim.test/webhook"
            receiver.subscribe(["card-published"])
            hooksim_platform.publish("card-published")
            hooksim_platform.advance("1h")
            assert hooksim_clock.now() - hooksim_platform.start == 3600
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=2)


def test_overriding_hooksim_settings_in_a_conftest_changes_the_retry_schedule(pytester):
    pytester.makeconftest(
        """
        import pytest
        from hooksim.simulator import Settings

        @pytest.fixture
        def hooksim_settings():
            return Settings(retry_base=1, max_retries=3)
        """
    )
    pytester.makepyfile(
        """
        from hooksim.testing import assert_attempt_times

        def test_schedule(hooksim_platform, hooksim_receiver):
            receiver = hooksim_receiver(status=500)
            receiver.subscribe(["card-published"])
            event = hooksim_platform.publish("card-published")
            hooksim_platform.advance("1h")
            assert_attempt_times(receiver, event, [0, 1, 3, 7])
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_the_default_schedule_without_an_override(hooksim_platform, hooksim_receiver):
    receiver = hooksim_receiver(status=500)
    receiver.subscribe()
    hooksim_platform.publish()
    hooksim_platform.advance("5m")
    starts = [hooksim_platform.offset(r.started_at) for r in hooksim_platform.attempts()]
    assert starts == [0, 10, 30, 70, 150]


@pytest.mark.hooksim_settings(disable_threshold=2, retry_base=5)
def test_the_marker_changes_one_tests_settings(hooksim_platform, hooksim_receiver):
    assert (hooksim_platform.settings.disable_threshold, hooksim_platform.settings.retry_base) == (
        2,
        5,
    )
    receiver = hooksim_receiver(status=500)
    subscription = receiver.subscribe()
    hooksim_platform.publish()
    hooksim_platform.advance(60)
    assert hooksim_platform.subscription(subscription).status == "disabled"
    assert [hooksim_platform.offset(r.started_at) for r in hooksim_platform.attempts()] == [0, 5]


@pytest.mark.hooksim_settings(Settings(timeout=2), max_retries=0)
def test_the_marker_takes_a_settings_object_too(hooksim_platform):
    assert (hooksim_platform.settings.timeout, hooksim_platform.settings.max_retries) == (2, 0)


def test_the_seed_comes_from_the_command_line(pytester):
    pytester.makepyfile(
        """
        def test_seed(hooksim_seed, hooksim_platform):
            assert hooksim_seed == 42
            assert hooksim_platform.seed == 42
        """
    )
    pytester.runpytest_inprocess("--hooksim-seed", "42").assert_outcomes(passed=1)
    result = pytester.runpytest_inprocess("--hooksim-seed", "-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--hooksim-seed: expected a whole number >= 0, not '-1'"])


def test_the_same_seed_makes_the_same_platform(hooksim_seed):
    def ids(seed: int) -> list[str]:
        platform = HooksimPlatform(seed=seed)
        platform.subscribe(platform.receiver(), ["card-published"])
        return [platform.environment_id, platform.publish().id]

    assert hooksim_seed == 0
    assert ids(7) == ids(7) != ids(8)


def test_the_platform_fixture_wraps_a_real_platform(hooksim_platform, hooksim_clock):
    assert isinstance(hooksim_platform.platform, Platform)
    assert isinstance(hooksim_clock, VirtualClock)
    assert hooksim_platform.platform.clock is hooksim_clock
    assert hooksim_platform.environment_id in hooksim_platform.platform.store.environments


def test_receivers_are_a_factory_with_a_script(hooksim_platform, hooksim_receiver):
    slow = hooksim_receiver(latency=15, name="slow")  # beyond the 10 s timeout
    down = hooksim_receiver(down_until="2m", name="down")
    picky = hooksim_receiver(respond=lambda n, request: 200 if n % 2 == 0 else 429, name="picky")
    for receiver in (slow, down, picky):
        receiver.subscribe(["card-completed"])
    assert len({slow.url, down.url, picky.url}) == 3
    event = hooksim_platform.publish("card-completed")
    hooksim_platform.advance("3m")

    def outcomes(receiver):
        return [str(r.outcome) for r in hooksim_platform.attempts(url=receiver.url)]

    assert outcomes(slow)[:2] == ["timeout", "timeout"]
    assert outcomes(down) == ["refused"] * 4 + ["success"]  # down until 120 s: up at 150 s
    assert outcomes(picky) == ["http-error", "success"]
    assert down.processed_ids == [event.id]
    assert [request.time for request in down.requests] == [0, 10, 30, 70, 150]


def test_a_receiver_verifies_signatures_with_its_subscriptions_secret(
    hooksim_platform, hooksim_receiver
):
    from werkzeug.test import Client

    strict, lenient = hooksim_receiver(), hooksim_receiver(verify_signatures=False)
    for receiver in (strict, lenient):
        receiver.subscribe()
    hooksim_platform.publish()
    for receiver in (strict, lenient):
        sub = receiver.subscriptions[0]
        forged = b'{"webhookId":"%s","data":{"id":"forged-1"}}' % sub.id.encode()
        Client(receiver).post("/webhook", data=forged, headers={"X-Atomic-Signature": "00"})
    assert [(r.signature_valid, r.status) for r in strict.requests] == [(True, 200), (False, 401)]
    assert [(r.signature_valid, r.status) for r in lenient.requests] == [(True, 200), (False, 200)]
    assert strict.processed_ids == strict.data_ids[:1]


def test_a_receivers_script_can_change_mid_test(hooksim_platform, hooksim_receiver):
    receiver = hooksim_receiver(status=503)
    receiver.subscribe()
    hooksim_platform.publish()
    receiver.script(status=[Behaviour(202), 500])
    hooksim_platform.advance(10)
    assert [r.status for r in receiver.requests] == [503, 202]
    with pytest.raises(ValueError, match="HTTP status"):
        receiver.script(status=99)
    with pytest.raises(ValueError, match="already a receiver named"):
        hooksim_platform.receiver(name=receiver.name)


def test_the_client_speaks_the_management_api(hooksim_client, hooksim_receiver):
    receiver = hooksim_receiver(status=[500, 200])
    sub = hooksim_client.subscribe(receiver, ["card-published"], headers={"X-Shop": "1"})
    assert set(sub) >= {"id", "secret", "types", "url", "headers"}
    assert [s["id"] for s in hooksim_client.list()] == [sub["id"]]
    assert hooksim_client.subscription(sub["id"])["headers"] == {"X-Shop": "1"}
    assert hooksim_client.test(sub["id"])["success"] is False  # the first answer is a 500
    [event_id] = hooksim_client.publish("card-published")
    assert hooksim_client.advance(10)["virtual"] is True
    rows = hooksim_client.deliveries(subscription=sub["id"], event=event_id)
    assert [(row["attempt"], row["statusCode"]) for row in rows] == [(1, 200)]
    assert hooksim_client.disable(sub)["status"] == "disabled"
    assert hooksim_client.enable(sub["id"])["status"] == "active"
    assert receiver.requests[0].headers["User-Agent"].startswith("hooksim/")


def test_the_clients_raw_requests_return_status_json_and_headers(hooksim_client):
    response = hooksim_client.get("/v1/{env}/webhook/nope")
    assert response.status == 404 and not response.ok
    assert response.json["error"]["code"]
    assert response.headers["content-type"].startswith("application/json")
    assert hooksim_client.post("/v1/{env}/webhook", json={"types": []}).status == 400
    anonymous = hooksim_client.get("/v1/{env}/webhook", headers={"Authorization": None})
    assert anonymous.status == 401
    with pytest.raises(UnexpectedResponse, match="answered 400"):
        hooksim_client.subscribe("not a url", ["card-published"])


def test_mounting_a_wsgi_app(hooksim_platform, hooksim_mount):
    seen: list[str] = []

    def app(environ, start_response):
        seen.append(environ["PATH_INFO"])
        start_response("204 No Content", [])
        return [b""]

    url = hooksim_mount(app, path="hooks/atomic")
    assert isinstance(url, MountedURL) and isinstance(url, str)
    assert url == "https://app-1.hooksim.test/hooks/atomic"
    hooksim_platform.subscribe(url, ["card-published"])
    hooksim_platform.publish()
    assert seen == ["/hooks/atomic"]
    with pytest.raises(TypeError, match="expected a WSGI app"):
        hooksim_mount(42)
    with pytest.raises(ValueError, match="http"):
        hooksim_mount("ftp://example.test/")


@pytest.fixture
def served_app() -> Iterator[tuple[str, list[bytes]]]:
    from werkzeug.serving import make_server

    bodies: list[bytes] = []

    def app(environ, start_response):
        bodies.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", bodies
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.served
def test_mounting_a_real_url_delivers_over_http(hooksim_platform, hooksim_mount, served_app):
    base, bodies = served_app
    url = hooksim_mount(base, path="/webhook")
    assert url == base + "/webhook"
    hooksim_platform.subscribe(url, ["card-published"])
    event = hooksim_platform.publish()
    [record] = hooksim_platform.attempts(url=url)
    assert (str(record.outcome), record.status_code, record.duration) == ("success", 200, 0)
    assert event.id.encode() in bodies[0]


def test_the_check_receiver_fixture_grades_an_app(hooksim_check_receiver):
    def app(environ, start_response):  # accepts everything: verifies nothing
        start_response("200 OK", [])
        return [b""]

    result = hooksim_check_receiver(app, secret="s3cret")
    assert not result.passed
    assert "rejects-invalid-signature" in [check.id for check in result.failed]
