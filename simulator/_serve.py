"""The served platform: the management API on a real socket, deliveries over real HTTP.

An adapter (it reads the wall clock and owns threads). `ServedPlatform` builds the platform
for `ServeOptions`, binds the socket (so a port in use is a `ServeError`, not werkzeug's
`sys.exit`), and runs the werkzeug server and, under the wall clock, the `Driver`.
`hooksim serve` is a thin click command around it; tests start it in a thread.

With `db` (`--db FILE`) the platform's state lives in a SQLite file (`SqliteStore`): starting
again on the same file resumes it (pending retries included), and the environment and client
asked for are created only if the file does not have them yet (an existing one is left as it
is); without a client id, the environment's first workbench client is used again. Without
`db`, the state is in memory and ends with the process.
"""

from __future__ import annotations

import logging
import math
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from werkzeug.serving import BaseWSGIServer

from ._api import make_app
from ._clock import VirtualClock, WallClock, format_time
from ._control import ControlHooks, ResetOrder
from ._driver import DEFAULT_PER_ENDPOINT, DEFAULT_WORKERS, MAX_WORKERS, DeliveryPool, Driver
from ._errors import HooksimError
from ._hosts import HostPolicy
from ._http_server import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_READ_TIMEOUT,
    BoundedServer,
    RequestHandler,
)
from ._http_transport import DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, HttpTransport
from ._models import ApiClient
from ._platform import Platform
from ._reset import fresh_platform
from ._settings import Settings
from ._signals import AttemptFinished, Signal
from ._sqlite_store import SqliteStore
from ._storage import Store

__all__ = ["ServeError", "ServeOptions", "ServedPlatform", "attempt_line"]

log = logging.getLogger("hooksim.serve")

CLOCKS = ("wall", "virtual")


class ServeError(HooksimError):
    """The platform cannot be served as asked (port in use, bad options)."""

    code = "serve_error"


