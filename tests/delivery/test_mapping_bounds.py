"""Payload mapping templates are held to a CPU-time and a memory bound, when they compile and
when they render (issue 10, item 3): the attempt fails (or the subscription is refused) with
a reason naming the bound, everything else goes on, and the platform's own process never
runs the template at all (a fresh worker process, `_sandbox.py`, does).

Each test would hang, or take gigabytes, without the bounds: the hostile ones run in a
thread that must finish (a liveness bound, generous: not a speed assertion).
"""

from __future__ import annotations

import json
import resource
import threading
from collections.abc import Callable
from typing import Any

import pytest
from _bench import Bench, make_bench
from hooksim.simulator import DeliveryState, InvalidInput, Outcome, Settings
from hooksim.simulator._mapping import (
    MAX_MAPPED_BYTES,
    MappingFailure,
    MappingLimits,
    check_mapping,
    render_mapping,
)
from hypothesis import given, settings
from hypothesis import strategies as st

#: Seconds a call that must end is given before the test calls it a hang.
LIVENESS = 120.0

NESTED_LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
HUGE_POWER = "{{ (isBatched|int + 10) ** 10000000 }}"
HUGE_STRING = "{{ 'x' * 10**9 }}"
HUGE_CENTER = "{{ 'a'|center(1000000000) }}"
DOUBLING = (
    "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s|length }}"
)


