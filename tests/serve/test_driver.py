"""The wall-clock driver: real time passes, real requests go out off the platform lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from _serve_helpers import Receiver, wait_until
from hooksim.simulator import DeliveryState, Outcome, Platform, Settings, WallClock
from hooksim.simulator._driver import DeliveryPool, Driver
from hooksim.simulator._http_transport import HttpTransport
from hooksim.simulator._serve import ServedPlatform, ServeError, ServeOptions
from werkzeug.wrappers import Request, Response

pytestmark = pytest.mark.served

TYPES = ["card-published"]


@pytest.fixture
def platform() -> Iterator[Platform]:
    transport = HttpTransport()
    platform = Platform(
        clock=WallClock(), transport=transport, seed=None, settings=Settings(retry_base=0.05)
    )
    platform.create_environment("dev")
    yield platform
    transport.close()


def test_twenty_slow_receivers_never_delay_a_fast_one_or_the_api(
    platform: Platform, receiver_factory: Callable[..., Receiver]
) -> None:
    latch = threading.Event()

    def held(request: Request) -> Response:
        latch.wait(30)
        return Response("ok")

    # Slow receivers cannot time out during the test: each stays held until the latch opens.
    platform.configure("dev", timeout=120.0)
    slow = [receiver_factory(held) for _ in range(20)]
    fast = receiver_factory()
    for receiver in slow:
        platform.subscribe("dev", {"types": TYPES, "url": receiver.url + "/slow"})
    quick = platform.subscribe("dev", {"types": TYPES, "url": fast.url + "/fast"})
    driver = Driver(platform).start()
    try:
        platform.publish("dev", "card-published", count=3)
        wait_until(lambda: all(r.requests for r in slow), "every slow receiver holds a request")
        # Every slow receiver is still held on the latch, yet the fast one gets all three...
        wait_until(lambda: len(fast.requests) == 3, "three deliveries to the fast receiver")
        # ...and the API answers, including a test delivery.
        assert platform.test_subscription("dev", quick.id).outcome is Outcome.SUCCESS
        assert len(platform.subscriptions("dev")) == 21
        assert not platform.attempts("dev", subscription_id=platform.subscriptions("dev")[0].id)
    finally:
        latch.set()
    wait_until(lambda: len(platform.attempts("dev")) == 63, "every delivery to be answered")
    driver.stop()
    assert {a.outcome for a in platform.attempts("dev")} == {Outcome.SUCCESS}


def test_retries_run_in_real_time_until_delivered(
    platform: Platform, receiver_factory: Callable[..., Receiver]
) -> None:
    answers = iter([500, 503])
    receiver = receiver_factory(lambda request: Response("x", status=next(answers, 200)))
    subscription = platform.subscribe("dev", {"types": TYPES, "url": receiver.url})
    with Driver(platform):
        (event,) = platform.publish("dev", "card-published")
        wait_until(
            lambda: (
                platform.delivery(event.id, subscription.id).state  # type: ignore[union-attr]
                is DeliveryState.DELIVERED
            ),
            "the delivery to succeed at its third attempt",
        )
    attempts = platform.attempts("dev")
    assert [(a.attempt, a.outcome, a.status_code) for a in attempts] == [
        (1, Outcome.HTTP_ERROR, 500),
        (2, Outcome.HTTP_ERROR, 503),
        (3, Outcome.SUCCESS, 200),
    ]
    assert [r.path for r in receiver.requests] == ["/", "/", "/"]
    assert len({r.body for r in receiver.requests}) == 3  # a new requestId per attempt


def test_stop_joins_and_uninstalls_the_dispatcher(platform: Platform) -> None:
    driver = Driver(platform).start()
    assert driver.running and platform.dispatcher is driver.pool
    driver.stop()
    assert not driver.running and platform.dispatcher is None


def test_a_virtual_clock_has_no_driver() -> None:
    with pytest.raises(ValueError, match="virtual"):
        Driver(Platform())


def test_pool_limits_each_endpoint_without_holding_workers() -> None:
    pool = DeliveryPool(max_workers=4, per_endpoint=2)
    latch = threading.Event()
    done: list[str] = []
    lock = threading.Lock()

    def job(name: str, wait: bool) -> Callable[[], None]:
        def run() -> None:
            if wait:
                latch.wait(30)
            with lock:
                done.append(name)

        return run

    try:
        for i in range(5):
            pool.submit("http://slow:80", job(f"slow{i}", True))
        wait_until(lambda: pool.running == 2, "two slow jobs running")
        assert pool.queued == 3  # waiting in their endpoint's queue, not on a worker
        pool.submit("http://fast:80", job("fast", False))
        wait_until(lambda: "fast" in done, "the job for another endpoint to run")
        assert pool.running == 2
        latch.set()
        wait_until(lambda: len(done) == 6, "every job to run")
        assert sorted(done) == ["fast"] + [f"slow{i}" for i in range(5)]
    finally:
        latch.set()
        assert pool.shutdown(5) == 0
    with pytest.raises(RuntimeError):
        pool.submit("http://fast:80", job("late", False))


class Gauge:
    """Requests a receiver is holding right now, and the most it ever held at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.most = 0

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.now -= 1