@dataclass(frozen=True, slots=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    clock: str = "wall"
    environment: str = "dev"
    client_id: str | None = None
    client_secret: str | None = None
    allow_hosts: tuple[str, ...] = ()
    #: Seeds ids and secrets under the virtual clock, so that a run can be reproduced (the
    #: banner says so: anyone who knows the seed knows the secrets). None: random, as under
    #: the wall clock, which refuses a seed.
    seed: int | None = None
    #: Delivery timeout in seconds (None: the platform default, 10 s).
    timeout: float | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_body: int = DEFAULT_MAX_BODY
    verify_tls: bool = True
    ca_bundle: str | None = None
    #: Under the wall clock, requests sent at once, at most (`--workers`), and requests in
    #: flight to one endpoint (scheme://host:port) at once, at most (`--per-endpoint`; at
    #: most `max_workers`). More wait their turn in that endpoint's queue without holding a
    #: worker. Under the virtual clock deliveries are sent one at a time, in order.
    max_workers: int = DEFAULT_WORKERS
    per_endpoint: int = DEFAULT_PER_ENDPOINT
    #: Seconds an API connection may stay silent while its request is read (a whole request
    #: must arrive within six times that), and API connections served at once, at most
    #: (`--read-timeout`, `--max-connections`; see `_http_server.py`).
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    access_log: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    #: A SQLite file that keeps the state across restarts (":memory:": SQLite, not kept);
    #: None: the state is in memory only.
    db: str | None = None

    def check(self) -> None:
        if self.clock not in CLOCKS:
            raise ServeError(f"--clock must be 'wall' or 'virtual', not {self.clock!r}")
        if not 0 <= self.port <= 65535:
            raise ServeError(f"--port must be from 0 to 65535, not {self.port}")
        if self.client_secret and not self.client_id:
            raise ServeError("--client-secret needs --client-id (the client it belongs to)")
        if self.seed is not None and self.clock == "wall":
            raise ServeError(
                "--seed applies to --clock virtual only: under the wall clock ids and "
                "secrets are unguessable"
            )
        if self.timeout is not None and not 0 < self.timeout <= 3600:
            raise ServeError(
                f"--timeout must be more than 0 and at most 3600 s, not {self.timeout}"
            )
        if not _whole(self.max_workers) or not 1 <= self.max_workers <= MAX_WORKERS:
            raise ServeError(
                f"--workers must be a whole number from 1 to {MAX_WORKERS}, not "
                f"{self.max_workers!r}"
            )
        if not _whole(self.per_endpoint) or not 1 <= self.per_endpoint <= self.max_workers:
            raise ServeError(
                f"--per-endpoint must be a whole number from 1 to --workers "
                f"({self.max_workers}), not {self.per_endpoint!r}"
            )
        if not _finite(self.read_timeout) or not 0 < self.read_timeout <= 3600:
            raise ServeError(
                f"--read-timeout must be more than 0 and at most 3600 s, not {self.read_timeout!r}"
            )
        if not _whole(self.max_connections) or not 1 <= self.max_connections <= 10_000:
            raise ServeError(
                "--max-connections must be a whole number from 1 to 10000, not "
                f"{self.max_connections!r}"
            )
        if not self.environment or not self.environment.replace("-", "").replace("_", "").isalnum():
            raise ServeError(
                f"--environment must be letters, digits, '-' or '_', not {self.environment!r}"
            )


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class ServedPlatform:
    """One served platform. Construction binds the socket; `start()` serves in threads."""

    def __init__(
        self,
        options: ServeOptions | None = None,
        *,
        app_factory: Callable[[Platform], Any] | None = None,
    ) -> None:
        self.options = options = options or ServeOptions()
        options.check()
        virtual = options.clock == "virtual"
        try:
            hosts = HostPolicy(options.allow_hosts)
        except ValueError as exc:
            raise ServeError(f"--allow-hosts: {exc}") from None
        try:
            settings = Settings(**options.settings)
            if options.timeout is not None:
                settings = settings.with_changes(timeout=float(options.timeout))
        except (HooksimError, TypeError) as exc:
            raise ServeError(f"invalid settings: {exc}") from None
        self.transport = HttpTransport(
            hosts=hosts,
            connect_timeout=options.connect_timeout,
            max_body=options.max_body,
            verify_tls=options.verify_tls,
            ca_bundle=options.ca_bundle,
            connections_per_endpoint=options.per_endpoint,
            # Under the virtual clock a receiver may say how long its answer took in platform
            # time (the control contract's `simulated-latency`); a real answer takes none.
            simulated_latency=virtual,
        )
        self.store: Store | None = None
        try:
            self.store = SqliteStore(options.db) if options.db is not None else None
            self.platform = Platform(
                clock=VirtualClock() if virtual else WallClock(),
                settings=settings,
                transport=self.transport,
                store=self.store,
                seed=options.seed if virtual else None,
            )
            self.resumed = options.environment in self.platform.store.environments
            if self.resumed:
                self.environment = self.platform.environment(options.environment)
            else:
                self.environment = self.platform.create_environment(options.environment)
            #: Whether the client's secret was generated by this start (it is then printed).
            self.secret_generated = False
            self.client: ApiClient = self._workbench_client()
        except HooksimError as exc:
            self._close_store()
            self.transport.close()
            raise ServeError(exc.message) from None
        except BaseException:
            self._close_store()
            self.transport.close()
            raise
        if self.resumed and self.environment.settings != settings:
            log.warning(
                "environment %s keeps the settings stored in %s; the settings given now "
                "(--timeout, --retry-*, --mapping-*) apply to new environments only",
                self.environment.id,
                options.db,
            )
        if options.client_secret and self.client.secret != options.client_secret:
            log.warning(
                "client %s already exists in %s with another secret; its stored secret is kept",
                self.client.client_id,
                options.db,
            )
        self._listeners: list[Callable[[Signal], None]] = []
        self.control = ControlHooks(simulated_latency=virtual)
        if not virtual:
            self.control.why_no_reset = (
                "it follows the wall clock; start it with --clock virtual to drive it"
            )
        elif options.db is not None:
            self.control.why_no_reset = (
                f"its state is kept in {options.db}, which a reset would wipe; start it "
                "without --db to drive it"
            )
        else:
            self.control.reset = self._reset
        self.app = (app_factory or make_app)(self.platform)
        if hasattr(self.app, "control"):
            self.app.control = self.control
        self.driver: Driver | None = None
        if not virtual:
            self.driver = Driver(
                self.platform,
                pool=DeliveryPool(options.max_workers, options.per_endpoint),
            )
        self.server = self._bind()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def _workbench_client(self) -> ApiClient:
        """The client the banner shows. `--client-id` is created if absent (with the secret
        given, or a generated one) and left as it is if present. Without it, a resumed
        environment's first workbench client is used again, so restarting on a file never
        piles up clients nor changes the credentials scripts were given; otherwise a new one
        is generated. Only a secret generated now is printed (`secret_generated`)."""
        options, auth = self.options, self.platform.auth
        existing = {c.client_id: c for c in auth.clients(self.environment.id)}
        if options.client_id is None and self.resumed:
            for client in existing.values():
                if client.role == "workbench":
                    self.secret_generated = False
                    return client
        client = auth.create_client(
            self.environment.id,
            "workbench",
            client_id=options.client_id,
            secret=options.client_secret or None,
        )
        self.secret_generated = client.client_id not in existing and not options.client_secret
        return client

    def _reset(self, order: ResetOrder) -> tuple[Platform, dict[str, ApiClient]]:
        """`POST /_sim/reset`: a new platform in place of the old one (whose pending work is
        dropped), on a clock at `order.start`, with the environment asked for, the caller's
        client and the one the banner shows, and a fresh client per role."""
        old = self.platform
        with old.lock:
            if order.seed is None and self.options.seed is not None:
                order = replace(order, seed=self.options.seed)
            platform, clients = fresh_platform(
                order, transport=self.transport, token_clock=old.auth.clock
            )
            environment = platform.environment(order.environment_id)
            platform.auth.carry_over(old.auth, {order.caller_client_id, self.client.client_id})
            for listener in self._listeners:
                platform.add_listener(listener)
            self.platform = platform
            if environment.id == self.environment.id:
                self.environment = environment
            return platform, clients

    def _bind(self) -> BaseWSGIServer:
        options = self.options
        family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
        try:
            sock = socket.create_server((options.host, options.port), family=family)
        except OSError as exc:
            self.transport.close()
            self._close_store()
            reason = exc.strerror or str(exc)
            raise ServeError(
                f"cannot listen on {options.host}:{options.port}: {reason}"
                + ("; choose another --port (0 picks a free one)" if options.port else "")
            ) from None
        handler = type("RequestHandler", (RequestHandler,), {"access_log": options.access_log})
        try:
            server = BoundedServer(
                options.host,
                options.port,
                self.app,
                handler,
                fd=sock.fileno(),
                max_connections=options.max_connections,
                read_timeout=options.read_timeout,
            )
        finally:
            sock.close()  # werkzeug serves a duplicate of the descriptor
        return server

    # facts ------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        host = self.options.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def environment_id(self) -> str:
        return self.environment.id

    def banner(self) -> list[str]:
        """What `hooksim serve` prints on start. The secret only when it was generated."""
        client = self.client
        secret = client.secret if self.secret_generated else "$CLIENT_SECRET"
        hosts = self.transport.hosts.describe()
        kept = ""
        if self.options.db and not self.secret_generated and not self.options.client_secret:
            kept = f"; kept in {self.options.db}, its secret is not shown again"
        lines = [
            f"hooksim platform serving at {self.base_url} (clock: {self.options.clock})",
            f"  environment:  {self.environment_id}"
            + (f"  (resumed from {self.options.db})" if self.resumed else ""),
            f"  client id:    {client.client_id}  (role: workbench{kept})",
        ]
        if self.secret_generated:
            lines.append(f"  client secret: {client.secret}")
        lines += [
            f"  deliveries:   to {hosts}",
            "  get a token:  curl -s -X POST -u "
            f"'{client.client_id}:{secret}' '{self.base_url}/oauth2/token' "
            "-d grant_type=client_credentials",
        ]
        if self.options.clock == "virtual":
            lines.append('  time moves only through POST /_sim/clock/advance {"seconds": N}')
        if self.options.seed is not None:
            lines.append(
                f"  seed:         {self.options.seed}: ids and secrets are reproducible (the same "
                "on every start with this seed; anyone who knows it knows them)"
            )
        return lines

    # running ----------------------------------------------------------------------------
    def start(self) -> ServedPlatform:
        """Serve on a background thread (and start the driver under the wall clock)."""
        if self._thread is not None:
            raise RuntimeError("already started")
        if self.driver is not None:
            self.driver.start()
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="hooksim-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, join the driver, close connections. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join()
        else:
            self.server.server_close()
        if self.driver is not None and self.driver.running:
            self.driver.stop()
        self.transport.close()
        self._close_store()

    def _close_store(self) -> None:
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> ServedPlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_attempts(
        self, out: TextIO, lock: threading.Lock | None = None
    ) -> Callable[[Signal], None]:
        """Add a listener printing one line per finished attempt to `out`; answers it."""
        write_lock = lock or threading.Lock()

        def listener(signal: Signal) -> None:
            if isinstance(signal, AttemptFinished):
                line = attempt_line(signal)
                with write_lock:
                    out.write(line + "\n")
                    out.flush()

        self.platform.add_listener(listener)
        self._listeners.append(listener)  # a reset hands it to the new platform
        return listener


def attempt_line(signal: AttemptFinished) -> str:
    """One delivery-log line: time, event, subscription, attempt, outcome, status, duration.

    Never the URL, headers or body: they may carry credentials.
    """
    r = signal.record
    status = r.status_code if r.status_code is not None else "-"
    kind = "" if r.kind == "delivery" else f" ({r.kind})"
    line = (
        f"{format_time(r.started_at)} event={r.event_id} subscription={r.subscription_id} "
        f"attempt={r.attempt}{kind} outcome={r.outcome} status={status} "
        f"duration={r.duration * 1000:.0f}ms"
    )
    if r.error and not r.succeeded:
        line += f" reason={r.error}"
    return line
