"""Checking expectations against what happened. Each expectation becomes one
`ExpectationResult`: what was expected, what was found, and a sentence when they differ;
a failed one carries its own YAML lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hooksim.simulator import DeliveryState, HooksimError, Outcome, format_duration

from ._context import RunContext
from ._errors import NotApplicable, StepFailed
from ._matching import (
    MISSING,
    attempt_times,
    is_matcher,
    list_problem,
    lookup,
    matches,
    same_times,
    shown,
)
from ._model import Expectation
from ._real_receivers import RealReceiver
from ._receivers import Received
from ._results import ExpectationResult
from ._steps import fetch_analytics

__all__ = ["check"]

_KINDS = {
    "delivery": ("delivery",),
    "duplicate": ("duplicate",),
    "test": ("test",),
    "all": ("delivery", "duplicate", "test"),
}


class _Comparison:
    """Collects the checks of one expectation."""

    def __init__(self) -> None:
        self.expected: dict[str, Any] = {}
        self.actual: dict[str, Any] = {}
        self.problems: list[str] = []

    def compare(self, key: str, expected: Any, actual: Any, ok: bool | None = None) -> None:
        if ok is None:
            ok = matches(actual, expected)
        actual = shown(actual, expected)
        self.expected[key] = _plain(expected)
        self.actual[key] = _plain(actual)
        if not ok:
            self.problems.append(
                f"{key}: expected {_show(key, expected)}, got {_show(key, actual)}"
            )

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def compare_list(
        self,
        key: str,
        expected: Any,
        actual: list[Any],
        same: Callable[[Any, Any], bool] | None = None,
    ) -> None:
        """A list, written out or as a list matcher; a failure says where the lists part."""
        problem = list_problem(actual, expected, same)
        self.compare(key, expected, actual, problem is None)
        if problem is not None:
            self.problems[-1] += f" ({problem})"


def check(ctx: RunContext, expectation: Expectation) -> None:
    """Check one expectation now and record its result on the context."""
    comparison = _Comparison()
    args = expectation.args
    not_applicable = None
    try:
        subject = _CHECKS[expectation.kind](ctx, args, comparison)
    except NotApplicable as exc:  # needs what the platform under test does not offer
        not_applicable = exc.reason
        subject = expectation.kind
    except (StepFailed, HooksimError) as exc:  # e.g. a subscription whose creation was refused
        comparison.fail(str(exc) if isinstance(exc, StepFailed) else exc.message)
        subject = expectation.kind
    description = expectation.description or _describe(expectation.kind, subject, args)
    ctx.results.append(
        ExpectationResult(
            description=description,
            passed=not comparison.problems and not_applicable is None,
            expected=comparison.expected,
            actual=comparison.actual,
            t=round(ctx.now(), 6),
            source=expectation.span,
            message="; ".join(comparison.problems) or None,
            not_applicable=not_applicable,
        )
    )


# each kind ---------------------------------------------------------------------------
def _attempts(ctx: RunContext, args: dict[str, Any], c: _Comparison) -> str:
    sub = args.get("subscription")
    sub_id = ctx.subscription_id(sub) if sub else None
    event_ids = set(ctx.events(args["event"])) if "event" in args else None
    kinds = _KINDS[args["kind"]] if "kind" in args else ("delivery", "duplicate")
    logged = ctx.backend.attempts(subscription_id=sub_id, kinds=kinds)
    records = sorted(  # the log is in the order attempts ended; show them as they started
        (
            r
            for r in logged  # a batched request's row counts for every event it carried
            if event_ids is None or r.event_id in event_ids or not event_ids.isdisjoint(r.event_ids)
        ),
        key=lambda r: r.started_at,
    )
    if "at" in args:
        times = attempt_times(records, ctx.start)
        c.compare_list("at", args["at"], times, lambda a, e: same_times([a], [e]))
    if "count" in args:
        c.compare("count", args["count"], len(records))
    if "outcomes" in args:
        c.compare_list("outcomes", args["outcomes"], [str(r.outcome) for r in records])
    if "statuses" in args:
        c.compare_list("statuses", args["statuses"], [r.status_code for r in records])
    if "headers" in args:
        # About the delivery log itself (what it shows of each request: LOG-REDACT).
        ctx.backend.require("delivery-log", "attempts.headers is about what the log shows")
        seen = {
            name: sorted({_header(r.headers, name) or "" for r in records})
            for name in args["headers"]
        }
        wanted = {name: [value] for name, value in args["headers"].items()}
        c.compare("headers", args["headers"], seen, bool(records) and seen == wanted)
    if "method" in args:
        methods = sorted({r.method for r in records})
        c.compare("method", args["method"], methods, methods == [args["method"]])
    parts = []
    if "event" in args:
        parts.append(f"event {args['event']}")
    if sub:
        parts.append(f"to {sub}")
    return "attempts of " + " ".join(parts)


def _deliveries(state: DeliveryState) -> Callable[[RunContext, dict[str, Any], _Comparison], str]:
    def run(ctx: RunContext, args: dict[str, Any], c: _Comparison) -> str:
        if state is DeliveryState.UNDELIVERED:
            ctx.backend.require("delivery-states", "what the platform recorded undelivered")
        sub = args.get("subscription")
        sub_id = ctx.subscription_id(sub) if sub else None
        # With `at`: as things stood then (ended at that time or before).
        at = args.get("at")
        if at is not None and at > ctx.now() + 1e-9:
            c.fail(_look_ahead(at, ctx.now()))
            return f"{state.value} events"
        found = [
            d
            for d in ctx.backend.deliveries()
            if d.state is state
            and (sub_id is None or d.subscription_id == sub_id)
            and (at is None or (d.ended_at is not None and d.ended_at - ctx.start <= at + 1e-9))
        ]
        reason = args.get("reason")
        if reason is not None and ("count" in args or "events" in args):
            found = [d for d in found if d.reason == reason]  # narrows what is counted
        elif reason is not None:
            reasons = sorted({d.reason or "" for d in found})
            c.compare("reason", reason, reasons, reasons == [reason])
        if "count" in args:
            c.compare("count", args["count"], len(found))
        if "events" in args:
            wanted = sorted(ctx.events_of(args["events"]))
            ids = sorted({d.event_id for d in found})
            c.compare("events", wanted, ids, ids == wanted)
        when = f" at {format_duration(at)}" if at is not None else ""
        return f"{state.value} events" + (f" of {sub}" if sub else "") + when

    return run


def _receiver(ctx: RunContext, args: dict[str, Any], c: _Comparison) -> str:
    name = args["name"]
    receiver = ctx.receivers[name]
    sub = args.get("subscription")
    sub_id = ctx.subscription_id(sub) if sub else None
    requests = [r for r in receiver.requests if sub_id is None or r.webhook_id == sub_id]
    reached = [r for r in requests if r.outcome in ("answered", "hang")]
    from_platform = [r for r in reached if r.source == "platform"]
    ids = [r.data_id for r in reached if r.data_id is not None]
    replayed = receiver.replayed if sub_id is None else []
    bookkeeping = {"processed", "processed_ids", "processed_once", "order"} & set(args)
    if isinstance(receiver, RealReceiver):
        # What a real receiver did is its own: its effects probe tells (else not-applicable).
        if bookkeeping:
            counts = receiver.processed_counts()
            if "order" in args:
                raise NotApplicable(
                    f"receiver {name} is a real one: its effects probe tells how often it "
                    "acted on each event, not in which order"
                )
            if sub_id is not None:
                mine = {r.data_id for r in requests}
                counts = {i: n for i, n in counts.items() if i in mine}
        processed: list[str | None] = [
            i for i, n in (counts.items() if bookkeeping else ()) for _ in range(n)
        ]
    else:
        processed = [r.data_id for r in requests if r.processed] + [r.data_id for r in replayed]
    if "received" in args:
        c.compare("received", args["received"], len(reached))
    if "unique" in args:
        c.compare("unique", args["unique"], len(set(ids)))
    if "duplicates" in args:
        c.compare("duplicates", args["duplicates"], sum(1 for r in reached if r.duplicate))
    if "processed" in args:
        c.compare("processed", args["processed"], len(processed))
    if "rejected" in args:
        # A scripted receiver rejects with 401; a real one with any 4xx.
        rejected = [
            r
            for r in reached
            if r.signature_valid is False
            and r.status is not None
            and (400 <= r.status < 500 if isinstance(receiver, RealReceiver) else r.status == 401)
        ]
        c.compare("rejected", args["rejected"], len(rejected))
    if "delivered" in args:
        subs = [s for s, r in ctx.subscription_receivers.items() if r == name]
        delivered = sum(
            1
            for s in ([sub_id] if sub_id else subs)
            for record in ctx.backend.attempts(subscription_id=s, kinds=("delivery", "duplicate"))
            if record.succeeded
        )
        c.compare("delivered", args["delivered"], delivered)
    if "processed_ids" in args:
        wanted = sorted(ctx.events_of(args["processed_ids"]))
        got = sorted({i for i in processed if i is not None})
        c.compare("processed_ids", wanted, got, got == wanted)
    if "processed_once" in args:
        seen = {i for i in ids} | {i for i in processed if i is not None}
        wrong = sorted(i for i in seen if receiver.times_processed(i) != 1)
        ok = (not wrong) == args["processed_once"]
        c.compare("processed_once", args["processed_once"], not wrong, ok)
        if wrong and not ok:
            c.problems[-1] += (
                " ("
                + ", ".join(f"{i} x{receiver.times_processed(i)}" for i in wrong[:5])
                + (", ..." if len(wrong) > 5 else "")
                + ")"
            )
    if "order" in args:
        wanted = ctx.events_of(args["order"])
        wanted_set, first = set(wanted), []
        for i in dict.fromkeys(processed):  # first processing of each id, in order
            if i in wanted_set:
                first.append(i)
        c.compare("order", wanted, first, first == wanted)
    if "signatures_valid" in args:
        bad = [r for r in from_platform if r.signature_valid is not True]
        c.compare("signatures_valid", args["signatures_valid"], not bad and bool(from_platform))
        if bad and args["signatures_valid"]:
            c.problems[-1] += f" ({len(bad)} of {len(from_platform)} requests did not verify)"
    if "headers" in args:
        values = {
            n: sorted({_header(r.headers, n) or "" for r in from_platform}) for n in args["headers"]
        }
        wanted_headers = {n: [v] for n, v in args["headers"].items()}
        ok = bool(from_platform) and values == wanted_headers
        c.compare("headers", args["headers"], values, ok)
    if "method" in args:
        methods = sorted({r.method for r in from_platform})
        c.compare("method", args["method"], methods, methods == [args["method"]])
    if "bodies" in args:
        _bodies(args["bodies"], from_platform, c)
    if "per_event" in args:
        _per_event(ctx, receiver, args["per_event"], reached, c)
    return f"receiver {name}" + (f" (from {sub})" if sub else "")


def _per_event(
    ctx: RunContext, receiver: Any, wanted: dict[str, Any], reached: list[Received], c: _Comparison
) -> None:
    """Each event (of `events`, default every one published): how many copies reached the
    receiver, and how many times it processed it (its data.id stable across copies)."""
    ids = ctx.events_of(wanted.get("events", ["*"]))
    names = {i: ref for ref, group in ctx.event_refs.items() for i in group}
    got = {i: sum(1 for r in reached if r.data_id == i) for i in ids}
    for key in ("received", "processed"):
        if key not in wanted:
            continue
        counts = got if key == "received" else {i: receiver.times_processed(i) for i in ids}
        wrong = {i: n for i, n in counts.items() if n != wanted[key]}
        tally: dict[int, int] = {}
        for n in counts.values():
            tally[n] = tally.get(n, 0) + 1
        c.compare(f"per_event.{key}", wanted[key], tally, bool(ids) and not wrong)
        if not ids:
            c.problems[-1] += " (no event to count)"
        elif wrong:
            shown_ids = ", ".join(f"{names.get(i, i)} x{n}" for i, n in list(wrong.items())[:5])
            more = ", ..." if len(wrong) > 5 else ""
            c.problems[-1] += f" ({len(wrong)} of {len(ids)} events: {shown_ids}{more})"


def _bodies(wanted: dict[str, Any], requests: list[Received], c: _Comparison) -> None:
    """Every request body the platform sent has these values at these paths."""
    for request in requests:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = MISSING
        for path, expected in wanted.items():
            actual = lookup(body, path)
            if not matches(actual, expected):
                c.compare(f"bodies.{path}", expected, actual, False)
                c.problems[-1] += f" (request {request.number} at {format_duration(request.t)})"
                return
    c.expected["bodies"] = _plain(wanted)
    c.actual["bodies"] = f"all {len(requests)} request bodies match" if requests else "no requests"
    if not requests:
        c.fail("bodies: no request from the platform reached the receiver")


def _subscription(ctx: RunContext, args: dict[str, Any], c: _Comparison) -> str:
    name = args["name"]
    sub_id = ctx.subscription_id(name)
    if "at" in args:
        at = args["at"]
        if at > ctx.now() + 1e-9:
            c.fail(_look_ahead(at, ctx.now()))
            return f"subscription {name}"
        state = ctx.status_at(sub_id, at) or ("absent", None)
        consecutive = _failures_at(ctx, sub_id, at)
    else:
        current = ctx.backend.subscription_state(sub_id)
        if current is None:
            state, consecutive = ("deleted", None), 0
        else:
            state, consecutive = (current.status, current.reason), current.consecutive_failures
    if "status" in args:
        c.compare("status", args["status"], state[0])
    if "reason" in args:
        c.compare("reason", args["reason"], state[1], state[1] == args["reason"])
    if "exists" in args:
        c.compare("exists", args["exists"], state[0] not in ("deleted", "absent"))
    if "consecutive_failures" in args:
        c.compare("consecutive_failures", args["consecutive_failures"], consecutive)
    when = f" at {format_duration(args['at'])}" if "at" in args else ""
    return f"subscription {name}{when}"


def _failures_at(ctx: RunContext, sub_id: str, t: float) -> int:
    """The subscription's consecutive-failure counter at `t`, replayed from the attempts
    that had been answered by then: a failed real attempt adds one, a success and a
    re-enable start it again from 0 (DISABLE-THRESHOLD, DISABLE-RESET). Tests and
    duplicates never count."""
    moments: list[tuple[float, int, bool]] = [
        (r.finished_at - ctx.start, 1, r.outcome is Outcome.SUCCESS)
        for r in ctx.backend.attempts(subscription_id=sub_id, kinds=("delivery",))
    ]
    moments += [
        (entry.t, 0, True)  # a re-enable resets, before what ends at the same instant
        for entry in ctx.history
        if entry.subscription_id == sub_id and entry.status == "active"
    ]
    count = 0
    for when, _, resets in sorted(moments):
        if when > t + 1e-9:
            break
        count = 0 if resets else count + 1
    return count


def _analytics(ctx: RunContext, args: dict[str, Any], c: _Comparison) -> str:
    response, events = fetch_analytics(ctx, args["from"], args["to"], args.get("format", "ndjson"))
    window = f"batched analytics {format_duration(args['from'])}-{format_duration(args['to'])}"
    if not 200 <= response.status < 300:
        c.fail(response.summary())
        return window
    downloaded = [str(e.get("id")) for e in events]
    present = set(downloaded)
    if "count" in args:
        c.compare("count", args["count"], len(downloaded))
    if "hours" in args:
        hours = response.body.get("data", {}) if isinstance(response.body, dict) else {}
        c.compare("hours", args["hours"], len(hours))
    if "contains" in args:
        wanted = ctx.events_of(args["contains"])
        found = [i for i in wanted if i in present]
        c.compare("contains", wanted, found, len(found) == len(wanted))
    if "contains_undelivered" in args:
        ctx.backend.require("delivery-states", "what the platform recorded undelivered")
        sub_id = ctx.subscription_id(args["contains_undelivered"])
        undelivered = [
            d.event_id
            for d in ctx.backend.deliveries()
            if d.subscription_id == sub_id and d.state is DeliveryState.UNDELIVERED
        ]
        missing = [i for i in undelivered if i not in present]
        c.compare(
            "contains_undelivered",
            len(undelivered),
            len(undelivered) - len(missing),
            not missing,
        )
    if "types" in args:
        counts = {t: sum(1 for e in events if e.get("analyticsEvent") == t) for t in args["types"]}
        c.compare("types", args["types"], counts, counts == args["types"])
    return window


def _response(ctx: RunContext, args: dict[str, Any], c: _Comparison) -> str:
    label = args["of"]
    response = ctx.responses.get(label)
    if response is None:
        c.fail(f"no response was recorded as {label!r} (its step did not run)")
        return f"response {label}"
    if "status" in args:
        c.compare("status", args["status"], response.status)
    body = args.get("body", {})
    if is_matcher(body):  # a matcher for the whole body
        c.compare("body", body, response.body)
        body = {}
    for path, expected in body.items():
        c.compare(f"body.{path}", expected, lookup(response.body, path))
    for name, value in args.get("headers", {}).items():
        c.compare(f"header {name}", value, response.headers.get(name.lower(), MISSING))
    return f"response {label} ({response.method} {response.path})"


_CHECKS: dict[str, Callable[[RunContext, dict[str, Any], _Comparison], str]] = {
    "attempts": _attempts,
    "delivered": _deliveries(DeliveryState.DELIVERED),
    "undelivered": _deliveries(DeliveryState.UNDELIVERED),
    "receiver": _receiver,
    "subscription": _subscription,
    "analytics": _analytics,
    "response": _response,
}


# helpers -------------------------------------------------------------------------------
def _header(headers: dict[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _look_ahead(at: float, now: float) -> str:
    return f"cannot look ahead to {format_duration(at)}: the clock is at {format_duration(now)}"


def _plain(value: Any) -> Any:
    if value is MISSING:
        return "<missing>"
    if isinstance(value, tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _show(key: str, value: Any) -> str:
    if key == "at" and isinstance(value, list):
        shown = ", ".join(format_duration(v) for v in value[:14])
        return f"[{shown}{', ...' if len(value) > 14 else ''}]" if value else "no attempts"
    if value is MISSING:
        return "nothing"
    text = repr(_plain(value))
    return text if len(text) <= 200 else text[:197] + "..."


_CHECK_KEYS_SKIPPED = {"name", "subscription", "event", "of", "kind", "from", "to", "format"}


def _describe(kind: str, subject: str, args: dict[str, Any]) -> str:
    checks = []
    for key, value in args.items():
        if key in _CHECK_KEYS_SKIPPED or (key == "at" and kind != "attempts"):
            continue
        shown = _show(key, value)
        checks.append(f"{key} {shown if len(shown) <= 60 else shown[:57] + '...'}")
    return f"{subject}: {', '.join(checks)}" if checks else subject
