"""How an event's `data` becomes bytes: once per event, shared by every attempt, copy and
archive line (re-encoding the same dict for each retry was the engine's largest repeated cost).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from ._models import Event

__all__ = ["COMPACT", "encode_data", "encoded_data"]

#: One encoder for the whole process: `json.dumps` with non-default options builds a new
#: `JSONEncoder` on every call.
COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _one_pass_encoder() -> Callable[[Any], str]:
    """`COMPACT.encode`, with the C encoder built once rather than per call and without the
    circular-reference bookkeeping (a dict entry per container: 20% of the encoding time).
    A cycle then ends in RecursionError, and `encoded_data` asks `COMPACT` for its message."""
    if c_make_encoder is None:  # an interpreter without the C accelerator
        return COMPACT.encode
    encode = c_make_encoder(
        None,  # no markers: no circular-reference check
        COMPACT.default,
        encode_basestring,  # ensure_ascii=False
        None,  # indent
        COMPACT.key_separator,
        COMPACT.item_separator,
        False,  # sort_keys
        False,  # skipkeys
        False,  # allow_nan: NaN and Infinity are not JSON (ValueError)
    )
    return lambda data: "".join(encode(data, 0))


_encode = _one_pass_encoder()


def encode_data(data: Any) -> bytes:
    """`data` as compact JSON (UTF-8): TypeError for what JSON cannot hold, ValueError for a
    cycle or a float that is not finite, RecursionError for nesting deeper than the
    interpreter's stack."""
    try:
        text = _encode(data)
    except RecursionError:
        text = COMPACT.encode(data)  # a cycle: the usual ValueError says so
    return text.encode()


def encoded_data(event: Event) -> bytes:
    """`event.data` as compact JSON (UTF-8), encoded on first use and kept on the event."""
    data = event.data_json
    if data is None:
        data = event.data_json = encode_data(event.data)
    return data
