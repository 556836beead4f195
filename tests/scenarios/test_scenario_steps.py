"""Each step kind, and how a step that cannot do what it says stops its scenario."""

from __future__ import annotations

from .conftest import assert_passed, run_text


def test_publish_with_count_ids_labels_and_overrides() -> None:
    assert_passed(
        run_text(
            """
            name: publish
            receivers:
              r: {}
            subscriptions:
              s: {receiver: r, types: [card-completed], cardTemplateId: "7"}
            steps:
              - publish: {type: card-completed, ids: [a, b]}
              - publish:
                  type: card-completed
                  count: 3
                  as: sevens
                  overrides: {cardContext.cardTemplateId: "7", endUserId: user-1}
            expect:
              - receiver: {name: r, processed_ids: [sevens], bodies: {data.endUserId: user-1}}
              - attempts: {event: a, count: 0}
            """
        )
    )


def test_advance_by_a_duration_until_a_time_to_idle_and_at() -> None:
    result = run_text(
        """
        name: time
        receivers:
          r: {behaviour: 500}
        subscriptions:
          s: {receiver: r, types: [card-published]}
        steps:
          - advance: 90s
          - publish: {type: card-published, id: e}
          - advance: {until: 2m}
          - at: 3m
            expect:
              - attempts: {event: e, at: [90s, 100s, 120s, 160s]}
          - advance: idle
        expect:
          - attempts: {event: e, count: 11}
          - undelivered: {events: [e]}
        """
    )
    assert_passed(result)
    assert result.virtual_seconds == 90 + 10230
    assert result.clock_advances[:3] == [(0.0, 90.0), (90.0, 120.0), (120.0, 180.0)]


def test_going_back_in_time_stops_the_scenario_with_its_line() -> None:
    # Only the run can tell how far `advance: idle` goes (here: to the last retry); going
    # back where the file alone tells it is refused when loading (test_scenario_limits.py).
    result = run_text(
        """
        name: backwards
        receivers: {down: {behaviour: 500}}
        subscriptions: {s: {receiver: down, types: [card-published]}}
        steps:
          - publish: {type: card-published}
          - advance: idle
          - at: 5m
        """
    )
    assert result.status == "error"
    assert result.error == (
        "inline.yaml:7: cannot go back to 5m: the clock is already at 2h50m30s"
    )


def test_subscribe_with_every_field_update_and_get() -> None:
    assert_passed(
        run_text(
            """
            name: subscribe
            receivers:
              r: {}
              r2: {}
            steps:
              - subscribe:
                  as: s
                  receiver: r
                  path: /hooks
                  types: [card-published, card-completed]
                  cardTemplateId: 12
                  actionFlowConfigId: flow-1
                  name: Orders
                  method: PUT
                  headers: {X-Tenant: acme}
                  maxRetries: 2
                  disableAfterFailures: false
              - get: {subscription: s, as: created}
              - update:
                  {subscription: s, receiver: r2, name: Renamed, maxRetries: null, as: patched}
              - publish:
                  type: card-completed
                  id: e
                  overrides:
                    cardContext.cardTemplateId: "12"
                    platformContext.flowConfigId: flow-1
            expect:
              - response:
                  of: created
                  status: 200
                  body:
                    data.url: "https://receivers.hooksim.test/r/hooks"
                    data.types: [card-published, card-completed]
                    data.cardTemplateId: "12"
                    data.actionFlowConfigId: flow-1
                    data.name: Orders
                    data.method: PUT
                    data.headers: {X-Tenant: acme}
                    data.maxRetries: 2
                    data.disableAfterFailures: false
              - response: {of: patched, body: {data.name: Renamed, data.maxRetries: null}}
              - receiver: {name: r2, processed_ids: [e], method: PUT, signatures_valid: true}
              - receiver: {name: r, received: 0}
            """
        )
    )


def test_subscribe_many_names_them_and_a_refusal_without_a_label_is_an_error() -> None:
    assert_passed(
        run_text(
            """
            name: many
            settings: {max_subscriptions: 3}
            receivers:
              r: {}
            steps:
              - subscribe: {count: 3, as: s, receiver: r, types: [card-published]}
              - publish: {type: card-published, id: e}
            expect:
              - receiver: {name: r, subscription: s-2, processed_ids: [e]}
              - receiver: {name: r, received: 3}
            """
        )
    )
    result = run_text(
        """
        name: refused
        settings: {max_subscriptions: 1}
        receivers:
          r: {}
        steps:
          - subscribe: {count: 2, receiver: r, types: [card-published]}
        """
    )
    assert result.status == "error"
    assert result.error.startswith("inline.yaml:6: subscribe #2: POST /v1/")
    assert "answered 409" in result.error


