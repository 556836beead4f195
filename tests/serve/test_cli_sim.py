"""`hooksim sim`: a command-line client for a served platform. `hooksim serve` prints the
export line; with it, `hooksim sim subscribe|publish|advance|deliveries` drive the platform
over real HTTP, each with its own token; mistakes exit 2, refusals 1, with the API's words
and never a secret."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from _serve_helpers import Receiver, free_port
from click.testing import CliRunner, Result
from hooksim.contracts import verify
from test_cli_serve import Served, served
from werkzeug.wrappers import Request, Response

from hooksim.cli import main

pytestmark = [pytest.mark.served, pytest.mark.clause("SIM-EVENTS", "SIM-CLOCK", "SIM-DELIVERIES")]


def exports(server: Served) -> dict[str, str]:
    """The variables of the `export ...` line `hooksim serve` printed."""
    server.wait_for("export HOOKSIM_URL=")
    (line,) = [line for line in server.lines if line.strip().startswith("export ")]
    words = shlex.split(line.strip())[1:]
    return dict(word.split("=", 1) for word in words)


@pytest.fixture(scope="module")
def platform() -> Iterator[tuple[Served, dict[str, str]]]:
    with served("--clock", "virtual") as server:
        yield server, exports(server)


def sim(env: dict[str, str], *args: str) -> Result:
    """`hooksim sim ARGS` with exactly these HOOKSIM_* variables (None unsets the others)."""
    unset: dict[str, str | None] = dict.fromkeys(
        ("HOOKSIM_URL", "HOOKSIM_ENVIRONMENT", "HOOKSIM_CLIENT_ID", "HOOKSIM_CLIENT_SECRET")
    )
    return CliRunner(env={**unset, "COLUMNS": "200", **env}).invoke(main, ["sim", *args])


def test_the_export_line_names_everything_a_client_needs(
    platform: tuple[Served, dict[str, str]],
) -> None:
    server, env = platform
    assert env == {
        "HOOKSIM_URL": server.url,
        "HOOKSIM_ENVIRONMENT": "dev",
        "HOOKSIM_CLIENT_ID": server.banner["client id"],
        "HOOKSIM_CLIENT_SECRET": server.banner["client secret"],
    }


def test_subscribe_publish_advance_deliveries(
    platform: tuple[Served, dict[str, str]], receiver: Receiver
) -> None:
    _, env = platform
    subscribed = sim(
        env, "subscribe", receiver.url + "/hook", "--type", "card-completed",
        "--header", "X-Team: checkout", "--name", "orders",
    )  # fmt: skip
    assert subscribed.exit_code == 0, subscribed.output
    assert f"subscribed {receiver.url}/hook to card-completed" in subscribed.output
    secret = subscribed.output.split("secret:", 1)[1].split()[0]
    subscription = subscribed.output.split("id:", 1)[1].split()[0]

    published = sim(env, "publish", "card-completed", "--count", "2")
    assert published.exit_code == 0, published.output
    ids = [line.split()[-1] for line in published.output.splitlines()]
    assert len(ids) == 2 and published.output.startswith("published card-completed ")
    one = sim(env, "publish", "card-completed", "--id", "order-1", "--set", "endUserId=user-7")
    assert one.output.strip() == "published card-completed order-1"

    moved = sim(env, "advance", "90")
    assert moved.exit_code == 0, moved.output
    assert moved.output.startswith("advanced 1m30s: the platform's clock is at 2026-01-01T00:01")
    bodies = [json.loads(request.body) for request in receiver.requests]
    assert [body["data"]["id"] for body in bodies] == [*ids, "order-1"]
    assert bodies[-1]["data"]["endUserId"] == "user-7"
    assert all(r.headers["X-Team"] == "checkout" for r in receiver.requests)
    assert all(verify(secret, r.body, r.headers["X-Atomic-Signature"]) for r in receiver.requests)

    log = sim(env, "deliveries", "--subscription", subscription)
    assert log.exit_code == 0, log.output
    header, *rows = log.output.splitlines()
    assert header.split() == ["time", "eventId", "subscriptionId", "attempt", "outcome",
                              "statusCode"]  # fmt: skip
    assert [row.split()[1] for row in rows] == [*ids, "order-1"]
    assert all(row.split()[4:] == ["success", "200"] for row in rows)
    as_json = json.loads(sim(env, "deliveries", "--event", "order-1", "--json").output)
    assert [(row["eventId"], row["attempt"]) for row in as_json] == [("order-1", 1)]


def test_advance_takes_durations_as_scenario_files_write_them(
    platform: tuple[Served, dict[str, str]],
) -> None:
    _, env = platform
    before = json.loads(sim(env, "advance", "0", "--json").output)["now"]
    moved = sim(env, "advance", "1h30m", "--json")
    assert moved.exit_code == 0, moved.output
    after = json.loads(moved.output)["now"]
    assert _instant(after) - _instant(before) == timedelta(minutes=90)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("advance",), "give a DURATION (such as 45m or 1h30m) or --idle"),
        (("advance", "45 minutes"), "DURATION '45 minutes'"),
        (("advance", "1h", "--idle"), "or --idle, not both"),
        (("publish", "card-completed", "--set", "nothing"), "expected PATH=VALUE"),
        (("publish", "card-completed", "--id", "x", "--count", "2"), "--id names one event"),
        (("subscribe", "http://127.0.0.1:9/h", "--type", "card-completed", "--header", "X"),
         "expected NAME:VALUE"),
    ],
)  # fmt: skip
def test_usage_mistakes_exit_2_before_asking(
    platform: tuple[Served, dict[str, str]], args: tuple[str, ...], words: str
) -> None:
    result = sim(platform[1], *args)
    assert result.exit_code == 2
    assert words in result.output
    assert "Traceback" not in result.output


def test_a_refusal_exits_1_with_the_apis_own_words(
    platform: tuple[Served, dict[str, str]],
) -> None:
    result = sim(platform[1], "publish", "card-archived")
    assert result.exit_code == 1
    assert "publish: the platform answered 400 invalid_request: type: 'card-archived'" in (
        result.output
    )


def test_credentials_that_do_not_work_exit_2_and_stay_secret(
    platform: tuple[Served, dict[str, str]],
) -> None:
    env = {**platform[1], "HOOKSIM_CLIENT_SECRET": "not-the-secret-at-all"}
    refused = sim(env, "deliveries")
    assert refused.exit_code == 2
    assert "refused client" in refused.output and "check --client-id and --client-secret" in (
        refused.output
    )
    assert "not-the-secret-at-all" not in refused.output
    missing = sim({"HOOKSIM_URL": env["HOOKSIM_URL"]}, "deliveries")
    assert missing.exit_code == 2
    assert "--client-id (or HOOKSIM_CLIENT_ID) and --client-secret (or" in missing.output
    elsewhere = sim(platform[1], "deliveries", "--environment", "prod")
    assert elsewhere.exit_code == 1
    assert "give --environment, or HOOKSIM_ENVIRONMENT" in elsewhere.output


def test_an_unreachable_platform_exits_2() -> None:
    refused_url = f"http://127.0.0.1:{free_port()}"
    env = {"HOOKSIM_CLIENT_ID": "x", "HOOKSIM_CLIENT_SECRET": "y"}
    result = sim(env, "deliveries", "--url", refused_url)
    assert result.exit_code == 2
    assert f"cannot reach the platform at {refused_url}" in result.output


def test_a_text_duration_is_sent_as_the_control_contract_reads_it(
    receiver_factory,  # type: ignore[no-untyped-def]
) -> None:
    """Against a platform that takes `{"duration": "1h"}` (the control contract), one request
    carries the duration as written; a bare number is sent as seconds, `--idle` as idle."""

    def platform(request: Request) -> Response:
        if request.path == "/oauth2/token":
            return Response('{"access_token": "t"}', content_type="application/json")
        return Response('{"data": {"now": "2026-01-01T01:00:00.000Z"}}',
                        content_type="application/json")  # fmt: skip

    fake = receiver_factory(platform)
    env = {"HOOKSIM_URL": fake.url, "HOOKSIM_CLIENT_ID": "x", "HOOKSIM_CLIENT_SECRET": "y"}
    for args in (("1h",), ("3600",), ("--idle",)):
        assert sim(env, "advance", *args).exit_code == 0
    sent = [json.loads(r.body) for r in fake.requests if r.path == "/_sim/clock/advance"]
    assert sent == [
        {"duration": "1h", "environmentId": "dev"},
        {"seconds": 3600.0, "environmentId": "dev"},
        {"idle": True, "environmentId": "dev"},
    ]
    assert {r.headers["Authorization"] for r in fake.requests if r.path.startswith("/_sim")} == {
        "Bearer t"
    }


def test_a_secret_it_did_not_generate_stays_out_of_the_export_line() -> None:
    secret = "given-secret-4c1e"
    with served("--clock", "virtual", "--client-id", "ci", "--client-secret", secret) as server:
        env = exports(server)
        assert env == {"HOOKSIM_URL": server.url, "HOOKSIM_ENVIRONMENT": "dev",
                       "HOOKSIM_CLIENT_ID": "ci"}  # fmt: skip
        server.wait_for("and set HOOKSIM_CLIENT_SECRET to the client's secret (it is not shown)")
        assert secret not in server.output()
        assert sim({**env, "HOOKSIM_CLIENT_SECRET": secret}, "deliveries").exit_code == 0
