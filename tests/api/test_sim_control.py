"""Simulation control: publish events, read and move the clock, read the delivery log."""

from __future__ import annotations

import pytest
from hooksim.simulator import Platform, RecordingReceiver, WallClock, format_time

from .conftest import DEAD_URL, ENV, OTHER_ENV, Api, error_of

#: The seed's backoff as hooksim reads it: base 10 s, doubling, within 4 hours.
DEFAULT_OFFSETS = [0, 10, 30, 70, 150, 310, 630, 1270, 2550, 5110, 10230]


@pytest.mark.clause("SIM-EVENTS")
def test_publish_answers_the_event_ids_and_delivers(api: Api, receiver: RecordingReceiver) -> None:
    api.subscribe()
    response = api.post(
        "/_sim/events",
        json={
            "environmentId": ENV,
            "type": "card-published",
            "count": 3,
            "overrides": {"cardContext.cardTemplateId": "42", "endUserId": "user-1"},
        },
    )
    assert response.status_code == 200
    ids = response.json["data"]["eventIds"]
    assert len(ids) == 3 and len(set(ids)) == 3
    # Under the virtual clock the first attempts were made before the answer.
    assert receiver.data_ids == ids
    first = receiver.requests[0].json()["data"]
    assert first["cardContext"]["cardTemplateId"] == "42" and first["endUserId"] == "user-1"


@pytest.mark.clause("SIM-EVENTS")
@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"environmentId": ENV, "type": "card-exploded"}, 400, "type"),
        ({"environmentId": ENV, "type": "card-published", "count": 0}, 400, "count"),
        ({"environmentId": ENV, "type": "card-published", "count": 1001}, 400, "count"),
        ({"environmentId": ENV, "type": "card-published", "count": 1.5}, 400, "count"),
        ({"type": "card-published", "environmentId": ""}, 400, "environmentId"),
        ({"environmentId": ENV, "type": "card-published", "overrides": []}, 400, "overrides"),
        ({"environmentId": OTHER_ENV, "type": "card-published"}, 404, None),
    ],
)
def test_publish_rejects_bad_requests(
    api: Api, body: dict[str, object], status: int, field: str | None
) -> None:
    response = api.post("/_sim/events", json=body)
    assert response.status_code == status
    assert error_of(response).get("field") == field
    assert api.platform.events(ENV) == []


@pytest.mark.clause("SIM-EVENTS")
def test_publishing_an_id_twice_is_a_409(api: Api) -> None:
    body = {"environmentId": ENV, "type": "card-published", "overrides": {"id": "evt-1"}}
    assert api.post("/_sim/events", json=body).json["data"]["eventIds"] == ["evt-1"]
    response = api.post("/_sim/events", json=body)
    assert response.status_code == 409 and "evt-1" in error_of(response)["message"]


@pytest.mark.clause("SIM-CLOCK")
def test_clock_reads_and_advances(api: Api) -> None:
    assert api.get("/_sim/clock").json == {
        "data": {
            "now": "2026-01-01T00:00:00.000Z",
            "virtual": True,
            "seconds": api.platform.clock.now(),
        }
    }
    assert api.get(f"/_sim/clock?environmentId={ENV}").status_code == 200
    response = api.post("/_sim/clock/advance", json={"seconds": 90.5})
    assert response.status_code == 200
    assert response.json["data"]["now"] == "2026-01-01T00:01:30.500Z"
    assert api.platform.clock.now() == api.platform.clock.start + 90.5  # type: ignore[attr-defined]
    assert api.get("/_sim/clock").json["data"]["now"] == "2026-01-01T00:01:30.500Z"


@pytest.mark.clause("SIM-CLOCK")
@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "body"),
        ({"seconds": 1, "idle": True}, 400, "body"),
        ({"idle": False}, 400, "idle"),
        ({"duration": "soon"}, 400, "duration"),
        ({"duration": "367d"}, 400, "duration"),
        ({"seconds": -1}, 400, "seconds"),
        ({"seconds": 31622401}, 400, "seconds"),
        ({"seconds": "60"}, 400, "seconds"),
        ({"seconds": 1, "environmentId": OTHER_ENV}, 404, None),
    ],
)
def test_advance_rejects_bad_requests(
    api: Api, body: dict[str, object], status: int, field: str | None
) -> None:
    response = api.post("/_sim/clock/advance", json=body)
    assert response.status_code == status
    assert error_of(response).get("field") == field
    assert api.platform.clock.now() == api.platform.clock.start  # type: ignore[attr-defined]


