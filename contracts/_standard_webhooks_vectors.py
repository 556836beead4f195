"""The Standard Webhooks test vectors: `standard-webhooks-vectors.json`, shipped beside this
module, for implementers of that scheme in any language (the format is in
`contracts/README.md` and `standard-webhooks-vectors.schema.json`). In Python:

    from hooksim.contracts import load_standard_webhooks_vectors

    vectors = load_standard_webhooks_vectors()
    for vector in vectors:
        verdict = my_verify(vector.secret, vector.headers, vector.body, now=vector.now)
        assert verdict == vector.accept, vector.name
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ._signing_vectors import _read, checked_document, vector_body

__all__ = [
    "STANDARD_WEBHOOKS_VECTORS_FILE",
    "STANDARD_WEBHOOKS_VECTORS_SCHEMA_FILE",
    "StandardWebhooksVector",
    "StandardWebhooksVectors",
    "load_standard_webhooks_vectors",
    "parse_standard_webhooks_vectors",
]

STANDARD_WEBHOOKS_VECTORS_FILE = "standard-webhooks-vectors.json"
STANDARD_WEBHOOKS_VECTORS_SCHEMA_FILE = "standard-webhooks-vectors.schema.json"


@dataclass(frozen=True, slots=True)
class StandardWebhooksVector:
    """One request and the receiver's clock: does a receiver accept it?"""

    name: str
    description: str
    #: The endpoint secret as given to the receiver (`whsec_` and base64).
    secret: str
    #: `webhook-id`, `webhook-timestamp` and `webhook-signature`, as received.
    headers: Mapping[str, str]
    #: The exact body bytes.
    body: bytes
    #: The receiver's clock, Unix seconds.
    now: int
    accept: bool


@dataclass(frozen=True, slots=True)
class StandardWebhooksVectors:
    version: int
    tolerance: int
    vectors: tuple[StandardWebhooksVector, ...]

    def __iter__(self) -> Iterator[StandardWebhooksVector]:
        return iter(self.vectors)

    def __len__(self) -> int:
        return len(self.vectors)

    def __getitem__(self, name: str) -> StandardWebhooksVector:
        for vector in self.vectors:
            if vector.name == name:
                return vector
        raise KeyError(f"no Standard Webhooks vector named {name!r}")


def parse_standard_webhooks_vectors(document: Any) -> StandardWebhooksVectors:
    """Validate a vectors document (parsed JSON); ValueError naming what is wrong."""
    checked_document(
        document, STANDARD_WEBHOOKS_VECTORS_SCHEMA_FILE, STANDARD_WEBHOOKS_VECTORS_FILE
    )
    vectors = tuple(
        StandardWebhooksVector(
            name=entry["name"],
            description=entry["description"],
            secret=entry["secret"],
            headers=dict(entry["headers"]),
            body=vector_body(entry, STANDARD_WEBHOOKS_VECTORS_FILE),
            now=entry["now"],
            accept=entry["expected"] == "accept",
        )
        for entry in document["vectors"]
    )
    return StandardWebhooksVectors(document["version"], document["tolerance_seconds"], vectors)


@cache
def load_standard_webhooks_vectors() -> StandardWebhooksVectors:
    """The published Standard Webhooks test vectors, validated."""
    return parse_standard_webhooks_vectors(_read(STANDARD_WEBHOOKS_VECTORS_FILE))
