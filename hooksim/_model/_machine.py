"""The stateful model test: hypothesis drives the platform, the model checker judges it.

`PlatformMachine` draws delivery settings and receiver fault schedules, then takes random
steps: subscribe, update, disable, enable, delete and test through the management API,
publish events and move the clock through the simulation API, inject duplicates, change a
receiver's faults. After every step the model checker reads what happened and checks the
invariants; at the end the clock runs past every retry window and nothing may be pending.

When a check fails, the steps taken so far are written as a YAML scenario (see
`_scenario.py`) before the failure propagates; hypothesis replays the shrunk case last, so
the file left behind is the shrunk one. Subclass to test another platform (`platform_factory`)
or to write elsewhere (`failures_dir`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import currently_in_test_context, note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from hooksim import strategies as hs
from hooksim._faults import FaultSchedule
from hooksim.contracts import DEFAULT_SIGNATURE_HEADER
from hooksim.simulator import Platform, Settings

from ._checker import ModelChecker
from ._compare import states_expect
from ._harness import Harness, PlatformFactory, receiver_url
from ._rules import latest_end
from ._scenario import ScenarioRecorder, failures_dir
from ._violations import Violation

__all__ = ["PlatformMachine", "model_schedules", "model_settings"]

RECEIVERS = ("r0", "r1", "r2")
TYPES = ("card-published", "card-completed", "card-dismissed")
TEMPLATES = ("1", "2")
FLOWS = ("f1", "f2")
_HEADERS = st.dictionaries(
    st.sampled_from(["X-Tenant", "X-Trace", "X-Api-Key"]),
    st.sampled_from(["acme", "t-1", "", "a b"]),
    max_size=2,
)
_SCOPES = st.sampled_from(["1", "2", 1, "f1", "f2"])
_LONGEST_ADVANCE = 366 * 86400.0


def model_settings() -> st.SearchStrategy[Settings]:
    """Small numbers, so that a few steps reach thresholds, windows and caps."""
    return hs.settings(
        retry_base=st.sampled_from([1.0, 2.0, 5.0, 10.0]),
        retry_window=st.sampled_from([None, 20.0, 60.0, 150.0]),
        max_delay=st.sampled_from([None, None, 4.0, 20.0]),
        max_retries=st.sampled_from([None, None, 0, 1, 3, 6]),
        disable_threshold=st.integers(1, 8),
        timeout=st.sampled_from([1.0, 2.5, 5.0, 10.0]),
        duplicate_probability=st.sampled_from([0.0, 0.0, 0.0, 1.0]),
        jitter=0.0,
        signature_header=st.sampled_from([DEFAULT_SIGNATURE_HEADER, "X-Hook-Signature"]),
        max_subscriptions=st.sampled_from([2, 3, 100, 100]),
        retry_after_statuses=st.sampled_from([(429, 503), (), (500,)]),
    )


def model_schedules(timeout: float) -> st.SearchStrategy[FaultSchedule]:
    """Faults around the timeout: instant answers, slow ones, answers just past it."""
    return hs.fault_schedules(
        max_faults=3,
        rules=hs.faults(
            statuses=st.sampled_from([200, 204, 302, 404, 429, 500, 503]),
            latencies=st.sampled_from([0.0, 0.0, 0.0, 0.5, 1.0, timeout, timeout + 0.5, 30.0]),
            horizon=300.0,
            retry_afters=st.sampled_from([0.0, 3.0, 15.0, 45.0]),
        ),
    )


class PlatformMachine(RuleBasedStateMachine):
    #: Builds the platform under test (keyword arguments as `Platform`'s).
    platform_factory: ClassVar[PlatformFactory] = Platform
    #: Names the scenario file written on failure.
    title: ClassVar[str] = "platform-model"
    #: Where that file goes (None: $HOOKSIM_FAILURES_DIR, else ./hooksim-failures).
    failures_dir: ClassVar[Path | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.failed = False
        self.counter = 0
        self.longest_retry_after = 0.0

    # set-up --------------------------------------------------------------------------
    def settings_strategy(self) -> st.SearchStrategy[Settings]:
        """The environment's delivery settings (override to narrow the search)."""
        return model_settings()

    def schedule_strategy(self, timeout: float) -> st.SearchStrategy[FaultSchedule]:
        """Receivers' fault schedules, at the start and when they change."""
        return model_schedules(timeout)

    def subscription_strategy(self, receiver: str) -> st.SearchStrategy[dict[str, Any]]:
        """Subscribe bodies for a subscription at `receiver`."""
        return hs.subscriptions(
            types=TYPES,
            urls=receiver_url(receiver),
            headers=_HEADERS,
            scope_ids=_SCOPES,
            max_retries=st.none() | st.integers(0, 4),
            signature_header=self.harness.settings.signature_header,
        )

    @initialize(data=st.data())
    def setup(self, data: st.DataObject) -> None:
        settings = data.draw(self.settings_strategy(), label="settings")
        count = data.draw(st.integers(1, len(RECEIVERS)), label="receivers")
        schedules = {
            name: data.draw(self.schedule_strategy(settings.timeout), label=name)
            for name in RECEIVERS[:count]
        }
        self._note_retry_afters(schedules.values())
        factory = type(self).platform_factory
        self.harness = Harness(settings, schedules, platform_factory=factory)
        self.checker = ModelChecker(
            settings, start=self.harness.start, environment_id=self.harness.env
        )
        self.recorder = ScenarioRecorder(settings, schedules, seed=self.harness.seed)
        for _ in range(data.draw(st.integers(1, 3), label="subscriptions")):
            self._subscribe(data)

    def _note_retry_afters(self, schedules: Any) -> None:
        for schedule in schedules:
            for fault in schedule.faults:
                self.longest_retry_after = max(self.longest_retry_after, fault.retry_after or 0)

    def _label(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # running and checking a step -----------------------------------------------------
    def _step(self, step: dict[str, Any], run: Callable[[], Any]) -> None:
        before = self.harness.now()
        try:
            run()
        except BaseException as exc:
            self.recorder.record(step, before, self.harness.now())
            self._fail(None, exc)
            raise
        self.recorder.record(step, before, self.harness.now())
        self._check()

    def _check(self) -> None:
        try:
            self.checker.process(self.harness.take_log())
            status, listed = self.harness.call("GET", "/v1/{env}/webhook")
            if status != 200:
                raise Violation("api", f"listing subscriptions answered {status}: {listed}")
            self.checker.check_step(self.harness.now(), self.harness.platform, listed["data"])
        except Violation as violation:
            self._fail(violation, violation)
            raise

    def _fail(self, violation: Violation | None, error: BaseException) -> None:
        if self.failed:
            return
        self.failed = True
        directory = type(self).failures_dir or failures_dir()
        document = self.recorder.document(
            type(self).title, violation, f"{type(error).__name__}: {error}"
        )
        path = self.recorder.write(directory / f"{type(self).title}.yaml", document)
        if currently_in_test_context():
            note(f"reproduce with: hooksim run {path}")

    # subscriptions -------------------------------------------------------------------
    def _names(self) -> list[str]:
        return list(self.checker.subs)

    def _receivers(self) -> list[str]:
        return list(self.harness.receivers)

    @rule(data=st.data())
    def subscribe(self, data: st.DataObject) -> None:
        self._subscribe(data)

    def _subscribe(self, data: st.DataObject) -> None:
        receiver = data.draw(st.sampled_from(self._receivers()), label="receiver")
        body = dict(data.draw(self.subscription_strategy(receiver), label="body"))
        body.pop("name", None)  # any text is valid; it changes nothing the model checks
        if ("cardTemplateId" in body or "actionFlowConfigId" in body) and data.draw(
            st.integers(0, 3), label="scoped"
        ):
            body.pop("cardTemplateId", None)  # keep most subscriptions unscoped, so that
            body.pop("actionFlowConfigId", None)  # events reach them often
        name = self._label("s")
        step = {"subscribe": {"as": name, "receiver": receiver, **_without(body, "url")}}
        args = {"name": name, "label": name, "receiver": receiver, "body": body}

        def run() -> None:
            answer = self.harness.act(
                "subscribe", args, lambda: self.harness.call("POST", "/v1/{env}/webhook", body)
            )
            if isinstance(answer, dict) and "secret" in answer.get("data", {}):
                self.harness.attach(receiver, answer["data"]["id"], answer["data"]["secret"])

        self._step(step, run)

    @precondition(lambda self: bool(self.checker.subs))
    @rule(data=st.data())
    def update(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(self._names()), label="subscription")
        fields = data.draw(
            st.lists(
                st.sampled_from(
                    ["types", "receiver", "method", "headers", "maxRetries", "disableAfterFailures"]
                ),
                min_size=1,
                max_size=3,
                unique=True,
            ),
            label="fields",
        )
        full = data.draw(
            hs.subscriptions(
                types=TYPES,
                urls="https://unused.test/",
                headers=_HEADERS,
                max_retries=st.none() | st.integers(0, 4),
            ),
            label="changes",
        )
        body: dict[str, Any] = {}
        receiver = None
        for field in fields:
            if field == "receiver":
                receiver = data.draw(st.sampled_from(self._receivers()), label="receiver")
                body["url"] = receiver_url(receiver)
            elif field in full:
                body[field] = full[field]
            elif field == "types":
                body["types"] = [TYPES[0]]
        if not body:
            body["method"] = full.get("method", "PUT")
        label = self._label("a")
        step_body = _without(body, "url")
        if receiver is not None:
            step_body["receiver"] = receiver
        step = {"update": {"subscription": name, "as": label, **step_body}}
        args = {"name": name, "label": label, "body": _without(body, "url")}
        if receiver is not None:
            args["receiver"] = receiver
        sub = self.checker.subs[name]

        def run() -> None:
            self.harness.act(
                "update",
                args,
                lambda: self.harness.call("PATCH", self.harness.webhook_path(sub.id), body),
            )
            if receiver is not None:
                self.harness.attach(receiver, sub.id, sub.secret)

        self._step(step, run)

    @precondition(lambda self: bool(self.checker.subs))
    @rule(
        data=st.data(),
        action=st.sampled_from(
            [
                ("disable", "DELETE", ""),
                ("enable", "POST", "/enable"),
                ("delete", "DELETE", "?permanent=true"),
                ("test", "POST", "/test"),
            ]
        ),
    )
    def manage(self, data: st.DataObject, action: tuple[str, str, str]) -> None:
        """Disable, re-enable, delete for good, or test one subscription."""
        kind, method, suffix = action
        name = data.draw(st.sampled_from(self._names()), label="subscription")
        label = self._label("a")
        path = self.harness.webhook_path(self.checker.subs[name].id, suffix)
        self._step(
            {kind: {"subscription": name, "as": label}},
            lambda: self.harness.act(
                kind, {"name": name, "label": label}, lambda: self.harness.call(method, path)
            ),
        )

    # events, time, duplicates, faults --------------------------------------------------
    @rule(
        kind=st.sampled_from(TYPES),
        template=st.sampled_from(TEMPLATES),
        flow=st.sampled_from(FLOWS),
        count=st.integers(1, 3),
    )
    def publish(self, kind: str, template: str, flow: str, count: int) -> None:
        fields = {"cardContext.cardTemplateId": template, "platformContext.flowConfigId": flow}
        first = len(self.checker.events) + 1
        ids = [f"e{n}" for n in range(first, first + count)]

        path = "/_sim/events"

        def run() -> None:
            for event_id in ids:
                body = {
                    "environmentId": self.harness.env,
                    "type": kind,
                    "overrides": {"id": event_id, **fields},
                }
                args = {"id": event_id, "type": kind, "data": fields, "t": self.harness.now()}
                self.harness.act("publish", args, partial(self.harness.call, "POST", path, body))

        self._step({"publish": {"type": kind, "ids": ids, "overrides": fields}}, run)

    @rule(seconds=st.sampled_from([None, None, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 120.0]))
    def advance(self, seconds: float | None) -> None:
        """Move the clock by `seconds`, or (None) to the next instant the platform has work."""
        if seconds is None:
            due = self.harness.platform.next_due()
            if due is None:
                return
            seconds = max(0.0, due - self.harness.clock.now())
        self._advance(seconds)

    def _advance(self, seconds: float) -> None:
        body = {"seconds": seconds}
        self._step(
            {"advance": seconds},
            lambda: self.harness.act(
                "advance", {}, lambda: self.harness.call("POST", "/_sim/clock/advance", body)
            ),
        )

    @rule(data=st.data())
    def inject_duplicate(self, data: st.DataObject) -> None:
        if not self.checker.events:
            return  # always enabled: a precondition would make hypothesis redraw the rule
        event = data.draw(st.sampled_from(list(self.checker.events)), label="event")
        targets = [
            name
            for (e, name) in self.checker.deliveries
            if e == event
            if self.checker.subs[name].active
        ]
        name = data.draw(st.none() | st.sampled_from(targets) if targets else st.none())
        sub_id = self.checker.subs[name].id if name is not None else None
        step: dict[str, Any] = {"inject_duplicate": event}
        if name is not None:
            step = {"inject_duplicate": {"event": event, "subscription": name}}
        self._step(step, lambda: self.harness.inject_duplicate(event, sub_id))

    @rule(data=st.data())
    def set_behaviour(self, data: st.DataObject) -> None:
        receiver = data.draw(st.sampled_from(self._receivers()), label="receiver")
        schedule = data.draw(
            self.schedule_strategy(self.harness.settings.timeout), label="schedule"
        )
        self._note_retry_afters([schedule])
        self._step(
            {"set_behaviour": {"receiver": receiver, "behaviour": schedule.to_yaml()}},
            lambda: self.harness.set_schedule(receiver, schedule),
        )

    @rule()
    def settle(self) -> None:
        """Run the clock past every pending delivery's last possible attempt."""
        pending = self.checker.pending_deliveries()
        if not pending:
            return
        horizon = latest_end(self.harness.settings, None, self.longest_retry_after)
        remaining = max(1.0, round(max(d.first for d in pending) + horizon - self.harness.now()))
        while remaining > 0:  # the API moves the clock at most 366 days at a time
            self._advance(min(remaining, _LONGEST_ADVANCE))
            remaining -= _LONGEST_ADVANCE
        left = self.checker.pending_deliveries()
        if left:
            violation = Violation(
                "nothing-lost",
                f"{len(left)} deliveries are still pending after every retry window passed, "
                f"e.g. {left[0].event} to {left[0].subscription}",
                expect=states_expect(self.checker.deliveries, left[0].subscription),
            )
            self._fail(violation, violation)
            raise violation

    def teardown(self) -> None:
        if not self.failed and hasattr(self, "harness"):
            self.settle()


def _without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in keys}
