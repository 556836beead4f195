"""What a caller publishes is checked as it will be sent, before anything is stored (issue 10,
item 1): data JSON cannot hold, or nested past MAX_DATA_DEPTH, is refused with InvalidInput
naming the field, and a refused call publishes nothing."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hooksim.simulator import InvalidInput, Platform, RecordingReceiver

ENV = "dev"
URL = "http://receiver.test/hook"


@pytest.fixture
def platform() -> Platform:
    platform = Platform()
    platform.create_environment(ENV)
    platform.transport.mount(URL, RecordingReceiver(now=platform.clock.now))  # type: ignore[attr-defined]
    platform.subscribe(ENV, {"types": ["card-completed"], "url": URL})
    return platform


def _nested(levels: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for _ in range(levels - 1):
        data = {"a": data}
    return data


def _cycle() -> dict[str, Any]:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    return loop


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"when": object()}, "object"),
        ({"ratio": math.nan}, "nan"),
        ({"ratio": [1.0, math.inf]}, "inf"),
        ({"loop": _cycle()}, "deeper than 64"),
        ({"deep": _nested(64)}, "deeper than 64"),  # 64 below data: 65 with it
        ({"keys": {(1, 2): "pair"}}, "tuple as a key"),
        ({"text": "\ud800"}, "UTF-8"),
    ],
    ids=["object", "nan", "infinity", "cycle", "too-deep", "tuple-key", "lone-surrogate"],
)
def test_data_that_cannot_be_sent_is_refused_naming_the_field(
    platform: Platform, extra: dict[str, Any], says: str
) -> None:
    data = {"analyticsEvent": "card-completed", **extra}
    with pytest.raises(InvalidInput) as refused:
        platform.publish_data(ENV, data)
    assert refused.value.field == "data"
    assert says in refused.value.message
    assert platform.events(ENV) == [] and platform.deliveries(ENV) == []


def test_data_just_inside_the_limit_is_published(platform: Platform) -> None:
    event = platform.publish_data(ENV, {"analyticsEvent": "card-completed", "deep": _nested(63)})
    assert [d.state.value for d in platform.deliveries(ENV)] == ["delivered"]
    assert event.data_json is not None and event.data_json.count(b"{") == 64


def test_publish_many_with_one_bad_event_publishes_none(platform: Platform) -> None:
    good = {"analyticsEvent": "card-completed", "id": "good-1"}
    bad = {"analyticsEvent": "card-completed", "when": object()}
    with pytest.raises(InvalidInput):
        platform.publish_many(ENV, [good, bad])
    assert platform.events(ENV) == [] and platform.deliveries(ENV) == []
    # The same id twice in one call is refused before either is stored, too.
    with pytest.raises(Exception, match="already published"):
        platform.publish_many(ENV, [good, dict(good)])
    assert platform.events(ENV) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"a." * 5000 + "a": 1},
        {"properties": _nested(70)},
        {"properties": {"loop": _cycle()}},
        {"endUserId": object()},
    ],
    ids=["5000-dots", "deep-value", "cycle", "object"],
)
def test_publish_refuses_overrides_that_cannot_be_sent(
    platform: Platform, overrides: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput) as refused:
        platform.publish(ENV, "card-completed", count=3, overrides=overrides)
    assert refused.value.field == "overrides"
    assert platform.events(ENV) == [] and platform.deliveries(ENV) == []


def test_a_refused_publication_draws_nothing_from_the_seeded_source() -> None:
    def ids(refuse_first: bool) -> list[str]:
        platform = Platform(seed=7)
        platform.create_environment(ENV)
        if refuse_first:
            with pytest.raises(InvalidInput):
                platform.publish(ENV, "card-completed", overrides={"a." * 100 + "a": 1})
        return [e.id for e in platform.publish(ENV, "card-completed", count=3)]

    assert ids(refuse_first=True) == ids(refuse_first=False)
