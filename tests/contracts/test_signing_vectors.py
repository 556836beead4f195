"""The published signing test vectors (`contracts/signing-vectors.json`).

Each vector's verdict is checked three ways that share no code: the contract's own
`sign`/`verify`, an HMAC-SHA256 written here from RFC 2104 and `hashlib.sha256` alone, and the
seed document's node.js verification run by `node`. Then each common verifier bug, planted in
a small verifier, must fail at least one vector: vectors that no bug fails would prove nothing.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import hashlib
import hmac
import json
import subprocess
import sys
import tomllib
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import hooksim.contracts as contracts
import make_signing_vectors
import pytest
from _docs import ROOT, marked_block
from _tools import node
from hooksim.contracts import (
    CLAUSES,
    SIGNING_VECTORS_FILE,
    SIGNING_VECTORS_SCHEMA_FILE,
    SigningVector,
    load_signing_vectors,
    sign,
    verify,
)
from hooksim.contracts._signing_vectors import parse_signing_vectors
from jsonschema import Draft202012Validator

pytestmark = pytest.mark.clause("SIGN-HMAC", "SIGN-RAW-BYTES", "SIGN-TIMING-SAFE")

FOLDER = Path(contracts.__file__).parent
VECTORS_PATH = FOLDER / SIGNING_VECTORS_FILE
SEED_VERIFY = Path(__file__).with_name("seed_verify.mjs")
VECTORS = load_signing_vectors()
NAMES = [vector.name for vector in VECTORS]


def by_name(name: str) -> SigningVector:
    return VECTORS[name]


# the file ----------------------------------------------------------------------------------
def test_the_file_follows_its_schema_and_loads() -> None:
    schema = json.loads((FOLDER / SIGNING_VECTORS_SCHEMA_FILE).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    document = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(document)) == []
    assert document["schema"] == SIGNING_VECTORS_SCHEMA_FILE
    assert VECTORS.version == document["version"] == make_signing_vectors.VERSION
    assert len(VECTORS) == len(document["vectors"]) == len(set(NAMES))
    assert all(clause in CLAUSES for vector in VECTORS for clause in vector.clauses)
    assert {vector.header for vector in VECTORS} == {contracts.DEFAULT_SIGNATURE_HEADER}


def test_the_file_is_what_its_generator_makes() -> None:
    # Regenerate with `.venv/bin/python tests/contracts/make_signing_vectors.py` (and raise
    # VERSION there when a published vector changes).
    assert VECTORS_PATH.read_text(encoding="utf-8") == make_signing_vectors.render()


#: What each published version of the file says (its names, verdicts, secrets, bodies and
#: header values; not its descriptions), as a SHA-256: a published version never changes.
PUBLISHED = {1: "52f5a3e40f8a6576bfa642d8d0d3caa2b894fc43f300c13e48f248c7cdfb5de4"}


def test_a_published_version_never_changes() -> None:
    document = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    normative = [
        [v["name"], v["expected"], v["secret"], v["body"]["base64"], *v["header"].values()]
        for v in document["vectors"]
    ]
    digest = hashlib.sha256(json.dumps(normative).encode()).hexdigest()
    version = document["version"]
    assert version in PUBLISHED, f"version {version} is new: add {digest!r} to PUBLISHED"
    assert PUBLISHED[version] == digest, (
        f"the vectors of version {version} changed: raise VERSION in make_signing_vectors.py"
    )


def test_the_cases_the_contract_calls_for_are_there() -> None:
    expected = {
        "platform-envelope": True, "rfc4231-test-case-2": True, "empty-body": True,
        "unusual-whitespace": True, "unicode-escaped": True, "unicode-raw-utf8": True,
        "trailing-newline": True, "large-body": True, "secret-non-ascii": True,
        "body-not-utf8": True, "uppercase-hex": False, "truncated-signature": False,
        "extended-signature": False, "sha256-prefix": False, "whitespace-around-signature": False,
        "signature-over-reserialised-body": False, "signature-over-escaped-unicode": False,
        "tampered-body": False, "wrong-secret": False,
    }  # fmt: skip
    assert {name: by_name(name).accept for name in expected} == expected
    assert by_name("unicode-escaped").body.isascii()
    assert "é".encode() in by_name("unicode-raw-utf8").body
    assert json.loads(by_name("unicode-escaped").body) == json.loads(
        by_name("unicode-raw-utf8").body
    )
    assert by_name("empty-body").body == b""
    assert by_name("trailing-newline").body.endswith(b"}\n")
    assert len(by_name("large-body").body) > 64 * 1024
    assert not by_name("secret-non-ascii").secret.isascii()


def test_the_body_text_is_the_bytes_when_there_is_text() -> None:
    document = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    for entry, vector in zip(document["vectors"], VECTORS, strict=True):
        body = base64.b64decode(entry["body"]["base64"], validate=True)
        assert body == vector.body
        if "utf8" in entry["body"]:
            assert entry["body"]["utf8"].encode("utf-8") == body, vector.name
    assert "utf8" not in document["vectors"][NAMES.index("body-not-utf8")]["body"]


# the verdicts, three independent ways ---------------------------------------------------------
@pytest.mark.parametrize("vector", VECTORS.vectors, ids=NAMES)
def test_the_contracts_sign_and_verify_agree(vector: SigningVector) -> None:
    assert verify(vector.secret, vector.body, vector.signature) is vector.accept
    assert verify(vector.secret, vector.body, vector.signature.encode()) is vector.accept
    assert (sign(vector.secret, vector.body) == vector.signature) is vector.accept


def rfc2104_hmac_sha256(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 from its definition (RFC 2104), sharing no code with `hmac`."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + message).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in key) + inner).hexdigest()


@pytest.mark.parametrize("vector", VECTORS.vectors, ids=NAMES)
def test_an_hmac_written_from_rfc_2104_agrees(vector: SigningVector) -> None:
    computed = rfc2104_hmac_sha256(vector.secret.encode("utf-8"), vector.body)
    assert hmac.compare_digest(computed, vector.signature) is vector.accept


def test_rfc_4231_anchors_the_rfc_2104_hmac() -> None:
    # Test case 6: a 131-byte key (hashed first) and a message longer than a block.
    key = b"\xaa" * 131
    message = b"Test Using Larger Than Block-Size Key - Hash Key First"
    assert rfc2104_hmac_sha256(key, message) == (
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    )


@cache
def node_verdicts(vectors_file: Path) -> dict[str, dict[str, str | None]]:
    done = subprocess.run(
        [node(), str(SEED_VERIFY), str(vectors_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    verdicts: dict[str, dict[str, str | None]] = json.loads(done.stdout)
    return verdicts


def disagreements(document: dict[str, Any], verdicts: dict[str, dict[str, str | None]]) -> list:
    """Every (vector, way) whose node verdict is not the vector's `expected`."""
    wrong = []
    for entry in document["vectors"]:
        seen = verdicts[entry["name"]]
        ways = ["bytes"] + (["text"] if "utf8" in entry["body"] else [])
        wrong += [(entry["name"], way, seen[way]) for way in ways if seen[way] != entry["expected"]]
    assert [name for name, ways in verdicts.items() if ways["text"] is None] == [
        entry["name"] for entry in document["vectors"] if "utf8" not in entry["body"]
    ]
    return wrong


