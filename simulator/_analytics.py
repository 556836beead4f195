"""Batched analytics: hourly files of an environment's analytics events, behind pre-signed URLs.

The contract's clauses ANALYTICS-BATCHED, ANALYTICS-HOUR-KEYS and ANALYTICS-ENDED-HOURS; the
decisions where the public text is silent (documented in the OpenAPI description too):
- `from` is rounded down and `to` up to whole UTC hours; the rounded range may span at most
  720 hours (30 days).
- A key is the UTC hour that *ended*: key `H` holds the events published in `[H - 1h, H)`.
  Only hours that have ended by platform time are listed; an hour without events maps to
  an empty list, and a very busy hour is split into files of 10,000 events.
- A URL is `/_analytics/files/{token}`: the token carries what the file is and when it
  expires (15 minutes of platform time after issue), signed with HMAC-SHA256 under a key
  that never leaves the process.
"""

from __future__ import annotations

import base64
import calendar
import csv
import hashlib
import hmac
import io
import json
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from ._errors import Forbidden, InvalidInput
from ._models import Event

__all__ = [
    "FILE_EVENTS",
    "FORMATS",
    "MAX_HOURS",
    "URL_LIFETIME",
    "FileRef",
    "FileSigner",
    "hour_key",
    "hour_window",
    "parse_instant",
    "render_file",
]

