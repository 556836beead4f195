"""`hooksim sim`: a command-line client for a served platform (`hooksim serve`), in the spirit
of `stripe trigger`: publish events, move the virtual clock, read the delivery log, subscribe
a URL, without writing curl and tokens by hand.

    hooksim serve --clock virtual          # prints the export lines to copy
    hooksim sim subscribe http://127.0.0.1:9000/hook --type card-completed
    hooksim sim publish card-completed --count 3
    hooksim sim advance 1h
    hooksim sim deliveries

Each command gets its own workbench token from `--client-id`/`--client-secret` (or
`HOOKSIM_CLIENT_ID`/`HOOKSIM_CLIENT_SECRET`). Exit statuses: 0 done, 1 the platform refused
the request (its message is shown), 2 it could not be asked (usage, unreachable, credentials).
"""

from __future__ import annotations

import json
from typing import Any

import click

from hooksim._remote import CannotAsk, RemotePlatform, connection_options, remote
from hooksim.scenarios import format_duration, parse_duration

__all__ = ["sim"]

_SETTINGS = {"help_option_names": ["-h", "--help"]}
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the API's answer as JSON.")


def _platform(options: dict[str, Any]) -> RemotePlatform:
    return remote(
        options["url"], options["client_id"], options["client_secret"], options["environment"]
    )


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


@click.group(context_settings=_SETTINGS)
def sim() -> None:
    """Drive a served platform (hooksim serve): publish, advance, deliveries, subscribe."""


@sim.command(context_settings=_SETTINGS)
@click.argument("event_type", metavar="TYPE")
@click.option("--count", type=click.IntRange(1, 1000), default=1, show_default=True)
@click.option("--id", "event_id", metavar="ID", help="The event's data.id (one event).")
@click.option(
    "--set",
    "fields",
    multiple=True,
    metavar="PATH=VALUE",
    help="Set a field of the event's data, dotted paths allowed (cardContext.cardTemplateId=12);"
    " VALUE is read as JSON when it is JSON, as text otherwise. Repeatable.",
)
@_JSON
@connection_options
def publish(
    event_type: str,
    count: int,
    event_id: str | None,
    fields: tuple[str, ...],
    as_json: bool,
    **options: Any,
) -> None:
    """Publish analytics events of TYPE as if users acted on cards (POST /_sim/events)."""
    overrides: dict[str, Any] = {}
    for field in fields:
        path, equals, text = field.partition("=")
        if not equals or not path:
            raise CannotAsk(f"--set {field!r}: expected PATH=VALUE")
        try:
            overrides[path] = json.loads(text)
        except ValueError:
            overrides[path] = text
    if event_id is not None:
        if count != 1:
            raise CannotAsk("--id names one event: leave out --count")
        overrides["id"] = event_id
    platform = _platform(options)
    body: dict[str, Any] = {"environmentId": platform.environment, "type": event_type}
    if count != 1:
        body["count"] = count
    if overrides:
        body["overrides"] = overrides
    data = platform.expect_ok(platform.call("POST", "/_sim/events", body=body), "publish")
    if as_json:
        _print_json(data)
        return
    for published in data["eventIds"]:
        click.echo(f"published {event_type} {published}")


