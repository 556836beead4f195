"""The scale run: `python -m bench.scale --events N` prints one JSON line of figures.

`N` events are published over two virtual hours, each matching one of 100 subscriptions
(by card template); the receivers of 10 of them answer 503 for the first virtual hour (those
subscriptions do not auto-disable, so their deliveries retry and then succeed). The
platform keeps its history in a `SpillingStore` (`--store memory` keeps everything, for
comparison). It runs in a process of its own so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from hooksim.simulator import (
    DEFAULT_START,
    InProcessTransport,
    MemoryStore,
    Platform,
    SpillingStore,
)

__all__ = ["run"]

SUBSCRIPTIONS = 100
FAILING = 10
OUTAGE = 3600.0
PUBLISH_SPAN = 2 * 3600.0
TICKS = 400


def _receiver(platform: Platform, failing: bool) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"].read()
        if failing and platform.clock.now() < DEFAULT_START + OUTAGE:
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    return app


def _share(total: int, parts: int, index: int) -> int:
    """The `index`-th of `parts` near-equal shares of `total`."""
    return total * (index + 1) // parts - total * index // parts


def run(events: int, store: str = "spill") -> dict[str, Any]:
    transport = InProcessTransport()
    platform = Platform(
        transport=transport,
        store=SpillingStore() if store == "spill" else MemoryStore(),
        seed=1,
        keep_bodies=False,
    )
    platform.create_environment("dev")
    for index in range(SUBSCRIPTIONS):
        url = f"http://r{index}.bench/hook"
        transport.mount(url, _receiver(platform, failing=index < FAILING))
        platform.subscribe(
            "dev",
            {
                "url": url,
                "types": ["card-completed"],
                "cardTemplateId": f"t{index}",
                "disableAfterFailures": index >= FAILING,
            },
        )
    started, cpu_started = time.perf_counter(), time.process_time()
    pending_peak = 0
    for tick in range(TICKS):
        in_tick = _share(events, TICKS, tick)
        for index in range(SUBSCRIPTIONS):
            count = _share(in_tick, SUBSCRIPTIONS, index)
            if count:
                platform.publish(
                    "dev",
                    "card-completed",
                    count=count,
                    overrides={"cardContext.cardTemplateId": f"t{index}"},
                )
        pending_peak = max(pending_peak, platform.pending_work)
        platform.advance(PUBLISH_SPAN / TICKS)
    platform.run_pending()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures: dict[str, Any] = {
        "events": events,
        "store": store,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": peak_rss_mb,
        "pending_peak": pending_peak,
        "virtual_hours": (platform.clock.now() - DEFAULT_START) / 3600,
        "pending_left": platform.pending_work,
    }
    if isinstance(platform.store, SpillingStore):
        figures["live_after"] = platform.store.live_counts
        platform.store.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--store", choices=("spill", "memory"), default="spill")
    args = parser.parse_args(argv)
    figures = run(args.events, args.store)
    json.dump(figures, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
