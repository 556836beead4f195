"""Batched analytics: hour keys, rounding, the 30-day limit, pre-signed expiring file URLs."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlsplit

import pytest
from hooksim.simulator import Platform

from .conftest import ENV, OTHER_ENV, Api, error_of

pytestmark = pytest.mark.clause("ANALYTICS-BATCHED")
HOUR_KEYS = pytest.mark.clause("ANALYTICS-HOUR-KEYS")
ENDED_HOURS = pytest.mark.clause("ANALYTICS-ENDED-HOURS")

# The virtual clock starts at 2026-01-01T00:00:00Z.
BATCHED = f"/v1/{ENV}/analytics/batched"


def _batched(api: Api, start: str, end: str, fmt: str | None = None) -> dict[str, list[str]]:
    query = f"from={start}&to={end}" + (f"&format={fmt}" if fmt else "")
    response = api.get(f"{BATCHED}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    data: dict[str, list[str]] = response.json["data"]
    return data


def _fetch(api: Api, url: str) -> tuple[int, str, str]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("http", "localhost")
    response = api.client.get(parts.path)  # no token, no User-Agent: the URL is the credential
    return response.status_code, response.mimetype, response.get_data(as_text=True)


def _publish_at(platform: Platform, offsets: list[float], event_type: str = "card-published"):
    ids = []
    for offset in offsets:
        platform.advance_to(platform.clock.start + offset)  # type: ignore[attr-defined]
        ids.append(platform.publish(ENV, event_type)[0].id)
    return ids


@HOUR_KEYS
@ENDED_HOURS
def test_keys_are_the_hours_that_ended_and_hold_the_hour_before(api: Api) -> None:
    platform = api.platform
    # 00:10 and 00:59:59 fall in the hour keyed T01; 01:00 exactly falls in the hour keyed T02.
    first, second, third = _publish_at(platform, [600, 3599, 3600])
    platform.advance_to(platform.clock.start + 3 * 3600 + 1)  # type: ignore[attr-defined]
    data = _batched(api, "2026-01-01T00:00:00Z", "2026-01-01T05:00:00Z")
    # T04 and T05 have not ended yet (it is 03:00:01): not listed.
    assert list(data) == ["2026-01-01T01", "2026-01-01T02", "2026-01-01T03"]
    assert len(data["2026-01-01T01"]) == 1 and len(data["2026-01-01T02"]) == 1
    assert data["2026-01-01T03"] == []  # ended, no events
    status, mimetype, text = _fetch(api, data["2026-01-01T01"][0])
    assert (status, mimetype) == (200, "application/x-ndjson")
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["id"] for line in lines] == [first, second]
    assert lines[0]["analyticsEvent"] == "card-published" and "cardContext" in lines[0]
    _, _, text = _fetch(api, data["2026-01-01T02"][0])
    assert [json.loads(line)["id"] for line in text.splitlines()] == [third]


def test_from_rounds_down_and_to_rounds_up(api: Api) -> None:
    api.platform.advance(10 * 3600)
    data = _batched(api, "2026-01-01T01:30:00Z", "2026-01-01T03:00:01Z")
    # [01:00, 04:00): the hours ending at 02, 03 and 04.
    assert list(data) == ["2026-01-01T02", "2026-01-01T03", "2026-01-01T04"]
    # Offsets are honoured: 03:30+02:00 is 01:30Z.
    data = _batched(api, "2026-01-01T03:30:00%2B02:00", "2026-01-01T02:00:00Z")
    assert list(data) == ["2026-01-01T02"]
    assert _batched(api, "2026-01-01T02:00:00Z", "2026-01-01T02:00:00Z") == {}


def test_thirty_days_is_the_most(api: Api) -> None:
    api.platform.advance(40 * 86400)
    data = _batched(api, "2026-01-02T00:00:00Z", "2026-02-01T00:00:00Z")
    assert len(data) == 720
    response = api.get(f"{BATCHED}?from=2026-01-02T00:00:00Z&to=2026-02-01T00:00:01Z")
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == "to" and "721 hours" in error["message"]
    # Rounding counts: 30 days from the middle of an hour spans 721 whole hours.
    response = api.get(f"{BATCHED}?from=2026-01-02T00:30:00Z&to=2026-02-01T00:30:00Z")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("to=2026-01-01T01:00:00Z", "from"),
        ("from=2026-01-01T01:00:00Z", "to"),
        ("from=2026-01-01&to=2026-01-02T00:00:00Z", "from"),
        ("from=2026-01-01T00:00:00&to=2026-01-02T00:00:00Z", "from"),
        ("from=2026-02-30T00:00:00Z&to=2026-03-02T00:00:00Z", "from"),
        ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z&format=xml", "format"),
    ],
)
def test_bad_ranges_are_400s_naming_the_parameter(api: Api, query: str, field: str) -> None:
    response = api.get(f"{BATCHED}?{query}")
    assert response.status_code == 400
    assert error_of(response)["field"] == field


def test_urls_expire_after_15_minutes_of_platform_time(api: Api) -> None:
    platform = api.platform
    _publish_at(platform, [60])
    platform.advance(3600)
    [url] = _batched(api, "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z")["2026-01-01T01"]
    platform.advance(899)
    assert _fetch(api, url)[0] == 200
    platform.advance(1)
    status, mimetype, text = _fetch(api, url)
    assert (status, mimetype) == (403, "application/json")
    assert "expired" in json.loads(text)["error"]["message"]
    # A fresh answer gives fresh URLs that work again.
    [fresh] = _batched(api, "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z")["2026-01-01T01"]
    assert _fetch(api, fresh)[0] == 200


def test_forged_or_altered_urls_are_403(api: Api) -> None:
    _publish_at(api.platform, [60])
    api.platform.advance(3600)
    [url] = _batched(api, "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z")["2026-01-01T01"]
    token = urlsplit(url).path.rsplit("/", 1)[1]
    payload, mac = token.split(".")
    for forged in [payload + "." + mac[:-2] + "AA", payload[:-2] + "AA." + mac, "x", "x.y", "é.é"]:
        response = api.client.get(f"/_analytics/files/{forged}")
        assert response.status_code == 403, forged
        assert error_of(response)["code"] == "forbidden"


def test_another_platforms_urls_do_not_open_here(api: Api, platform: Platform) -> None:
    _publish_at(platform, [60])
    platform.advance(3600)
    [url] = _batched(api, "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z")["2026-01-01T01"]
    other = Api(platform)  # a second app: another signing key
    assert other.client.get(urlsplit(url).path).status_code == 403


@HOUR_KEYS
def test_csv_files_have_flat_columns_and_the_json(api: Api) -> None:
    platform = api.platform
    [event_id] = _publish_at(platform, [60], "card-completed")
    platform.advance(3600)
    data = _batched(api, "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", "csv")
    status, mimetype, text = _fetch(api, data["2026-01-01T01"][0])
    assert (status, mimetype) == (200, "text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    row = rows[0]
    event = platform.event(ENV, event_id)
    assert row["id"] == event_id and row["analyticsEvent"] == "card-completed"
    assert row["cardTemplateId"] == event.data["cardContext"]["cardTemplateId"]
    assert row["flowConfigId"] == event.data["platformContext"]["flowConfigId"]
    assert json.loads(row["data"]) == event.data


def test_undelivered_events_are_in_the_files(api: Api) -> None:
    platform = api.platform
    api.subscribe("https://dead.test/hook", maxRetries=0)
    [event_id] = _publish_at(platform, [60])
    platform.advance(3600)
    assert platform.undelivered(ENV)[0].event_id == event_id
    [url] = _batched(api, "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z")["2026-01-01T01"]
    assert event_id in _fetch(api, url)[2]


def test_environments_keep_their_own_events(api: Api) -> None:
    platform = api.platform
    platform.publish(OTHER_ENV, "card-published")
    platform.advance(3600)
    assert _batched(api, "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z") == {"2026-01-01T01": []}
    assert (
        api.get(
            f"/v1/{OTHER_ENV}/analytics/batched?from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z"
        ).status_code
        == 404
    )


def test_keys_of_early_years_keep_four_digits(api: Api) -> None:
    # Found by schemathesis: strftime's %Y does not pad years before 1000.
    data = _batched(api, "0022-01-22T00:00:00Z", "0022-01-22T02:00:00Z")
    assert list(data) == ["0022-01-22T01", "0022-01-22T02"]


def test_urls_point_at_the_host_the_caller_used(api: Api) -> None:
    _publish_at(api.platform, [60])
    api.platform.advance(3600)
    response = api.get(
        f"{BATCHED}?from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z",
        base_url="http://hooksim.example:8080",
    )
    [url] = response.json["data"]["2026-01-01T01"]
    assert url.startswith("http://hooksim.example:8080/_analytics/files/")


@HOUR_KEYS
def test_a_busy_hour_is_split_into_files_of_10000_events(api: Api) -> None:
    platform = api.platform
    platform.publish(ENV, "card-published", count=10_001)
    platform.advance(3600)
    urls = _batched(api, "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z")["2026-01-01T01"]
    assert len(urls) == 2
    sizes = [len(_fetch(api, url)[2].splitlines()) for url in urls]
    assert sizes == [10_000, 1]
