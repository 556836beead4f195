"""Every code block of README.md and contracts/README.md is run by a test, or says why none
can (`<!-- test: not run: REASON -->`); and the README's small blocks, run as written: the
library commands, the scenario written from scratch, the effects probe's answer."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from _docs import CHECKED, NOT_RUN, ROOT, fenced_blocks, marked_block
from _shell import bash, explain

from hooksim._kit._effects import parse_effects

README = ROOT / "README.md"
TESTS = ROOT / "tests"
EXAMPLE = ROOT / "scenarios" / "examples" / "first-scenario.yaml"


def _test_sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in TESTS.rglob("test_*.py")}


@pytest.mark.parametrize("document", CHECKED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_block_is_run_by_a_test_or_says_why_not(document: Path) -> None:
    sources = _test_sources()
    problems = []
    names = [block.name for block in fenced_blocks(document) if block.name]
    for block in fenced_blocks(document):
        if block.marker is None:
            problems.append(f"{block.where}: no <!-- test: NAME --> or <!-- test: not run: -->")
        elif block.name is None:
            reason = block.marker.removeprefix(NOT_RUN)
            if len(reason.split()) < 5:
                problems.append(f"{block.where}: 'not run' needs its reason, not {reason!r}")
        elif not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", block.name):
            problems.append(f"{block.where}: marker {block.name!r} is not a name like a-b-c")
        elif names.count(block.name) > 1:
            problems.append(f"{block.where}: another block is marked {block.name!r} too")
        elif not any(
            f'"{block.name}"' in text and "marked_block" in text for text in sources.values()
        ):
            problems.append(f"{block.where}: no test takes the block marked {block.name!r}")
    assert problems == [], "\n".join(problems)


def test_the_check_finds_an_unmarked_block(tmp_path: Path) -> None:
    document = tmp_path / "DOC.md"
    document.write_text("# t\n\n```sh\nrm -rf /\n```\n\n<!-- test: x -->\n```\nok\n```\n")
    (unmarked, marked) = fenced_blocks(document)
    assert (unmarked.marker, unmarked.where, unmarked.code) == (None, "DOC.md:4", "rm -rf /\n")
    assert (marked.name, marked.code) == ("x", "ok\n")


def test_the_library_commands_run_as_written(tmp_path: Path) -> None:
    """`my-scenarios/` and `outage.yaml` stand for the user's own files."""
    block = marked_block(README, "run-the-library")
    (tmp_path / "my-scenarios").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "my-scenarios" / "first.yaml")
    shutil.copy(EXAMPLE, tmp_path / "outage.yaml")
    done = bash(block, tmp_path, {"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert done.returncode == 0, explain(done, block.where)
    assert (tmp_path / "elsewhere" / "index.html").is_file()
    assert (tmp_path / "junit.xml").is_file() and (tmp_path / "results.json").is_file()
    # The run of the user's own files went to the cache folder (outage.yaml is right here).
    assert (tmp_path / "cache" / "hooksim" / "hooksim-report" / "index.html").is_file()


def test_the_scenario_written_from_scratch_passes(tmp_path: Path) -> None:
    block = marked_block(README, "readme-scenario")
    (tmp_path / "scenario.yaml").write_text(block.code, encoding="utf-8")
    done = bash("hooksim run scenario.yaml --report report", tmp_path)
    assert done.returncode == 0, explain(done, block.where)
    results = json.loads((tmp_path / "report" / "results.json").read_text())
    assert [s["status"] for s in results["scenarios"]] == ["passed"]


def test_the_effects_probe_answer_is_one_the_kit_reads() -> None:
    block = marked_block(README, "effects-probe-answer")
    counts = parse_effects(block.code.encode())
    assert counts == json.loads(block.code)["effects"] and len(counts) == 2
