"""README "The signature": the format it states is the one the platform signs with, and its
Python and node.js `verify` functions, taken as written, accept and reject every signing
vector as they should (node runs the JavaScript); a re-serialising variant of each fails."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from _docs import ROOT, marked_block
from _tools import node
from hooksim.contracts import DEFAULT_SIGNATURE_HEADER, load_signing_vectors, sign

pytestmark = pytest.mark.clause("SIGN-HMAC", "SIGN-RAW-BYTES", "SIGN-TIMING-SAFE")

README = ROOT / "README.md"
VECTORS = ROOT / "contracts" / "signing-vectors.json"


def _vectors() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))["vectors"]
    return vectors


def _python_verify(code: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # the block as a module would run it
    return namespace["verify"]


def test_the_stated_format_is_what_the_platform_signs() -> None:
    section = README.read_text(encoding="utf-8").split("## The signature", 1)[1]
    section = section.split("\n## ", 1)[0]
    assert f"`{DEFAULT_SIGNATURE_HEADER}`" in section
    assert "HMAC-SHA256" in section and "64 lowercase hexadecimal" in section
    signature = sign("s3cret", b'{"a":1}')
    assert len(signature) == 64 and signature == signature.lower()
    assert int(signature, 16) >= 0


def test_the_python_verify_decides_every_vector_as_expected() -> None:
    verify = _python_verify(marked_block(README, "verify-python").code)
    for vector in _vectors():
        body = base64.b64decode(vector["body"]["base64"])
        verdict = verify(vector["secret"], body, vector["header"]["value"])
        assert verdict == (vector["expected"] == "accept"), vector["name"]
    assert len(load_signing_vectors().vectors) == len(_vectors())
    for odd in ODD_HEADERS:  # refused, never an exception (which would be a 500)
        assert verify("s3cret", b"{}", odd) is False


#: Header values no vector has: other characters, other lengths in bytes than in characters.
ODD_HEADERS = ["é" * 64, "é" * 32, "", "0" * 63 + "\u00ff"]

NODE_HARNESS = """
const { readFileSync } = require("node:fs");
for (const odd of ODD_HEADERS) {
  if (verify("s3cret", Buffer.from("{}"), odd) !== false) throw new Error(odd);
}
const { vectors } = JSON.parse(readFileSync(process.argv[2], "utf8"));
const reserialised = process.argv[3] === "reserialised";
let wrong = 0;
for (const vector of vectors) {
  let body = Buffer.from(vector.body.base64, "base64");
  if (reserialised) {
    try { body = Buffer.from(JSON.stringify(JSON.parse(body.toString("utf8")))); } catch {}
  }
  if (verify(vector.secret, body, vector.header.value) !== (vector.expected === "accept")) {
    wrong += 1;
  }
}
console.log(`${vectors.length} vectors, ${wrong} wrong`);
"""


def _node(tmp_path: Path, *arguments: str) -> str:
    script = tmp_path / "verify.cjs"
    harness = NODE_HARNESS.replace("ODD_HEADERS", json.dumps(ODD_HEADERS))
    script.write_text(marked_block(README, "verify-node").code + harness, encoding="utf-8")
    done = subprocess.run(
        [node(), str(script), str(VECTORS), *arguments],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_node_verify_decides_every_vector_as_expected(tmp_path: Path) -> None:
    assert _node(tmp_path) == f"{len(_vectors())} vectors, 0 wrong"


def test_a_receiver_that_re_serialises_fails_the_vectors(tmp_path: Path) -> None:
    """The vectors catch the bug the README warns about, in both languages."""
    assert _node(tmp_path, "reserialised") != f"{len(_vectors())} vectors, 0 wrong"
    verify = _python_verify(marked_block(README, "verify-python").code)
    wrong = 0
    for vector in _vectors():
        body = base64.b64decode(vector["body"]["base64"])
        with contextlib.suppress(ValueError):  # bodies that are not JSON stay as they are
            body = json.dumps(json.loads(body)).encode()
        wrong += verify(vector["secret"], body, vector["header"]["value"]) != (
            vector["expected"] == "accept"
        )
    assert wrong > 0
