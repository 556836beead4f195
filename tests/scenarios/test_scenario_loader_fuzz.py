"""The scenario loader under generated input (issue 10): random and mutated YAML, aliases
nested and repeated, deep nesting, long lists. The only allowed outcomes are a loaded
scenario or a `ScenarioInputError` whose every problem has a location (`file:line:column`),
which `hooksim run` prints before exiting 2; never another exception, and never more than a
bounded amount of memory.

`make test` runs it derandomized; `HOOKSIM_SOAK=1` with fresh random examples.
"""

from __future__ import annotations

import resource
from importlib import resources

import pytest
from hooksim.scenarios import Scenario, ScenarioInputError, load_text
from hypothesis import given, settings
from hypothesis import strategies as st

LIBRARY = sorted(
    (entry.name, entry.read_text("utf-8"))
    for entry in resources.files("hooksim.scenarios").joinpath("library").iterdir()
    if entry.name.endswith(".yaml")
)
#: Bytes that mean something to YAML, and a few that mean something to the loader.
_SIGNIFICANT = list("[]{}:-,&*!|>'\"#%@`?\n\t ") + [
    "<<: ",
    "&a ",
    "*a",
    "!!python/object ",
    "0x",
    "~",
]

FUZZ = settings.get_profile("hooksim-fuzz")
#: The most the loader's process may grow over one example (it holds at most ~20,000 values).
GROWTH_MB = 150


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@st.composite
def mutated_library_files(draw: st.DrawFn) -> str:
    name, text = draw(st.sampled_from(LIBRARY))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate-line"]))
        piece = draw(st.sampled_from(_SIGNIFICANT) | st.text(max_size=3))
        if action == "insert":
            text = text[:at] + piece + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif action == "replace":
            text = text[:at] + piece + text[at + len(piece) :]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                index = min(len(lines) - 1, at % len(lines))
                lines.insert(index, lines[index] * draw(st.integers(1, 50)))
                text = "".join(lines)
    return text


@st.composite
def alias_bombs(draw: st.DrawFn) -> str:
    """Anchors each made of `width` uses of the previous one, `depth` deep, used somewhere a
    scenario reads (steps, receivers, expectations) or at the top."""
    width, depth = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    lines = ["x0: &a0 [x, {k: v}]"]
    lines += [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth)]
    where = draw(
        st.sampled_from(
            [
                "steps: [*a{}]",
                "expect: *a{}",
                "receivers: {{r: {{behaviour: *a{}}}}}",
                "other: *a{}",
            ]
        )
    )
    merge = draw(st.booleans())
    tail = f"\nmerged:\n  <<: *a{depth - 1}\n" if merge else "\n"
    return "name: bomb\n" + "\n".join(lines) + "\n" + where.format(depth - 1) + tail


@st.composite
def deep_documents(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 3000))
    style = draw(st.sampled_from(["flow-list", "flow-map", "block", "self-alias"]))
    if style == "flow-list":
        return "name: deep\nsteps: " + "[" * depth + "]" * depth + "\n"
    if style == "flow-map":
        return "name: deep\nsteps: " + "{a: " * depth + "1" + "}" * depth + "\n"
    if style == "block":
        depth = min(depth, 400)
        return "name: deep\nsteps:\n" + "".join("  " * (i + 1) + "- \n" for i in range(depth))
    return f"name: loop\nsteps: &s [{', '.join(['*s'] * draw(st.integers(1, 5)))}]\n"


@st.composite
def long_lists(draw: st.DrawFn) -> str:
    count = draw(st.sampled_from([10, 4999, 5001, 9000, 30000]))
    item = draw(st.sampled_from(["200", "{status: 503}", "refuse"]))
    return "name: long\nreceivers:\n  r:\n    behaviour: [" + ", ".join([item] * count) + "]\n"


scenario_texts = (
    mutated_library_files()
    | alias_bombs()
    | deep_documents()
    | long_lists()
    | st.text(max_size=300)
    | st.binary(max_size=300).map(lambda b: b.decode("latin-1"))
)


@pytest.mark.fuzz
@FUZZ
@given(text=scenario_texts)
def test_the_loader_answers_a_scenario_or_problems_with_locations(text: str) -> None:
    peak_before = _peak_mb()
    try:
        scenario = load_text(text, "fuzz.yaml")
    except ScenarioInputError as refused:
        assert refused.problems, refused.message
        for problem in refused.problems:
            assert problem.file == "fuzz.yaml"
            assert problem.line >= 1 and problem.column >= 1
            assert problem.message
    else:
        assert isinstance(scenario, Scenario)
    assert _peak_mb() - peak_before < GROWTH_MB


@pytest.mark.parametrize(("name", "text"), LIBRARY, ids=[name for name, _ in LIBRARY])
def test_every_library_file_is_inside_the_limits(name: str, text: str) -> None:
    assert load_text(text, f"library/{name}").name
