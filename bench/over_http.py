"""Real HTTP: the floor (a bare `http.client` loop on one keep-alive connection) and
deliveries through `HttpTransport` with the wall-clock driver's worker pool, both posting
the typical body to the same minimal receiver in another process (`bench.receiver`)."""

from __future__ import annotations

import http.client
import threading
import time

from hooksim.simulator import (
    AttemptFinished,
    DeliveryPool,
    Driver,
    HttpTransport,
    OutgoingRequest,
    Platform,
    Signal,
    WallClock,
)

from .payload import typical_body, typical_headers

__all__ = ["http_deliveries_per_s", "http_floor_per_s", "transport_send_per_s"]


def http_floor_per_s(port: int, count: int) -> float:
    body = typical_body()
    headers = typical_headers(body)
    connection = http.client.HTTPConnection("127.0.0.1", port)
    try:
        started = time.perf_counter()
        for _ in range(count):
            connection.request("POST", "/hook", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"the receiver answered {response.status}")
        return count / (time.perf_counter() - started)
    finally:
        connection.close()


def transport_send_per_s(port: int, count: int) -> float:
    """`HttpTransport.send` of the same request in a bare loop: the transport's own cost,
    without the engine (it splits the gap between the floor and deliveries in two)."""
    body = typical_body()
    request = OutgoingRequest(
        "POST", f"http://127.0.0.1:{port}/hook", typical_headers(body), body, 10.0
    )
    with HttpTransport() as transport:
        started = time.perf_counter()
        for _ in range(count):
            result = transport.send(request)
            if not result.status_code == 200:
                raise RuntimeError(f"the receiver answered {result.status_code}: {result.error}")
        return count / (time.perf_counter() - started)


def http_deliveries_per_s(port: int, count: int, per_endpoint: int = 2) -> float:
    """Publish `count` events under the wall clock; the rate until the last is answered.

    The pool is `hooksim serve`'s default shape: `per_endpoint` concurrent requests to one
    receiver, as many pooled keep-alive connections.
    """
    transport = HttpTransport(connections_per_endpoint=per_endpoint)
    platform = Platform(clock=WallClock(), transport=transport, seed=None, keep_bodies=False)
    platform.create_environment("dev")
    platform.subscribe("dev", {"url": f"http://127.0.0.1:{port}/hook", "types": ["card-completed"]})
    finished = threading.Event()
    answered = 0
    failed: list[str] = []

    def listener(signal: Signal) -> None:
        nonlocal answered
        if isinstance(signal, AttemptFinished):
            answered += 1  # listeners run under the platform lock
            if not signal.record.succeeded:
                failed.append(signal.record.error or str(signal.record.outcome))
            if answered >= count:
                finished.set()

    platform.add_listener(listener)
    driver = Driver(platform, pool=DeliveryPool(max_workers=64, per_endpoint=per_endpoint))
    with driver:
        started = time.perf_counter()
        platform.publish("dev", "card-completed", count=count)
        if not finished.wait(timeout=120):
            raise RuntimeError(f"only {answered} of {count} deliveries were answered")
        elapsed = time.perf_counter() - started
    transport.close()
    if failed:
        raise RuntimeError(f"{len(failed)} deliveries failed, e.g. {failed[0]}")
    return count / elapsed
