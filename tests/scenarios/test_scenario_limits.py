"""A scenario file past its limits, or asking what the platform would refuse, is refused
when it is loaded (issue 10, items 4 and 5): exit 2, `file:line`, no traceback, within
bounded time and memory; every limit can be raised.

The hostile files are run through `hooksim run` in a subprocess so that its peak memory can
be read (RUSAGE_CHILDREN); the time is only a generous liveness bound, not a speed goal.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hooksim.scenarios import ScenarioInputError, ScenarioLimits, load_scenario, load_text

#: Far above what loading a refused file needs, far below what the unbounded loader took
#: (2.9 GB for the billion laughs).
PEAK_MB = 400
LIVENESS = 120


def _billion_laughs() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    return "name: laughs\n" + "\n".join(lines) + "\nsteps: [*a8]\nexpect: []\n"


def _behaviour_list(entries: int, item: str) -> str:
    items = "\n".join(f"      - {item}" for _ in range(entries))
    return f"name: long\nreceivers:\n  r:\n    behaviour:\n{items}\nsteps: []\nexpect: []\n"


HOSTILE = {
    # what, the file, the line it must name, the words of the message
    "billion-laughs": (
        _billion_laughs(),
        2,
        "a4[0][6][8][8][7]: the scenario holds more than 20000 values once its aliases",
    ),
    "deep-list": (
        "name: deep\nsteps: " + "[" * 100_000 + "]" * 100_000 + "\n",
        2,
        "nests deeper than 64 levels",
    ),
    "self-alias": ("name: loop\nsteps: &a [*a]\n", 2, "nests deeper than 64 levels"),
    "long-list": (_behaviour_list(6000, "503"), 5005, "more than 5000 entries"),
    "5mb-list": (
        _behaviour_list(150_000, "{until: 1s, status: 503}"),
        1,
        "the file is larger than 1048576 bytes",
    ),
}


#: `hooksim run` that reports its own peak memory last: VmHWM, the high-water mark of its own
#: memory since it was exec'd (ru_maxrss would include the pages of the test process it was
#: forked from, and RUSAGE_CHILDREN the largest of every child that process ever had).
_MEASURED = (
    "import re, sys\n"
    "try:\n"
    "    from hooksim.cli import main\n"
    "    main()\n"
    "finally:\n"
    "    status = open('/proc/self/status').read()\n"
    "    peak = re.search(r'VmHWM:\\s+(\\d+)', status).group(1)\n"
    "    sys.stderr.write(f'\\nPEAK_KB={peak}\\n')\n"
)


def _hooksim_run(path: Path, tmp_path: Path, **environ: str) -> tuple[int, str, float]:
    """`hooksim run PATH` in a subprocess: exit status, stderr, and its peak memory (MB)."""
    process = subprocess.run(
        [sys.executable, "-c", _MEASURED, "run", str(path), "--report", str(tmp_path / "report")],
        capture_output=True,
        text=True,
        timeout=LIVENESS,
        env={**os.environ, **environ},
    )
    stderr, _, peak = process.stderr.rpartition("PEAK_KB=")
    return process.returncode, stderr, int(peak) / 1024


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_exits_2_at_its_line_in_bounded_memory(name: str, tmp_path: Path) -> None:
    text, line, words = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    code, stderr, peak_mb = _hooksim_run(path, tmp_path)
    assert code == 2, stderr
    assert re.search(rf"{re.escape(str(path))}:{line}:\d+: .*{re.escape(words)}", stderr), stderr
    assert "Traceback" not in stderr
    assert peak_mb < PEAK_MB


def test_a_file_of_50_mb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as out:
        out.write("name: huge\n# ")
        out.write("x" * (50 * 1024 * 1024))
    code, stderr, peak_mb = _hooksim_run(path, tmp_path)
    assert code == 2
    assert f"{path}:1:1: the file is larger than 1048576 bytes" in stderr
    assert "HOOKSIM_SCENARIO_MAX_BYTES" in stderr and "Traceback" not in stderr
    assert peak_mb < PEAK_MB


# every limit can be raised (and lowered) --------------------------------------------------
PASSING = "name: fine\nreceivers:\n  r:\n    behaviour: [200, 200, 200]\nsteps: []\n"


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("HOOKSIM_SCENARIO_MAX_BYTES", "40", "larger than 40 bytes"),
        ("HOOKSIM_SCENARIO_MAX_DEPTH", "3", "nests deeper than 3 levels"),
        ("HOOKSIM_SCENARIO_MAX_VALUES", "8", "holds more than 8 values"),
        ("HOOKSIM_SCENARIO_MAX_ITEMS", "2", "more than 2 entries"),
    ],
)
def test_each_limit_is_set_by_its_environment_variable(
    variable: str, value: str, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "fine.yaml"
    path.write_text(PASSING)
    load_scenario(path, "fine.yaml")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ScenarioInputError, match=re.escape(words)) as refused:
        load_scenario(path, "fine.yaml")
    assert refused.value.problems[0].file == "fine.yaml"


def test_a_file_over_a_default_limit_loads_when_the_limit_is_raised(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text("name: long\n# " + "x" * (2 * 1024 * 1024) + "\n")
    with pytest.raises(ScenarioInputError, match="larger than 1048576 bytes"):
        load_scenario(path, "long.yaml")
    scenario = load_scenario(path, "long.yaml", ScenarioLimits(max_bytes=3 * 1024 * 1024))
    assert scenario.name == "long"


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1.5"])
def test_a_bad_limit_is_a_clear_error(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKSIM_SCENARIO_MAX_ITEMS", value)
    with pytest.raises(ScenarioInputError, match="HOOKSIM_SCENARIO_MAX_ITEMS=.*whole number"):
        load_text(PASSING, "fine.yaml")


# what the runner would refuse is refused at load time (item 5) ----------------------------
@pytest.mark.parametrize(
    ("steps", "line", "words"),
    [
        ("  - advance: 100000d\n", 3, "refuses to advance that far: seconds must be"),
        (
            "  - advance: 10m\n  - at: 5m\n",
            4,
            "cannot go back to 5m: the clock is already at 10m",
        ),
        ("  - at: 1h\n  - advance: {until: 30m}\n", 4, "cannot go back to 30m"),
        ("  - advance: 3000d\n  - at: 1d\n", 4, "cannot go back"),
        ("  - at: 3651d\n", 3, "refuses to advance that far"),
        (
            "  - publish: {type: card-published, overrides: {" + "a." * 70 + "a: 1}}\n",
            3,
            "refuses to publish this: overrides nests deeper than 64 levels",
        ),
        (
            "  - publish: {type: card-published, id: e1}\n"
            "  - publish: {type: card-published, id: e1}\n",
            4,
            "event 'e1' is already named at refused.yaml:3",
        ),
        (
            "  - subscribe: {receiver: r, types: [card-published],"
            " headers: {X-Atomic-Signature: x}}\n",
            3,
            "refuses this subscription: header 'X-Atomic-Signature' is set by the platform",
        ),
        (
            "  - subscribe: {receiver: r, types: [card-published], mapping: '{{ x }'}\n",
            3,
            "refuses this subscription: mapping line 1",
        ),
        (
            "  - update: {subscription: s, headers: {Content-Type: text/plain}}\n",
            3,
            "refuses this subscription: header 'Content-Type' is set by the platform",
        ),
    ],
    ids=[
        "advance-100000d",
        "at-goes-back",
        "until-goes-back",
        "back-after-a-long-advance",
        "at-beyond-ten-years",
        "overrides-too-deep",
        "id-twice",
        "reserved-header",
        "broken-mapping",
        "bad-update",
    ],
)
def test_what_the_runner_would_refuse_is_refused_when_loading(
    steps: str, line: int, words: str
) -> None:
    text = (
        "name: refused\nsteps:\n" + steps + "receivers: {r: {}}\n"
        "subscriptions: {s: {receiver: r, types: [card-published]}}\n"
    )
    with pytest.raises(ScenarioInputError) as refused:
        load_text(text, "refused.yaml")
    (problem,) = refused.value.problems
    assert problem.line == line, problem
    assert words in problem.message, problem


def test_a_refused_subscription_in_the_subscriptions_section_names_its_field() -> None:
    text = (
        "name: refused\nreceivers: {r: {}}\n"
        "subscriptions:\n  s:\n    receiver: r\n    types: [card-published]\n"
        "    maxRetries: 5000\n"
    )
    with pytest.raises(ScenarioInputError) as refused:
        load_text(text, "refused.yaml")
    (problem,) = refused.value.problems
    assert (problem.line, problem.path) == (7, "subscriptions.s.maxRetries")


@pytest.mark.parametrize(
    "steps",
    [
        # Labelled: its answer is kept for a `response` expectation, not refused.
        "  - subscribe: {as: bad, receiver: r, types: [card-published], headers: {Host: x}}\n",
        # Only the run knows where `advance: idle` leaves the clock.
        "  - advance: idle\n  - at: 1s\n",
        # Values only the run fills in are left to it.
        "  - subscribe: {receiver: r, types: [card-published], credentialId: cred-later}\n",
    ],
    ids=["labelled", "after-idle", "runtime-value"],
)
def test_what_only_the_run_can_decide_is_left_to_it(steps: str) -> None:
    text = "name: fine\nreceivers: {r: {}}\nsteps:\n" + steps
    assert load_text(text, "fine.yaml").name == "fine"


def test_the_example_of_the_issue_exits_2(
    write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    path = write("far.yaml", "name: far\nsteps:\n  - advance: 100000d\n")
    code, stderr, _ = _hooksim_run(path, tmp_path)
    assert code == 2
    assert f"{path}:3:" in stderr and "Traceback" not in stderr
