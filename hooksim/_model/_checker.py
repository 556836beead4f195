"""The model checker: reads the harness log in order and holds the platform to the contract.

For every action the model works out what must follow (which subscriptions get an event, what
the API answers, which copies an injection sends); for every request a receiver gets it checks
where, when and how it was sent; for every logged attempt it judges the answer itself and
decides, with `_rules`, what the delivery and the subscription do next. Anything else the
platform does is a `Violation`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from jsonschema import ValidationError

from hooksim.contracts import validate_payload
from hooksim.simulator import AttemptFinished, Settings, SubscriptionChanged

from ._compare import (
    attempts_expect,
    compare_deliveries,
    compare_subscriptions,
    data_bytes,
    header,
    number,
)
from ._harness import Arrival, Begin, End, Entry
from ._rules import EPSILON, Answer, judge, matches, retry_after_seconds, retry_due
from ._state import (
    AttemptModel,
    DeliveryModel,
    EventModel,
    SubscriptionModel,
    normalise_body,
)
from ._violations import Violation

__all__ = ["ModelChecker"]

_ENVELOPE_KEYS = ["requestId", "environmentId", "webhookId", "isBatched", "data"]


class _Sent:
    """A request a receiver got, waiting for the platform's log record of it."""

    __slots__ = ("answer", "data_id", "kind", "receiver", "sub", "t")

    def __init__(
        self, kind: str, sub: str, data_id: str, t: float, answer: Answer, receiver: str
    ) -> None:
        self.kind, self.sub, self.data_id, self.t = kind, sub, data_id, t
        self.answer, self.receiver = answer, receiver


