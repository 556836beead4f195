"""The report of the bundled library at 1280 px, the width the browser tests use: the scenario
table fits without scrolling sideways, and its clause column reads: each clause id a chip of
its own, whole inside its cell, apart from its neighbours, in type no smaller than 12 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _chromium import Chromium
from hooksim.reports import HtmlReportWriter
from hooksim.scenarios import Runner, discover, load_all

pytestmark = pytest.mark.browser

MEASURE = """(() => {
  const scroll = document.querySelector('#summary .table-scroll');
  const chips = [];
  for (const cell of document.querySelectorAll('#summary td.clause-ids')) {
    const box = cell.getBoundingClientRect();
    const style = getComputedStyle(cell);
    const inner = [box.left + parseFloat(style.paddingLeft),
                   box.right - parseFloat(style.paddingRight)];
    cell.querySelectorAll('a').forEach((a, index) => {
      const r = a.getBoundingClientRect();
      chips.push({row: cell.parentElement.rowIndex, index, text: a.innerText, left: r.left,
                  right: r.right, top: r.top, bottom: r.bottom, cell: inner,
                  font: parseFloat(getComputedStyle(a).fontSize)});
    });
  }
  return {scrollWidth: scroll.scrollWidth, clientWidth: scroll.clientWidth, chips};
})()"""


@pytest.fixture(scope="module")
def library_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    html = HtmlReportWriter(tmp_path_factory.mktemp("library") / "report")
    Runner([html]).run(load_all(discover([])))
    assert html.path is not None
    return html.path


def _problems(measured: dict[str, Any]) -> list[str]:
    problems = []
    if measured["scrollWidth"] > measured["clientWidth"] + 1:
        problems.append(
            f"the table is {measured['scrollWidth']} px wide in {measured['clientWidth']} px"
        )
    chips = measured["chips"]
    for chip in chips:
        left, right = chip["cell"]
        if chip["left"] < left - 0.5 or chip["right"] > right + 0.5:
            problems.append(f"row {chip['row']}: {chip['text']} sticks out of its cell")
        if chip["font"] < 12:
            problems.append(f"row {chip['row']}: {chip['text']} in {chip['font']} px type")
    for one, two in zip(chips, chips[1:], strict=False):
        same_line = one["row"] == two["row"] and abs(one["top"] - two["top"]) < 1
        if same_line and two["left"] - one["right"] < 6:  # a space alone reads as one id
            problems.append(f"row {one['row']}: {one['text']} and {two['text']} run together")
    return problems


def test_the_clause_column_reads_at_1280_px(browser: Chromium, library_report: Path) -> None:
    browser.load(library_report.as_uri())
    measured = browser.evaluate(MEASURE)
    assert len(measured["chips"]) > 100  # every scenario's clauses, measured
    assert _problems(measured) == []


def test_the_measure_catches_ids_that_run_together(
    browser: Chromium, library_report: Path, tmp_path: Path
) -> None:
    """The report as it was: ids separated by a space alone, in a table too wide for 1280 px."""
    page = library_report.read_text(encoding="utf-8")
    old = page.replace(
        "</style>",
        ".clause-ids a { display: inline; padding: 0; margin: 0;"
        " border: 0; } .summary td:nth-child(2) { min-width: 420px; }</style>",
        1,
    )
    (tmp_path / "old.html").write_text(old, encoding="utf-8")
    browser.load((tmp_path / "old.html").as_uri())
    problems = _problems(browser.evaluate(MEASURE))
    assert any("run together" in problem for problem in problems)
    assert any("px wide in" in problem for problem in problems)
