"""`hooksim fuzz URL`: schemathesis against a platform's management API, judged by the
contract (`contracts/openapi.yaml` and `contracts/schemathesis.toml`, both in the package).

It does what a bare `st run` leaves to the user, and what makes a run worth its green:
- a workbench token (from `--client-id`/`--client-secret` or `HOOKSIM_CLIENT_ID`/
  `HOOKSIM_CLIENT_SECRET`), passed to schemathesis through the environment, never the
  command line. Without one every operation answers 401 and a run proves only that
  unauthenticated requests are refused; `--no-auth` runs that way on purpose and says so.
- the environment (`--environment`) as every `environmentId`, so operations get past the 404
  of an unknown environment;
- the contract's own schemathesis settings, and `--checks all` minus `use_after_free` (DELETE
  disables by the Atomic Webhooks API documentation: see contracts/README.md, Deviations).

Arguments after `--` go to `st run` as they are (`-- --max-examples 20 --seed 1`).
Exit statuses: 0 no failure found, 1 schemathesis found failures, 2 it could not run (usage,
schemathesis missing, platform unreachable, credentials refused).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import click
import requests

from hooksim._remote import CannotAsk, base_url, connection_options, remote

__all__ = ["fuzz"]

INSTALL = "pip install 'hooksim[fuzz]'"
#: The variable the generated configuration reads the token from.
TOKEN_ENV = "HOOKSIM_FUZZ_TOKEN"
#: What a run without a token can and cannot show.
WITHOUT_AUTH = (
    "without a token every operation that needs one is answered 401: this run shows only that "
    "unauthenticated requests are refused with conforming errors, nothing about what the "
    "operations do"
)


@click.command(
    context_settings={"help_option_names": ["-h", "--help"], "ignore_unknown_options": True}
)
@click.argument("target", required=False, metavar="URL")
@click.option(
    "--no-auth",
    is_flag=True,
    help="Fuzz without a token: proves only that unauthenticated requests are refused.",
)
@click.option(
    "--schema",
    metavar="PATH|URL",
    help="The OpenAPI document to fuzz with. Default: the one the platform serves at "
    "/openapi.yaml (hooksim serve does), else the contract in the package.",
)
@click.argument("st_arguments", nargs=-1, type=click.UNPROCESSED, metavar="[-- ST-RUN-OPTION...]")
@connection_options
def fuzz(
    target: str | None,
    no_auth: bool,
    schema: str | None,
    st_arguments: tuple[str, ...],
    **options: Any,
) -> None:
    """Fuzz the management API at URL (default: --url, $HOOKSIM_URL) with schemathesis."""
    if importlib.util.find_spec("schemathesis") is None:
        raise CannotAsk(f"hooksim fuzz runs schemathesis, which is not installed: {INSTALL}")
    if target is not None and target.startswith("-"):  # `hooksim fuzz -- --seed 1`
        st_arguments, target = (target, *st_arguments), None
    base = base_url(target or options["url"])
    environment = options["environment"]
    token = None
    if no_auth:
        click.echo(f"hooksim fuzz: --no-auth: {WITHOUT_AUTH}", err=True)
    else:
        platform = remote(base, options["client_id"], options["client_secret"], environment)
        token = platform.token()
    contract = resources.files("hooksim.contracts")
    with tempfile.TemporaryDirectory(prefix="hooksim-fuzz-") as folder:
        config = Path(folder) / "schemathesis.toml"
        config.write_text(
            _config(contract.joinpath("schemathesis.toml").read_text("utf-8"), environment, token),
            encoding="utf-8",
        )
        with resources.as_file(contract.joinpath("openapi.yaml")) as packaged:
            schema = schema or _served_schema(base) or str(packaged)
            command = [
                sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
                schema, "--url", base,
                "--checks", "all", "--exclude-checks", "use_after_free", *st_arguments,
            ]  # fmt: skip
            environ = dict(os.environ)
            if token is not None:
                environ[TOKEN_ENV] = token
            click.echo(
                f"hooksim fuzz: {base} as "
                + ("nobody (--no-auth)" if token is None else f"client {options['client_id']}")
                + f", environment {environment}, schema {schema}",
                err=True,
            )
            done = subprocess.run(command, env=environ, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(2)
    if no_auth and done.returncode == 0:
        click.echo(f"hooksim fuzz: passed, but {WITHOUT_AUTH}", err=True)
    raise SystemExit(done.returncode)


def _served_schema(base: str) -> str | None:
    """The platform's own OpenAPI document, when it serves one (hooksim serve does)."""
    try:
        response = requests.get(base + "/openapi.yaml", timeout=30)
    except requests.RequestException:
        raise CannotAsk(
            f"cannot reach the platform at {base}; is it running there? (URL, or HOOKSIM_URL)"
        ) from None
    return response.url if response.status_code == 200 else None


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "$${")
    return f'"{escaped}"'


def _config(contract_settings: str, environment: str, token: str | None) -> str:
    """The contract's settings, with the environment as every `environmentId` and (by a
    placeholder schemathesis fills from the environment) the token."""
    lines = []
    if token is not None:
        lines.append(f'headers = {{ Authorization = "Bearer ${{{TOKEN_ENV}}}" }}')
    lines += [
        "",
        "[parameters]",
        f'"path.environmentId" = {_toml_string(environment)}',
        f'"query.environmentId" = {_toml_string(environment)}',
        f'"body.environmentId" = {_toml_string(environment)}',
        "",
    ]
    return "\n".join(lines) + "\n" + contract_settings
