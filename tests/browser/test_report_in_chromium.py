"""The HTML report in a real browser: it loads cleanly and a person sees the summary."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from _chromium import Chromium
from _report_samples import sample_results
from hooksim.reports import render_html

pytestmark = pytest.mark.browser


@pytest.fixture
def report(tmp_path: Path) -> Path:
    return render_html(sample_results(), tmp_path / "report", meta={"hooksim": "1.2.3", "seed": 4})


def test_report_loads_without_console_errors(browser: Chromium, report: Path) -> None:
    page = browser.load(report.as_uri())
    assert page.errors() == []
    assert page.requests == [report.as_uri()]  # nothing fetched: no network, no other file


def test_report_shows_the_summary(browser: Chromium, report: Path, tmp_path: Path) -> None:
    browser.load(report.as_uri())
    assert browser.evaluate("document.title") == "hooksim conformance report: 2 not passed"
    verdict = browser.evaluate("document.getElementById('verdict').innerText")
    assert verdict == "2 of 6 scenarios did not pass (1 could not run)."
    rows = browser.evaluate(
        "[...document.querySelectorAll('#summary tbody tr')].map(r => r.innerText.split('\\t'))"
    )
    assert [row[1].split("\n")[0] for row in rows] == [r.name for r in sample_results()]
    assert [row[2] for row in rows] == ["passed", "passed", "failed", "error", "passed", "passed"]
    box = browser.evaluate(
        "(() => { const r = document.getElementById('summary').getBoundingClientRect();"
        " return {top: r.top, height: r.height, width: r.width}; })()"
    )
    assert box["height"] > 200 and box["width"] > 600  # laid out and visible
    assert box["top"] < 1000  # on the first screen, without scrolling
    widths = browser.evaluate(
        "[...document.querySelectorAll('svg.timeline')].map(s => s.getBoundingClientRect().width)"
    )
    assert len(widths) == 5 and min(widths) > 500  # every timeline drawn (one has none)
    shot = browser.screenshot(tmp_path / "report.png")
    assert shot.stat().st_size > 10_000
    if keep := os.environ.get("HOOKSIM_SCREENSHOT_DIR"):  # for a person to look at
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report.png")


def test_details_open_when_clicked(browser: Chromium, report: Path) -> None:
    browser.load(report.as_uri())
    opened = browser.evaluate(
        "(() => { const d = document.querySelector('article details');"
        " d.querySelector('summary').click(); return d.open; })()"
    )
    assert opened is True


def test_the_harness_notices_console_errors(browser: Chromium, tmp_path: Path) -> None:
    """A check that the checks above could fail: a page with errors is reported as such."""
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<!doctype html><title>x</title><img src='missing.png'>"
        "<script>console.error('boom'); undefinedFunction();</script>"
    )
    errors = browser.load(broken.as_uri()).errors()
    assert any("console.error: boom" in e for e in errors)
    assert any("undefinedFunction" in e for e in errors)
    assert any("missing.png" in e or "ERR_FILE_NOT_FOUND" in e for e in errors)
