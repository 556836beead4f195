"""Records as JSON: fields added to a model later are kept, fields an old file lacks take
their defaults, and nested records, tuples and enums come back as themselves."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from hooksim.simulator import Outcome, Settings
from hooksim.simulator._records import decode, encode


@dataclass(frozen=True, slots=True)
class Policy:
    max_events: int
    max_wait: float


@dataclass(slots=True)
class Record:
    name: str
    outcome: Outcome
    ids: tuple[str, ...] = ()
    policy: Policy | None = None
    headers: dict[str, str] = field(default_factory=dict)
    later: int = 7


def test_a_record_round_trips() -> None:
    record = Record("é", Outcome.TIMEOUT, ("a", "b"), Policy(3, 1.5), {"X-A": "1"})
    again = decode(Record, encode(record))
    assert again == record
    assert isinstance(again.outcome, Outcome)
    assert isinstance(again.ids, tuple)
    assert isinstance(again.policy, Policy)


def test_old_files_and_new_models_meet() -> None:
    old = json.dumps({"name": "n", "outcome": "success", "gone": 1})
    assert decode(Record, old) == Record("n", Outcome.SUCCESS)  # defaults; "gone" ignored
    assert decode(Record, old, later=9).later == 9


def test_settings_round_trip() -> None:
    settings = Settings(retry_window=None, max_retries=4, retry_after_statuses=(429,))
    assert decode(Settings, encode(settings)) == settings


def test_what_json_cannot_hold_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot store a set"):
        encode(Record("n", Outcome.SUCCESS, headers={"x": {1}}))  # type: ignore[dict-item]
