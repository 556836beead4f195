"""`hooksim serve --clock virtual` and its seed (issue 10, item 8): without `--seed` client
ids, secrets and ids are random on every start, as under the wall clock; with `--seed` they
are the same on every start, and the banner says so."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hooksim.simulator._serve import ServedPlatform
from test_cli_serve import served, stop

pytestmark = pytest.mark.served

BODY = {"types": ["card-completed"], "url": "http://127.0.0.1:9/hook"}


def _identity(served: ServedPlatform) -> tuple[str, str, str, str, str]:
    """What a start hands out: the client, and the first subscription's and event's ids."""
    subscription = served.platform.subscribe("dev", BODY)
    (event,) = served.platform.publish("dev", "card-completed")
    return (
        served.client.client_id,
        served.client.secret,
        subscription.id,
        subscription.secret,
        event.id,
    )


def test_without_a_seed_every_start_hands_out_other_credentials_and_ids(
    serve: Callable[..., ServedPlatform],
) -> None:
    first, second = _identity(serve(clock="virtual")), _identity(serve(clock="virtual"))
    for one, other in zip(first, second, strict=True):
        assert one != other
    assert not any("seed" in line for line in serve(clock="virtual").banner())


def test_with_a_seed_every_start_hands_out_the_same_and_the_banner_says_so(
    serve: Callable[..., ServedPlatform],
) -> None:
    first = serve(clock="virtual", seed=7)
    assert _identity(first) == _identity(serve(clock="virtual", seed=7))
    assert (
        _identity(serve(clock="virtual", seed=8))[:2]
        != _identity(serve(clock="virtual", seed=7))[:2]
    )
    (line,) = [line for line in first.banner() if "seed:" in line]
    assert "7" in line and "reproducible" in line


def test_the_command_prints_a_new_client_per_start_unless_seeded() -> None:
    def banner(*args: str) -> dict[str, str]:
        with served("--clock", "virtual", *args) as server:
            stop(server)
        return server.banner

    assert banner()["client id"] != banner()["client id"]
    seeded = [banner("--seed", "3") for _ in range(2)]
    assert seeded[0]["client id"] == seeded[1]["client id"]
    assert seeded[0]["client secret"] == seeded[1]["client secret"]