def test_the_seeds_node_verification_agrees_with_every_vector() -> None:
    document = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    verdicts = node_verdicts(VECTORS_PATH)
    assert sorted(verdicts) == sorted(NAMES)
    assert disagreements(document, verdicts) == []


def test_node_catches_a_wrong_vector(tmp_path: Path) -> None:
    """The node comparison is not vacuous: a vectors file claiming that upper-case hex is
    accepted, or whose accepted body lost its trailing newline, is contradicted by node."""
    document = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    wrong = copy.deepcopy(document)
    entries = {entry["name"]: entry for entry in wrong["vectors"]}
    entries["uppercase-hex"]["expected"] = "accept"
    stripped = base64.b64decode(entries["trailing-newline"]["body"]["base64"]).rstrip(b"\n")
    entries["trailing-newline"]["body"] = {
        "base64": base64.b64encode(stripped).decode(),
        "utf8": stripped.decode(),
    }
    path = tmp_path / SIGNING_VECTORS_FILE
    path.write_text(json.dumps(wrong), encoding="utf-8")
    assert sorted(disagreements(wrong, node_verdicts(path))) == [
        ("trailing-newline", "bytes", "reject"),
        ("trailing-newline", "text", "reject"),
        ("uppercase-hex", "bytes", "reject"),
        ("uppercase-hex", "text", "reject"),
    ]


# planted verifier bugs: each must fail a vector ----------------------------------------------
Verifier = Callable[[str, bytes, str], bool]


def _hex(secret: str | bytes, body: bytes) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def _reserialised(body: bytes, *, ascii_only: bool) -> bytes:
    document = json.loads(body.decode("utf-8-sig"))
    return json.dumps(document, separators=(",", ":"), ensure_ascii=ascii_only).encode()


def _hand_written_hmac_without_hashing_long_keys(secret: str, body: bytes) -> str:
    key = secret.encode()[:64].ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + body).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in key) + inner).hexdigest()


def _fromhex_or_false(signature: str) -> bytes | None:
    try:
        return bytes.fromhex(signature)
    except ValueError:
        return None


