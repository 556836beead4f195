"""Every delivery number is a per-environment setting with the seed's value as default."""

from __future__ import annotations

import pytest
from _world import DEAD_URL, DEFAULT_OFFSETS, FOUR_HOURS, make_world
from hooksim.contracts import DEFAULT_SIGNATURE_HEADER
from hooksim.simulator import InvalidInput, Settings

pytestmark = pytest.mark.clause("SETTINGS")


def test_defaults_follow_the_seed_and_the_decisions() -> None:
    assert Settings().to_dict() == {
        "retry_base": 10.0,
        "retry_window": 14400.0,
        "max_delay": None,
        "max_retries": None,
        "disable_threshold": 23,
        "timeout": 10.0,
        "duplicate_probability": 0.0,
        "jitter": 0.0,
        "signature_header": DEFAULT_SIGNATURE_HEADER,
        "max_subscriptions": 100,
        "retry_after_statuses": [429, 503],
        "mapping_timeout": 0.1,
        "mapping_memory_mb": 256,
    }
    assert DEFAULT_SIGNATURE_HEADER == "X-Atomic-Signature"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"retry_base": 0}, "retry_base"),
        ({"retry_base": float("nan")}, "retry_base"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"retry_window": 0}, "retry_window"),
        ({"retry_window": float("inf")}, "retry_window"),
        ({"max_delay": -5}, "max_delay"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 2.5}, "max_retries"),
        ({"disable_threshold": 0}, "disable_threshold"),
        ({"duplicate_probability": 1.5}, "duplicate_probability"),
        ({"jitter": 1.0}, "jitter"),
        ({"retry_window": None}, "retry_window"),
        ({"max_subscriptions": 0}, "max_subscriptions"),
    ],
)
def test_invalid_settings_are_refused_naming_the_setting(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        Settings().with_changes(**changes)
    assert caught.value.field == field
    assert repr(field) in caught.value.message


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown setting.*retries_max"):
        Settings().with_changes(retries_max=3)


def test_an_unbounded_window_is_allowed_with_a_retry_cap() -> None:
    settings = Settings(retry_window=None, max_retries=3)
    assert settings.retry_window is None


@pytest.mark.clause("ENV-ISOLATION", "RETRY-WINDOW")
def test_settings_are_per_environment() -> None:
    world = make_world()
    platform = world.platform
    platform.create_environment("short", Settings(retry_window=30))
    short = platform.subscribe("short", {"types": ["card-completed"], "url": DEAD_URL})
    default = world.subscribe(DEAD_URL)
    platform.publish("short", "card-completed")
    world.publish_one()
    world.advance(FOUR_HOURS)
    assert len(platform.attempts("short", subscription_id=short.id)) == 3
    assert world.offsets(default) == DEFAULT_OFFSETS


def test_configure_changes_one_environment_and_applies_to_later_retries() -> None:
    world = make_world()
    world.platform.create_environment("other")
    subscription = world.subscribe(DEAD_URL)
    world.publish_one()
    world.advance(15)  # attempts at 0 and 10; retry 2 is already due at 30
    updated = world.platform.configure(world.env, retry_base=5, retry_window=3600)
    assert (updated.retry_base, updated.retry_window) == (5, 3600)
    assert world.platform.environment("other").settings == Settings()
    world.advance(FOUR_HOURS)
    # Retry 2 keeps its time; later retries follow the new base from there.
    assert world.offsets(subscription) == [0, 10, 30, 50, 90, 170, 330, 650, 1290, 2570]
    with pytest.raises(InvalidInput):
        world.platform.configure(world.env, disable_threshold=-3)
    assert world.platform.environment(world.env).settings.disable_threshold == 23


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duplicate_probability": "often"}, "duplicate_probability"),
        ({"duplicate_probability": float("nan")}, "duplicate_probability"),
        ({"jitter": None}, "jitter"),
        ({"disable_threshold": True}, "disable_threshold"),
        ({"max_retries": True}, "max_retries"),
        ({"max_subscriptions": True}, "max_subscriptions"),
        ({"signature_header": ""}, "signature_header"),
        ({"signature_header": "X Signature"}, "signature_header"),
        ({"signature_header": None}, "signature_header"),
        ({"retry_after_statuses": (429, "503")}, "retry_after_statuses"),
        ({"retry_after_statuses": (42,)}, "retry_after_statuses"),
        ({"retry_after_statuses": "429"}, "retry_after_statuses"),
    ],
)
def test_settings_of_the_wrong_type_are_refused_not_crashed_on(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        Settings().with_changes(**changes)
    assert caught.value.field == field


def test_retry_after_statuses_may_come_as_a_json_list() -> None:
    settings = Settings().with_changes(retry_after_statuses=[429])
    assert settings.retry_after_statuses == (429,)
    assert hash(settings) == hash(Settings(retry_after_statuses=(429,)))