class ModelChecker:
    def __init__(self, settings: Settings, *, start: float, environment_id: str) -> None:
        self.settings = settings
        self.start = start  # the platform clock's reading at time 0
        self.env = environment_id
        self.subs: dict[str, SubscriptionModel] = {}
        self.names: dict[str, str] = {}  # subscription id -> name
        self.events: dict[str, EventModel] = {}
        self.deliveries: dict[tuple[str, str], DeliveryModel] = {}
        self.request_ids: set[str] = set()
        self.data_bytes: dict[str, bytes] = {}
        self.sent: dict[str, _Sent] = {}
        self.action: Begin | None = None
        self.predicted: dict[str, Any] = {}
        self.expect_disable: tuple[str, float] | None = None
        self.auto_duplicates: list[tuple[str, str]] = []
        self.blocked_duplicates: list[tuple[str, str]] = []
        self.duplicates: dict[tuple[str, str], int] = {}

    # reading the log -----------------------------------------------------------------
    def process(self, entries: list[Entry]) -> None:
        for entry in entries:
            if isinstance(entry, Begin):
                self._pending_disable()
                self._begin(entry)
            elif isinstance(entry, End):
                self._pending_disable()
                self._end(entry)
            elif isinstance(entry, Arrival):
                self._pending_disable()
                self._arrival(entry)
            elif isinstance(entry, AttemptFinished):
                self._pending_disable()
                self._finished(entry)
            elif isinstance(entry, SubscriptionChanged):
                self._changed(entry)

    def _rel(self, instant: float) -> float:
        return instant - self.start

    def _pending_disable(self) -> None:
        if self.expect_disable is None:
            return
        name, t = self.expect_disable
        sub = self.subs[name]
        raise Violation(
            "disable-at-threshold",
            f"{name} reached {sub.failures} consecutive failed attempts at {t:g} s "
            f"(threshold {self.settings.disable_threshold}, disableAfterFailures true) "
            "but was not disabled at that instant",
            cut=t,
            expect=[
                {
                    "subscription": {
                        "name": name,
                        "at": number(t),
                        "status": "disabled",
                        "reason": "auto",
                    }
                }
            ],
        )

    # actions -------------------------------------------------------------------------
    def _begin(self, entry: Begin) -> None:
        self.action = entry
        args = entry.args
        self.predicted = {"seen": []}
        if entry.kind in ("advance", "publish"):
            self.predicted["status"] = 200
            if entry.kind == "publish":
                self._publish(args)
        elif entry.kind == "subscribe":
            alive = sum(1 for s in self.subs.values() if s.status != "deleted")
            self.predicted["status"] = 201 if alive < self.settings.max_subscriptions else 409
        elif entry.kind in ("update", "disable", "enable", "delete", "test"):
            sub = self.subs[args["name"]]
            status = 404 if sub.status == "deleted" else 200
            if entry.kind == "delete" and sub.active:
                status = 409
            self.predicted["status"] = status
            self.predicted["signal"] = {
                "disable": sub.active,
                "enable": sub.status == "disabled",
                "delete": sub.status == "disabled",
            }.get(entry.kind, False)
        elif entry.kind == "inject_duplicate":
            self.predicted["targets"] = [
                (args["event"], s.name)
                for s in self.subs.values()
                if s.active
                and (args["subscription"] is None or s.id == args["subscription"])
                and (args["event"], s.name) in self.deliveries
            ]
            self.predicted["error"] = (
                args["subscription"] is not None and not self.predicted["targets"]
            )

    def _publish(self, args: dict[str, Any]) -> None:
        now = args["t"]
        event = EventModel(args["id"], args["type"], now, args["data"])
        self.events[event.id] = event
        nested: dict[str, Any] = {"analyticsEvent": event.type}
        for path, value in event.data.items():
            head, _, leaf = path.partition(".")
            nested.setdefault(head, {})[leaf] = value
        for sub in self.subs.values():
            if sub.active and matches(
                types=sub.types,
                card_template_id=sub.card_template_id,
                action_flow_config_id=sub.action_flow_config_id,
                data=nested,
            ):
                delivery = DeliveryModel(event.id, sub.name, first=now)
                delivery.next_scheduled = delivery.next_start = now
                self.deliveries[delivery.key] = delivery

    def _end(self, entry: End) -> None:
        begin, self.action = self.action, None
        assert begin is not None and begin.kind == entry.kind
        expected = self.predicted.get("status")
        where = f"{entry.kind} {begin.args.get('name', '')}".strip()
        if expected is not None and entry.status != expected:
            raise Violation(
                "api",
                f"{where} answered {entry.status}, the contract says {expected}: {entry.body}",
                expect=[{"response": {"of": begin.args["label"], "status": expected}}]
                if "label" in begin.args
                else [],
            )
        if self.predicted.get("signal") and not self.predicted["seen"]:
            raise Violation("api", f"{where} answered {entry.status} but changed nothing")
        handler = getattr(self, f"_end_{entry.kind}", None)
        if handler is not None:
            handler(begin, entry)

    def _end_publish(self, begin: Begin, entry: End) -> None:
        if entry.status != 200 or entry.body != {"data": {"eventIds": [begin.args["id"]]}}:
            raise Violation("api", f"publishing {begin.args['id']} answered {entry.body}")

    def _end_subscribe(self, begin: Begin, entry: End) -> None:
        if entry.status != 201:
            return
        data = entry.body["data"]
        body = normalise_body(begin.args["body"])
        sub = SubscriptionModel(
            name=begin.args["name"],
            id=data["id"],
            secret=data["secret"],
            receiver=begin.args["receiver"],
            types=body["types"],
        )
        sub.apply(body)
        self._check_shown(sub, data, f"subscribing {sub.name}")
        self.subs[sub.name] = sub
        self.names[sub.id] = sub.name

    def _end_update(self, begin: Begin, entry: End) -> None:
        if entry.status != 200:
            return
        sub = self.subs[begin.args["name"]]
        sub.apply(normalise_body(begin.args["body"]))
        if "receiver" in begin.args:
            sub.receiver = begin.args["receiver"]
        self._check_shown(sub, entry.body["data"], f"updating {sub.name}")

    def _check_shown(self, sub: SubscriptionModel, data: dict[str, Any], where: str) -> None:
        shown = {
            "types": sub.types,
            "method": sub.method,
            "headers": sub.headers,
            "cardTemplateId": sub.card_template_id,
            "actionFlowConfigId": sub.action_flow_config_id,
            "maxRetries": sub.max_retries,
            "disableAfterFailures": sub.disable_after_failures,
            "status": sub.status,
        }
        wrong = {k: data.get(k) for k, v in shown.items() if data.get(k) != v}
        if wrong:
            raise Violation("api", f"{where} answered {wrong}, expected {shown}")

    def _end_test(self, begin: Begin, entry: End) -> None:
        if entry.status != 200:
            return
        seen = self.predicted["seen"]
        if len(seen) != 1:
            raise Violation(
                "duplicates", f"a test of {begin.args['name']} sent {len(seen)} requests"
            )
        if entry.body["data"]["success"] != (seen[0] == "success"):
            raise Violation("api", f"the test of {begin.args['name']} answered {entry.body}")

    def _end_inject_duplicate(self, begin: Begin, entry: End) -> None:
        if (entry.error is not None) != self.predicted["error"]:
            raise Violation(
                "duplicates",
                f"injecting a duplicate of {begin.args['event']} "
                + (
                    f"raised {entry.error}"
                    if entry.error
                    else "did not refuse a subscription that never had the event or is not active"
                ),
            )
        missing = self.predicted["targets"]
        if missing:
            event, name = missing[0]
            raise Violation(
                "duplicates",
                f"injecting a duplicate of {event} sent nothing to {name} (active, had the event)",
                expect=[self._copies_expect(event, name, extra=1)],
            )

    # requests at receivers -------------------------------------------------------------
    def _arrival(self, entry: Arrival) -> None:
        received = entry.request
        t = received.t
        body = received.body
        try:
            payload = json.loads(body)
            data = payload["data"]
            name = self.names[str(payload["webhookId"])]
            data_id = str(data["id"])
            request_id = str(payload["requestId"])
        except (ValueError, KeyError, TypeError):
            raise Violation(
                "copies",
                f"{entry.receiver} got a request at {t:g} s that is not a "
                f"delivery of a known subscription: {body[:200]!r}",
            ) from None
        sub = self.subs[name]
        if entry.receiver != sub.receiver:
            raise Violation(
                "request",
                f"a request for {name} went to {entry.receiver}; its url points at {sub.receiver}",
                cut=t,
            )
        if request_id in self.request_ids:
            raise Violation("copies", f"requestId {request_id} was sent twice (again at {t:g} s)")
        self.request_ids.add(request_id)
        signature = header(received.headers, self.settings.signature_header)
        expected = hmac.new(sub.secret.encode(), body, hashlib.sha256).hexdigest()
        if signature != expected:
            raise Violation(
                "signature",
                f"a request for {name} at {t:g} s carries {self.settings.signature_header}: "
                f"{signature!r}, not the HMAC-SHA256 of its body with the secret",
                cut=t,
                expect=[
                    {
                        "receiver": {
                            "name": entry.receiver,
                            "subscription": name,
                            "signatures_valid": True,
                        }
                    }
                ],
            )
        self._check_request(sub, received, payload, t)
        kind = self._classify(sub, data_id, t)
        if kind != "test":
            raw = data_bytes(body)
            first = self.data_bytes.get(data_id)
            if first is None:
                self.data_bytes[data_id] = raw
                self._check_payload(payload, data_id)
            elif first != raw:
                raise Violation(
                    "copies",
                    f"a copy of {data_id} to {name} at {t:g} s carries other data than its "
                    "first copy (data, its id included, must be byte-for-byte the same)",
                    cut=t,
                )
        outcome_answer = Answer(
            kind=received.outcome,
            status=received.status,
            latency=received.latency,
            headers=entry.headers,
        )
        self.sent[request_id] = _Sent(kind, name, data_id, t, outcome_answer, entry.receiver)

    def _check_request(
        self, sub: SubscriptionModel, received: Any, payload: dict[str, Any], t: float
    ) -> None:
        if list(payload) != _ENVELOPE_KEYS or payload["isBatched"] is not False:
            raise Violation("copies", f"the envelope of a request at {t:g} s is {list(payload)}")
        if payload["environmentId"] != self.env:
            raise Violation("copies", f"environmentId {payload['environmentId']!r} at {t:g} s")
        if received.method != sub.method:
            raise Violation(
                "request",
                f"a request for {sub.name} at {t:g} s used "
                f"{received.method}, its method is {sub.method}",
            )
        for name, value in sub.headers.items():
            if header(received.headers, name) != value:
                raise Violation(
                    "request",
                    f"a request for {sub.name} at {t:g} s lacks its custom "
                    f"header {name}: {value!r}",
                )

    def _check_payload(self, payload: dict[str, Any], data_id: str) -> None:
        try:
            validate_payload(payload)
        except ValidationError as exc:
            raise Violation("request", f"event {data_id}: {exc.message}") from None
        event = self.events[data_id]
        for path, value in event.data.items():
            found: Any = payload["data"]
            for part in path.split("."):
                found = found.get(part) if isinstance(found, dict) else None
            if found != value:
                raise Violation(
                    "request",
                    f"event {data_id} was published with {path} {value!r}"
                    f" but is sent with {found!r}",
                )

    def _classify(self, sub: SubscriptionModel, data_id: str, t: float) -> str:
        action = self.action.kind if self.action is not None else None
        key = (data_id, sub.name)
        if data_id.startswith("test-"):
            if action != "test" or self.action is None or self.action.args["name"] != sub.name:
                raise Violation(
                    "duplicates", f"a test delivery reached {sub.name} at {t:g} s outside a test"
                )
            return "test"
        if data_id not in self.events:
            raise Violation("nothing-lost", f"{sub.name} got event {data_id}, never published")
        if action == "inject_duplicate":
            targets = self.predicted["targets"]
            if not targets or targets[0] != key:
                raise Violation(
                    "duplicates",
                    f"injecting a duplicate of {data_id} sent one to {sub.name} "
                    f"(expected copies for: {[n for _, n in targets] or 'nobody'})",
                )
            targets.pop(0)
            self.duplicates[key] = self.duplicates.get(key, 0) + 1
            return "duplicate"
        if key in self.auto_duplicates:
            self.auto_duplicates.remove(key)
            self.duplicates[key] = self.duplicates.get(key, 0) + 1
            return "duplicate"
        if key in self.blocked_duplicates:
            raise Violation(
                "duplicates",
                f"{sub.name} got a duplicate of {data_id} at {t:g} s although it was disabled "
                f"at {sub.disabled_at:g} s (nothing more is sent to a disabled subscription)",
                cut=t,
                expect=[self._copies_expect(data_id, sub.name, extra=0)],
            )
        self._attempt_starts(sub, data_id, t)
        return "delivery"

    def _attempt_starts(self, sub: SubscriptionModel, data_id: str, t: float) -> None:
        delivery = self.deliveries.get((data_id, sub.name))
        if delivery is None:
            raise Violation(
                "nothing-lost",
                f"{data_id} was sent to {sub.name} at {t:g} s, but {sub.name} was not active "
                "and matching when it was published",
                cut=t,
                freeze=sub.name,
                expect=[attempts_expect(data_id, sub.name, count=0)],
            )
        self._overdue(t, strictly=True)
        if not sub.active:
            raise Violation(
                "no-attempt-after-disable",
                f"attempt {len(delivery.starts()) + 1} of {data_id} reached {sub.name} at "
                f"{t:g} s, after it was disabled ({sub.reason}) at {sub.disabled_at:g} s",
                cut=t,
                freeze=sub.name,
                expect=[attempts_expect(data_id, sub.name, at=delivery.starts())],
            )
        if delivery.state != "pending" or delivery.current is not None:
            invariant = {
                "retries-exhausted": "retry-window",
                "subscription-disabled": "no-attempt-after-disable",
                "subscription-deleted": "no-attempt-after-disable",
            }.get(delivery.reason or "", "duplicates" if delivery.state == "delivered" else "log")
            why = (
                "an attempt was still in flight"
                if delivery.current is not None
                else f"the delivery ended {delivery.state} ({delivery.reason}) at "
                f"{delivery.ended_at:g} s"
            )
            raise Violation(
                invariant,
                f"an extra attempt of {data_id} reached {sub.name} at {t:g} s: {why}",
                cut=t,
                freeze=sub.name,
                expect=[attempts_expect(data_id, sub.name, at=delivery.starts())],
            )
        assert delivery.next_start is not None and delivery.next_scheduled is not None
        if abs(t - delivery.next_start) > EPSILON:
            due = delivery.next_start
            cut = min(t, due)
            expected = delivery.starts() + ([due] if due <= cut else [])
            raise Violation(
                "retry-schedule",
                f"attempt {len(delivery.attempts) + 1} of {data_id} to {sub.name} started at "
                f"{t:g} s; the schedule says {due:g} s (scheduled {delivery.next_scheduled:g} s)",
                cut=cut,
                freeze=sub.name,
                expect=[attempts_expect(data_id, sub.name, at=expected)],
            )
        delivery.current = AttemptModel(
            len(delivery.attempts) + 1, delivery.next_scheduled, t, sub.method
        )
        delivery.next_scheduled = delivery.next_start = None

    # the delivery log ----------------------------------------------------------------
    def _finished(self, signal: AttemptFinished) -> None:
        record = signal.record
        sent = self.sent.pop(record.request_id, None)
        if sent is None:
            raise Violation(
                "log",
                f"the log has an attempt ({record.kind} of {record.event_id}) that no receiver got",
            )
        sub = self.subs[sent.sub]
        if (record.subscription_id, record.event_id) != (sub.id, sent.data_id):
            raise Violation(
                "log",
                f"the log shows {record.event_id} to {record.subscription_id} "
                f"for a request of {sent.data_id} to {sub.name}",
            )
        if record.kind != sent.kind:
            raise Violation(
                "duplicates",
                f"a request of {sent.data_id} to {sub.name} at "
                f"{sent.t:g} s is logged as {record.kind}, it was a {sent.kind}",
            )
        outcome, duration = judge(sent.answer, self.settings.timeout)
        started = self._rel(record.started_at)
        finished = self._rel(record.finished_at)
        if abs(started - sent.t) > EPSILON or abs(finished - (sent.t + duration)) > EPSILON:
            raise Violation(
                "log",
                f"the log says {record.kind} of {sent.data_id} to {sub.name} "
                f"ran {started:g}-{finished:g} s; it ran {sent.t:g}-"
                f"{sent.t + duration:g} s",
            )
        if str(record.outcome) != outcome:
            delivery = self.deliveries.get((sent.data_id, sub.name))
            outcomes = [a.outcome for a in delivery.attempts] if delivery is not None else []
            raise Violation(
                "outcome",
                f"{record.kind} of {sent.data_id} to {sub.name} at {sent.t:g} s was logged "
                f"{record.outcome}; the receiver's answer ({sent.answer.kind} "
                f"{sent.answer.status} after {sent.answer.latency:g} s, timeout "
                f"{self.settings.timeout:g} s) makes it {outcome}",
                cut=sent.t,
                freeze=sub.name if record.kind == "delivery" else None,
                expect=[attempts_expect(sent.data_id, sub.name, outcomes=[*outcomes, outcome])]
                if record.kind == "delivery"
                else [],
            )
        if sent.kind == "test":
            self.predicted["seen"].append(outcome)
        elif sent.kind == "delivery":
            retry_after = retry_after_seconds(sent.answer, outcome, self.settings)
            self._delivery_answered(sub, sent.data_id, record, outcome, finished, retry_after)

    def _delivery_answered(
        self,
        sub: SubscriptionModel,
        data_id: str,
        record: Any,
        outcome: str,
        finished: float,
        retry_after: float | None,
    ) -> None:
        delivery = self.deliveries[(data_id, sub.name)]
        attempt = delivery.current
        assert attempt is not None
        attempt.finish, attempt.outcome = finished, outcome
        delivery.attempts.append(attempt)
        delivery.current = None
        window = self.settings.retry_window
        scheduled = self._rel(record.scheduled_at)
        if record.attempt != attempt.number or abs(scheduled - attempt.scheduled) > EPSILON:
            raise Violation(
                "retry-schedule",
                f"the log says attempt {record.attempt} of "
                f"{data_id} to {sub.name} was scheduled at {scheduled:g} s; it was "
                f"attempt {attempt.number}, scheduled at {attempt.scheduled:g} s",
            )
        if window is not None and scheduled - delivery.first > window + EPSILON:
            raise Violation(
                "retry-window",
                f"attempt {attempt.number} of {data_id} to "
                f"{sub.name} was scheduled {scheduled - delivery.first:g} s after "
                f"the first, beyond the {window:g} s window",
            )
        if outcome == "success":
            if sub.status != "deleted":
                sub.failures = 0
            delivery.end("delivered", None, finished)
            if self.settings.duplicate_probability >= 1.0:
                target = self.auto_duplicates if sub.active else self.blocked_duplicates
                target.append(delivery.key)
            return
        if sub.status == "deleted":
            delivery.end("undelivered", "subscription-deleted", finished)
            return
        sub.failures += 1
        if not sub.active:
            delivery.end("undelivered", "subscription-disabled", finished)
        elif sub.disable_after_failures and sub.failures >= self.settings.disable_threshold:
            delivery.end("undelivered", "subscription-disabled", finished)
            self.expect_disable = (sub.name, finished)
        elif delivery.cancelled:
            delivery.end("undelivered", "subscription-disabled", finished)
        else:
            when = retry_due(
                self.settings,
                attempts_made=len(delivery.attempts),
                first_at=delivery.first,
                previous_scheduled=attempt.scheduled,
                subscription_max_retries=sub.max_retries,
                retry_after=retry_after,
            )
            if when is None:
                delivery.end("undelivered", "retries-exhausted", finished)
            else:
                delivery.next_scheduled, delivery.next_start = when, max(when, finished)

    # subscription changes ------------------------------------------------------------
    def _changed(self, signal: SubscriptionChanged) -> None:
        name = self.names.get(signal.subscription.id)
        if name is None:  # created: the End of the subscribe action registers it
            if self.action is None or self.action.kind != "subscribe":
                raise Violation("api", f"a subscription was {signal.change} outside any action")
            return
        sub = self.subs[name]
        t = self._rel(signal.time)
        change = signal.change
        if change == "disabled" and signal.reason == "auto":
            if (
                self.expect_disable is None
                or self.expect_disable[0] != name
                or abs(self.expect_disable[1] - t) > EPSILON
            ):
                self._pending_disable()
                raise Violation(
                    "disable-at-threshold",
                    f"{name} was disabled automatically at {t:g} s after "
                    f"{sub.failures} consecutive failed attempts (threshold "
                    f"{self.settings.disable_threshold}, disableAfterFailures "
                    f"{str(sub.disable_after_failures).lower()}, status {sub.status})",
                    cut=t,
                    expect=[
                        {"subscription": {"name": name, "at": number(t), "status": sub.status}}
                    ],
                )
            self.expect_disable = None
            self._disable(sub, t, "auto")
            return
        self._pending_disable()
        action = {"disabled": "disable", "enabled": "enable", "deleted": "delete"}.get(
            change, "update"
        )
        if (
            self.action is None
            or self.action.kind != action
            or self.action.args.get("name") != name
            or (action != "update" and not self.predicted.get("signal"))
        ):
            raise Violation(
                "api",
                f"{name} was {change} at {t:g} s without a reason "
                f"(action: {self.action.kind if self.action else 'none'})",
            )
        self.predicted["seen"].append(change)
        if change == "disabled":
            self._disable(sub, t, "api")
        elif change == "enabled":
            sub.status, sub.reason, sub.disabled_at, sub.failures = "active", None, None, 0
        elif change == "deleted":
            sub.status = "deleted"

    def _disable(self, sub: SubscriptionModel, t: float, reason: str) -> None:
        sub.status, sub.reason, sub.disabled_at = "disabled", reason, t
        for delivery in self.deliveries.values():
            if delivery.subscription != sub.name or delivery.state != "pending":
                continue
            if delivery.current is not None:
                delivery.cancelled = True  # its answer decides it; a failure is not retried
            else:
                delivery.end("undelivered", "subscription-disabled", t)

    # after each step -----------------------------------------------------------------
    def _overdue(self, now: float, *, strictly: bool) -> None:
        """A waiting delivery whose next attempt was due before `now` was skipped."""
        for delivery in self.deliveries.values():
            due = delivery.next_start
            if not delivery.waiting or due is None:
                continue
            if due < now - EPSILON or (not strictly and due <= now + EPSILON):
                number = len(delivery.attempts) + 1
                raise Violation(
                    "retry-schedule" if number > 1 else "nothing-lost",
                    f"attempt {number} of {delivery.event} to {delivery.subscription} was due "
                    f"at {due:g} s and was not made (it is {now:g} s)",
                    cut=due,
                    freeze=delivery.subscription,
                    expect=[
                        attempts_expect(
                            delivery.event, delivery.subscription, at=[*delivery.starts(), due]
                        )
                    ],
                )

    def check_step(self, now: float, platform: Any, listed: list[dict[str, Any]]) -> None:
        """Everything that must hold once a step is over (all work due by `now` has run)."""
        self._pending_disable()
        if self.auto_duplicates:
            event, name = self.auto_duplicates[0]
            raise Violation(
                "duplicates",
                f"{event} was delivered to {name} with "
                "duplicate_probability 1 and no duplicate followed",
                expect=[self._copies_expect(event, name, extra=1)],
            )
        self.blocked_duplicates.clear()
        for request_id, sent in self.sent.items():
            _, duration = judge(sent.answer, self.settings.timeout)
            if sent.kind != "delivery" or sent.t + duration <= now + EPSILON:
                raise Violation(
                    "log",
                    f"the {sent.kind} of {sent.data_id} to {sent.sub} at "
                    f"{sent.t:g} s (request {request_id}) was never logged",
                )
        self._overdue(now, strictly=False)
        compare_deliveries(self, platform)
        compare_subscriptions(self, listed)

    def _copies_expect(self, event: str, name: str, *, extra: int) -> dict[str, Any]:
        count = self.duplicates.get((event, name), 0) + extra
        return {
            "attempts": {"event": event, "subscription": name, "kind": "duplicate", "count": count}
        }

    def pending_deliveries(self) -> list[DeliveryModel]:
        return [d for d in self.deliveries.values() if d.state == "pending"]