HOUR = 3600  # keys are whole UTC hours (ANALYTICS-HOUR-KEYS)
MAX_HOURS = 30 * 24  # a range spans at most 30 days (ANALYTICS-BATCHED)
URL_LIFETIME = 15 * 60.0  # file URLs expire after 15 minutes of platform time (ANALYTICS-BATCHED)
FILE_EVENTS = 10_000  # events per file at most (ANALYTICS-HOUR-KEYS)
#: format -> (media type, file extension) (ANALYTICS-BATCHED)
FORMATS = {"ndjson": ("application/x-ndjson", "ndjson"), "csv": ("text/csv", "csv")}
#: The CSV file's columns, the event's JSON last (ANALYTICS-HOUR-KEYS).
CSV_COLUMNS = (
    "id",
    "analyticsEvent",
    "endUserId",
    "timestamp",
    "cardTemplateId",
    "cardInstanceId",
    "cardInstanceStatus",
    "flowConfigId",
    "streamId",
    "data",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The first whole hour a datetime can name (0001-01-01T00).
_FIRST_HOUR = math.ceil((datetime(1, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds() / HOUR)
# RFC 3339 date-time, as JSON Schema's `date-time` format reads it.
_RFC3339 = re.compile(
    r"^(\d{4})-(0[1-9]|1[0-2])-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d+)?"
    r"(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$",
    re.ASCII,
)


def parse_instant(text: str, field: str) -> float:
    """POSIX seconds of an RFC 3339 date-time such as `2026-01-01T10:00:00Z`."""
    match = _RFC3339.match(text)
    if match is None:
        raise InvalidInput(
            f"{field} must be an RFC 3339 date-time such as 2026-01-01T10:00:00Z, not {text!r}",
            field,
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if year == 0 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise InvalidInput(f"{field} is not a calendar date: {text!r}", field)
    fraction, offset = match.group(7), match.group(8)
    if offset == "Z":
        zone = UTC
    else:
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    moment = datetime(year, month, day, hour, minute, second, tzinfo=zone)
    return (moment - _EPOCH).total_seconds() + (float(fraction) if fraction else 0.0)


def hour_window(from_text: str, to_text: str) -> tuple[int, int]:
    """The requested range as whole hours `[first, last)` (hour numbers since the epoch):
    `from` rounded down, `to` up, at most 30 days (ANALYTICS-BATCHED)."""
    start = parse_instant(from_text, "from")
    end = parse_instant(to_text, "to")
    if end < start:  # a 400 naming `to` (ANALYTICS-BATCHED, API-ERRORS)
        raise InvalidInput(f"to ({to_text}) is before from ({from_text})", "to")
    first, last = math.floor(start / HOUR), math.ceil(end / HOUR)
    if last - first > MAX_HOURS:  # ANALYTICS-BATCHED
        raise InvalidInput(
            f"the range from {from_text} to {to_text}, rounded out to whole hours, spans "
            f"{last - first} hours; at most {MAX_HOURS} (30 days) are allowed",
            "to",
        )
    return first, last


def ended_hours(first: int, last: int, now: float) -> range:
    """Hour keys (hour number of the hour's *end*: ANALYTICS-HOUR-KEYS) in `[first, last)`
    that have ended by platform time (ANALYTICS-ENDED-HOURS)."""
    first = max(first, _FIRST_HOUR)
    return range(first + 1, min(last, math.floor(now / HOUR)) + 1)


def hour_key(end_hour: int) -> str:
    # Not strftime: %Y does not pad years before 1000 to four digits on every platform.
    moment = _EPOCH + timedelta(hours=end_hour)
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}"


@dataclass(frozen=True, slots=True)
class FileRef:
    """What a pre-signed URL points at: one part of one hour of one environment."""

    environment_id: str
    end_hour: int
    part: int
    format: str
    expires_at: float

    @property
    def filename(self) -> str:
        return f"{hour_key(self.end_hour)}-{self.part}.{FORMATS[self.format][1]}"


class FileSigner:
    """Issues and checks file tokens. The key is random per signer and never shown."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def _mac(self, payload: bytes) -> str:
        digest = hmac.new(self._key, payload, hashlib.sha256).digest()
        return _b64(digest)

    def issue(self, ref: FileRef) -> str:
        body = json.dumps(
            [ref.environment_id, ref.end_hour, ref.part, ref.format, ref.expires_at],
            separators=(",", ":"),
        ).encode()
        payload = _b64(body)
        return f"{payload}.{self._mac(payload.encode())}"

    def open(self, token: str, now: float) -> FileRef:
        """The file a token names, or Forbidden when it was altered, forged or has expired."""
        forged = Forbidden("this file URL is not valid: it was altered or not issued here")
        payload, _, mac = token.partition(".")
        # Pre-signed: an altered or forged URL opens nothing (ANALYTICS-BATCHED).
        if not payload or not mac or not payload.isascii() or not mac.isascii():
            raise forged
        if not hmac.compare_digest(self._mac(payload.encode()), mac):  # ANALYTICS-BATCHED
            raise forged
        env, end_hour, part, fmt, expires_at = json.loads(base64.urlsafe_b64decode(_pad(payload)))
        if now >= expires_at:  # 15 minutes of platform time (ANALYTICS-BATCHED)
            raise Forbidden(
                "this file URL has expired (they live 15 minutes of platform time); "
                "ask GET /v1/{environmentId}/analytics/batched for fresh ones"
            )
        return FileRef(env, end_hour, part, fmt, expires_at)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _pad(text: str) -> bytes:
    return (text + "=" * (-len(text) % 4)).encode("ascii")


def file_parts(event_count: int) -> int:
    """How many files an hour's events fill (ANALYTICS-HOUR-KEYS)."""
    return math.ceil(event_count / FILE_EVENTS)


def render_file(events: Sequence[Event], fmt: str) -> bytes:
    """NDJSON: one event `data` per line. CSV: a header row, flat columns, then the JSON."""
    if fmt == "ndjson":
        return b"".join(_data_json(event) + b"\n" for event in events)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for event in events:
        data = event.data
        card = _mapping(data.get("cardContext"))
        platform = _mapping(data.get("platformContext"))
        stream = _mapping(data.get("streamContext"))
        writer.writerow(
            [
                _cell(data.get("id")),
                _cell(data.get("analyticsEvent")),
                _cell(data.get("endUserId")),
                _cell(data.get("timestamp")),
                _cell(card.get("cardTemplateId")),
                _cell(card.get("cardInstanceId")),
                _cell(card.get("cardInstanceStatus")),
                _cell(platform.get("flowConfigId")),
                _cell(stream.get("streamId")),
                _data_json(event).decode("utf-8"),
            ]
        )
    return out.getvalue().encode("utf-8")


def _data_json(event: Event) -> bytes:
    # The bytes deliveries sent, when the event was sent at all; the same JSON otherwise.
    if event.data_json is not None:
        return event.data_json
    return json.dumps(event.data, separators=(",", ":")).encode("ascii")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return ""
