"""Assertions that explain themselves: when one fails, its message lists what was delivered
and when (virtual offsets, attempt numbers, outcomes), like pytest-httpserver listing the
requests that did arrive.

A `target` is what was delivered to: a `hooksim_receiver`, a URL from `hooksim_mount`, or the
`hooksim_platform` itself (every subscription of the test's environment).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from hooksim.scenarios import TIME_TOLERANCE, attempt_times, format_offset, same_times
from hooksim.simulator import AttemptRecord, Event, NotFound, Subscription

from ._harness import HooksimPlatform, MountedURL, event_id
from ._receiver import ScriptedReceiver

__all__ = [
    "DeliveryAssertionError",
    "assert_attempt_times",
    "assert_delivered_once",
    "assert_each_event_processed_once",
    "assert_subscription_active",
    "assert_subscription_disabled",
    "describe_deliveries",
    "format_offset",
]

#: Rows of the delivery log a message shows (the most recent when there are more).
MAX_ROWS = 30

Target: TypeAlias = ScriptedReceiver | MountedURL | HooksimPlatform
Effects: TypeAlias = Mapping[str, int] | Callable[[], Mapping[str, int]]
SubscriptionRef: TypeAlias = Subscription | Mapping[str, Any] | str


class DeliveryAssertionError(AssertionError):
    """A hooksim assertion failed; the message lists the deliveries it looked at."""

    __module__ = "hooksim.testing"  # what pytest prints: the public name


@dataclass(frozen=True, slots=True)
class _Target:
    harness: HooksimPlatform
    url: str | None  # None: every subscription of the environment
    label: str
    receiver: ScriptedReceiver | None = None


def _resolve(target: Target) -> _Target:
    if isinstance(target, ScriptedReceiver):
        return _Target(target.harness, target.url, f"receiver {target.name} ({target.url})", target)
    if isinstance(target, MountedURL):
        return _Target(target.harness, str(target), str(target))
    if isinstance(target, HooksimPlatform):
        return _Target(target, None, f"environment {target.environment_id}")
    raise TypeError(
        "expected a hooksim_receiver, a URL returned by hooksim_mount, or hooksim_platform; "
        f"got {type(target).__name__} (a plain URL string does not know its platform: "
        "use the one hooksim_mount returned)"
    )


def _what(record: AttemptRecord) -> str:
    if record.kind == "test":
        return "test delivery"
    if record.kind == "duplicate":
        return f"duplicate #{record.attempt}"
    return f"attempt {record.attempt}"


def _outcome(record: AttemptRecord) -> str:
    text = str(record.outcome)
    if record.status_code is not None:
        text = f"{record.status_code} {text}"
    if record.error and not record.succeeded:
        text += f" ({record.error})"
    return text


def _rows(
    target: _Target,
    records: Sequence[AttemptRecord],
    *,
    indent: str = "  ",
    latest: bool = False,
) -> list[str]:
    """One line per attempt: when, which attempt, event, where, how it ended."""
    if not records:
        return [indent + "(no attempts at all)"]
    shown = list(records[-MAX_ROWS:] if latest else records[:MAX_ROWS])
    hidden = len(records) - len(shown)
    processed = _processed_by_request(target)
    urls = {r.url for r in records}
    lines = []
    if hidden and latest:
        lines.append(f"{indent}... {hidden} earlier attempt{'s' * (hidden != 1)} not shown")
    for record in shown:
        line = (
            f"{indent}{format_offset(target.harness.offset(record.started_at)):>12}  "
            f"{_what(record):<13} event {record.event_id}  -> {_outcome(record)}"
        )
        if len(urls) > 1 or target.url is None:
            line += f"  [{record.url}]"
        note = processed.get(record.request_id)
        if note:
            line += f"  {note}"
        lines.append(line)
    if hidden and not latest:
        lines.append(f"{indent}... {hidden} more attempt{'s' * (hidden != 1)} not shown")
    return lines


def _processed_by_request(target: _Target) -> dict[str, str]:
    """For a scripted receiver: whether it acted on each request (by the body's requestId)."""
    if target.receiver is None:
        return {}
    notes = {}
    for request in target.receiver.requests:
        try:
            request_id = request.json().get("requestId")
        except (ValueError, AttributeError):
            continue
        if request.status is not None and 200 <= request.status < 300:
            notes[str(request_id)] = "processed" if request.processed else "skipped (duplicate)"
    return notes


def _fail(lines: Iterable[str]) -> DeliveryAssertionError:
    return DeliveryAssertionError("\n".join(lines))


# the assertions ----------------------------------------------------------------------------
def describe_deliveries(target: Target, event: Event | str | None = None) -> str:
    """The delivery log of `target` (optionally one event's), one line per attempt."""
    t = _resolve(target)
    records = t.harness.attempts(url=t.url, event=event)
    return "\n".join(_rows(t, records, indent=""))


def assert_delivered_once(target: Target, event: Event | str) -> AttemptRecord:
    """Exactly one attempt (or copy) of `event` got a 2xx from `target`; returns it.

    Example::

        event = hooksim_platform.publish("card-published")
        hooksim_platform.advance("1h")
        assert_delivered_once(receiver, event)
    """
    __tracebackhide__ = True
    t = _resolve(target)
    eid = event_id(event)
    records = t.harness.attempts(url=t.url, event=eid)
    delivered = [r for r in records if r.succeeded]
    if len(delivered) == 1:
        return delivered[0]
    at = format_offset(t.harness.now)
    if not records:
        lines = [f"event {eid} was never sent to {t.label} (clock at {at})."]
        lines += _why_not_sent(t, eid)
        everything = t.harness.attempts(url=t.url)
        if t.url is not None:
            lines.append(f"What {t.label} did get ({len(everything)} attempts):")
            lines += _rows(t, everything)
    elif not delivered:
        lines = [
            f"event {eid} was sent to {t.label} {len(records)} time"
            f"{'s' * (len(records) != 1)} but never delivered (no 2xx answer; clock at {at}):",
            *_rows(t, records),
            *_delivery_states(t, eid),
        ]
    else:
        lines = [
            f"event {eid} was delivered {len(delivered)} times to {t.label}, expected once:",
            *_rows(t, records),
        ]
        if t.receiver is not None:
            count = t.receiver.processed_counts[eid]
            lines.append(f"The receiver processed it {count} time{'s' * (count != 1)}.")
    raise _fail(lines)


def _why_not_sent(t: _Target, eid: str) -> list[str]:
    harness = t.harness
    try:
        event = harness.event(eid)
    except NotFound:
        return [f"No event with id {eid!r} was published on this platform."]
    elsewhere = harness.attempts(event=eid)
    if elsewhere:
        return [
            f"It was published at {format_offset(harness.offset(event.published_at))} "
            f"({event.type}) and sent elsewhere:",
            *_rows(_Target(harness, None, t.label), elsewhere),
        ]
    subs = harness.subscriptions(t.url)
    if not subs:
        return [f"It was published ({event.type}), but no subscription points at {t.label}."]
    lines = [f"It was published ({event.type}); no subscription there took it:"]
    for sub in subs:
        lines.append(f"  subscription {sub.id}: {sub.status}, types {sub.types}")
    return lines


def _delivery_states(t: _Target, eid: str) -> list[str]:
    lines = []
    for sub in t.harness.subscriptions(t.url):
        delivery = t.harness.platform.delivery(eid, sub.id)
        if delivery is None:
            continue
        if delivery.next_attempt_at is not None:
            nxt = format_offset(t.harness.offset(delivery.next_attempt_at))
            lines.append(f"Still pending for subscription {sub.id}: next attempt at {nxt}.")
        elif delivery.reason:
            lines.append(f"Undelivered for subscription {sub.id}: {delivery.reason}.")
    return lines


def assert_each_event_processed_once(target: Target, *, effects: Effects | None = None) -> None:
    """Every event delivered to `target` was acted on exactly once, however many copies came.

    A `hooksim_receiver` counts what it processed itself; for your own app pass `effects`:
    a mapping (or a callable returning one) of `data.id` to how many times the app acted.

    Example::

        assert_each_event_processed_once(url, effects=app.effect_counts)
    """
    __tracebackhide__ = True
    t = _resolve(target)
    if effects is None:
        if t.receiver is None:
            raise TypeError(
                "pass effects=... (a mapping of data.id to how many times your app acted on "
                "it, or a callable returning one); only a hooksim_receiver counts its own"
            )
        counts: Counter[str] = t.receiver.processed_counts
    else:
        counts = Counter({str(k): int(v) for k, v in _effects(effects).items()})
    records = t.harness.attempts(url=t.url)
    delivered = list(dict.fromkeys(r.event_id for r in records if r.succeeded))
    ids = list(dict.fromkeys([*delivered, *counts]))
    if not ids:
        raise _fail(
            [
                f"no event was delivered to {t.label}, so none was processed "
                f"(clock at {format_offset(t.harness.now)}):",
                *_rows(t, records),
            ]
        )
    wrong = [i for i in ids if counts.get(i, 0) != 1]
    if not wrong:
        return
    lines = [
        f"{len(wrong)} of {len(ids)} events were not processed exactly once by {t.label}:",
    ]
    for eid in wrong:
        n = counts.get(eid, 0)
        copies = [r for r in records if r.event_id == eid]
        ok = sum(r.succeeded for r in copies)
        lines.append(
            f"  {eid}: processed {n} time{'s' * (n != 1)}, "
            f"delivered {ok} time{'s' * (ok != 1)} ({len(copies)} attempts):"
        )
        lines += _rows(t, copies, indent="    ")
    raise _fail(lines)


def _effects(effects: Effects) -> Mapping[str, int]:
    return effects() if callable(effects) else effects


def _subscriptions(t: _Target, subscription: SubscriptionRef | None) -> list[Subscription]:
    if subscription is not None:
        return [t.harness.subscription(subscription)]
    subs = t.harness.subscriptions(t.url)
    if not subs:
        raise _fail([f"there is no subscription for {t.label}."])
    return subs


def _status_lines(t: _Target, sub: Subscription) -> list[str]:
    harness = t.harness
    lines = []
    for change in (h for h in harness.history if h.subscription_id == sub.id):
        line = f"    {format_offset(change.t):>12}  {change.action}"
        if change.action == "disabled":
            how = "automatically" if change.reason == "auto" else f"by {change.reason}"
            line += f" {how}, after {change.consecutive_failures} consecutive failed attempts"
        lines.append(line)
    return lines


def assert_subscription_active(target: Target, subscription: SubscriptionRef | None = None) -> None:
    """`subscription` (default: every subscription of `target`) is still active.

    When one was disabled, the message says when and why, and lists the attempts before.

    Example::

        hooksim_platform.advance("4h")
        assert_subscription_active(receiver)
    """
    __tracebackhide__ = True
    t = _resolve(target)
    subs = _subscriptions(t, subscription)
    disabled = [s for s in subs if not s.active]
    if not disabled:
        return
    settings = t.harness.platform.environment(t.harness.environment_id).settings
    lines = []
    for sub in disabled:
        when = ""
        if sub.disabled_at is not None:
            when = f" at {format_offset(t.harness.offset(sub.disabled_at))}"
        why = {"auto": "automatically", "api": "through the API"}.get(
            sub.disabled_reason or "", str(sub.disabled_reason)
        )
        lines.append(
            f"subscription {sub.id} ({sub.url}) was disabled {why}{when} "
            f"(threshold: {settings.disable_threshold} consecutive failures; "
            f"clock at {format_offset(t.harness.now)})."
        )
        lines.append("  Status changes:")
        lines += _status_lines(t, sub)
        attempts = t.harness.attempts(subscription=sub)
        lines.append(f"  Its attempts ({len(attempts)}):")
        lines += _rows(t, attempts, indent="    ", latest=True)
    raise _fail(lines)


def assert_subscription_disabled(
    target: Target, subscription: SubscriptionRef | None = None
) -> None:
    """`subscription` (default: every subscription of `target`) has been disabled."""
    __tracebackhide__ = True
    t = _resolve(target)
    active = [s for s in _subscriptions(t, subscription) if s.active]
    if not active:
        return
    settings = t.harness.platform.environment(t.harness.environment_id).settings
    lines = []
    for sub in active:
        attempts = t.harness.attempts(subscription=sub)
        lines.append(
            f"subscription {sub.id} ({sub.url}) is still active at "
            f"{format_offset(t.harness.now)}: {sub.consecutive_failures} consecutive failures, "
            f"disable threshold {settings.disable_threshold}"
            + ("" if sub.disable_after_failures else " (disableAfterFailures is false)")
            + f". Its attempts ({len(attempts)}):"
        )
        lines += _rows(t, attempts, indent="    ", latest=True)
    raise _fail(lines)


def assert_attempt_times(
    target: Target,
    event: Event | str,
    expected: Sequence[float | str],
    *,
    tolerance: float = TIME_TOLERANCE,
) -> None:
    """The attempts of `event` to `target` started at `expected` offsets, in virtual seconds
    after the event was published (`[0, 10, 30, 70]` or `["0s", "10s", "30s", "1m10s"]`).

    The same rule as a scenario file's `attempts: {at: [...]}` (`hooksim.scenarios.
    attempt_times`): each attempt's start, to the millisecond; a time agrees when it is less
    than `tolerance` (half a millisecond) away. Only the origin differs: a scenario counts
    from its start, this from the event's publication.

    Example::

        assert_attempt_times(receiver, event, [0, 10, 30, 70, 150])
    """
    __tracebackhide__ = True
    from ._harness import _seconds

    t = _resolve(target)
    eid = event_id(event)
    published = t.harness.event(eid).published_at
    records = t.harness.attempts(url=t.url, event=eid, kinds=("delivery",))
    actual = attempt_times(records, published)
    wanted = [_seconds(value) for value in expected]
    if same_times(actual, wanted, tolerance):
        return
    lines = [
        f"attempts of event {eid} to {t.label}: expected {len(wanted)} at "
        f"{_seconds_list(wanted)}, got {len(actual)} at {_seconds_list(actual)} "
        f"(seconds after it was published at {format_offset(t.harness.offset(published))}):",
    ]
    for number in range(1, max(len(actual), len(wanted)) + 1):
        want = wanted[number - 1] if number <= len(wanted) else None
        record = records[number - 1] if number <= len(records) else None
        got = actual[number - 1] if record is not None else None
        same = want is not None and got is not None and same_times([got], [want], tolerance)
        mark = " " if same else "x"
        want_text = format_offset(want) if want is not None else "(not expected)"
        got_text = format_offset(got) if got is not None else "(never made)"
        line = f"  {mark} attempt {number:<3} expected {want_text:>14}  got {got_text:>12}"
        if record is not None:
            line += f"  -> {_outcome(record)}"
        lines.append(line)
    raise _fail(lines)


def _seconds_list(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"
