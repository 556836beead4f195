"""Publications the platform cannot send are refused before anything is stored (issue 10, 1).

The event data is checked as it will be sent: dotted override keys expanded first, so a key
of 5,000 dots cannot slip past the body's depth check and fail later in the engine.
"""

from __future__ import annotations

import pytest
from hooksim.simulator import RecordingReceiver

from .conftest import ENV, Api, error_of

DEEP_KEY = "a." * 5000 + "a"


@pytest.mark.clause("SIM-EVENTS")
@pytest.mark.parametrize(
    "overrides",
    [
        {DEEP_KEY: 1},
        {"a." * 70 + "a": 1},  # past the 64 levels event data may nest, once expanded
        {"cardContext." + "x." * 62 + "x": {"y": {"z": 1}}},  # 64 levels of keys, then a value
    ],
    ids=["5000-dots", "70-dots", "dotted-key-and-nested-value"],
)
def test_overrides_nesting_too_deep_once_expanded_are_a_400_and_nothing_is_stored(
    api: Api, receiver: RecordingReceiver, overrides: dict[str, object]
) -> None:
    api.subscribe(types=["card-completed"])
    body = {"environmentId": ENV, "type": "card-completed", "overrides": overrides}
    response = api.post("/_sim/events", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    error = error_of(response)
    assert error["field"] == "overrides"
    assert "64" in error["message"]
    assert api.platform.events(ENV) == []
    assert api.platform.deliveries(ENV) == []
    assert receiver.requests == []


@pytest.mark.clause("SIM-EVENTS")
def test_a_refused_publication_leaves_the_next_ones_alone(
    api: Api, receiver: RecordingReceiver
) -> None:
    api.subscribe(types=["card-completed"])
    bad = {"environmentId": ENV, "type": "card-completed", "overrides": {DEEP_KEY: 1}}
    assert api.post("/_sim/events", json=bad).status_code == 400
    for _ in range(3):
        good = {"environmentId": ENV, "type": "card-completed"}
        response = api.post("/_sim/events", json=good)
        assert response.status_code == 200, response.get_data(as_text=True)
    assert len(receiver.requests) == 3
    assert {d.state.value for d in api.platform.deliveries(ENV)} == {"delivered"}


@pytest.mark.clause("SIM-EVENTS")
def test_overrides_just_inside_the_depth_limit_are_delivered(
    api: Api, receiver: RecordingReceiver
) -> None:
    api.subscribe(types=["card-completed"])
    key = "a." * 62 + "a"  # 63 objects deep with `data` itself: inside the limit of 64
    body = {"environmentId": ENV, "type": "card-completed", "overrides": {key: 1}}
    response = api.post("/_sim/events", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    data = receiver.requests[0].json()["data"]
    for _ in range(63):
        data = data["a"]
    assert data == 1
