"""What each scenario step does. Subscriptions and management operations go through the
management API; publishing, the clock and injected duplicates drive the platform directly,
as the simulation's own controls."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from hooksim.contracts import sign
from hooksim.simulator import HooksimError, SimulatedConnectionError, format_time
from werkzeug.test import Client

from ._context import RunContext
from ._errors import NotApplicable, StepFailed
from ._gateway import ApiResponse
from ._model import Expectation, Step
from ._probe import PLACEHOLDER
from ._receivers import ScenarioReceiver

__all__ = ["run_step"]

Checker = Callable[[RunContext, Expectation], None]


def run_step(ctx: RunContext, step: Step, check: Checker) -> None:
    if step.at is not None:
        ctx.advance_to(step.at, step.span)
    if step.kind == "at":
        return
    if step.kind == "expect":
        for expectation in step.args["expectations"]:
            check(ctx, expectation)
        return
    action = _STEPS[step.kind]
    for n, when in enumerate(step.times(ctx.now())):
        if n:  # a repeated step: on to its next time (`every`), as a written-out one would
            ctx.advance_to(when, step.span)
        try:
            action(ctx, step)
        except HooksimError as exc:
            raise StepFailed(f"{step.span.label()}: {step.kind}: {exc.message}") from None


def _expect_ok(ctx: RunContext, step: Step, response: ApiResponse) -> ApiResponse:
    """Keep a labelled response; an unlabelled one must have succeeded."""
    label = step.args.get("label")
    if label:
        ctx.responses[label] = response
    elif not 200 <= response.status < 300:
        raise StepFailed(f"{step.span.label()}: {step.kind}: {response.summary()}")
    return response


def _webhook(ctx: RunContext, step: Step, suffix: str = "") -> str:
    sub_id = ctx.subscription_id(step.args["subscription"], step.span)
    return f"/v1/{ctx.environment_id}/webhook/{sub_id}{suffix}"


# events and time ---------------------------------------------------------------------
def _publish(ctx: RunContext, step: Step) -> None:
    args = step.args
    overrides = dict(args["overrides"] or {})
    ids: list[str] = []
    if args["ids"]:
        for event_id in args["ids"]:
            published = ctx.backend.publish(
                args["type"], count=1, overrides={**overrides, "id": event_id}
            )
            ids.extend(published)
            ctx.event_refs[event_id] = published[:1]
    else:
        ids = ctx.backend.publish(args["type"], count=args["count"], overrides=overrides)
    ctx.published.extend(ids)
    for event_id in ids:
        ctx.event_types[event_id] = args["type"]
    if args["label"]:  # a repeated publish adds to its label
        ctx.event_refs.setdefault(args["label"], []).extend(ids)


def _advance(ctx: RunContext, step: Step) -> None:
    args = step.args
    if args.get("idle"):
        ctx.backend.run_pending()
    elif "until" in args:
        ctx.advance_to(args["until"], step.span)
    else:
        ctx.backend.advance(args["seconds"])


def _inject_duplicate(ctx: RunContext, step: Step) -> None:
    sub = step.args.get("subscription")
    sub_id = ctx.subscription_id(sub, step.span) if sub else None
    for event_id in ctx.events(step.args["event"]):
        ctx.backend.inject_duplicate(event_id, sub_id)


def _set_behaviour(ctx: RunContext, step: Step) -> None:
    receiver = ctx.receivers[step.args["receiver"]]
    if not isinstance(receiver, ScenarioReceiver):
        raise NotApplicable(f"receiver {receiver.name} is a real one: its behaviour is its own")
    receiver.phases = step.args["phases"]


# subscriptions through the API --------------------------------------------------------
def _subscribe(ctx: RunContext, step: Step) -> None:
    args = step.args
    label, count = args["label"], args["count"]
    for n in range(1, count + 1):
        body = ctx.rewrite_urls(_placeholders(ctx, args["body"], step))
        response = ctx.api.call("POST", "/v1/{env}/webhook", body=body)
        if count > 1 and not 200 <= response.status < 300:
            raise StepFailed(f"{step.span.label()}: subscribe #{n}: {response.summary()}")
        _expect_ok(ctx, step, response)
        if 200 <= response.status < 300:
            name = label if count == 1 else (f"{label}-{n}" if label else None)
            ctx.register_subscription(name, response.body["data"], args["receiver"])


def _update(ctx: RunContext, step: Step) -> None:
    body = ctx.rewrite_urls(_placeholders(ctx, step.args["body"], step))
    response = ctx.api.call("PATCH", _webhook(ctx, step), body=body)
    _expect_ok(ctx, step, response)
    if 200 <= response.status < 300 and "url" in step.args["body"]:
        sub_id = ctx.subscription_id(step.args["subscription"], step.span)
        ctx.attach(sub_id, step.args["receiver"])
        ctx.fix_secret(sub_id, step.args["receiver"])


def _simple(method: str, suffix: str = "") -> Callable[[RunContext, Step], None]:
    def run(ctx: RunContext, step: Step) -> None:
        _expect_ok(ctx, step, ctx.api.call(method, _webhook(ctx, step, suffix)))

    return run


def _list(ctx: RunContext, step: Step) -> None:
    _expect_ok(ctx, step, ctx.api.call("GET", "/v1/{env}/webhook"))


# analytics ------------------------------------------------------------------------------
def fetch_analytics(
    ctx: RunContext, start: float, end: float, fmt: str
) -> tuple[ApiResponse, list[dict[str, Any]]]:
    """Ask the batched analytics API for a window and download every file it lists."""
    query = {
        "from": format_time(ctx.start + start),
        "to": format_time(ctx.start + end),
        "format": fmt,
    }
    response = ctx.api.call("GET", "/v1/{env}/analytics/batched", query=query)
    events: list[dict[str, Any]] = []
    if not 200 <= response.status < 300:
        return response, events
    hours = response.body.get("data", {}) if isinstance(response.body, dict) else {}
    for hour in sorted(hours):
        for url in hours[hour]:
            status, text = ctx.api.download(url)
            if status != 200:
                raise StepFailed(f"downloading the analytics file for {hour} answered {status}")
            events.extend(_parse_file(text, fmt))
    return response, events


def _parse_file(text: str, fmt: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        return [
            {"id": row.get("id"), "analyticsEvent": row.get("analyticsEvent"), **row}
            for row in rows
        ]
    events = []
    for line in text.splitlines():
        if line.strip():
            value = json.loads(line)
            events.append(value.get("data", value) if "analyticsEvent" not in value else value)
    return events


def _fetch_analytics(ctx: RunContext, step: Step) -> None:
    args = step.args
    response, events = fetch_analytics(ctx, args["from"], args["to"], args["format"])
    _expect_ok(ctx, step, response)
    ctx.downloads[args["label"]] = events


def _replay(ctx: RunContext, step: Step) -> None:
    args = step.args
    events = ctx.downloads[args["from"]]
    if "subscription" in args:
        sub_id = ctx.subscription_id(args["subscription"], step.span)
        events = [data for data in events if ctx.backend.subscription_matches(sub_id, data)]
    ctx.receivers[args["receiver"]].replay(events, t=ctx.now())


# credentials, tokens and raw calls ------------------------------------------------------
def _credential(ctx: RunContext, step: Step) -> None:
    response = ctx.api.call(
        "POST", "/v1/{env}/credentials", role="auth", body={"role": step.args["role"]}
    )
    _expect_ok(ctx, step, response)
    if 200 <= response.status < 300:
        data = response.body["data"]
        ctx.credentials[step.args["label"]] = (data["clientId"], data["clientSecret"])


def _token(ctx: RunContext, step: Step) -> None:
    credential = step.args["credential"]
    if credential not in ctx.credentials:
        raise StepFailed(f"{step.span.label()}: credential {credential!r} was never created")
    client_id, secret = ctx.credentials[credential]
    if step.args["secret"] is not None:
        secret = step.args["secret"]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = ctx.api.call(
        "POST",
        "/oauth2/token",
        role="none",
        headers={"Authorization": f"Basic {basic}"},
        form={"grant_type": "client_credentials"},
    )
    _expect_ok(ctx, step, response)
    if 200 <= response.status < 300:
        ctx.tokens[step.args["label"]] = response.body["access_token"]


def _api(ctx: RunContext, step: Step) -> None:
    args = step.args
    response = ctx.api.call(
        args["method"],
        _placeholders(ctx, args["path"], step),
        token=_token_value(ctx, step),
        role=args["role"],
        body=ctx.rewrite_urls(_placeholders(ctx, args["body"], step)),
        has_body=args["has_body"],
        query=_placeholders(ctx, args["query"], step),
        headers=_placeholders(ctx, args["headers"], step),
    )
    if args["label"]:
        ctx.responses[args["label"]] = response


def _token_value(ctx: RunContext, step: Step) -> str | None:
    label = step.args["token"]
    if label is None:
        return None
    if label not in ctx.tokens:
        raise StepFailed(f"{step.span.label()}: token {label!r} was never issued")
    return ctx.tokens[label]




def _placeholders(ctx: RunContext, value: Any, step: Step) -> Any:
    """`{env}`, `{subscription.NAME}`, `{event.REF}` and `{response.AS.path.in.body}` (a value
    an earlier `api` step was answered, such as a created credential's `data.id`) in the
    strings of an API call."""
    if isinstance(value, dict):
        return {k: _placeholders(ctx, v, step) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(ctx, v, step) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "env":
            return ctx.environment_id
        kind, _, ref = name.partition(".")
        if kind == "response":
            return _answered_value(ctx, ref, step)
        if kind == "subscription":
            return ctx.subscription_id(ref, step.span)
        ids = ctx.events(ref)
        if not ids:
            raise StepFailed(f"{step.span.label()}: no event {ref!r} was published")
        return ids[0]

    return PLACEHOLDER.sub(replace, value)


def _answered_value(ctx: RunContext, ref: str, step: Step) -> str:
    label, _, path = ref.partition(".")
    if label not in ctx.responses:
        raise StepFailed(f"{step.span.label()}: no api step was answered as {label!r}")
    value: Any = ctx.responses[label].body
    for key in path.split(".") if path else ():
        if not isinstance(value, dict) or key not in value:
            raise StepFailed(f"{step.span.label()}: the answer {label!r} has nothing at {path!r}")
        value = value[key]
    return str(value)


def _forge(ctx: RunContext, step: Step) -> None:
    """A request that did not come from the platform, straight to a receiver."""
    args = step.args
    sub_id = ctx.subscription_id(args["subscription"], step.span)
    event_ids = ctx.events(args["event"]) if args["event"] else []
    data = (
        ctx.backend.event_data(event_ids[0])
        if event_ids
        else {
            "id": "forged-" + str(len(ctx.receivers[args["receiver"]].requests) + 1),
            "analyticsEvent": "card-completed",
        }
    )
    body = json.dumps(
        {
            "requestId": "forged",
            "environmentId": ctx.environment_id,
            "webhookId": sub_id,
            "isBatched": False,
            "data": data,
        },
        separators=(",", ":"),
    ).encode()
    headers = {"Content-Type": "application/json"}
    if args["signature"] != "missing":
        key = ctx.secrets[sub_id] if args["signature"] == "valid" else "not-the-secret"
        headers[ctx.settings.signature_header] = sign(key, body)
    url = ctx.receiver_url(args["receiver"])
    client = Client(ctx.receivers[args["receiver"]])
    try:
        answer = client.post(
            urlsplit(url).path,
            data=body,
            headers=headers,
            environ_overrides={"hooksim.source": "forged"},
        )
        response = ApiResponse(
            "POST", url, answer.status_code, dict(answer.headers), answer.get_data(as_text=True)
        )
    except SimulatedConnectionError as exc:
        response = ApiResponse("POST", url, 0, {}, str(exc))
    if args["label"]:
        ctx.responses[args["label"]] = response


_STEPS: dict[str, Callable[[RunContext, Step], None]] = {
    "publish": _publish,
    "advance": _advance,
    "inject_duplicate": _inject_duplicate,
    "set_behaviour": _set_behaviour,
    "subscribe": _subscribe,
    "update": _update,
    "disable": _simple("DELETE"),
    "enable": _simple("POST", "/enable"),
    "delete": _simple("DELETE", "?permanent=true"),
    "test": _simple("POST", "/test"),
    "get": _simple("GET"),
    "list": _list,
    "fetch_analytics": _fetch_analytics,
    "replay": _replay,
    "credential": _credential,
    "token": _token,
    "api": _api,
    "forge": _forge,
}
