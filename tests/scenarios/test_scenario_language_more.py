"""The scenario language says more with less: repeated steps, periodic and per-method receiver
behaviour, list matchers that say where lists part, `at` on delivered/undelivered, per-event
counts, and labels that cannot be reused by mistake."""

from __future__ import annotations

import pytest
from hooksim.scenarios import ScenarioInputError, load_text

from .conftest import failed, run_text, scenario_text, written

pytestmark = pytest.mark.clause("RETRY-SCHEDULE", "AT-LEAST-ONCE")


def test_a_story_of_72_publications_and_hourly_blips_is_two_lines() -> None:
    result = run_text(
        """
        name: an event every 5 minutes for 6 hours, a 30-second blip at the top of every hour
        description: |
          The six events at the top of an hour fail at 0 s and at their 10 s retry (inside the
          blip), then get through at 30 s: 72 events, 84 attempts.
        receivers:
          shop:
            behaviour:
              - {every: 1h, for: 30s, status: 503}
              - 200
        subscriptions:
          main: {receiver: shop, types: [card-completed]}
        steps:
          - publish: {type: card-completed, as: ticks}
            every: 5m
            until: 6h
          - advance: 1h
        expect:
          - delivered: {events: [ticks], count: 72}
          - attempts:
              subscription: main
              count: 84
              outcomes: {$count: {http-error: 12, success: 72}}
          - receiver: {name: shop, per_event: {events: [ticks], processed: 1}}
        """
    )
    assert not failed(result), failed(result)


def test_a_repeated_step_starts_at_its_at_and_stops_before_until() -> None:
    result = run_text(
        """
        name: repeated from 10m
        receivers: {shop: {}}
        subscriptions:
          main: {receiver: shop, types: [card-completed]}
        steps:
          - at: 10m
            publish: {type: card-completed, as: ticks}
            every: 20m
            until: 1h
        expect:
          - attempts: {subscription: main, at: [10m, 30m, 50m]}
        """
    )
    assert not failed(result), failed(result)
    assert result.virtual_seconds == 3000  # the clock is left at the last repetition


def test_behaviour_by_request_method() -> None:
    result = run_text(
        """
        name: PUT is welcome, POST is not
        receivers:
          shop:
            behaviour:
              - {method: POST, status: 405}
              - {method: [PUT, PATCH], status: 200}
        subscriptions:
          posting: {receiver: shop, types: [card-completed], maxRetries: 0}
          putting: {receiver: shop, types: [card-completed], method: PUT}
        steps:
          - publish: {type: card-completed, id: one}
        expect:
          - attempts: {subscription: posting, statuses: [405]}
          - attempts: {subscription: putting, statuses: [200]}
        """
    )
    assert not failed(result), failed(result)


def test_list_failures_say_where_the_lists_part() -> None:
    result = run_text(
        """
        name: lists
        receivers:
          shop: {behaviour: [{requests: 1-2, status: 500}, 200]}
        subscriptions:
          main: {receiver: shop, types: [card-completed]}
        steps:
          - publish: {type: card-completed, id: one}
          - advance: 1m
        expect:
          - attempts: {event: one, outcomes: [http-error, success, success]}
          - attempts: {event: one, outcomes: {$all: http-error}}
          - attempts: {event: one, statuses: {$prefix: [500, 200]}}
          - attempts: {event: one, at: [0, 10s]}
        """
    )
    messages = [e.message for e in written(result)]
    assert "item 2 differs: expected 'success', got 'http-error'" in (messages[0] or "")
    assert "expected every item to be 'http-error'; item 3 is 'success'" in (messages[1] or "")
    assert "item 2 differs: expected 200, got 500" in (messages[2] or "")
    assert "3 items expected" not in (messages[3] or "") and "2 items expected, 3 found" in (
        messages[3] or ""
    )


def test_delivered_and_undelivered_at_a_time() -> None:
    result = run_text(
        """
        name: as things stood
        receivers:
          shop: {behaviour: [{until: 20s, status: 503}, 200]}
          dead: {behaviour: refuse}
        subscriptions:
          main: {receiver: shop, types: [card-completed]}
          gone: {receiver: dead, types: [card-completed], maxRetries: 1}
        steps:
          - publish: {type: card-completed, id: one}
          - advance: 1m
        expect:
          - delivered: {at: 20s, subscription: main, count: 0}
          - delivered: {at: 30s, subscription: main, events: [one]}
          - undelivered: {at: 5s, count: 0}
          - undelivered: {at: 10s, events: [one], reason: retries-exhausted}
        """
    )
    assert not failed(result), failed(result)


def test_per_event_counts_fail_naming_the_events() -> None:
    result = run_text(
        """
        name: a naive receiver
        seed: 11
        settings: {duplicate_probability: 1.0}
        receivers: {naive: {}}
        subscriptions:
          main: {receiver: naive, types: [card-voted-up]}
        steps:
          - publish: {type: card-voted-up, ids: [a, b]}
        expect:
          - receiver: {name: naive, per_event: {received: 2, processed: 1}}
        """
    )
    [expectation] = written(result)
    assert "per_event.processed: expected 1" in (expectation.message or "")
    assert "2 of 2 events: a x2, b x2" in (expectation.message or "")


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            "  - publish: {type: card-completed, as: x}\n"
            "  - publish: {type: card-completed, as: x}",
            "event 'x' is already named at inline.yaml:6",
        ),
        (
            "  - publish: {type: card-completed, id: x}\n"
            "  - publish: {type: card-completed, as: x}",
            "event 'x' is already named at inline.yaml:6",
        ),
        (
            "  - list: {as: r}\n  - list: {as: r}",
            "response 'r' is already named at inline.yaml:6",
        ),
        (
            "  - publish: {type: card-completed}\n    every: 5m",
            "needs both `every` and `until`",
        ),
        (
            "  - publish: {type: card-completed, ids: [a]}\n    every: 5m\n    until: 1h",
            "give `as`",
        ),
        ("  - list: {}\n    every: 5m\n    until: 1h", "a list step cannot repeat"),
    ],
)
def test_load_time_refusals(steps: str, message: str) -> None:
    text = scenario_text(
        """
        name: refused
        receivers: {shop: {}}
        subscriptions:
          main: {receiver: shop, types: [card-completed]}
        steps:
        """
    )
    with pytest.raises(ScenarioInputError) as caught:
        load_text(text + steps + "\n", "inline.yaml")
    assert message in caught.value.message


def test_a_periodic_window_needs_every_and_for() -> None:
    text = scenario_text(
        """
        name: half a window
        receivers:
          shop: {behaviour: [{every: 1h, status: 503}, 200]}
        """
    )
    with pytest.raises(ScenarioInputError) as caught:
        load_text(text, "inline.yaml")
    assert "needs both `every` and `for`" in caught.value.message
    assert caught.value.problems[0].line == 3
