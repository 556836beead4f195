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
_URL_BYTES = re.compile(_URL.pattern.encode())
_EDGES = ("(?<![A-Za-z0-9])", "(?![A-Za-z0-9])")
_EDGES_BYTES = (_EDGES[0].encode(), _EDGES[1].encode())


def redact(text: str, secret: str) -> str:
    """`text` with the secret replaced by `[secret]`."""
    if not secret:
        return text
    return _redact(text, secret, MARK, len(secret) < WHOLE_WORD_BELOW, _URL, _EDGES)


def redact_bytes(body: bytes, secret: str) -> bytes:
    """`body` with the secret's UTF-8 bytes replaced by `[secret]`."""
    if not secret:
        return body
    short = len(secret) < WHOLE_WORD_BELOW
    return _redact(body, secret.encode(), MARK.encode(), short, _URL_BYTES, _EDGES_BYTES)


def _redact(
    text: AnyStr,
    secret: AnyStr,
    mark: AnyStr,
    short: bool,
    urls: re.Pattern[AnyStr],
    edges: tuple[AnyStr, AnyStr],
) -> AnyStr:
    if not short:
        return text.replace(secret, mark)
    word = re.compile(edges[0] + re.escape(secret) + edges[1])
    out: list[AnyStr] = []
    start = 0
    for span in urls.finditer(text):  # a URL's text is left as it is
        out += [word.sub(mark, text[start : span.start()]), span.group()]
        start = span.end()
    out.append(word.sub(mark, text[start:]))
    return text[:0].join(out)
