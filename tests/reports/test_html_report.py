from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from _report_samples import burst, failing, passing, sample_results
from hooksim.contracts import load_clauses
from hooksim.reports import HtmlReportWriter, render_html
from hooksim.reports._html import LOG_ROWS
from hooksim.scenarios import RunFinished, RunStarted, ScenarioResult

META = {"hooksim": "9.9.9", "seed": 42}


class Page(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def joined(self) -> str:
        return " ".join(" ".join(self.text).split())


def _render(tmp_path: Path, results: list[ScenarioResult]) -> tuple[Path, Page]:
    path = render_html(results, tmp_path / "report", meta=META)
    return path, Page(path.read_text(encoding="utf-8"))


def test_writes_index_html_with_the_summary(tmp_path: Path, results: list[ScenarioResult]) -> None:
    path, page = _render(tmp_path, results)
    assert path == tmp_path / "report" / "index.html"
    text = page.joined()
    assert "hooksim 9.9.9" in text and "seed 42" in text
    assert "2 of 6 scenarios did not pass (1 could not run)." in text
    links = [a["href"] for a in page.all("a") if (a.get("href") or "").startswith("#s")]
    for number, result in enumerate(results, 1):
        assert result.name in text
        assert any(href.startswith(f"#s{number}-") for href in links)  # type: ignore[union-attr]


def test_self_contained_no_script_no_network(tmp_path: Path, results: list[ScenarioResult]) -> None:
    _, page = _render(tmp_path, results)
    tags = {name for name, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "base"}
    for name, attrs in page.tags:
        assert not any(key.startswith("on") for key in attrs), (name, attrs)
        for key in ("src", "href", "xlink:href", "action"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (name, key, value)
    css = " ".join(page.styles)
    assert "@import" not in css and "url(" not in css
    assert not re.search(r"https?://", css)
    csp = [m for m in page.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")


def test_user_text_is_escaped(tmp_path: Path) -> None:
    path, page = _render(tmp_path, [failing()])
    html = path.read_text()
    assert "<b>not bold</b>" not in html and "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "The 23rd failure disables <b>not bold</b>" in page.joined()


def test_failed_expectation_shows_yaml_expected_actual_and_reproduce(tmp_path: Path) -> None:
    _, page = _render(tmp_path, [failing()])
    text = page.joined()
    assert "1 failed expectation" in text
    assert "scenarios/my disable.yaml:31" in text
    assert "33 status: active # <script>alert(1)</script>" in text
    assert 'Expected {"reason": null, "status": "active"}' in text
    assert 'Actual {"reason": "auto", "status": "disabled"}' in text
    assert "orders-hook was disabled at +0:22:00" in text
    assert "Reproduce: hooksim run 'scenarios/my disable.yaml' --seed 42" in text


def test_each_scenario_has_anchor_timeline_and_collapsible_details(
    tmp_path: Path, results: list[ScenarioResult]
) -> None:
    _, page = _render(tmp_path, results)
    articles = [a for a in page.all("article")]
    ids = [a["id"] for a in articles]
    assert len(ids) == len(set(ids)) == len(results)
    drawn = [r for r in results if r.attempts or r.status_changes or r.clock_advances]
    assert len([s for s in page.all("svg") if s.get("class") == "timeline"]) == len(drawn) == 5
    assert "No delivery attempts, status changes or clock movement to draw." in page.joined()
    assert len(page.all("details")) >= len(results)
    assert not any("open" in d for d in page.all("details"))


def test_delivery_log_is_capped(tmp_path: Path) -> None:
    path, page = _render(tmp_path, [burst(1000)])
    log = path.read_text().split('<table class="log">', 1)[1].split("</table>", 1)[0]
    assert log.count("<tr>") == LOG_ROWS + 1  # and the header row
    assert f"… and {1000 - LOG_ROWS} more attempts" in page.joined()


def test_clause_summary_lists_covering_and_uncovered(
    tmp_path: Path, results: list[ScenarioResult]
) -> None:
    path, page = _render(tmp_path, results)
    html = path.read_text()
    rows = {a["id"]: a["class"] for a in page.all("tr") if (a.get("id") or "").startswith("clause")}
    clauses = load_clauses()
    assert len(rows) == len(clauses) + 1  # NOT-A-CLAUSE comes last, marked unknown
    assert rows["clause-RETRY-SCHEDULE"] == "row-passed"
    assert rows["clause-DISABLE-THRESHOLD"] == "row-failed"
    assert rows["clause-NOT-A-CLAUSE"] == "row-failed"
    assert rows["clause-API-LIMIT-100"] == "row-uncovered"
    text = page.joined()
    covered = {"RETRY-SCHEDULE", "DELIVERY-SUCCESS-2XX", "RETRY-WINDOW", "DISABLE-THRESHOLD"}
    assert f"Not covered by any scenario ({len(clauses) - len(covered)})" in text
    assert "not a clause of the contract" in text
    assert f"4 of {len(clauses)} clauses of the contract are covered" in text
    assert "2 with a scenario that did not pass" in text
    first_table = html.split('<table class="clauses">')[1].split("</table>")[0]
    assert first_table.count('<tr class="row-failed">') == 2  # shown before the full table
    assert clauses[0].title.split("`")[-1].strip() in text  # titles shown


def test_same_input_gives_identical_bytes(tmp_path: Path) -> None:
    a = render_html(sample_results(), tmp_path / "a", meta=META).read_bytes()
    b = render_html(sample_results(), tmp_path / "b", meta=META).read_bytes()
    assert a == b
    assert str(tmp_path).encode() not in a


def test_empty_run(tmp_path: Path) -> None:
    _, page = _render(tmp_path, [])
    assert "No scenarios ran." in page.joined()


def test_writer_renders_on_run_finished(tmp_path: Path) -> None:
    writer = HtmlReportWriter(tmp_path / "out")
    writer.handle(RunStarted(total=1, seed=None, version="3.1"))
    assert writer.path is None
    writer.handle(RunFinished([passing()], wall_seconds=0.25))
    assert writer.path == tmp_path / "out" / "index.html"
    text = Page(writer.path.read_text()).joined()
    assert "hooksim 3.1" in text and "each scenario with its own seed" in text
    assert "The scenario passed." in text
