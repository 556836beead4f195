from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from _report_samples import error, failing, passing
from hooksim.reports import JUnitWriter, write_junit
from hooksim.scenarios import RunFinished, ScenarioResult


def _parse(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def test_one_testcase_per_scenario(tmp_path: Path, results: list[ScenarioResult]) -> None:
    root = _parse(write_junit(results, tmp_path / "ci" / "junit.xml"))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == [r.name for r in results]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("6", "1", "1")
    assert len(suite.findall("testcase/failure")) == 1
    assert len(suite.findall("testcase/error")) == 1
    first = cases[0]
    assert first.get("classname") == "library.outage-then-recovery"
    assert first.get("time") == "0.012"
    assert list(first) == []  # a passed scenario is an empty test case


def test_failure_carries_yaml_lines_and_reproduce_command(tmp_path: Path) -> None:
    root = _parse(write_junit([failing()], tmp_path / "junit.xml"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert (
        failure.get("message") == "orders-hook was disabled at +0:22:00 (23 consecutive failures)."
    )
    body = failure.text or ""
    assert "at scenarios/my disable.yaml:31:" in body
    assert "   33 |     status: active  # <script>alert(1)</script>" in body
    assert 'expected: {"reason": null, "status": "active"}' in body
    assert "Reproduce: hooksim run 'scenarios/my disable.yaml' --seed 42" in body
    case = root.find("testsuite/testcase")
    assert case is not None and case.get("classname") == "scenarios.my disable"


def test_error_for_a_scenario_that_could_not_run(tmp_path: Path) -> None:
    root = _parse(write_junit([error()], tmp_path / "junit.xml"))
    element = root.find("testsuite/testcase/error")
    assert element is not None
    assert element.get("message") == "step 2 names receiver 'flaky', which is not defined"
    assert "hooksim run scenarios/broken.yaml --seed 1" in (element.text or "")


def test_text_xml_cannot_hold_is_replaced(tmp_path: Path) -> None:
    result = error()
    result.error = "receiver sent \x00\x07 bytes"
    element = _parse(write_junit([result], tmp_path / "junit.xml")).find(".//error")
    assert element is not None and element.get("message") == "receiver sent \ufffd\ufffd bytes"


def test_writer_acts_on_run_finished(tmp_path: Path) -> None:
    writer = JUnitWriter(tmp_path / "junit.xml")
    writer.handle(RunFinished([passing(), failing()], wall_seconds=0.5))
    suite = _parse(writer.path).find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
