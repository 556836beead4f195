"""Validation never lets anything but `InvalidInput` out: valid settings and subscribe bodies
are accepted; one bad field makes an `InvalidInput` (a 400 through the API) that names it.
(SETTINGS, SUB-TYPES, SUB-URL, SUB-FIELDS, DELIVERY-HEADERS, API-ERRORS)"""

from __future__ import annotations

import math
from typing import Any

import pytest
from _property_settings import PLATFORM, PURE
from hooksim.simulator import InvalidInput, Platform, Settings, VirtualClock, make_app
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import Client

import hooksim.strategies as hs

pytestmark = pytest.mark.clause("SETTINGS", "SUB-FIELDS", "API-ERRORS")

ENV = "dev"
_NOT_NUMBERS = st.sampled_from([True, "10", None, [], {}])

#: Per setting, values it must refuse.
BAD_SETTINGS: dict[str, st.SearchStrategy[Any]] = {
    "retry_base": st.sampled_from([0, -1.0, math.nan, math.inf]) | _NOT_NUMBERS,
    "retry_window": st.sampled_from([0, -5.0, math.nan, math.inf, "4h", True]),
    "max_delay": st.sampled_from([0, -1, math.inf, math.nan, "1m", False]),
    "max_retries": st.sampled_from([-1, 1.5, True, "3", math.inf]),
    "disable_threshold": st.sampled_from([0, -23, 22.5, True, "23", None]),
    "timeout": st.sampled_from([0, -10.0, math.inf, math.nan]) | _NOT_NUMBERS,
    "duplicate_probability": st.sampled_from([-0.1, 1.5, math.nan, True, "0.5", None]),
    "jitter": st.sampled_from([-0.1, 1.0, 2, math.nan, "0.1", None]),
    "signature_header": st.sampled_from(["", "X Sig", "X-Sig:", "é", 5, None]),
    "max_subscriptions": st.sampled_from([0, -1, 2.5, True, "100", None]),
    "retry_after_statuses": st.sampled_from([(99,), (600,), ("429",), (True,), 429, None]),
}


@PURE
@given(hs.settings(), st.sampled_from(sorted(BAD_SETTINGS)), st.data())
def test_one_bad_setting_is_refused_naming_it(
    settings: Settings, name: str, data: st.DataObject
) -> None:
    values = settings.to_dict()
    values[name] = data.draw(BAD_SETTINGS[name], label=name)
    with pytest.raises(InvalidInput) as caught:
        Settings(**values)
    assert caught.value.field == name
    with pytest.raises(InvalidInput):
        settings.with_changes(**{name: values[name]})


@PURE
@given(hs.settings(), st.text(min_size=1, max_size=20))
def test_an_unknown_setting_is_refused(settings: Settings, name: str) -> None:
    if name in settings.to_dict():
        return
    with pytest.raises(InvalidInput):
        settings.with_changes(**{name: 1})


#: Per subscribe field, values it must refuse.
BAD_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "types": st.sampled_from([[], "card-published", [1], ["card-publish"], None, {}]),
    "url": st.sampled_from(
        ["", "ftp://h/x", "http://", "no url", 5, None, "http://a b/", "http://h:99999/"]
    ),
    "headers": st.sampled_from(
        [
            [],
            "X: y",
            {"Content-Type": "text/plain"},
            {"X-Atomic-Signature": "forged"},
            {"bad name": "x"},
            {"X-A": 1},
            {"X-A": "a\r\nb"},
            {f"X-{n}": "v" for n in range(21)},
        ]
    ),
    "cardTemplateId": st.sampled_from([True, [], {}, "", "x" * 257, 1.5]),
    "actionFlowConfigId": st.sampled_from([False, [], "", "y" * 300, 2.5]),
    "name": st.sampled_from([5, "n" * 257, [], True]),
    "method": st.sampled_from(["GET", "post", "DELETE", 1, None]),
    "maxRetries": st.sampled_from([-1, 1001, 1.5, True, "3"]),
    "disableAfterFailures": st.sampled_from(["true", 1, 0, None, []]),
}


def _mutations() -> st.SearchStrategy[tuple[str, Any]]:
    changed = st.sampled_from(sorted(BAD_FIELDS)).flatmap(
        lambda name: BAD_FIELDS[name].map(lambda value: ("set", (name, value)))
    )
    missing = st.sampled_from(["types", "url"]).map(lambda name: ("drop", (name, None)))
    unknown = st.sampled_from(["id", "secret", "status", "extra", "Types"]).map(
        lambda name: ("add", (name, 1))
    )
    return changed | missing | unknown


def _api(platform: Platform) -> tuple[Client, dict[str, str]]:
    credential = platform.auth.create_client(ENV, "workbench")
    token = platform.auth.issue_token(credential.client_id, credential.secret).value
    return Client(make_app(platform)), {"User-Agent": "tests", "Authorization": f"Bearer {token}"}


@PLATFORM
@given(hs.subscriptions(), _mutations())
def test_one_bad_field_is_refused_with_invalid_input_naming_it(
    body: dict[str, Any], mutation: tuple[str, tuple[str, Any]]
) -> None:
    how, (name, value) = mutation
    bad = dict(body)
    if how == "drop":
        bad.pop(name)
    else:
        bad[name] = value
    platform = Platform(clock=VirtualClock(), token_clock=VirtualClock())
    platform.create_environment(ENV)
    with pytest.raises(InvalidInput) as caught:
        platform.subscribe(ENV, bad)
    assert caught.value.field == name, caught.value.message
    client, headers = _api(platform)
    response = client.post(f"/v1/{ENV}/webhook", json=bad, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert name in response.json["error"]["message"]  # type: ignore[index]
