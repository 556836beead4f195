"""The signing test vectors: `signing-vectors.json`, shipped beside this module.

Each vector is a secret, exact body bytes, a signature header value and the verdict a receiver
must reach. They are published for implementers in any language (the format is in
`contracts/README.md` and `signing-vectors.schema.json`); in Python:

    from hooksim.contracts import load_signing_vectors

    for vector in load_signing_vectors():
        assert my_verify(vector.secret, vector.body, vector.signature) == vector.accept, vector.name
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

__all__ = [
    "SIGNING_VECTORS_FILE",
    "SIGNING_VECTORS_SCHEMA_FILE",
    "SigningVector",
    "SigningVectors",
    "load_signing_vectors",
    "parse_signing_vectors",
]

SIGNING_VECTORS_FILE = "signing-vectors.json"
SIGNING_VECTORS_SCHEMA_FILE = "signing-vectors.schema.json"


@dataclass(frozen=True, slots=True)
class SigningVector:
    """One request: does a receiver accept it?"""

    name: str
    description: str
    #: The subscription secret; the HMAC key is its UTF-8 encoding.
    secret: str
    #: The exact body bytes.
    body: bytes
    #: The signature header's name (`X-Atomic-Signature`).
    header: str
    #: The header's value as the receiver's code is handed it.
    signature: str
    #: True when a receiver must accept the request, False when it must reject it.
    accept: bool
    clauses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SigningVectors:
    """The vectors file: its `version` and its vectors, in file order (iterable)."""

    version: int
    vectors: tuple[SigningVector, ...]

    def __iter__(self) -> Iterator[SigningVector]:
        return iter(self.vectors)

    def __len__(self) -> int:
        return len(self.vectors)

    def __getitem__(self, name: str) -> SigningVector:
        """The vector called `name` (KeyError naming it otherwise)."""
        for vector in self.vectors:
            if vector.name == name:
                return vector
        raise KeyError(f"no signing vector named {name!r}")


def _read(name: str) -> Any:
    return json.loads(resources.files("hooksim.contracts").joinpath(name).read_text("utf-8"))


def vector_body(entry: dict[str, Any], file: str) -> bytes:
    """A vector's exact body bytes (`body.base64`), checked against its readable `body.utf8`."""
    name = entry["name"]
    try:
        body = base64.b64decode(entry["body"]["base64"], validate=True)
    except binascii.Error as exc:
        raise ValueError(f"{file}: vector {name!r}: bad base64: {exc}") from None
    try:
        readable: str | None = body.decode("utf-8")
    except UnicodeDecodeError:
        readable = None
    if entry["body"].get("utf8") != readable:
        raise ValueError(
            f"{file}: vector {name!r}: body.utf8 must be the base64 bytes "
            "decoded as UTF-8, present exactly when they are valid UTF-8"
        )
    return body


def checked_document(document: Any, schema_file: str, file: str) -> None:
    """ValueError naming what is wrong when `document` breaks its schema or repeats a name."""
    schema = _read(schema_file)
    error = best_match(Draft202012Validator(schema).iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ValueError(f"{file}: {where}: {error.message}")
    names = [entry["name"] for entry in document["vectors"]]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{file}: vector names repeated: {', '.join(repeated)}")


def _vector(entry: dict[str, Any]) -> SigningVector:
    name = entry["name"]
    body = vector_body(entry, SIGNING_VECTORS_FILE)
    return SigningVector(
        name=name,
        description=entry["description"],
        secret=entry["secret"],
        body=body,
        header=entry["header"]["name"],
        signature=entry["header"]["value"],
        accept=entry["expected"] == "accept",
        clauses=tuple(entry["clauses"]),
    )


def parse_signing_vectors(document: Any) -> SigningVectors:
    """Validate a vectors document (parsed JSON) against its schema and the rules the schema
    cannot say (unique names, `utf8` agreeing with `base64`); ValueError naming what is wrong."""
    checked_document(document, SIGNING_VECTORS_SCHEMA_FILE, SIGNING_VECTORS_FILE)
    vectors = tuple(_vector(entry) for entry in document["vectors"])
    return SigningVectors(document["version"], vectors)


@cache
def load_signing_vectors() -> SigningVectors:
    """The published signing test vectors, validated."""
    return parse_signing_vectors(_read(SIGNING_VECTORS_FILE))
