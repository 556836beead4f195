"""Keeping the receiver's secret out of what the kit prints and keeps.

A message or an answer that holds the secret gets `[secret]` in its place. A short secret
(`test`, `s`) also spells parts of ordinary words and of the URLs the user gave
(`/test/effects`), where it is no evidence of the secret: under `WHOLE_WORD_BELOW` characters
it is replaced only where it stands alone, outside URLs. A longer secret is replaced wherever
it appears, URLs included, since a receiver echoing it glued to other text would still leak
it.
"""

from __future__ import annotations

import re
from typing import AnyStr

__all__ = ["redact", "redact_bytes"]

MARK = "[secret]"
#: Shorter secrets are matched as whole words outside URLs only.
WHOLE_WORD_BELOW = 8
_URL = re.compile(r"https?://[^\s'\"<>()]+")
_URL_BYTES = re.compile(rb"https?://[^\s'\"<>()]+")


def redact(text: str, secret: str) -> str:
    """`text` with the secret replaced by `[secret]`."""
    if not secret:
        return text
    if len(secret) >= WHOLE_WORD_BELOW:
        return text.replace(secret, MARK)
    word = re.compile(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])")
    return _outside(_URL, word, MARK, text)


def redact_bytes(body: bytes, secret: str) -> bytes:
    """`body` with the secret's UTF-8 bytes replaced by `[secret]`."""
    if not secret:
        return body
    raw = secret.encode()
    if len(secret) >= WHOLE_WORD_BELOW:
        return body.replace(raw, MARK.encode())
    word = re.compile(rb"(?<![A-Za-z0-9])" + re.escape(raw) + rb"(?![A-Za-z0-9])")
    return _outside(_URL_BYTES, word, MARK.encode(), body)


def _outside(
    skip: re.Pattern[AnyStr], word: re.Pattern[AnyStr], mark: AnyStr, text: AnyStr
) -> AnyStr:
    """`word` replaced by `mark` in `text`, except within the spans `skip` matches."""
    out: list[AnyStr] = []
    start = 0
    for span in skip.finditer(text):
        out += [word.sub(mark, text[start : span.start()]), span.group()]
        start = span.end()
    out.append(word.sub(mark, text[start:]))
    return text[:0].join(out)
