"""Hostile input, generated: the classes of issue 10 that schemathesis' generic cases miss.

Each property says what the only allowed outcomes are, so that the next defect of the class
is found by the machine rather than by hand:
- dotted override keys (a short key can be a very deep object once expanded): either the
  events are published and every delivery ends delivered, or a 400 naming `overrides` and
  nothing stored (or the body's own depth check, naming `body`); never a 500, never a
  delivery left pending;
- secret-bearing fields of every credential type, sent in any shape (CR/LF/NUL around a
  marker, repeated past 4096 characters, inside lists and objects): a 201 or a 400 naming a
  field, and the marker in no answer.

`make test` runs them derandomized with few examples; `HOOKSIM_SOAK=1` with many.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hooksim.simulator import DeliveryState, Platform, RecordingReceiver
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import ENV, RECEIVER_URL, Api

pytestmark = [pytest.mark.fuzz]

FUZZ = settings.get_profile("hooksim-fuzz")

_segment = st.text(alphabet="abcxyz_", min_size=0, max_size=3)
#: Keys of a few varied parts, and keys of one part repeated up to 5,000 times: a small
#: request, a very deep object once expanded.
dotted_keys = st.lists(_segment, min_size=1, max_size=8).map(".".join) | st.builds(
    lambda part, times: ".".join([part or "a"] * times), _segment, st.integers(1, 5000)
)
json_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=5)


def _nested(value: Any, levels: int) -> Any:
    for _ in range(levels):
        value = {"n": value}
    return value


json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_segment, inner, max_size=3),
    max_leaves=8,
) | st.builds(_nested, json_leaves, st.integers(0, 40))
overrides = st.dictionaries(
    dotted_keys | st.sampled_from(["endUserId", "cardContext"]), json_values, max_size=4
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _fresh() -> tuple[Api, RecordingReceiver]:
    platform = Platform()
    platform.create_environment(ENV)
    receiver = RecordingReceiver(now=platform.clock.now)
    platform.transport.mount(RECEIVER_URL, receiver)  # type: ignore[attr-defined]
    api = Api(platform)
    api.subscribe(types=["card-completed"])
    return api, receiver


@FUZZ
@given(overrides=overrides, count=st.integers(1, 3))
def test_dotted_overrides_publish_and_deliver_or_are_a_400_naming_them(
    overrides: dict[str, Any], count: int
) -> None:
    api, receiver = _fresh()
    body = {"environmentId": ENV, "type": "card-completed", "count": count, "overrides": overrides}
    response = api.post("/_sim/events", json=body)
    platform = api.platform
    if response.status_code == 200:
        deliveries = platform.deliveries(ENV)
        assert len(deliveries) == count
        assert {d.state for d in deliveries} == {DeliveryState.DELIVERED}
        for request in receiver.requests:
            assert _depth(json.loads(request.body)["data"]) <= 64
    else:
        assert response.status_code == 400, response.get_data(as_text=True)
        # Deep as sent (the body's own limit of 32), or deep once dotted keys are expanded.
        assert response.json["error"]["field"] in ("body", "overrides")  # type: ignore[index]
        assert platform.events(ENV) == [] and platform.deliveries(ENV) == []


# Secret-bearing fields: whatever shape a secret arrives in, no answer quotes it (a created
# credential never shows it either), and any error names a field.

MARKER = "Zq9-SECRET-MARKER"
_SECRET_FIELDS = {
    "oauth2-client-credentials": ("clientSecret",),
    "basic": ("password",),
    "api-key": ("value",),
    "aws-sigv4": ("secretAccessKey", "sessionToken"),
}
_VALID = {
    "oauth2-client-credentials": {
        "tokenUrl": "https://identity.test/token",
        "clientId": "c",
        "clientSecret": MARKER,
    },
    "basic": {"username": "u", "password": MARKER},
    "api-key": {"headerName": "X-Api-Key", "value": MARKER},
    "aws-sigv4": {
        "accessKeyId": "AKID",
        "secretAccessKey": MARKER,
        "region": "us-east-1",
        "service": "execute-api",
    },
}
_secret_strings = st.builds(
    lambda before, after, times: (before + MARKER + after) * times,
    st.text(alphabet="a\r\n\x00\t é", max_size=3),
    st.text(alphabet="b\r\n\x00\t é", max_size=3),
    st.sampled_from([1, 2, 300]),
)
secret_values = st.recursive(
    _secret_strings,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_secret_strings, inner, max_size=2),
    max_leaves=3,
)


@FUZZ
@given(
    kind=st.sampled_from(sorted(_SECRET_FIELDS)),
    data=st.data(),
)
def test_no_answer_ever_holds_a_secret_sent_in_any_shape(kind: str, data: st.DataObject) -> None:
    api, _ = _fresh()
    body: dict[str, Any] = {"type": kind, **_VALID[kind]}
    for name in _SECRET_FIELDS[kind]:
        if data.draw(st.booleans(), label=f"change {name}"):
            body[name] = data.draw(secret_values, label=name)
    response = api.post(f"/v1/{ENV}/webhook-credentials", json=body)
    text = response.get_data(as_text=True) + "".join(f"{k}{v}" for k, v in response.headers.items())
    assert MARKER not in text, text[:300]
    assert response.status_code in (201, 400), text[:300]
    if response.status_code == 400:
        assert response.json["error"]["field"]  # type: ignore[index]
