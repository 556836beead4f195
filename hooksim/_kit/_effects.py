"""The effects probe as the receiver kit raises its errors: the reader itself is the
scenario layer's (`hooksim.scenarios`, shared with real receivers in scenarios); the kit's
`EffectsProbeError` is a `KitError` as well."""

from __future__ import annotations

from hooksim.scenarios import EFFECTS_PROBE_CAP, EffectsProbeFailure
from hooksim.scenarios import fetch_effects as _fetch
from hooksim.scenarios import parse_effects as _parse

from ._grade import KitError

__all__ = ["EFFECTS_PROBE_CAP", "EffectsProbeError", "fetch_effects", "parse_effects"]


class EffectsProbeError(KitError, EffectsProbeFailure):
    """The effects probe could not be read, or its answer is not `{"effects": {id: n}}`.

    `kind` is one of `bad-url`, `unreachable`, `timeout`, `status` (not a 2xx, redirects
    included), `too-large`, `not-json` and `shape`.
    """


def parse_effects(body: bytes, where: str = "the effects probe") -> dict[str, int]:
    try:
        return _parse(body, where)
    except EffectsProbeFailure as exc:
        raise EffectsProbeError(exc.message, exc.kind) from None


def fetch_effects(url: str, *, timeout: float = 10.0) -> dict[str, int]:
    """GET the receiver's effects probe at `url`: `{data.id: times acted on}`; raises
    `EffectsProbeError` when it cannot be used."""
    try:
        return _fetch(url, timeout=timeout)
    except EffectsProbeFailure as exc:
        raise EffectsProbeError(exc.message, exc.kind) from None
