"""Signed deliveries per second through the whole engine to an in-process WSGI receiver.

Two measurements, both publishing `count` events in bulk to one subscription and then
advancing the clock (under the virtual clock the first attempts run as the publication ends):

- `ready`: the events' `data` is made beforehand and published with `publish_many`, so the
  time is the engine's own: accept, route, schedule, encode, sign, the WSGI call, the
  attempt record. Like the floor, it starts from a payload that exists.
- `generated`: `publish(count=...)` also makes each event's realistic `data` (ids, choices,
  timestamps), as a simulation does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hooksim.simulator import DEFAULT_START, IdSource, InProcessTransport, Platform, make_event_data

from ._util import Timed, timed

__all__ = ["engine_run", "ok_receiver"]

URL = "http://receiver.bench/hook"


def ok_receiver(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Reads the body and answers 200: the least a receiver can do."""
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def _platform() -> Platform:
    transport = InProcessTransport()
    transport.mount(URL, ok_receiver)
    platform = Platform(transport=transport, seed=1)
    platform.create_environment("dev")
    platform.subscribe("dev", {"url": URL, "types": ["card-completed"]})
    return platform


def engine_run(count: int, *, generated: bool) -> Timed:
    """Deliver `count` events; checks that every one was attempted once and succeeded."""
    platform = _platform()
    if generated:

        def work() -> None:
            platform.publish("dev", "card-completed", count=count)
            platform.advance(60)

    else:
        ids = IdSource(2)
        ready = [
            make_event_data("card-completed", ids=ids, now=DEFAULT_START) for _ in range(count)
        ]

        def work() -> None:
            platform.publish_many("dev", ready)
            platform.advance(60)

    took = timed(work)
    records = platform.attempts("dev")
    if len(records) != count or not all(r.succeeded for r in records):
        raise RuntimeError(f"expected {count} successful attempts, the log has {len(records)}")
    return took
