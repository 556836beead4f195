"""`hooksim serve`: the platform as a real HTTP server, delivering over real HTTP.

Exit statuses: 0 after a clean stop (Ctrl-C or SIGTERM), 2 when it cannot start as asked
(bad option, port in use, a database in use by another process).
"""

from __future__ import annotations

import logging
import shlex
import signal
import sys
import threading
from types import FrameType

import click

from hooksim._remote import CLIENT_ID_ENV, CLIENT_SECRET_ENV, ENVIRONMENT_ENV, URL_ENV
from hooksim.simulator import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_PER_ENDPOINT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_WORKERS,
    MAX_WORKERS,
    ServedPlatform,
    ServeError,
    ServeOptions,
)

__all__ = ["serve"]


class _CannotServe(click.ClickException):
    exit_code = 2


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one (the real one is printed).",
)
@click.option(
    "--clock",
    type=click.Choice(["wall", "virtual"]),
    default="wall",
    show_default=True,
    help="wall: retries happen in real time. virtual: time moves only through "
    "POST /_sim/clock/advance.",
)
@click.option(
    "--environment",
    envvar=ENVIRONMENT_ENV,
    default="dev",
    show_default=True,
    help="Environment id (or $HOOKSIM_ENVIRONMENT); created if absent (with --db: if the file "
    "does not have it yet).",
)
@click.option(
    "--client-id",
    envvar=CLIENT_ID_ENV,
    help="Workbench client id (or $HOOKSIM_CLIENT_ID, so that the export line it prints "
    "starts it again with the same client): created if absent, left as it is if present. "
    "Default: a generated client, or with --db on a file whose environment has one, its "
    "first workbench client again (its id is printed, its secret is not).",
)
@click.option(
    "--client-secret",
    envvar="HOOKSIM_CLIENT_SECRET",
    help="The secret of a new --client-id (or $HOOKSIM_CLIENT_SECRET); never printed. An "
    "existing client keeps its stored secret. Default: generated, printed once.",
)
@click.option(
    "--allow-hosts",
    default="",
    metavar="HOST,...",
    help="Deliver only to these hosts (names, *.domain, IPs, networks). Link-local and "
    "cloud metadata addresses are refused unless listed.",
)
@click.option(
    "--seed",
    type=int,
    help="Seed ids and secrets (--clock virtual only) to reproduce a run: the same client id, "
    "secret and ids on every start, which the banner says. Default: random, as under the wall "
    "clock. A resumed --db file goes on with its own saved random state.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, 3600, min_open=True),
    help="Delivery timeout in seconds [default: 10].",
)
@click.option(
    "--retry-base",
    type=click.FloatRange(0, 86400, min_open=True),
    help="Delay before the first retry in seconds; each retry doubles it [default: 10].",
)
@click.option(
    "--retry-window",
    type=click.FloatRange(0, 30 * 86400, min_open=True),
    help="Retries are made within this many seconds of the first attempt [default: 14400].",
)
@click.option(
    "--mapping-timeout",
    type=click.FloatRange(0, 60, min_open=True),
    help="CPU seconds a subscription's payload mapping may take to compile or to render one "
    "request; beyond it the attempt fails with that reason [default: 0.1, i.e. 100 ms].",
)
@click.option(
    "--mapping-memory",
    type=click.IntRange(16, 65536),
    metavar="MIB",
    help="Memory (MiB) a payload mapping may use to compile or to render one request "
    "[default: 256].",
)
@click.option(
    "--db",
    metavar="PATH",
    help="Keep the platform's state in this SQLite file (created if absent; one hooksim "
    "serve per file). Starting again on it, after a stop or a crash, resumes everything: "
    "clients, delivery credentials, subscriptions, events, pending retries and batches at "
    "their scheduled times, the delivery log and, with --clock virtual, the clock (a file "
    "resumes only under the clock it was served with). Attempts in flight at a crash are "
    "logged as interrupted and sent again. Bearer tokens are not kept: ask for new ones. "
    "--environment/--client-id/--client-secret are created if absent, left as they are if "
    "present; --timeout/--retry-*/--mapping-* apply to new environments only. ':memory:' "
    "uses SQLite without keeping anything. Default: in memory, lost on exit.",
)
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False),
    help="Verify receivers' TLS certificates against this CA bundle.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, MAX_WORKERS),
    default=DEFAULT_WORKERS,
    show_default=True,
    help="Deliveries sent at once, at most (a bounded pool of threads; --clock wall only: "
    "under --clock virtual deliveries go one at a time, in order).",
)
@click.option(
    "--per-endpoint",
    type=click.IntRange(1, MAX_WORKERS),
    default=DEFAULT_PER_ENDPOINT,
    show_default=True,
    help="Requests in flight to one receiver (scheme://host:port) at once, at most; at most "
    "--workers. The rest wait their turn without holding a worker, so a slow receiver never "
    "delays deliveries to the others.",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(0, 3600, min_open=True),
    default=DEFAULT_READ_TIMEOUT,
    show_default=True,
    help="Seconds an API connection may stay silent while its request is read; a whole "
    "request (line, headers, body) must arrive within six times that.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1, 10_000),
    default=DEFAULT_MAX_CONNECTIONS,
    show_default=True,
    help="API connections served at once, at most (a thread each); one more is answered 503 "
    "with Retry-After at once.",
)
@click.option("--access-log", is_flag=True, help="Log API requests (paths only) to stderr.")
def serve(
    host: str,
    port: int,
    clock: str,
    environment: str,
    client_id: str | None,
    client_secret: str | None,
    allow_hosts: str,
    seed: int | None,
    timeout: float | None,
    retry_base: float | None,
    retry_window: float | None,
    mapping_timeout: float | None,
    mapping_memory: int | None,
    db: str | None,
    ca_bundle: str | None,
    workers: int,
    per_endpoint: int,
    read_timeout: float,
    max_connections: int,
    access_log: bool,
) -> None:
    """Run the platform as a real HTTP server; deliveries go to real URLs over HTTP.

    It prints its URL, the environment and a workbench client id (the secret only when it
    was generated now), then one line per delivery attempt. Ctrl-C or SIGTERM stops it.

    With --db the state survives restarts, so scripts keep working with the same
    credentials: without --client-id, a restart serves the environment's first workbench
    client again instead of creating another. Its secret was printed when it was generated
    (never when it was given); to get a new known one, pass a new --client-id and
    --client-secret.
    """
    _configure_logging(access_log)
    options = ServeOptions(
        host=host,
        port=port,
        clock=clock,
        environment=environment,
        client_id=client_id,
        client_secret=client_secret,
        allow_hosts=tuple(h.strip() for h in allow_hosts.split(",") if h.strip()),
        seed=seed,
        timeout=timeout,
        ca_bundle=ca_bundle,
        max_workers=workers,
        per_endpoint=per_endpoint,
        read_timeout=read_timeout,
        max_connections=max_connections,
        access_log=access_log,
        settings={
            name: value
            for name, value in (
                ("retry_base", retry_base),
                ("retry_window", retry_window),
                ("mapping_timeout", mapping_timeout),
                ("mapping_memory_mb", mapping_memory),
            )
            if value is not None
        },
        db=db,
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Installed first, so that Ctrl-C at any point stops cleanly instead of a traceback.
    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            served = ServedPlatform(options)
        except ServeError as exc:
            raise _CannotServe(exc.message) from None
        for line in served.banner():
            click.echo(line)
        for line in _exports(served):
            click.echo(line)
        served.log_attempts(sys.stdout)
        served.start()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            served.stop()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("hooksim platform stopped")


def _exports(served: ServedPlatform) -> list[str]:
    """The shell lines that point `hooksim sim`, `hooksim fuzz` and curl at this platform."""
    values = {
        URL_ENV: served.base_url,
        ENVIRONMENT_ENV: served.environment_id,
        CLIENT_ID_ENV: served.client.client_id,
    }
    if served.secret_generated:
        values[CLIENT_SECRET_ENV] = served.client.secret
    exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in values.items())
    lines = ["  to drive it from a shell (hooksim sim, curl), copy:", f"    export {exports}"]
    if not served.secret_generated:
        lines.append(f"  and set {CLIENT_SECRET_ENV} to the client's secret (it is not shown)")
    return lines


def _configure_logging(access_log: bool) -> None:
    logger = logging.getLogger("hooksim.serve")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.INFO if access_log else logging.WARNING)
