"""Hypothesis strategies for webhook tests: events, subscriptions, settings, receiver faults.

Use them in your own property tests of a receiver, or of code that drives hooksim's
platform. Every strategy generates only values the contract accepts: events whose request
bodies `hooksim.contracts.validate_payload` accepts, subscribe bodies the management API
accepts, `Settings` that construct, fault schedules that a scenario receiver can play.

    from hypothesis import given
    from hooksim import strategies as hs

    @given(hs.events(types=["card-completed"]))
    def test_my_receiver_accepts_completions(data):
        assert handle(data) == "ok"

Every keyword argument that narrows a strategy takes a value or a strategy. Hypothesis is
the optional extra `hooksim[hypothesis]`.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # an install without the extra
    raise ImportError(
        "hooksim.strategies needs Hypothesis: pip install 'hooksim[hypothesis]'", name=exc.name
    ) from exc

from hooksim._faults import FAILURES, Fault, FaultSchedule
from hooksim.contracts import DEFAULT_SIGNATURE_HEADER, reserved_headers
from hooksim.simulator import EVENT_TYPES, IdSource, Settings, format_time, make_event_data

__all__ = [
    "Fault",
    "FaultSchedule",
    "envelopes",
    "event_types",
    "events",
    "fault_schedules",
    "faults",
    "settings",
    "subscriptions",
    "webhook_urls",
]

_TOKEN_CHARS = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
_HOST_CHARS = string.ascii_lowercase + string.digits + "-"
_PATH_CHARS = string.ascii_letters + string.digits + "-._~/%=&"
_FIRST_INSTANT = 946684800.0  # 2000-01-01
_LAST_INSTANT = 4102444800.0  # 2100-01-01


def _strategy(value: Any) -> st.SearchStrategy[Any]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def event_types() -> st.SearchStrategy[str]:
    """Analytics event names the platform knows (EVENT-TYPES).

    >>> event_types().example() in EVENT_TYPES
    True
    """
    return st.sampled_from(EVENT_TYPES)


@st.composite
def events(
    draw: st.DrawFn,
    types: Iterable[str] | st.SearchStrategy[str] | None = None,
    overrides: Mapping[str, Any] | st.SearchStrategy[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Realistic `data` objects of analytics events, in the seed's payload shape.

    `types` limits the event names; `overrides` (a mapping or a strategy of mappings) is
    merged in as the platform's publish does it: dotted keys (`cardContext.cardTemplateId`)
    and nested mappings merge, anything else replaces. Without overrides every value is one
    `validate_payload` accepts, wrapped in an envelope (see `envelopes()`).

    >>> data = events(types=["card-completed"]).example()
    >>> data["analyticsEvent"], "values" in data["properties"]
    ('card-completed', True)
    >>> events(overrides={"cardContext.cardTemplateId": "42"}).example()["cardContext"][
    ...     "cardTemplateId"]
    '42'
    """
    if types is None:
        kind = draw(event_types())
    elif isinstance(types, st.SearchStrategy):
        kind = draw(types)
    else:
        kind = draw(st.sampled_from(list(types)))
    instant = draw(st.integers(int(_FIRST_INSTANT * 1000), int(_LAST_INSTANT * 1000))) / 1000
    varied: dict[str, Any] = {
        "endUserId": draw(st.sampled_from(["user-0001", "user-0042"]) | st.text(max_size=40)),
        "cardContext.cardTemplateId": str(draw(st.integers(0, 10**6))),
        "platformContext.flowConfigId": draw(
            st.text(string.ascii_letters + string.digits, min_size=1, max_size=12)
        ),
        "eventContext.userLocalTimestamp": format_time(instant + draw(st.integers(-14, 14)) * 3600),
    }
    if overrides is not None:
        varied.update(draw(_strategy(overrides)))
    ids = IdSource(draw(st.integers(0, 2**32)))
    data = make_event_data(kind, ids=ids, now=instant, overrides=varied)
    return data


