"""Platform settings: the seed's numbers as defaults, every one of them configurable."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from hooksim.contracts import DEFAULT_SIGNATURE_HEADER

from ._errors import InvalidInput

__all__ = ["Settings"]

#: Bounds of the payload mapping settings.
MAX_MAPPING_TIMEOUT = 60.0
MIN_MAPPING_MEMORY_MB = 16
MAX_MAPPING_MEMORY_MB = 64 * 1024
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an HTTP header name (RFC 9110 token)


@dataclass(frozen=True, slots=True)
class Settings:
    """How one environment delivers. Defaults follow the seed and atomic-facts.md."""

    #: Delay before retry 1; retry k waits retry_base * 2**(k-1) after the previous start.
    retry_base: float = 10.0
    #: Retries are scheduled only while they fall within this many seconds of the first
    #: attempt (inclusive). None: no window (then max_retries or max_delay must bound it).
    retry_window: float | None = 4 * 3600.0
    #: Caps each delay instead (the other reading of "for up to 4 hours").
    max_delay: float | None = None
    #: Platform-wide cap on retries per event; a subscription's maxRetries caps further.
    max_retries: int | None = None
    #: Consecutive failed attempts that disable a subscription.
    disable_threshold: int = 23
    #: A receiver that has not answered within this many seconds has failed the attempt.
    timeout: float = 10.0
    #: Probability that a delivered event is sent a second time (at-least-once for real).
    duplicate_probability: float = 0.0
    #: Each delay is multiplied by a seeded factor in [1 - jitter, 1 + jitter].
    jitter: float = 0.0
    signature_header: str = DEFAULT_SIGNATURE_HEADER
    max_subscriptions: int = 100
    #: Honour Retry-After on these statuses when it is longer than the backoff delay.
    retry_after_statuses: tuple[int, ...] = (429, 503)
    #: CPU seconds a payload mapping may take to compile or to render one request (the
    #: attempt fails beyond it; see `_mapping.py`).
    mapping_timeout: float = 0.1
    #: MiB of memory a payload mapping may use to compile or to render one request.
    mapping_memory_mb: int = 256

    def __post_init__(self) -> None:
        def bad(name: str, why: str) -> InvalidInput:
            return InvalidInput(f"setting {name!r} {why}", field=name)

        for name in ("retry_base", "timeout"):
            value = getattr(self, name)
            if not _finite(value) or value <= 0:
                raise bad(name, f"must be a positive number of seconds, not {value!r}")
        for name in ("retry_window", "max_delay"):
            value = getattr(self, name)
            if value is not None and (not _finite(value) or value <= 0):
                raise bad(name, f"must be a positive number of seconds or null, not {value!r}")
        if self.max_retries is not None and (not _whole(self.max_retries) or self.max_retries < 0):
            raise bad(
                "max_retries", f"must be a whole number >= 0 or null, not {self.max_retries!r}"
            )
        if not _whole(self.disable_threshold) or self.disable_threshold < 1:
            raise bad(
                "disable_threshold", f"must be a whole number >= 1, not {self.disable_threshold!r}"
            )
        if not _finite(self.duplicate_probability) or not 0.0 <= self.duplicate_probability <= 1:
            raise bad("duplicate_probability", "must be between 0 and 1")
        if not _finite(self.jitter) or not 0.0 <= self.jitter < 1.0:
            raise bad("jitter", "must be at least 0 and below 1")
        if self.retry_window is None and self.max_retries is None:
            raise bad(
                "retry_window",
                "may be null only when max_retries bounds the retries (else they never end)",
            )
        if not _whole(self.max_subscriptions) or self.max_subscriptions < 1:
            raise bad("max_subscriptions", "must be a whole number >= 1")
        if not isinstance(self.signature_header, str) or not _TOKEN.match(self.signature_header):
            raise bad(
                "signature_header", f"must be an HTTP header name, not {self.signature_header!r}"
            )
        if not _finite(self.mapping_timeout) or not 0 < self.mapping_timeout <= MAX_MAPPING_TIMEOUT:
            raise bad(
                "mapping_timeout",
                f"must be more than 0 and at most {MAX_MAPPING_TIMEOUT:g} seconds, not "
                f"{self.mapping_timeout!r}",
            )
        if not _whole(self.mapping_memory_mb) or not (
            MIN_MAPPING_MEMORY_MB <= self.mapping_memory_mb <= MAX_MAPPING_MEMORY_MB
        ):
            raise bad(
                "mapping_memory_mb",
                f"must be a whole number from {MIN_MAPPING_MEMORY_MB} to "
                f"{MAX_MAPPING_MEMORY_MB}, not {self.mapping_memory_mb!r}",
            )
        statuses = self.retry_after_statuses
        if not isinstance(statuses, tuple | list) or not all(
            _whole(status) and 100 <= status <= 599 for status in statuses
        ):
            raise bad("retry_after_statuses", f"must be HTTP status codes, not {statuses!r}")
        object.__setattr__(self, "retry_after_statuses", tuple(statuses))  # a list from JSON

    def with_changes(self, **changes: Any) -> Settings:
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise InvalidInput(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["retry_after_statuses"] = list(self.retry_after_statuses)
        return data


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
