"""Invalid files are refused before anything runs, each problem at file:line:column with the
YAML path and what was expected."""

from __future__ import annotations

import pytest
from hooksim.scenarios import ScenarioInputError, load_text

from .conftest import scenario_text


def problems(body: str) -> list[str]:
    with pytest.raises(ScenarioInputError) as caught:
        load_text(scenario_text(body), "broken.yaml")
    return [str(p) for p in caught.value.problems]


def test_unknown_keys_with_a_did_you_mean_hint() -> None:
    found = problems(
        """
        name: typo
        setings:
          retry_base: 10s
        receivers:
          shop:
            behaviour:
              - {until: 45m, refuse: true}
              - status: 200
                latncy: 3s
        """
    )
    assert found[0].startswith(
        "broken.yaml:2:1: setings: unknown key 'setings' (did you mean 'settings'?)"
    )
    assert found[1].startswith(
        "broken.yaml:9:9: receivers.shop.behaviour[1].latncy: unknown key 'latncy' "
        "(did you mean 'latency'?)"
    )
    assert len(found) == 2


def test_a_step_key_written_inside_its_action_says_where_it_goes() -> None:
    found = problems(
        """
        name: every inside publish
        receivers: {shop: {}}
        subscriptions: {main: {receiver: shop, types: [card-completed]}}
        steps:
          - publish: {type: card-completed, every: 5m, until: 1h}
        """
    )
    assert found == [
        "broken.yaml:5:37: steps[0].publish.every: 'every' belongs to the step, beside "
        "'publish', not inside it: write `- publish: {...}` and `every: ...` on the next line, "
        "indented like 'publish'",
        "broken.yaml:5:48: steps[0].publish.until: 'until' belongs to the step, beside "
        "'publish', not inside it: write `- publish: {...}` and `until: ...` on the next line, "
        "indented like 'publish'",
    ]


def test_wrong_values_name_what_was_expected() -> None:
    found = problems(
        """
        name: values
        settings:
          timeout: 10 minutes
        subscriptions:
          main:
            url: https://example.test/hook
            types: [card-published, card-publishd]
        steps:
          - publish: {type: card-published, count: "3"}
          - advance: soon
        """
    )
    assert found == [
        "broken.yaml:3:12: settings.timeout: expected a duration: seconds as a number, or text "
        "such as 250ms, 10s, 45m, 1h30m, 2d, got '10 minutes'",
        "broken.yaml:7:29: subscriptions.main.types[1]: expected an analytics event name such "
        "as card-published, got 'card-publishd' (did you mean 'card-published'?)",
        "broken.yaml:9:44: steps[0].publish.count: expected a whole number, got '3'",
        "broken.yaml:10:14: steps[1].advance: expected a duration (45m), `idle` (until nothing "
        "is pending), or {until: <time since start>}, got 'soon'",
    ]


def test_missing_required_keys() -> None:
    assert problems("description: no name\n") == ["broken.yaml:1:1: missing required key 'name'"]
    found = problems(
        """
        name: no types
        subscriptions:
          main: {url: "https://example.test/"}
        """
    )
    assert found == ["broken.yaml:3:9: subscriptions.main: missing required key 'types'"]


def test_references_to_unknown_names() -> None:
    found = problems(
        """
        name: references
        clauses: [RETRY-SCHEDULE, RETRY-SCHEDUL]
        receivers:
          shop: {}
        subscriptions:
          main: {receiver: shopp, types: [card-published]}
        steps:
          - publish: {type: card-published, ids: [a, b]}
          - disable: mian
          - expect:
              - attempts: {event: c, count: 1}
              - response: {of: nothing, status: 200}
        """
    )
    assert found == [
        "broken.yaml:2:27: clauses[1]: unknown contract clause 'RETRY-SCHEDUL' "
        "(did you mean 'RETRY-SCHEDULE'?)",
        "broken.yaml:6:20: subscriptions.main.receiver: unknown receiver 'shopp' "
        "(did you mean 'shop'?); defined: shop",
        "broken.yaml:9:14: steps[1].disable: unknown subscription 'mian' "
        "(did you mean 'main'?); defined: main",
        "broken.yaml:11:27: steps[2].expect[0].attempts.event: unknown event 'c'; defined: a, b",
        "broken.yaml:12:24: steps[2].expect[1].response.of: unknown response (an `as` label) "
        "'nothing'; defined: none so far",
    ]


def test_a_name_used_before_it_is_defined() -> None:
    found = problems(
        """
        name: order matters
        receivers:
          shop: {}
        steps:
          - disable: later
          - subscribe: {as: later, receiver: shop, types: [card-published]}
        """
    )
    assert found == [
        "broken.yaml:5:14: steps[0].disable: unknown subscription 'later'; defined: none so far"
    ]


def test_rules_a_schema_cannot_say() -> None:
    found = problems(
        """
        name: semantics
        settings:
          retry_window: null
        receivers:
          shop:
            behaviour:
              - {refuse: true, reset: true}
              - {from: 10m, until: 5m, status: 200}
              - {redirect: "https://elsewhere.test/", status: 200}
        subscriptions:
          main: {receiver: shop, url: "https://example.test", types: [card-published]}
        steps:
          - publish: {type: card-published, count: 3, ids: [a, b]}
          - advance: 10s
            publish: {type: card-published}
          - expect:
              - attempts: {count: 3}
        """
    )
    assert found == [
        "broken.yaml:3:17: settings.retry_window: setting 'retry_window' may be null only when "
        "max_retries bounds the retries (else they never end)",
        "broken.yaml:7:9: receivers.shop.behaviour[0]: choose one of refuse, reset, hang "
        "(got refuse, reset)",
        "broken.yaml:8:28: receivers.shop.behaviour[1].until: `until` must come after `from`",
        "broken.yaml:9:55: receivers.shop.behaviour[2].status: a redirect answers a 3xx "
        "status, not 200",
        "broken.yaml:11:31: subscriptions.main.url: give either `receiver` or `url`, not both",
        "broken.yaml:13:44: steps[0].publish.count: count is 3 but 2 id(s) are given",
        "broken.yaml:15:5: steps[1].publish: a step does one thing; this one has advance, "
        "publish (split it into several steps)",
        "broken.yaml:17:19: steps[2].expect[0].attempts: say whose attempts: give `event`, "
        "`subscription`, or both",
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("name: [unclosed\n", "broken.yaml:2:1: not valid YAML"),
        ("name: a\nname: b\n", "broken.yaml:2:1: not valid YAML: duplicate key 'name'"),
        ("", "broken.yaml:1:1: the file is empty"),
        ("- just\n- a list\n", "broken.yaml:1:1: expected a mapping"),
        ("name: x\nseed: -1\n", "broken.yaml:2:7: seed: expected a number >= 0, got -1"),
    ],
)
def test_not_a_scenario_at_all(body: str, expected: str) -> None:
    found = problems(body)
    assert found[0].startswith(expected), found


def test_every_problem_of_a_file_at_once_in_file_order() -> None:
    found = problems(
        """
        name: many
        seed: x
        steps:
          - publish: {type: nope}
          - frobnicate: 1
        """
    )
    assert [p.split(": ")[0] for p in found] == [
        "broken.yaml:2:7",
        "broken.yaml:4:21",
        "broken.yaml:5:5",
    ]
    assert "unknown key 'frobnicate'" in found[2]