def test_disable_enable_delete_test_and_list() -> None:
    assert_passed(
        run_text(
            """
            name: management
            receivers:
              r: {}
            subscriptions:
              s: {receiver: r, types: [card-published]}
            steps:
              - test: {subscription: s, as: tested}
              - disable: {subscription: s, as: disabled}
              - publish: {type: card-published, id: missed}
              - enable: {subscription: s, as: enabled}
              - publish: {type: card-published, id: seen}
              - disable: s
              - list: {as: listed}
              - delete: {subscription: s, as: deleted}
            expect:
              - response: {of: tested, status: 200, body: {data.success: true}}
              - response: {of: disabled, body: {data.status: disabled, data.disabledReason: api}}
              - response: {of: enabled, body: {data.status: active}}
              - response: {of: listed, body: {data: {$length: 1}, data.0.status: disabled}}
              - response: {of: deleted, status: 200}
              - receiver: {name: r, received: 2, processed: 2}
              - attempts: {subscription: s, kind: test, count: 1}
              - attempts: {subscription: s, count: 1}
              - delivered: {events: [seen]}
              - subscription: {name: s, exists: false, status: deleted}
            """
        )
    )


def test_an_unexpected_api_refusal_stops_the_scenario() -> None:
    result = run_text(
        """
        name: delete an active one
        receivers:
          r: {}
        subscriptions:
          s: {receiver: r, types: [card-published]}
        steps:
          - delete: s
          - publish: {type: card-published}
        """
    )
    assert result.status == "error"
    assert result.error.startswith("inline.yaml:7: delete: DELETE /v1/")
    assert "answered 409" in result.error


def test_fetch_analytics_and_replay_into_a_receiver() -> None:
    assert_passed(
        run_text(
            """
            name: recover
            receivers:
              r: {behaviour: refuse, dedupe: true}
            subscriptions:
              s: {receiver: r, types: [card-published], maxRetries: 0}
            steps:
              - publish: {type: card-published, count: 4, as: lost}
              - publish: {type: card-dismissed, id: other-type}
              - at: 1h
              - fetch_analytics: {from: 0, to: 1h, as: hour, format: csv}
              - replay: {receiver: r, from: hour, subscription: s}
              - replay: {receiver: r, from: hour, subscription: s}
            expect:
              - receiver: {name: r, processed: 4, processed_ids: [lost], processed_once: true}
              - response: {of: hour, status: 200, body: {data: {$length: 1}}}
            """
        )
    )


def test_inject_duplicates_and_swap_a_behaviour() -> None:
    assert_passed(
        run_text(
            """
            name: swap
            receivers:
              r: {behaviour: 500}
            subscriptions:
              s: {receiver: r, types: [card-published]}
            steps:
              - publish: {type: card-published, id: e}
              - advance: 15s
              - set_behaviour: {receiver: r, behaviour: [{latency: 1s}]}
              - advance: 1m
              - inject_duplicate: {event: e, subscription: s}
            expect:
              - attempts:
                  event: e
                  at: [0, 10s, 30s, 75s]
                  outcomes: [http-error, http-error, success, success]
              - attempts: {event: e, kind: duplicate, count: 1}
              - receiver: {name: r, duplicates: 1}
            """
        )
    )


def test_credentials_tokens_and_raw_api_calls() -> None:
    assert_passed(
        run_text(
            """
            name: auth
            subscriptions:
              s: {url: "https://nowhere.test/", types: [card-published]}
            steps:
              - credential: {role: workbench, as: c}
              - token: {credential: c, as: t}
              - api: {method: GET, path: "/v1/{env}/webhook/{subscription.s}", token: t, as: mine}
              - api: {method: GET, path: "/v1/{env}/webhook", role: events, as: events-role}
              - api:
                  method: POST
                  path: /_sim/events
                  body: {environmentId: "{env}", type: card-published, overrides: {id: x}}
                  as: published
              - publish: {type: card-published, id: y}
              - api:
                  method: GET
                  path: /_sim/deliveries
                  query: {environmentId: "{env}", event: "{event.y}"}
                  as: log
            expect:
              - response: {of: t, status: 200, body: {token_type: Bearer}}
              - response: {of: mine, status: 200, body: {data.url: "https://nowhere.test/"}}
              - response: {of: events-role, status: 403}
              - response: {of: published, status: 200, body: {data.eventIds: [x]}}
              - response: {of: log, status: 200, body: {data: {$length: 1}, data.0.eventId: y}}
            """
        )
    )
