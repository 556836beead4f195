"""`hooksim check-receiver`: exit statuses, messages, --json and --report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from kit_receivers import SECRET, CorrectReceiver, Serve, SkipsVerification

from hooksim._kit import CHECK_IDS
from hooksim.cli import main

pytestmark = pytest.mark.served


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check-receiver", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_correct_receiver_exits_0_and_prints_the_table(serve: Serve) -> None:
    with serve(CorrectReceiver()) as url:
        code, output = run(url, "--secret", SECRET)
    assert code == 0, output
    for check_id in CHECK_IDS:
        assert check_id in output
    assert "p50" in output and "p95" in output
    assert SECRET not in output


def test_failing_receiver_exits_1_with_a_reason_per_failure(serve: Serve) -> None:
    with serve(SkipsVerification()) as url:
        code, output = run(url, "--secret", SECRET)
    assert code == 1
    assert re.search(r"rejects-missing-signature\s*│\s*FAIL\s*│\s*accepted a delivery", output)
    assert "FAIL" in output.splitlines()[-1]


def test_json_and_report(serve: Serve, tmp_path: Path) -> None:
    json_file, report = tmp_path / "out.json", tmp_path / "report"
    with serve(SkipsVerification()) as url:
        code, output = run(
            url,
            "--secret",
            SECRET,
            "--method",
            "put",
            "--header",
            "Authorization: Bearer t0ken-value",
            "--header",
            "My-Custom-Header:123",
            "--json",
            str(json_file),
            "--report",
            str(report),
        )
    assert code == 1
    text = json_file.read_text(encoding="utf-8")
    assert SECRET not in text and "t0ken-value" not in text
    document = json.loads(text)
    assert [check["id"] for check in document["checks"]] == list(CHECK_IDS)
    statuses = {check["id"]: check["status"] for check in document["checks"]}
    assert statuses["rejects-invalid-signature"] == "fail"
    assert statuses["accepts-valid-signature"] == "pass"
    assert statuses["idempotent-effects"] == "skip"
    assert document["receiver"] == {"url": url, "method": "PUT"}
    assert document["summary"]["failed"] == 4 and document["summary"]["verdict"] == "fail"
    assert document["latency"]["p50_ms"] is not None and document["latency"]["p95_ms"] is not None
    evidence = document["checks"][1]["evidence"]["exchanges"][0]
    assert evidence["request"]["headers"]["My-Custom-Header"] == "123"
    assert evidence["request"]["headers"]["Authorization"] == "[redacted]"
    assert evidence["response"]["status"] == 200
    assert evidence["request"]["body_excerpt"].startswith('{"requestId"')
    assert evidence["elapsed_ms"] >= 0

    html = (report / "index.html").read_text(encoding="utf-8")
    assert SECRET not in html and "t0ken-value" not in html
    for check_id in CHECK_IDS:
        assert f'id="{check_id}"' in html
    # self-contained: inline CSS only, no script, no external resource
    assert "<style>" in html
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "Content-Security-Policy" in html


def test_report_escapes_what_the_receiver_answers(tmp_path: Path, serve: Serve) -> None:
    def hostile(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<script>alert(1)</script>"]

    with serve(hostile) as url:
        code, _ = run(url, "--secret", SECRET, "--report", str(tmp_path))
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert code == 1


def test_refused_port_exits_2(refused_url: str) -> None:
    code, output = run(refused_url, "--secret", SECRET)
    assert code == 2
    assert "unreachable" in output and "connection refused" in output
    assert "Traceback" not in output


def test_unresolvable_name_exits_2() -> None:
    code, output = run("http://no-such-host.invalid/", "--secret", SECRET)
    assert code == 2
    assert "does not resolve" in output and "no-such-host.invalid" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ftp://127.0.0.1/", "--secret", "s"], "http:// or https://"),
        (["not a url", "--secret", "s"], "bad receiver URL"),
        (["http://127.0.0.1:99999/", "--secret", "s"], "bad receiver URL"),
        (["http://127.0.0.1/", "--secret", ""], "secret"),
        (["http://127.0.0.1/"], "--secret"),
        (["http://127.0.0.1/", "--secret", "s", "--method", "GET"], "--method"),
        (["http://127.0.0.1/", "--secret", "s", "--timeout", "0"], "--timeout"),
        (["http://127.0.0.1/", "--secret", "s", "--header", "novalue"], "NAME:VALUE"),
        (["http://127.0.0.1/", "--secret", "s", "--header", "X-Atomic-Signature:x"], "cannot"),
        (["http://127.0.0.1/", "--secret", "s", "--header", "Bad Name:x"], "header name"),
        (["http://127.0.0.1/", "--secret", "s", "--json", "/no/such/dir/x.json"], "--json"),
    ],
)
def test_bad_input_exits_2_without_a_traceback(args: list[str], message: str) -> None:
    code, output = run(*args)
    assert code == 2, output
    assert message in output
    assert "Traceback" not in output


def test_secret_from_environment(serve: Serve) -> None:
    with serve(CorrectReceiver()) as url:
        result = CliRunner().invoke(
            main, ["check-receiver", url], env={"HOOKSIM_RECEIVER_SECRET": SECRET}
        )
    assert result.exit_code == 0, result.output
