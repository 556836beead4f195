"""The platform's exceptions: each carries a message written for the person who caused it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "Conflict",
    "Forbidden",
    "HooksimError",
    "InvalidInput",
    "NotFound",
    "Unauthorized",
    "did_you_mean",
]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the choice closest to a misspelt `word`, or nothing."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class HooksimError(Exception):
    """Base of every error hooksim raises on purpose."""

    code = "error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(HooksimError):
    """The caller sent something the contract does not allow; `field` names what."""

    code = "invalid_request"
    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(HooksimError):
    code = "not_found"
    status = 404


class Conflict(HooksimError):
    code = "conflict"
    status = 409


class Unauthorized(HooksimError):
    code = "unauthorized"
    status = 401


class Forbidden(HooksimError):
    code = "forbidden"
    status = 403