@sim.command(context_settings=_SETTINGS)
@click.argument("duration", required=False, metavar="DURATION")
@click.option("--idle", is_flag=True, help="Until nothing is pending (instead of a DURATION).")
@_JSON
@connection_options
def advance(duration: str | None, idle: bool, as_json: bool, **options: Any) -> None:
    """Move the virtual clock by DURATION (90, 45m, 1h30m, 2d), running everything due on the
    way (POST /_sim/clock/advance); it answers once every attempt it caused has finished."""
    if idle == (duration is not None):
        raise CannotAsk("give a DURATION (such as 45m or 1h30m) or --idle, not both")
    body: dict[str, Any] = {"idle": True}
    seconds = None
    if duration is not None:
        try:
            seconds = parse_duration(duration)
        except ValueError as exc:
            raise CannotAsk(f"DURATION {duration!r}: {exc}") from None
        body = {"seconds": seconds} if _is_number(duration) else {"duration": duration}
    platform = _platform(options)
    body["environmentId"] = platform.environment
    answer = platform.call("POST", "/_sim/clock/advance", body=body)
    if seconds is not None and "duration" in body and _duration_unknown(answer):
        # A platform that predates durations in the control API takes seconds.
        body = {"seconds": seconds, "environmentId": platform.environment}
        answer = platform.call("POST", "/_sim/clock/advance", body=body)
    data = platform.expect_ok(answer, "advance")
    if as_json:
        _print_json(data)
        return
    moved = f"advanced {format_duration(seconds)}" if seconds is not None else "ran until idle"
    click.echo(f"{moved}: the platform's clock is at {data['now']}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _duration_unknown(answer: Any) -> bool:
    error = answer.body.get("error") if isinstance(answer.body, dict) else None
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    return answer.status == 400 and "duration" in message and "seconds" in message


@sim.command(context_settings=_SETTINGS)
@click.option("--subscription", metavar="ID", help="Only this subscription's attempts.")
@click.option("--event", metavar="ID", help="Only this event's attempts.")
@_JSON
@connection_options
def deliveries(subscription: str | None, event: str | None, as_json: bool, **options: Any) -> None:
    """The delivery log, one row per real attempt, oldest first (GET /_sim/deliveries)."""
    platform = _platform(options)
    query = {"environmentId": platform.environment}
    for name, value in (("subscription", subscription), ("event", event)):
        if value is not None:
            query[name] = value
    rows = platform.expect_ok(platform.call("GET", "/_sim/deliveries", query=query), "deliveries")
    if as_json:
        _print_json(rows)
        return
    if not rows:
        click.echo("no attempts yet")
        return
    columns = ("time", "eventId", "subscriptionId", "attempt", "outcome", "statusCode")
    table = [columns, *([_cell(row.get(c)) for c in columns] for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


@sim.command(context_settings=_SETTINGS)
@click.argument("receiver_url", metavar="RECEIVER_URL")
@click.option(
    "--type",
    "types",
    multiple=True,
    required=True,
    metavar="TYPE",
    help="An analytics event to send it (card-completed...). Repeatable.",
)
@click.option("--name", help="The subscription's name.")
@click.option("--method", type=click.Choice(["POST", "PUT"]), help="Default: POST.")
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="NAME:VALUE",
    help="A custom header sent with every delivery. Repeatable.",
)
@click.option(
    "--max-retries", type=click.IntRange(0, 1000), help="Retries at most (default: the window)."
)
@_JSON
@connection_options
def subscribe(
    receiver_url: str,
    types: tuple[str, ...],
    name: str | None,
    method: str | None,
    headers: tuple[str, ...],
    max_retries: int | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Subscribe RECEIVER_URL to analytics events (POST /v1/{environment}/webhook); prints the
    subscription's id and the secret its deliveries are signed with."""
    body: dict[str, Any] = {"types": list(types), "url": receiver_url}
    for given, key in ((name, "name"), (method, "method"), (max_retries, "maxRetries")):
        if given is not None:
            body[key] = given
    if headers:
        body["headers"] = {}
        for header in headers:
            header_name, colon, value = header.partition(":")
            if not colon or not header_name.strip():
                raise CannotAsk(f"--header {header!r}: expected NAME:VALUE")
            body["headers"][header_name.strip()] = value.strip()
    platform = _platform(options)
    data = platform.expect_ok(
        platform.call("POST", f"/v1/{platform.environment}/webhook", body=body), "subscribe"
    )
    if as_json:
        _print_json(data)
        return
    click.echo(f"subscribed {data['url']} to {', '.join(data['types'])}")
    click.echo(f"  id:      {data['id']}")
    click.echo(f"  secret:  {data['secret']}  (deliveries are signed with it)")
