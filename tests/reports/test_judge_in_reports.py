"""The delivery judge's verdict reaches every report like any expectation: a platform that
signs in upper case fails the scenario, and the terminal, JSON results, JUnit and the HTML
report each name the request, the receiver, the clause and what was wrong."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from pathlib import Path

import hooksim.simulator._writer as writer
import pytest
from hooksim.reports import HtmlReportWriter, JsonResultsWriter, JUnitWriter, TerminalReporter
from hooksim.scenarios import Runner, load_text
from rich.console import Console

pytestmark = pytest.mark.clause("SIGN-HMAC")

SCENARIO = """\
name: One delivery
seed: 1
receivers:
  shop: {}
subscriptions:
  main: {receiver: shop, types: [card-completed]}
steps:
  - at: 10s
  - publish: {type: card-completed}
expect:
  - delivered: {count: 1}
"""

LINE = "request 1 at shop (+10s) [SIGN-HMAC] header X-Atomic-Signature"


def _upper(secret: str | bytes, body: str | bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    data = body.encode() if isinstance(body, str) else body
    return hmac.new(key, data, hashlib.sha256).hexdigest().upper()


def test_a_violation_is_shown_in_every_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "sign", _upper)  # the platform's one sign call site
    out = io.StringIO()
    consumers = [
        TerminalReporter(Console(file=out, width=240, color_system=None), progress=False),
        JsonResultsWriter(tmp_path / "results.json"),
        JUnitWriter(tmp_path / "junit.xml"),
        HtmlReportWriter(tmp_path / "report"),
    ]
    finished = Runner(consumers).run([load_text(SCENARIO, "one.yaml")])
    assert not finished.passed

    terminal = out.getvalue()
    assert "every delivery conforms to the contract" in terminal
    assert LINE in terminal and "(upper-case hex)" in terminal

    saved = json.loads((tmp_path / "results.json").read_text())
    (verdict,) = [
        e
        for e in saved["scenarios"][0]["expectations"]
        if e["description"].startswith("every delivery conforms")
    ]
    assert verdict["passed"] is False
    assert verdict["actual"] == {"requests judged": 1, "violations": 1, "clauses": ["SIGN-HMAC"]}
    assert LINE in verdict["message"]

    assert LINE in (tmp_path / "junit.xml").read_text()
    html = (tmp_path / "report" / "index.html").read_text()
    assert LINE in html