@st.composite
def envelopes(
    draw: st.DrawFn, data: st.SearchStrategy[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Whole webhook request bodies (DELIVERY-ENVELOPE) around `data` (`events()` by default).

    >>> from hooksim.contracts import validate_payload
    >>> validate_payload(envelopes().example())
    """
    ids = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=36)
    return {
        "requestId": draw(st.uuids().map(str)),
        "environmentId": draw(ids),
        "webhookId": draw(ids),
        "isBatched": False,
        "data": draw(data if data is not None else _events_default),
    }


_events_default = events()


def webhook_urls() -> st.SearchStrategy[str]:
    """http and https URLs with a host name, an optional port, path and query (SUB-URL).

    >>> webhook_urls().example().startswith(("http://", "https://"))
    True
    """
    label = st.text(_HOST_CHARS, min_size=1, max_size=12).filter(
        lambda s: not s.startswith("-") and not s.endswith("-")
    )
    host = st.lists(label, min_size=1, max_size=4).map(".".join)
    port = st.none() | st.integers(1, 65535).map(lambda p: f":{p}")
    path = st.text(_PATH_CHARS, max_size=40).map(lambda p: "/" + p.lstrip("/"))
    query = st.none() | st.text(string.ascii_letters + string.digits + "=&", max_size=20)
    return st.builds(
        lambda scheme, host, port, path, query: (
            f"{scheme}://{host}{port or ''}{path}" + (f"?{query}" if query is not None else "")
        ),
        st.sampled_from(["http", "https"]),
        host,
        port,
        path | st.just(""),
        query,
    )


def _header_names(signature_header: str) -> st.SearchStrategy[str]:
    reserved = reserved_headers(signature_header)  # DELIVERY-HEADERS
    return (
        st.sampled_from(["X-Api-Key", "X-Tenant", "Authorization-Hint", "X-Trace"])
        | st.text(_TOKEN_CHARS, min_size=1, max_size=40)
    ).filter(lambda name: name.lower() not in reserved)


def _custom_headers(signature_header: str) -> st.SearchStrategy[dict[str, str]]:
    values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.just("\t"))
    return st.lists(
        st.tuples(_header_names(signature_header), values.filter(lambda v: len(v) <= 4096)),
        max_size=5,
        unique_by=lambda item: item[0].lower(),
    ).map(dict)


def _scope_ids() -> st.SearchStrategy[str | int]:
    return (
        st.integers(0, 2**53 - 1)
        | st.integers(1, 50).map(str)
        | st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=64)
    )


@st.composite
def subscriptions(
    draw: st.DrawFn,
    *,
    types: Iterable[str] | None = None,
    urls: str | st.SearchStrategy[str] | None = None,
    headers: st.SearchStrategy[dict[str, str]] | None = None,
    scope_ids: st.SearchStrategy[Any] | None = None,
    max_retries: st.SearchStrategy[int | None] | None = None,
    signature_header: str = DEFAULT_SIGNATURE_HEADER,
) -> dict[str, Any]:
    """Subscribe bodies (`POST /v1/{env}/webhook`) the contract accepts (SUB-*).

    `types` limits the event names, `urls` the URL (a value or a strategy), `headers` the
    custom headers, `scope_ids` the card template and Action Flow filters, `max_retries`
    the subscription's cap; `signature_header` is kept out of the custom headers.
    Optional fields are sometimes absent, sometimes given.

    >>> body = subscriptions(urls="https://example.com/hooks").example()
    >>> body["url"], bool(body["types"])
    ('https://example.com/hooks', True)
    """
    names = list(types) if types is not None else list(EVENT_TYPES)
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=min(6, len(names) + 1)))
    body: dict[str, Any] = {
        "types": chosen,
        "url": draw(_strategy(urls) if urls is not None else webhook_urls()),
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "headers": headers if headers is not None else _custom_headers(signature_header),
        "cardTemplateId": scope_ids if scope_ids is not None else _scope_ids(),
        "actionFlowConfigId": scope_ids if scope_ids is not None else _scope_ids(),
        "name": st.none() | st.text(max_size=256),
        "method": st.sampled_from(["POST", "PUT"]),
        "maxRetries": max_retries if max_retries is not None else st.none() | st.integers(0, 1000),
        "disableAfterFailures": st.booleans(),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    return body


def _seconds(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def settings(draw: st.DrawFn, **fixed: Any) -> Settings:
    """Valid platform `Settings` (SETTINGS); each keyword fixes a field (value or strategy).

    `retry_window` is None only together with a `max_retries`, as the contract requires.

    >>> s = settings(disable_threshold=3).example()
    >>> s.disable_threshold
    3
    """
    unknown = set(fixed) - set(Settings.__dataclass_fields__)
    if unknown:
        raise TypeError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    defaults: dict[str, st.SearchStrategy[Any]] = {
        "retry_base": st.sampled_from([1.0, 5.0, 10.0, 60.0]) | _seconds(0.001, 3600),
        "retry_window": st.none() | st.just(14400.0) | _seconds(1, 7 * 86400),
        "max_delay": st.none() | _seconds(0.001, 86400),
        "max_retries": st.none() | st.integers(0, 1000),
        "disable_threshold": st.just(23) | st.integers(1, 1000),
        "timeout": st.just(10.0) | _seconds(0.001, 300),
        "duplicate_probability": st.just(0.0) | st.floats(0, 1),
        "jitter": st.just(0.0) | st.floats(0, 1, exclude_max=True),
        "signature_header": st.just(DEFAULT_SIGNATURE_HEADER)
        | st.text(_TOKEN_CHARS, min_size=1, max_size=40),
        "max_subscriptions": st.just(100) | st.integers(1, 1000),
        "retry_after_statuses": st.just((429, 503))
        | st.lists(st.integers(100, 599), max_size=4, unique=True).map(tuple),
        # Bounds on CPU time and memory: varying them would make outcomes depend on the
        # machine, so they keep their defaults unless fixed.
        "mapping_timeout": st.just(0.1),
        "mapping_memory_mb": st.just(256),
    }
    values = {
        name: draw(_strategy(fixed[name]) if name in fixed else strategy)
        for name, strategy in defaults.items()
    }
    if values["retry_window"] is None and values["max_retries"] is None:
        # Settings needs one bound on the retries: a window, or a count.
        if "retry_window" in fixed:
            values["max_retries"] = draw(st.integers(0, 10))
        else:
            values["retry_window"] = 14400.0
    return Settings(**values)


@st.composite
def faults(
    draw: st.DrawFn,
    *,
    statuses: st.SearchStrategy[int] | None = None,
    latencies: st.SearchStrategy[float] | None = None,
    horizon: float = 3600.0,
    retry_afters: st.SearchStrategy[float] | None = None,
) -> Fault:
    """One fault rule: a status (2xx-5xx, 3xx with a `Location`, 429/503 with `Retry-After`),
    a latency (often beyond the default 10 s timeout), or a refused or reset connection or no
    answer at all; under conditions on the request number, the copy number of a `data.id`,
    or a time span within `horizon` seconds.
    """
    failure = draw(st.none() | st.sampled_from(FAILURES))
    status = draw(
        statuses
        if statuses is not None
        else st.sampled_from([200, 201, 204, 301, 302, 307, 400, 404, 410, 429, 500, 502, 503])
    )
    latency = draw(
        latencies
        if latencies is not None
        else st.sampled_from([0.0, 0.0, 0.5, 2.0, 9.5, 10.0, 10.5, 30.0]) | _seconds(0, 60)
    )
    redirect = None
    if 300 <= status < 400 and draw(st.booleans()):
        redirect = draw(webhook_urls())
    retry_after = None
    if draw(st.booleans()):
        retry_after = draw(
            retry_afters if retry_afters is not None else st.sampled_from([0.0, 1.0, 30.0, 120.0])
        )
    requests = attempts = None
    start = end = None
    condition = draw(st.sampled_from(["none", "requests", "attempts", "time"]))
    if condition in ("requests", "attempts"):
        low = draw(st.integers(1, 6))
        high = draw(st.none() | st.integers(low, low + 5))
        if condition == "requests":
            requests = (low, high)
        else:
            attempts = (low, high)
    elif condition == "time":
        start = draw(st.none() | st.integers(0, int(horizon)).map(float))
        floor = int(start or 0) + 1
        end = draw(st.none() | st.integers(floor, max(floor, int(horizon)) + 1).map(float))
    return Fault(
        status=status,
        latency=latency,
        failure=failure,
        retry_after=retry_after,
        redirect=redirect,
        requests=requests,
        attempts=attempts,
        start=start,
        end=end,
    )


def fault_schedules(
    *, max_faults: int = 4, rules: st.SearchStrategy[Fault] | None = None
) -> st.SearchStrategy[FaultSchedule]:
    """Receiver fault schedules: up to `max_faults` rules (`faults()` by default), the first
    that applies answering, a 200 otherwise. Mount one with
    `RecordingReceiver(respond=schedule.responder(origin))`, or write `schedule.to_yaml()` as
    a scenario receiver's `behaviour`.

    >>> schedule = fault_schedules().example()
    >>> schedule.to_yaml()[-1]
    200
    """
    return st.lists(rules if rules is not None else faults(), max_size=max_faults).map(
        lambda items: FaultSchedule(tuple(items))
    )
