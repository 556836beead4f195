"""Each receiver behaviour, through a whole scenario run (platform, API, transport)."""

from __future__ import annotations

import random

from hooksim.scenarios import Phase, ReceiverSpec, Response, ScenarioReceiver

from .conftest import assert_passed, run_text

ONE_EVENT = """
name: behaviour
receivers:
  r:
    behaviour: {behaviour}
subscriptions:
  s: {{receiver: r, types: [card-published], maxRetries: {retries}}}
steps:
  - publish: {{type: card-published, id: e}}
  - advance: 1h
expect:
  - attempts: {{event: e, {checks}}}
"""


def one_event(behaviour: str, checks: str, retries: int = 0) -> None:
    assert_passed(run_text(ONE_EVENT.format(behaviour=behaviour, checks=checks, retries=retries)))


def test_answers_a_status() -> None:
    one_event("202", "outcomes: [success], statuses: [202]")
    one_event("404", "outcomes: [http-error], statuses: [404]")
    one_event("{status: 500}", "outcomes: [http-error], statuses: [500]")
    one_event("ok", "outcomes: [success], statuses: [200]")


def test_answers_slowly_within_and_beyond_the_timeout() -> None:
    one_event("{latency: 9s}", "outcomes: [success]")
    one_event("{latency: 11s}", "outcomes: [timeout], statuses: [null]")


def test_refuses_resets_and_hangs() -> None:
    one_event("refuse", "outcomes: [refused]")
    one_event("{reset: true}", "outcomes: [reset]")
    one_event("hang", "outcomes: [timeout]")


def test_answers_3xx_which_is_a_failure() -> None:
    one_event('{redirect: "https://elsewhere.test/"}', "outcomes: [redirect], statuses: [302]")
    one_event("307", "outcomes: [redirect], statuses: [307]")


def test_switches_at_given_times() -> None:
    one_event(
        "[{until: 30s, refuse: true}, {from: 30s, until: 70s, status: 500}, 200]",
        "at: [0, 10s, 30s, 70s], outcomes: [refused, refused, http-error, success]",
        retries=5,
    )


def test_switches_by_request_and_by_copy_number() -> None:
    one_event(
        "[{requests: 1-2, status: 503}, {requests: 3, reset: true}, 200]",
        "outcomes: [http-error, http-error, reset, success]",
        retries=5,
    )
    one_event(
        "[{attempts: 2-, status: 200}, 500]",
        "outcomes: [http-error, success]",
        retries=5,
    )


def test_retry_after_postpones_the_retry() -> None:
    one_event(
        "[{requests: 1, status: 429, retry_after: 5m}, 200]",
        "at: [0, 5m], statuses: [429, 200]",
        retries=3,
    )


def test_flapping_follows_a_seeded_coin() -> None:
    def pattern(seed: int) -> list[int]:
        spec = ReceiverSpec("r", (Phase(Response(status=503), probability=0.5), Phase(Response())))
        receiver = ScenarioReceiver(
            spec, now=lambda: 0.0, rng=random.Random(f"{seed}:r"), signature_header="X-Sig"
        )
        return [receiver.choose(0.0, n, 1).status for n in range(1, 41)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert {503, 200} == set(pattern(1))


def test_a_whole_flapping_run_is_the_same_for_the_same_seed() -> None:
    body = """
    name: flapping
    receivers:
      r:
        behaviour: [{probability: 0.5, status: 503}, 200]
    subscriptions:
      s: {receiver: r, types: [card-published]}
    steps:
      - publish: {type: card-published, count: 10}
      - advance: 1h
    """
    first, again, other = run_text(body, seed=1), run_text(body, seed=1), run_text(body, seed=2)
    assert [a.outcome for a in first.attempts] == [a.outcome for a in again.attempts]
    assert [a.outcome for a in first.attempts] != [a.outcome for a in other.attempts]


def test_verifies_signatures_dedupes_and_rejects_bad_ones() -> None:
    result = run_text(
        """
        name: a careful client
        receivers:
          careful: {dedupe: true, reject_bad_signatures: true}
          careless: {verify_signatures: false}
          wrong-secret: {secret: not-it}
        subscriptions:
          careful: {receiver: careful, types: [card-published]}
          careless: {receiver: careless, types: [card-published]}
          wrong: {receiver: wrong-secret, types: [card-published], maxRetries: 0}
        steps:
          - publish: {type: card-published, id: e}
          - inject_duplicate: e
          - forge: {receiver: careful, subscription: careful, event: e, as: forged}
        expect:
          - receiver: {name: careful, received: 3, unique: 1, duplicates: 1, processed: 1,
                       rejected: 1, signatures_valid: true}
          - receiver: {name: careless, processed: 2, processed_once: false}
          - receiver: {name: wrong-secret, signatures_valid: false, processed: 2}
          - response: {of: forged, status: 401}
        """
    )
    assert_passed(result)
