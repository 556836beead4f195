"""Identifiers from a seeded random source, so that the same seed gives the same run."""

from __future__ import annotations

import os
import random

__all__ = ["IdSource"]

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# The bits RFC 4122 fixes in a version 4 UUID: the version nibble and the variant bits.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


class IdSource:
    """Every id, secret and random choice of a platform comes from here."""

    def __init__(self, seed: int | None = 0) -> None:
        self.seed = seed
        self.rng: random.Random
        if seed is None:
            # A served platform on the wall clock: secrets must be unguessable, so they come
            # from the operating system each time; ids and payload choices need no secrecy
            # and come from a generator seeded by it (SystemRandom makes a system call per
            # draw: a tenth of a real delivery's time went there).
            self.rng = random.Random(os.urandom(32))
            self._secret_rng: random.Random = random.SystemRandom()
        else:
            # Seeded: one source for everything, so that a seed reproduces secrets too.
            self.rng = self._secret_rng = random.Random(seed)

    def short_id(self, length: int = 8) -> str:
        """A short id such as `2nBrJUjz`, the shape of the seed's subscription ids."""
        choice = self.rng.choice
        return "".join(choice(_ALPHABET) for _ in range(length))

    def uuid(self) -> str:
        """A random (version 4) UUID drawn from the seeded source."""
        return _uuid4(self.rng.getrandbits(128))

    def skip_uuid(self) -> None:
        """Draw what `uuid()` would without formatting it: a value that was not needed
        still moves the seeded source as it always did, so a seed keeps giving the same run."""
        self.rng.getrandbits(128)

    def secret_uuid(self) -> str:
        """A UUID-shaped secret (a subscription's signing secret): unguessable when unseeded."""
        return _uuid4(self._secret_rng.getrandbits(128))

    def secret_bytes(self, nbytes: int) -> bytes:
        """Random bytes for a secret: unguessable when unseeded."""
        return self._secret_rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big")

    def token(self, nbytes: int = 24) -> str:
        """A secret (client secret, access token): unguessable when unseeded."""
        return self._secret_rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()


def _uuid4(bits: int) -> str:
    """`str(uuid.UUID(int=bits, version=4))`, without building a UUID object (five are made
    per delivered event)."""
    text = ((bits & _UUID4_CLEAR) | _UUID4_SET).to_bytes(16, "big").hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