@pytest.mark.clause("SIM-CLOCK")
def test_advance_under_a_wall_clock_is_a_409() -> None:
    platform = Platform(clock=WallClock(), seed=None)
    platform.create_environment(ENV)
    api = Api(platform)
    response = api.post("/_sim/clock/advance", json={"seconds": 10})
    assert response.status_code == 409
    assert "wall clock" in error_of(response)["message"]
    assert api.get("/_sim/clock").json["data"]["virtual"] is False


@pytest.mark.clause("SIM-CLOCK", "SIM-DELIVERIES", "RETRY-SCHEDULE")
def test_advance_runs_the_retries_and_the_log_shows_every_attempt(api: Api) -> None:
    dead = api.subscribe(DEAD_URL)
    [event_id] = api.post(
        "/_sim/events", json={"environmentId": ENV, "type": "card-published"}
    ).json["data"]["eventIds"]
    api.post("/_sim/clock/advance", json={"seconds": 4 * 3600})
    rows = api.get(f"/_sim/deliveries?environmentId={ENV}").json["data"]
    assert [row["attempt"] for row in rows] == list(range(1, 12))
    start = api.platform.clock.start  # type: ignore[attr-defined]
    assert [row["time"] for row in rows] == [format_time(start + t) for t in DEFAULT_OFFSETS]
    assert rows[-1]["time"] == "2026-01-01T02:50:30.000Z"
    assert {row["eventId"] for row in rows} == {event_id}
    assert {row["subscriptionId"] for row in rows} == {dead["id"]}
    assert {(row["kind"], row["outcome"], row["statusCode"]) for row in rows} == {
        ("delivery", "refused", None)
    }


@pytest.mark.clause("SIM-DELIVERIES")
def test_deliveries_filter_by_subscription_and_event(api: Api, receiver: RecordingReceiver) -> None:
    good = api.subscribe()
    dead = api.subscribe(DEAD_URL, maxRetries=0)
    ids = api.post(
        "/_sim/events", json={"environmentId": ENV, "type": "card-published", "count": 2}
    ).json["data"]["eventIds"]
    everything = api.get(f"/_sim/deliveries?environmentId={ENV}").json["data"]
    assert len(everything) == 4
    mine = api.get(f"/_sim/deliveries?environmentId={ENV}&subscription={good['id']}")
    assert [(r["eventId"], r["outcome"]) for r in mine.json["data"]] == [
        (ids[0], "success"),
        (ids[1], "success"),
    ]
    one = api.get(
        f"/_sim/deliveries?environmentId={ENV}&subscription={dead['id']}&event={ids[1]}"
    ).json["data"]
    assert [(r["eventId"], r["subscriptionId"], r["outcome"]) for r in one] == [
        (ids[1], dead["id"], "refused")
    ]
    assert api.get(f"/_sim/deliveries?environmentId={ENV}&event=nope").json["data"] == []


@pytest.mark.clause("SIM-DELIVERIES")
def test_deliveries_need_an_environment_the_token_belongs_to(api: Api) -> None:
    api.subscribe()
    api.post("/_sim/events", json={"type": "card-published"})
    # No environmentId: the token's (the control contract's rule for every /_sim call).
    assert len(api.get("/_sim/deliveries").json["data"]) == 1
    assert api.get(f"/_sim/deliveries?environmentId={OTHER_ENV}").status_code == 404


@pytest.mark.clause("SIM-EVENTS")
def test_integral_floats_count_as_whole_numbers(api: Api) -> None:
    # JSON Schema counts 3.0 as an integer, so the API does too (found by schemathesis).
    body = {"environmentId": ENV, "type": "card-published", "count": 3.0}
    response = api.post("/_sim/events", json=body)
    assert response.status_code == 200
    assert len(response.json["data"]["eventIds"]) == 3