@pytest.mark.clause("SERVE")
@pytest.mark.parametrize("limit", [1, 3])
def test_the_per_endpoint_limit_holds_while_other_endpoints_are_served(
    serve: Callable[..., ServedPlatform],
    receiver_factory: Callable[..., Receiver],
    limit: int,
) -> None:
    served = serve(max_workers=8, per_endpoint=limit)
    platform, env = served.platform, served.environment_id
    platform.configure(env, timeout=120.0)  # held requests cannot time out during the test
    latch = threading.Event()
    gauge = Gauge()

    def held(request: Request) -> Response:
        with gauge:
            latch.wait(30)
        return Response("ok")

    slow = receiver_factory(held)
    fast = receiver_factory()
    platform.subscribe(env, {"types": TYPES, "url": slow.url + "/slow"})
    platform.subscribe(env, {"types": TYPES, "url": fast.url + "/fast"})
    assert served.driver is not None
    try:
        platform.publish(env, "card-published", count=6)
        wait_until(lambda: gauge.now == limit, f"{limit} requests held by the slow receiver")
        # The other endpoint gets every delivery while the slow one is at its limit ...
        wait_until(lambda: len(fast.requests) == 6, "six deliveries to the other endpoint")
        # ... and the slow one still has only `limit`: the rest wait their turn, off the workers.
        assert len(slow.requests) == limit
        assert gauge.now == limit
        assert served.driver.pool.queued == 6 - limit
    finally:
        latch.set()
    wait_until(lambda: len(platform.attempts(env)) == 12, "every delivery to be answered")
    assert gauge.most == limit
    assert {a.outcome for a in platform.attempts(env)} == {Outcome.SUCCESS}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_workers": 0}, "--workers must be a whole number from 1 to 1024, not 0"),
        ({"max_workers": 2000}, "--workers must be"),
        ({"max_workers": True}, "--workers must be"),
        ({"per_endpoint": 0}, "--per-endpoint must be a whole number from 1 to --workers (64)"),
        ({"max_workers": 4, "per_endpoint": 5}, "from 1 to --workers (4), not 5"),
        ({"per_endpoint": 1.5}, "--per-endpoint must be"),
    ],
)
def test_pool_options_are_checked(options: dict[str, object], message: str) -> None:
    with pytest.raises(ServeError) as caught:
        ServedPlatform(ServeOptions(port=0, **options))  # type: ignore[arg-type]
    assert message in caught.value.message


@pytest.mark.clause("API-TEST")
def test_a_slow_test_delivery_holds_up_no_other_api_call(
    platform: Platform, receiver_factory: Callable[..., Receiver]
) -> None:
    from hooksim.simulator import make_app
    from werkzeug.test import Client

    latch = threading.Event()

    def held(request: Request) -> Response:
        latch.wait(30)
        return Response("ok")

    platform.configure("dev", timeout=120.0)
    slow = receiver_factory(held)
    subscription = platform.subscribe("dev", {"types": TYPES, "url": slow.url + "/slow"})
    client = platform.auth.create_client("dev", "workbench")
    token = platform.auth.issue_token(client.client_id, client.secret).value
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "hooksim-tests"}
    app = make_app(platform)
    answers: dict[str, object] = {}

    def call(name: str, method: str, path: str) -> None:
        answers[name] = Client(app).open(path, method=method, headers=headers)

    driver = Driver(platform).start()
    tester = threading.Thread(
        target=call, args=("test", "POST", f"/v1/dev/webhook/{subscription.id}/test")
    )
    tester.start()
    try:
        wait_until(lambda: slow.requests, "the receiver to hold the test delivery")
        lister = threading.Thread(target=call, args=("list", "GET", "/v1/dev/webhook"))
        lister.start()
        # While the test delivery is held, listing must still answer (a liveness bound, not a
        # timing assert: with the platform lock held it would wait for the latch).
        wait_until(lambda: "list" in answers, "the list to answer during a held test delivery")
        assert answers["list"].status_code == 200  # type: ignore[attr-defined]
    finally:
        latch.set()
    tester.join(30)
    driver.stop()
    assert answers["test"].json["data"]["success"] is True  # type: ignore[attr-defined]
