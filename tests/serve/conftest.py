from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from _serve_helpers import Receiver
from hooksim.simulator._http_transport import HttpTransport
from hooksim.simulator._serve import ServedPlatform, ServeOptions


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(handler=None) -> Receiver:  # type: ignore[no-untyped-def]
        receiver = Receiver(handler)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def receiver(receiver_factory: Callable[..., Receiver]) -> Receiver:
    return receiver_factory()


@pytest.fixture
def transport() -> Iterator[HttpTransport]:
    with HttpTransport() as t:
        yield t


@pytest.fixture
def serve() -> Iterator[Callable[..., ServedPlatform]]:
    """Start a served platform on 127.0.0.1:0 in threads; stopped at teardown."""
    started: list[ServedPlatform] = []

    def start(**options: object) -> ServedPlatform:
        options.setdefault("port", 0)
        served = ServedPlatform(ServeOptions(**options)).start()  # type: ignore[arg-type]
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()