MUTANTS: dict[str, tuple[Verifier, str]] = {
    # name: (a verifier with one bug, the vector that must catch it)
    "lowercases the header": (
        lambda s, b, sig: _same(_hex(s, b), sig.lower()), "uppercase-hex"),
    "strips the header": (
        lambda s, b, sig: _same(_hex(s, b), sig.strip()), "whitespace-around-signature"),
    "compares decoded hex bytes": (
        lambda s, b, sig: hmac.new(s.encode(), b, hashlib.sha256).digest()
        == _fromhex_or_false(sig), "uppercase-hex"),
    "drops a sha256= prefix": (
        lambda s, b, sig: _same(_hex(s, b), sig.removeprefix("sha256=")), "sha256-prefix"),
    "compares a prefix": (
        lambda s, b, sig: _hex(s, b).startswith(sig), "half-signature"),
    "compares the first 64 characters": (
        lambda s, b, sig: _same(_hex(s, b), sig[:64]), "extended-signature"),
    "accepts base64 as well": (
        lambda s, b, sig: _same(_hex(s, b), sig)
        or sig == base64.b64encode(bytes.fromhex(_hex(s, b))).decode(), "base64-digest"),
    "re-serialises the JSON": (
        lambda s, b, sig: _same(_hex(s, _reserialised(b, ascii_only=False)), sig),
        "unusual-whitespace"),
    "re-serialises with \\u escapes": (
        lambda s, b, sig: _same(_hex(s, _reserialised(b, ascii_only=True)), sig),
        "unicode-raw-utf8"),
    "decodes the body as text": (
        lambda s, b, sig: _same(_hex(s, b.decode("utf-8", "replace").encode()), sig),
        "body-not-utf8"),
    "drops a byte order mark": (
        lambda s, b, sig: _same(_hex(s, b.decode("utf-8-sig", "replace").encode()), sig),
        "body-with-utf8-bom"),
    "strips the body": (
        lambda s, b, sig: _same(_hex(s, b.strip()), sig), "trailing-newline"),
    "hashes the first 64 KiB read": (
        lambda s, b, sig: _same(_hex(s, b[:65536]), sig), "large-body"),
    "keys with Latin-1": (
        lambda s, b, sig: _same(_hex(s.encode("latin-1", "replace"), b), sig),
        "secret-non-ascii"),
    "hand-written HMAC that truncates long keys": (
        lambda s, b, sig: _same(_hand_written_hmac_without_hashing_long_keys(s, b), sig),
        "secret-longer-than-block"),
    "hashes without the key": (
        lambda s, b, sig: _same(hashlib.sha256(b).hexdigest(), sig), "platform-envelope"),
    "accepts anything": (lambda s, b, sig: True, "wrong-secret"),
    "accepts anything signed": (lambda s, b, sig: bool(sig), "tampered-body"),
}  # fmt: skip


@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_each_planted_verifier_bug_fails_a_vector(mutant: str) -> None:
    buggy, catcher = MUTANTS[mutant]
    vector = by_name(catcher)
    assert buggy(vector.secret, vector.body, vector.signature) is not vector.accept


def test_a_correct_verifier_passes_every_vector() -> None:
    """The control for the mutants above: the same helpers without a bug agree everywhere."""
    assert all(_same(_hex(v.secret, v.body), v.signature) is v.accept for v in VECTORS)


# publishing ------------------------------------------------------------------------------------
def test_the_vectors_ship_as_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["hooksim.contracts"]
    for name in (SIGNING_VECTORS_FILE, SIGNING_VECTORS_SCHEMA_FILE):
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
        assert resources.files("hooksim.contracts").joinpath(name).is_file()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.pop("version"), "'version' is a required property"),
        (lambda d: d["vectors"][0].update(expected="maybe"), "vectors/0/expected"),
        (lambda d: d["vectors"][1]["body"].update(base64="@@@"), "vectors/1/body/base64"),
        (lambda d: d["vectors"][2]["body"].update(base64="YQ="), "bad base64"),
        (lambda d: d["vectors"][0]["body"].update(utf8="x"), "body.utf8 must be"),
        (lambda d: d["vectors"][10]["body"].update(utf8="x"), "body.utf8 must be"),
        (lambda d: d["vectors"].append(d["vectors"][0]), "repeated: platform-envelope"),
    ],
)
def test_a_malformed_vectors_file_is_refused_clearly(
    change: Callable[[dict[str, Any]], object], words: str
) -> None:
    document = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    change(document)
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        parse_signing_vectors(document)


@pytest.mark.parametrize(
    ("language", "name"),
    [("python", "signing-vectors-python"), ("node", "signing-vectors-node")],
)
def test_the_readme_examples_run_over_the_vectors(language: str, name: str, tmp_path: Path) -> None:
    block = marked_block(FOLDER / "README.md", name)
    script = tmp_path / ("example.py" if language == "python" else "example.mjs")
    script.write_text(block.code, encoding="utf-8")
    command = [sys.executable if language == "python" else node(), str(script)]
    done = subprocess.run(
        command, cwd=FOLDER, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, f"{block.where}: {done.stderr}"
    assert done.stdout == f"{len(VECTORS)} signing vectors: every verdict as expected\n"


def test_the_readme_links_the_vectors() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "contracts/signing-vectors.json" in readme
    assert "#signing-test-vectors" in readme
