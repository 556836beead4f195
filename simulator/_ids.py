"""Identifiers from a seeded random source, so that the same seed gives the same run."""

from __future__ import annotations

import random
import uuid

__all__ = ["IdSource"]

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class IdSource:
    """Every id, secret and random choice of a platform comes from here."""

    def __init__(self, seed: int | None = 0) -> None:
        self.seed = seed
        # Without a seed (a served platform on the wall clock) secrets must be unguessable.
        self.rng: random.Random = random.Random(seed) if seed is not None else random.SystemRandom()

    def short_id(self, length: int = 8) -> str:
        """A short id such as `2nBrJUjz`, the shape of the seed's subscription ids."""
        choice = self.rng.choice
        return "".join(choice(_ALPHABET) for _ in range(length))

    def uuid(self) -> str:
        """A random (version 4) UUID drawn from the seeded source."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def token(self, nbytes: int = 24) -> str:
        return self.rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()