def _finishes(call: Callable[[], Any]) -> Any:
    """Run `call` on a thread; fail if it has not returned within LIVENESS seconds."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(LIVENESS)
    assert not thread.is_alive(), f"still running after {LIVENESS} s: no bound held"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def bench() -> Bench:
    return make_bench()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.clause("MAPPING-BOUNDS")
@pytest.mark.parametrize(
    ("template", "reason"),
    [
        (NESTED_LOOPS, "mapping took more than 100 ms of CPU time to render"),
        (DOUBLING, "mapping "),  # time or memory, whichever it reaches first
        (HUGE_POWER, "mapping refused at line 1: the result of ** would be too large"),
        (HUGE_STRING, "mapping needed more than 256 MiB of memory to render"),
        (HUGE_CENTER, "mapping needed more than 256 MiB of memory to render"),
    ],
    ids=["nested-loops", "doubling", "huge-power", "huge-string", "huge-center"],
)
def test_a_template_past_its_bounds_fails_the_attempt_and_the_others_are_delivered(
    bench: Bench, template: str, reason: str
) -> None:
    receiver = bench.receiver()
    peak_before = _peak_rss_mb()
    hostile = bench.subscribe(mapping=template)
    plain = bench.subscribe()
    mapped = bench.subscribe(mapping='{"id": {{ data.id | tojson }}}')
    (event,) = _finishes(bench.publish)
    (row,) = bench.log(hostile)
    assert row.outcome is Outcome.ERROR and row.error is not None
    assert row.error.startswith(reason), row.error
    assert [r.outcome for r in bench.log(plain)] == [Outcome.SUCCESS]
    assert [r.outcome for r in bench.log(mapped)] == [Outcome.SUCCESS]
    assert [json.loads(r.body) for r in receiver.requests][-1] == {"id": event.id}
    # The template's gigabytes were never this process's.
    assert _peak_rss_mb() - peak_before < 200


@pytest.mark.clause("MAPPING-BOUNDS")
def test_a_template_that_fails_its_bound_is_retried_and_then_ends_undelivered(
    bench: Bench,
) -> None:
    bench.receiver()
    subscription = bench.subscribe(mapping=NESTED_LOOPS, maxRetries=2)
    _finishes(bench.publish)
    _finishes(lambda: bench.advance(3600))
    assert len(bench.log(subscription)) == 3
    (delivery,) = bench.platform.deliveries(bench.env)
    assert (delivery.state, delivery.reason) == (DeliveryState.UNDELIVERED, "retries-exhausted")


@pytest.mark.clause("MAPPING-BOUNDS")
def test_the_cpu_bound_is_a_setting() -> None:
    # One loop of a million steps: over 100 ms of CPU, well under 60 s.
    template = (
        '{% for i in range(100000) %}{% for j in range(10) %}{% endfor %}{% endfor %}{"ok": 1}'
    )
    strict = make_bench()
    strict.receiver()
    strict.subscribe(mapping=template)
    _finishes(strict.publish)
    assert "100 ms of CPU time" in (strict.log()[0].error or "")
    lenient = make_bench(settings=Settings(mapping_timeout=60.0))
    receiver = lenient.receiver()
    lenient.subscribe(mapping=template)
    _finishes(lenient.publish)
    assert [json.loads(r.body) for r in receiver.requests] == [{"ok": 1}]


@pytest.mark.clause("MAPPING-BOUNDS")
def test_the_memory_bound_is_a_setting() -> None:
    template = "{% set s = 'x' * (64 * 1024 * 1024) %}{\"length\": {{ s|length }}}"
    # A CPU bound far from reach, so that memory alone decides: building 64 MiB can take more
    # than the default 100 ms on a loaded machine.
    strict = make_bench(settings=Settings(mapping_memory_mb=32, mapping_timeout=5.0))
    strict.receiver()
    strict.subscribe(mapping=template)
    _finishes(strict.publish)
    assert "more than 32 MiB of memory" in (strict.log()[0].error or "")
    roomy = make_bench(settings=Settings(mapping_timeout=5.0))
    receiver = roomy.receiver()
    roomy.subscribe(mapping=template)
    _finishes(roomy.publish)
    assert [json.loads(r.body) for r in receiver.requests] == [{"length": 64 * 1024 * 1024}], (
        roomy.log()[0].error
    )


@pytest.mark.clause("MAPPING-BOUNDS")
@pytest.mark.parametrize(
    ("template", "words"),
    [
        # Dense enough that compiling it takes several times the 100 ms bound.
        (
            '{"a": [' + ",".join("{{ data.id|tojson }}" for _ in range(3000)) + "]}",
            "mapping took more than 100 ms of CPU time to compile",
        ),
        ("{{ " + "(" * 30000 + "1" + ")" * 30000 + " }}", "mapping nests too deeply"),
    ],
    ids=["slow-to-compile", "deep-parentheses"],
)
def test_a_template_past_its_bounds_while_compiling_is_refused(
    bench: Bench, template: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as refused:
        _finishes(lambda: bench.subscribe(mapping=template))
    assert refused.value.field == "mapping"
    assert bench.platform.subscriptions(bench.env) == []


@pytest.mark.clause("MAPPING-BOUNDS")
def test_constant_expressions_are_not_computed_while_compiling(bench: Bench) -> None:
    peak_before = _peak_rss_mb()
    # Folded at compile time, this held 1 GB per cached template in the platform's process.
    subscription = _finishes(lambda: bench.subscribe(mapping=HUGE_STRING))
    assert subscription.mapping == HUGE_STRING
    assert _peak_rss_mb() - peak_before < 200


# The class, generated: templates built from loops, repetition, padding, formatting and
# growth, nested and combined. Whatever they do, the only outcomes are a refusal when
# subscribing, a body, or a failure naming why, and the sandbox keeps working afterwards.

_NUMBER = st.sampled_from(["3", "1000", "100000", "10**6", "10**9", "(2**64)"])
_LEAF = st.one_of(
    st.just("data.id|tojson"),
    st.builds("'x' * {}".format, _NUMBER),
    st.builds("{} ** {}".format, _NUMBER, _NUMBER),
    st.builds("'a'|center({})".format, _NUMBER),
    st.builds("range({})|list|length".format, _NUMBER),
    st.builds("lipsum({})|length".format, _NUMBER),
    st.builds("'%0*d' % ({}, 1)".format, _NUMBER),
    st.builds("(data|tojson)|replace('a', 'a' * {})".format, _NUMBER),
)


@st.composite
def hostile_templates(draw: st.DrawFn, depth: int = 0) -> str:
    leaf = "{{ " + draw(_LEAF) + " }}"
    kind = draw(st.sampled_from(["leaf", "loop", "grow", "pair"] if depth < 3 else ["leaf"]))
    if kind == "loop":
        inner = draw(hostile_templates(depth + 1))
        return f"{{% for i in range({draw(_NUMBER)}) %}}{inner}{{% endfor %}}"
    if kind == "grow":
        times = draw(st.sampled_from(["8", "40", "100"]))
        return (
            "{% set ns = namespace(s='ab') %}"
            f"{{% for i in range({times}) %}}{{% set ns.s = ns.s ~ ns.s %}}{{% endfor %}}"
            "{{ ns.s|length }}"
        )
    if kind == "pair":
        return draw(hostile_templates(depth + 1)) + draw(hostile_templates(depth + 1))
    return leaf


ENVELOPE = (
    b'{"requestId":"r","environmentId":"dev","webhookId":"w","isBatched":false,"data":{"id":"e"}}'
)
TIGHT = MappingLimits(cpu_seconds=0.05, memory_mb=64)


@pytest.mark.fuzz
@settings.get_profile("hooksim-fuzz")
@given(template=hostile_templates())
def test_any_template_ends_in_a_body_or_a_reason_and_the_sandbox_goes_on(template: str) -> None:
    peak_before = _peak_rss_mb()
    try:
        check_mapping(template, TIGHT)
    except InvalidInput as refused:
        assert refused.field == "mapping" and refused.message.startswith("mapping ")
    else:
        try:
            body = render_mapping(template, ENVELOPE, TIGHT)
        except MappingFailure as failure:
            assert failure.reason.startswith("mapping ")
        else:
            assert len(body) <= MAX_MAPPED_BYTES
    assert render_mapping('{"ok": {{ data.id|tojson }}}', ENVELOPE, TIGHT) == b'{"ok": "e"}'
    assert _peak_rss_mb() - peak_before < 100
