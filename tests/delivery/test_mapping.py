"""Payload mapping: a subscription's Jinja2 template reshapes what it receives, in a sandbox;
what it renders is signed; a template that cannot work is refused up front, one that fails
at delivery time fails (and retries) the attempt."""

from __future__ import annotations

import json

import pytest
from _bench import Bench, make_bench
from hooksim.contracts import verify
from hooksim.simulator import DeliveryState, InvalidInput, Outcome
from hooksim.simulator._mapping import MAX_MAPPED_BYTES, MAX_MAPPING_BYTES

SLACK = """{
  "text": {{ ("Card " ~ data.analyticsEvent ~ " by " ~ data.endUserId) | tojson }},
  "event": {{ data.id | tojson }},
  "webhook": {{ webhookId | tojson }},
  "batched": {{ isBatched | tojson }},
  "values": {{ data.properties | tojson }}
}"""


@pytest.fixture
def bench() -> Bench:
    return make_bench()


@pytest.mark.clause("MAPPING", "SIGN-RAW-BYTES")
def test_the_receiver_gets_the_mapped_json_signed_over_the_mapped_bytes(bench: Bench) -> None:
    receiver = bench.receiver()
    subscription = bench.subscribe(mapping=SLACK)
    (event,) = bench.platform.publish(
        bench.env,
        "card-completed",
        overrides={"endUserId": "zoë", "properties": {"values": {"x": "é"}}},
    )
    (request,) = receiver.requests
    assert verify(subscription.secret, request.body, request.headers["X-Atomic-Signature"])
    document = json.loads(request.body)
    assert document == {
        "text": "Card card-completed by zoë",
        "event": event.id,
        "webhook": subscription.id,
        "batched": False,
        "values": event.data["properties"],
    }
    assert document["values"]["values"]["x"] == "é"
    assert "zoë".encode() in request.body  # tojson writes UTF-8, not \\u escapes
    assert not request.body.startswith(b"\n") and not request.body.endswith(b"\n")
    (record,) = bench.log()
    assert record.outcome is Outcome.SUCCESS and record.body == request.body


@pytest.mark.clause("MAPPING")
def test_the_whole_envelope_can_be_passed_through(bench: Bench) -> None:
    receiver = bench.receiver()
    bench.subscribe(mapping='{"wrapped": {{ envelope | tojson }}}')
    (event,) = bench.publish()
    document = json.loads(receiver.requests[0].body)
    assert document["wrapped"]["data"]["id"] == event.id
    assert list(document["wrapped"]) == [
        "requestId",
        "environmentId",
        "webhookId",
        "isBatched",
        "data",
    ]


@pytest.mark.clause("MAPPING")
@pytest.mark.parametrize(
    ("template", "words"),
    [
        ('{"a": 1}\n{% if data %}\n{{ data.id }', "mapping line 3: unexpected '}'"),
        ("{% for x in data %}", "(?i)mapping line 1: unexpected end of template"),
        ("   ", "non-empty"),
        ("x" * (MAX_MAPPING_BYTES + 1), f"larger than {MAX_MAPPING_BYTES} bytes"),
    ],
)
def test_a_template_that_does_not_compile_is_refused_with_its_line(
    bench: Bench, template: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as error:
        bench.subscribe(mapping=template)
    assert error.value.field == "mapping"
    subscription = bench.subscribe()
    with pytest.raises(InvalidInput, match=words):
        bench.platform.update_subscription(bench.env, subscription.id, {"mapping": template})
    assert subscription.mapping is None


@pytest.mark.clause("MAPPING-SANDBOX")
@pytest.mark.parametrize(
    ("template", "line"),
    [
        ("{{ ''.__class__.__mro__ }}", 1),
        ('{"a": 1}\n{{ data["__class__"] }}', 2),
        ("{{ data.properties._secret }}", 1),
        ("{{ cycler.__init__.__globals__ }}", 1),
    ],
)
def test_reaching_out_of_the_sandbox_is_refused_when_subscribing(
    bench: Bench, template: str, line: int
) -> None:
    with pytest.raises(InvalidInput, match=f"mapping line {line}: access to .* is refused"):
        bench.subscribe(mapping=template)


@pytest.mark.clause("MAPPING-SANDBOX")
def test_what_the_sandbox_refuses_at_render_time_fails_the_attempt(bench: Bench) -> None:
    receiver = bench.receiver()
    # Not visible in the template's text: the attribute name is computed.
    subscription = bench.subscribe(
        mapping='{% set name = "__cla" ~ "ss__" %}{{ data | attr(name) }}'
    )
    (event,) = bench.publish()
    (record,) = bench.log()
    assert record.outcome is Outcome.ERROR and receiver.requests == []
    assert record.error is not None and record.error.startswith("mapping refused")
    assert "unsafe" in record.error
    mutate = bench.subscribe(mapping='{{ data.update({"id": "forged"}) }}{"a": 1}')
    bench.publish()
    assert "mapping refused" in (bench.log(mutate)[0].error or "")
    assert bench.platform.event(bench.env, event.id).data["id"] == event.id
    assert subscription.consecutive_failures == 2  # both events: refused each time


@pytest.mark.clause("MAPPING")
@pytest.mark.parametrize(
    ("template", "words"),
    [
        ('{"user": {{ data.nobody | tojson }}}', "mapping failed at line 1: UndefinedError"),
        ('{"a": 1}\n{"b": {{ 1 / 0 }}}', "mapping failed at line 2: ZeroDivisionError"),
        ("{{ data.id }}", "mapping rendered invalid JSON"),
        (
            "{% for i in range(3) %}{{ data | tojson }}{% endfor %}",
            "mapping rendered invalid JSON: Extra data",
        ),
    ],
)
def test_a_render_error_is_a_failed_attempt_that_is_retried(
    bench: Bench, template: str, words: str
) -> None:
    receiver = bench.receiver()
    subscription = bench.subscribe(mapping=template)
    bench.publish()
    (first,) = bench.log()
    assert first.outcome is Outcome.ERROR and first.status_code is None
    assert first.error is not None and first.error.startswith(words)
    assert receiver.requests == []
    # The retry uses the mapping as it is then: fixed, the event gets through.
    bench.platform.update_subscription(bench.env, subscription.id, {"mapping": '{"ok": true}'})
    bench.advance(10)
    assert bench.offsets(subscription) == [0, 10]
    assert json.loads(receiver.requests[0].body) == {"ok": True}
    assert [d.state for d in bench.platform.deliveries(bench.env)] == [DeliveryState.DELIVERED]


@pytest.mark.clause("MAPPING")
def test_the_rendered_size_is_capped(bench: Bench) -> None:
    bench.receiver()
    big = '["{% for i in range(99999) %}' + "x" * 20 + '{% endfor %}"]'
    bench.subscribe(mapping=big)
    bench.publish()
    (record,) = bench.log()
    assert record.error == f"mapping rendered more than {MAX_MAPPED_BYTES} bytes"


@pytest.mark.clause("MAPPING")
def test_removing_a_mapping_restores_the_envelope(bench: Bench) -> None:
    receiver = bench.receiver()
    subscription = bench.subscribe(mapping='{"x": 1}')
    assert subscription.to_api()["mapping"] == '{"x": 1}'
    bench.platform.update_subscription(bench.env, subscription.id, {"mapping": None})
    assert "mapping" not in subscription.to_api()
    (event,) = bench.publish()
    assert json.loads(receiver.requests[0].body)["data"]["id"] == event.id
