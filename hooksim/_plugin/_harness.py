"""One test's platform: the simulator's in-process harness (`PlatformHarness`: a `Platform`
on a virtual clock with an environment, the receivers and apps mounted on it, and the status
history the explanatory assertions quote), with the test-facing names around it.

Receivers are mounted in-process (no network); a real URL given to `mount` is delivered over
real HTTP through the platform's HTTP transport.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from hooksim.simulator import (
    ATOMIC_PROFILE,
    AttemptRecord,
    Delivery,
    Event,
    InProcessTransport,
    NotFound,
    OutgoingRequest,
    PlatformHarness,
    Profile,
    Settings,
    StatusRecord,
    Subscription,
    TransportResult,
    VirtualClock,
)

from ._receiver import ScriptedReceiver

__all__ = ["HooksimPlatform", "MountedURL", "RoutingTransport", "StatusRecord"]

#: In-process apps and receivers are mounted on hosts below this domain (never resolved).
MOUNT_DOMAIN = "hooksim.test"
_KINDS = ("delivery", "duplicate")


class MountedURL(str):
    """A receiver URL (a plain `str`) that remembers the platform it is mounted on, so that
    assertions can look up what was delivered to it: `assert_delivered_once(url, event)`."""

    harness: HooksimPlatform

    def __new__(cls, url: str, harness: HooksimPlatform) -> MountedURL:
        value = super().__new__(cls, url)
        value.harness = harness
        return value


class RoutingTransport(InProcessTransport):
    """In-process mounts first; origins registered with `allow_http` go over real HTTP.

    A real answer takes no virtual time (its latency is set to 0): the attempt is logged as
    soon as the request returns, so a test need not advance the clock to see it. The HTTP
    transport's own timeout still applies.
    """

    def __init__(self) -> None:
        super().__init__()
        self._http_origins: set[tuple[str, str]] = set()
        self._http: Any = None

    def allow_http(self, url: str) -> None:
        self._http_origins.add(_origin(url))

    def send(self, request: OutgoingRequest) -> TransportResult:
        if self.resolve(request.url) is None and _origin(request.url) in self._http_origins:
            if self._http is None:
                from hooksim.simulator import HttpTransport

                self._http = HttpTransport()
            result: TransportResult = self._http.send(request)
            result.latency = 0.0
            return result
        return super().send(request)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, f"{(parts.hostname or '').lower()}:{port}"


class HooksimPlatform:
    """A fresh in-process platform for one test (the `hooksim_platform` fixture).

    `platform` is the real `hooksim.simulator.Platform`; this wrapper fills in the test's
    environment id, counts time as virtual seconds from the platform's start ("offsets"), and
    mounts receivers. Everything runs on the virtual clock: nothing happens until the test
    publishes or advances.

    Example::

        receiver = hooksim_platform.receiver(status=[500, 200])
        hooksim_platform.subscribe(receiver, ["card-published"])
        event = hooksim_platform.publish("card-published")
        hooksim_platform.advance(60)
        assert [r.outcome for r in hooksim_platform.attempts(event=event)] == [...]
    """

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        profile: Profile | None = None,
        seed: int = 0,
        clock: VirtualClock | None = None,
    ) -> None:
        #: The sender whose rules the platform follows (Atomic's unless told).
        self.profile = profile if profile is not None else ATOMIC_PROFILE
        self.settings = settings if settings is not None else self.profile.default_settings()
        self.seed = seed
        self.transport = RoutingTransport()
        clock = clock if clock is not None else VirtualClock()
        self.harness = PlatformHarness(
            self.settings,
            seed=seed,
            clock=clock,
            # Tokens live on a clock that stands still: advancing hours never logs a client out.
            token_clock=VirtualClock(clock.now()),
            profile=self.profile,
            transport=self.transport,
            roles=(),
        )
        self.clock = clock
        self.platform = self.harness.platform
        self.start = self.harness.start
        self.environment_id = self.harness.environment_id
        #: Status changes of its subscriptions, at offsets from the start.
        self.history: list[StatusRecord] = self.harness.history
        self.receivers: list[ScriptedReceiver] = []
        self._numbers = itertools.count(1)

    def __repr__(self) -> str:
        return (
            f"<HooksimPlatform environment={self.environment_id} at +{self.now:g} s, "
            f"{len(self.platform.attempts(self.environment_id))} attempts>"
        )

    def close(self) -> None:
        self.harness.close()

    # time ------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Virtual seconds since the platform started."""
        return self.harness.elapsed()

    def offset(self, timestamp: float) -> float:
        """A platform time (POSIX seconds) as virtual seconds since the start."""
        return self.harness.offset(timestamp)

    def advance(self, seconds: float | str) -> float:
        """Move the clock forward (`90`, `"45m"`, `"2h"`), running everything due on the way;
        returns the new offset."""
        self.platform.advance(_seconds(seconds))
        return self.now

    def advance_to(self, offset: float | str) -> float:
        """Move the clock to `offset` virtual seconds since the start."""
        target = _seconds(offset)
        if target < self.now:
            raise ValueError(f"the clock is already at +{self.now:g} s, past {target:g} s")
        return self.advance(target - self.now)

    def run_pending(self) -> float:
        """Advance until no attempt is pending (retries exhausted or delivered)."""
        self.platform.run_pending()
        return self.now

    # subscriptions ---------------------------------------------------------------------
    def subscribe(
        self,
        url: str | ScriptedReceiver,
        types: Sequence[str] | str = ("card-published",),
        *,
        secret: str | None = None,
        **fields: Any,
    ) -> Subscription:
        """Subscribe `url` (or a receiver) to event `types`; `fields` are the API's
        (`headers`, `cardTemplateId`, `maxRetries`, `disableAfterFailures`, `method`...).

        `secret` replaces the generated secret (test-only: the real platform generates it),
        for an app that reads its secret when it is built.
        """
        target = url.url if isinstance(url, ScriptedReceiver) else str(url)
        body = {"url": target, "types": [types] if isinstance(types, str) else list(types)}
        body.update(fields)
        subscription = self.platform.subscribe(self.environment_id, body)
        if secret is not None:
            subscription.secret = secret
        return subscription

    def subscription(self, subscription: Subscription | Mapping[str, Any] | str) -> Subscription:
        """The subscription as it is now (by object, API dict or id)."""
        return self.platform.subscription(self.environment_id, subscription_id(subscription))

    def subscriptions(self, url: str | None = None) -> list[Subscription]:
        found = self.platform.subscriptions(self.environment_id)
        return [s for s in found if url is None or s.url == url]

    def disable(self, subscription: Subscription | Mapping[str, Any] | str) -> Subscription:
        return self.platform.disable_subscription(
            self.environment_id, subscription_id(subscription)
        )

    def enable(self, subscription: Subscription | Mapping[str, Any] | str) -> Subscription:
        return self.platform.enable_subscription(self.environment_id, subscription_id(subscription))

    def configure(self, **changes: Any) -> Settings:
        """Change the environment's delivery settings from now on."""
        self.settings = self.platform.configure(self.environment_id, **changes)
        return self.settings

    # events ----------------------------------------------------------------------------
    def publish(
        self,
        event_type: str = "card-published",
        *,
        id: str | None = None,  # noqa: A002 - the payload's own name for it
        overrides: Mapping[str, Any] | None = None,
    ) -> Event:
        """Publish one event (first attempts are made at once); `id` fixes its `data.id`."""
        changes = dict(overrides or {})
        if id is not None:
            changes["id"] = id
        [event] = self.platform.publish(self.environment_id, event_type, overrides=changes)
        return event

    def publish_many(
        self, event_type: str, count: int, *, overrides: Mapping[str, Any] | None = None
    ) -> list[Event]:
        return self.platform.publish(
            self.environment_id, event_type, count=count, overrides=overrides
        )

    def publish_data(self, data: Mapping[str, Any]) -> Event:
        """Publish an event whose `data` the test wrote in full."""
        return self.platform.publish_data(self.environment_id, data)

    def inject_duplicate(
        self, event: Event | str, subscription: Subscription | str | None = None
    ) -> list[AttemptRecord]:
        """Send another copy of a delivered event now (at-least-once, on purpose)."""
        sub = None if subscription is None else subscription_id(subscription)
        return self.platform.inject_duplicate(self.environment_id, event_id(event), sub)

    def event(self, event: Event | str) -> Event:
        return self.platform.event(self.environment_id, event_id(event))

    # receivers -------------------------------------------------------------------------
    def receiver(
        self,
        status: int | Sequence[int] = 200,
        *,
        latency: float = 0.0,
        down_until: float | str | None = None,
        dedupe: bool = True,
        verify_signatures: bool = True,
        respond: Callable[..., Any] | None = None,
        name: str | None = None,
        path: str = "/webhook",
    ) -> ScriptedReceiver:
        """A scriptable recording receiver, mounted at its own URL (see `hooksim_receiver`)."""
        number = next(self._numbers)
        name = name or f"receiver-{number}"
        if any(r.name == name for r in self.receivers):
            raise ValueError(f"there is already a receiver named {name!r} on this platform")
        url = f"https://{_host(name, number)}.{MOUNT_DOMAIN}{_path(path)}"
        receiver = ScriptedReceiver(
            self,
            name,
            url,
            status=status,
            latency=latency,
            down_until=None if down_until is None else _seconds(down_until),
            dedupe=dedupe,
            verify_signatures=verify_signatures,
            respond=respond,
        )
        self.harness.mount(url, receiver)
        self.receivers.append(receiver)
        return receiver

    def mount(self, app_or_url: Any, path: str | None = None) -> MountedURL:
        """Deliver to a WSGI app in-process (a URL of its own is made up) or to a real URL
        over HTTP; returns the URL to subscribe."""
        if isinstance(app_or_url, str):
            parts = urlsplit(app_or_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"expected an http(s) URL or a WSGI app, not {app_or_url!r}")
            url = app_or_url
            if path is not None:
                url = app_or_url.rstrip("/") + _path(path)
            self.transport.allow_http(url)
            return MountedURL(url, self)
        if not callable(app_or_url):
            raise TypeError(
                f"expected a WSGI app (Flask, Django's WSGIHandler, werkzeug...) or an http(s) "
                f"URL, not {type(app_or_url).__name__}"
            )
        number = next(self._numbers)
        url = f"https://app-{number}.{MOUNT_DOMAIN}{_path(path or '/webhook')}"
        self.harness.mount(url, app_or_url)
        return MountedURL(url, self)

    # what happened ---------------------------------------------------------------------
    def attempts(
        self,
        *,
        url: str | None = None,
        subscription: Subscription | Mapping[str, Any] | str | None = None,
        event: Event | str | None = None,
        kinds: Iterable[str] = _KINDS,
    ) -> list[AttemptRecord]:
        """The delivery log, oldest first (test deliveries only when `kinds` says so)."""
        records = self.platform.attempts(
            self.environment_id,
            subscription_id=None if subscription is None else subscription_id(subscription),
            event_id=None if event is None else event_id(event),
            kinds=kinds,
        )
        return [r for r in records if url is None or _same_url(r.url, url)]

    def deliveries(self) -> list[Delivery]:
        return self.platform.deliveries(self.environment_id)

    def secret_for(self, webhook_id: str) -> str | None:
        try:
            return self.platform.subscription(self.environment_id, webhook_id).secret
        except NotFound:
            return None


# helpers ---------------------------------------------------------------------------------
def subscription_id(subscription: Subscription | Mapping[str, Any] | str) -> str:
    if isinstance(subscription, Subscription):
        return subscription.id
    if isinstance(subscription, Mapping):
        inner = subscription.get("data", subscription)
        return str(inner["id"])
    return str(subscription)


def event_id(event: Event | Mapping[str, Any] | str) -> str:
    if isinstance(event, Event):
        return event.id
    if isinstance(event, Mapping):
        return str(event.get("id", event))
    return str(event)


def _seconds(value: float | str) -> float:
    if isinstance(value, str):
        from hooksim.scenarios import parse_duration

        return float(parse_duration(value))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected seconds (a number) or a duration like '45m', not {value!r}")
    return float(value)


def _path(path: str) -> str:
    return path if path.startswith("/") else "/" + path


def _host(name: str, number: int) -> str:
    """A host label for a receiver: its name made DNS-safe, numbered so that it is unique."""
    label = "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower())
    label = label.strip("-")[:50] or "receiver"
    return label if label == f"receiver-{number}" else f"{label}-{number}"


def _same_url(sent: str, target: str) -> bool:
    return sent == target or sent.rstrip("/") == target.rstrip("/")
