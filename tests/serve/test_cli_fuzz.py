"""`hooksim fuzz URL`: schemathesis against a served platform with a token, the environment and
the contract's settings: green against hooksim serve, red (exit 1) against a platform that
fails, a run without a token says what it proves, and what cannot run exits 2."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _serve_helpers import Receiver
from click.testing import CliRunner
from hooksim.simulator._serve import ServedPlatform
from werkzeug.wrappers import Request, Response

from hooksim._cli_fuzz import _config
from hooksim.cli import main

pytestmark = [pytest.mark.served, pytest.mark.fuzz, pytest.mark.clause("API-OPENAPI")]

ENTRY = "from hooksim.cli import main; main()"
#: Few examples: the point is the wiring, tests/serve/test_st_run.py fuzzes for real.
BOUNDS = ["--", "--max-examples", "5", "--phases", "fuzzing,stateful", "--seed", "1"]
BOUNDS += ["--workers", "1", "--no-color"]


@pytest.fixture(autouse=True)
def _in_a_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # schemathesis writes its cache where it runs


def fuzz(*args: str, secret: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKSIM_")}
    if secret is not None:
        env["HOOKSIM_CLIENT_SECRET"] = secret
    return subprocess.run(
        [sys.executable, "-c", ENTRY, "fuzz", *args],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip


def test_a_run_with_a_token_reaches_every_operation_and_passes(
    serve: Callable[..., ServedPlatform],
) -> None:
    served = serve(clock="virtual", allow_hosts=("hooks.invalid",))
    client = served.client
    done = fuzz(served.base_url, "--client-id", client.client_id, *BOUNDS, secret=client.secret)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert f"as client {client.client_id}, environment dev" in output
    # With the environment, operations get past the 404 of an unknown one; with the token,
    # only the operations that take no workbench token answer 401/403 alone.
    # ... except operations about state the fuzzer cannot guess: a subscription's id in the
    # path, or a published event's id (POST /_sim/duplicates); only stateful runs, over the
    # links, get real ones.
    if "repeatedly returned 404" in output:
        listed = output.split("repeatedly returned 404", 1)[1].split("💡", 1)[0]
        operations = [line.strip() for line in listed.splitlines() if line.strip().startswith("-")]
        assert operations, output[-3000:]
        for operation in operations:
            path = operation.split()[-1]
            assert path == "/_sim/duplicates" or path.endswith(
                ("{id}", "{id}/enable", "{id}/test")
            ), (
                operation,
                output[-3000:],
            )
    assert "4 operations returned only 401/403" in output
    assert client.secret not in output


def test_a_run_without_a_token_says_what_it_proves(serve: Callable[..., ServedPlatform]) -> None:
    served = serve(clock="virtual", allow_hosts=("hooks.invalid",))
    done = fuzz(served.base_url, "--no-auth", *BOUNDS)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    assert "hooksim fuzz: passed, but without a token every operation that needs one is " in (
        done.stderr
    )


def test_a_platform_that_fails_fails_the_run(
    receiver_factory: Callable[..., Receiver],
) -> None:
    """A platform whose every operation but the token endpoint is a 500: exit 1, from
    schemathesis' own verdict (the contract from the package: it serves no /openapi.yaml)."""

    def broken(request: Request) -> Response:
        if request.path == "/oauth2/token":
            return Response('{"access_token": "t", "token_type": "Bearer", "expires_in": 60}',
                            content_type="application/json")  # fmt: skip
        if request.path == "/openapi.yaml":
            return Response("not here", 404)
        return Response('{"error": {"code": "boom", "message": "boom"}}', 500,
                        content_type="application/json")  # fmt: skip

    platform = receiver_factory(broken)
    done = fuzz(platform.url, "--client-id", "x", *BOUNDS, secret="y")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-6000:]
    assert "schema " in output and "contracts/openapi.yaml" in output.split("schema ", 1)[1]
    assert "Server error" in output


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        ((), {}, "give the platform's workbench client: --client-id (or HOOKSIM_CLIENT_ID)"),
        (("ftp://example.test",), {}, "give the platform's http:// or https:// URL"),
    ],
)
def test_what_cannot_run_exits_2(args: tuple[str, ...], env: dict[str, str], words: str) -> None:
    result = CliRunner(env={"HOOKSIM_CLIENT_ID": None, "HOOKSIM_CLIENT_SECRET": None}).invoke(
        main, ["fuzz", *args]
    )
    assert result.exit_code == 2
    assert words in result.output


def test_without_schemathesis_it_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "schemathesis" else real(name)
    )
    result = CliRunner().invoke(main, ["fuzz", "http://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "pip install 'hooksim[fuzz]'" in result.output


def test_the_configuration_keeps_the_token_out_of_the_command_line() -> None:
    config = _config('[[operations]]\ninclude-operation-id = "x"\n', 'we"ird${env}', "tok")
    assert "tok" not in config
    assert 'Authorization = "Bearer ${HOOKSIM_FUZZ_TOKEN}"' in config
    assert '"path.environmentId" = "we\\"ird$${env}"' in config
    assert '"body.environmentId" = "we\\"ird$${env}"' in config
    assert config.index("headers") < config.index("[parameters]") < config.index("[[operations]]")
