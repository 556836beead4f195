"""hooksim's pytest fixtures. Each is function-scoped: every test gets a platform of its own.

The configuration points are small fixtures a project overrides in its `conftest.py`, in the
style of pytest-httpserver: `hooksim_settings` (retry policy, threshold, timeout...) and
`hooksim_seed`. This module imports only pytest at import time; the simulator is imported
when a fixture is first used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from hooksim._kit import KitResult
    from hooksim.simulator import Profile, Settings, VirtualClock

    from ._client import HooksimClient
    from ._harness import HooksimPlatform, MountedURL
    from ._receiver import ScriptedReceiver

__all__ = [
    "hooksim_check_receiver",
    "hooksim_client",
    "hooksim_clock",
    "hooksim_mount",
    "hooksim_platform",
    "hooksim_profile",
    "hooksim_receiver",
    "hooksim_seed",
    "hooksim_settings",
]


@pytest.fixture
def hooksim_seed(request: pytest.FixtureRequest) -> int:
    """The seed of the test's platform (ids, jitter, duplicates): `--hooksim-seed N`, else 0.

    Override it to pin one seed for a folder::

        @pytest.fixture
        def hooksim_seed():
            return 1234
    """
    value = request.config.getoption("hooksim_seed", None)
    return 0 if value is None else int(value)


@pytest.fixture
def hooksim_profile(request: pytest.FixtureRequest) -> Profile:
    """The platform profile the test's platform follows: `@pytest.mark.hooksim_profile(NAME)`,
    else `--hooksim-profile NAME`, else `atomic` (the Atomic Webhooks API). NAME is a bundled
    profile (standard-webhooks, svix, stripe, github) or a profile file's path.

    Override it to pin one for a folder::

        @pytest.fixture
        def hooksim_profile():
            from hooksim.scenarios import load_profile
            return load_profile("svix")
    """
    from hooksim.scenarios import resolve_profile

    marker = request.node.get_closest_marker("hooksim_profile")
    chosen = marker.args[0] if marker is not None and marker.args else None
    return resolve_profile(chosen, request.config.getoption("hooksim_profile", None))


@pytest.fixture
def hooksim_settings(hooksim_profile: Profile) -> Settings:
    """The platform's delivery `Settings` (the seed's defaults: retries backing off from 10 s
    for up to 4 hours, disabled after 23 consecutive failures, 10 s timeout).

    Override it in a `conftest.py` to test against your environment's configuration::

        from hooksim.simulator import Settings

        @pytest.fixture
        def hooksim_settings():
            return Settings(max_retries=5, disable_threshold=10, timeout=5)

    or change a single test with the marker
    `@pytest.mark.hooksim_settings(retry_base=1, disable_threshold=3)`. Under a platform
    profile (`hooksim_profile`) the defaults are that sender's (Svix: a 15 s timeout, ...).
    """
    return hooksim_profile.default_settings()


@pytest.fixture
def hooksim_clock() -> VirtualClock:
    """The virtual clock of the test's platform; it stands still until the platform advances.

    Example::

        def test_clock(hooksim_platform, hooksim_clock):
            start = hooksim_clock.now()
            hooksim_platform.advance("90s")
            assert hooksim_clock.now() - start == 90
    """
    from hooksim.simulator import VirtualClock

    return VirtualClock()


@pytest.fixture
def hooksim_platform(
    request: pytest.FixtureRequest,
    hooksim_clock: VirtualClock,
    hooksim_settings: Settings,
    hooksim_seed: int,
    hooksim_profile: Profile,
) -> Iterator[HooksimPlatform]:
    """A fresh in-process webhook platform on `hooksim_clock`, with an environment created.

    A `hooksim.testing.HooksimPlatform`: `.platform` is the real `Platform`;
    `.environment_id` is the test's environment; offsets are virtual seconds since the start.
    Nothing is sent over the network unless a real URL is mounted (`hooksim_mount`).

    Example::

        def test_retries_until_delivered(hooksim_platform, hooksim_receiver):
            receiver = hooksim_receiver(status=[500, 500, 200])
            receiver.subscribe(["card-completed"])
            event = hooksim_platform.publish("card-completed")
            hooksim_platform.advance("1m")
            assert_attempt_times(receiver, event, [0, 10, 30])
    """
    from ._harness import HooksimPlatform

    settings = hooksim_settings
    marker = request.node.get_closest_marker("hooksim_settings")
    if marker is not None:
        if marker.args:
            settings = marker.args[0]
        settings = settings.with_changes(**marker.kwargs)
    harness = HooksimPlatform(
        settings=settings, seed=hooksim_seed, clock=hooksim_clock, profile=hooksim_profile
    )
    yield harness
    harness.close()


@pytest.fixture
def hooksim_client(hooksim_platform: HooksimPlatform) -> HooksimClient:
    """An authenticated client (role `workbench`) for the platform's management API, over
    werkzeug's test client: helpers for the Webhooks API and simulation control, and raw
    `.get/.post/.put/.patch/.delete` returning `status`, parsed `json` and `headers`.

    Example::

        def test_subscribe_and_test(hooksim_client, hooksim_receiver):
            sub = hooksim_client.subscribe(hooksim_receiver().url, ["card-published"])
            assert hooksim_client.test(sub["id"])["success"] is True
            assert hooksim_client.disable(sub["id"])["status"] == "disabled"
            assert hooksim_client.post("/v1/{env}/webhook", json={}).status == 400
    """
    from ._client import HooksimClient

    return HooksimClient(hooksim_platform)


@pytest.fixture
def hooksim_receiver(hooksim_platform: HooksimPlatform) -> Callable[..., ScriptedReceiver]:
    """Make scriptable recording receivers mounted on the platform (as many as you like).

    `hooksim_receiver(status=200, latency=0, down_until=None, dedupe=True,
    verify_signatures=True, respond=None, name=None)`: `status` may be a sequence answered in
    turn (the last repeats); `latency` is virtual seconds (beyond the timeout: a timeout);
    `down_until` refuses connections until that offset (`"45m"`); `respond(n, request)`
    returns a status or a `Behaviour` and overrides the rest. `receiver.script(...)` changes
    the script mid-test; `.requests`, `.processed_ids` and `.copies_of(id)` tell what came.

    Example::

        def test_outage(hooksim_platform, hooksim_receiver):
            shop = hooksim_receiver(down_until="45m")
            shop.subscribe(["card-published"])
            event = hooksim_platform.publish("card-published")
            hooksim_platform.advance("2h")
            assert_delivered_once(shop, event)
            assert shop.processed_ids == [event.id]
    """
    return hooksim_platform.receiver


@pytest.fixture
def hooksim_mount(hooksim_platform: HooksimPlatform) -> Callable[..., MountedURL]:
    """Deliver to your own receiver: `hooksim_mount(app_or_url, path="/webhook") -> url`.

    A WSGI app (Flask's `app`, Django's `get_wsgi_application()`, a werkzeug app) is called
    in-process at a made-up URL; a real `http(s)://` URL is delivered to over real HTTP (its
    answers take no virtual time). Subscribe the returned URL; assertions accept it as a target.

    Example::

        def test_my_app(hooksim_platform, hooksim_mount):
            app = create_app(secret="s3cret")
            url = hooksim_mount(app, path="/hooks/atomic")
            hooksim_platform.subscribe(url, ["card-completed"], secret="s3cret")
            event = hooksim_platform.publish("card-completed")
            assert_delivered_once(url, event)
    """

    def mount(app_or_url: Any, path: str | None = None) -> MountedURL:
        return hooksim_platform.mount(app_or_url, path)

    return mount


@pytest.fixture
def hooksim_check_receiver() -> Callable[..., KitResult]:
    """Run the receiver conformance kit (`hooksim check-receiver`) on your app or URL.

    `hooksim_check_receiver(app_or_url, secret=..., count_effects=None, **options)` returns a
    `KitResult`; `.assert_passed()` fails with every failed check and its evidence. Give
    `count_effects` (a callable returning `{data.id: times acted}`) to check idempotent
    effects too (or `effects_url`, a receiver's effects probe over HTTP). A WSGI app is called
    at `path` (default `/`): give the route it serves its webhook at, or every check gets a
    404 (the failure then names `path=`). Other options are `hooksim.check_receiver`'s
    (`method`, `headers`, `timeout`, `signature_header`, `effects_url`).

    Example::

        def test_conformance(hooksim_check_receiver):
            app = create_app(secret="s3cret")
            result = hooksim_check_receiver(
                app, secret="s3cret", path="/hooks/atomic", count_effects=app.counts
            )
            result.assert_passed()
    """
    from hooksim._kit import check_receiver

    def check(target: Any, *, secret: str, **options: Any) -> KitResult:
        __tracebackhide__ = True
        return check_receiver(target, secret=secret, **options)

    return check
