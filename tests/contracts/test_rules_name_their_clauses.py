"""Every rule the engine enforces has a contract clause: each constant, branch and number in
the delivery rules (`simulator/_rules.py`) and the analytics rules (`simulator/_analytics.py`)
names the clause it implements, in a comment beside or just above it (or, for a rule function,
in its docstring). A new rule without a clause is a gap and fails this test; so does a clause
id that `contracts/clauses.yaml` does not have.

What counts as a rule point (read with `ast`, so formatting does not matter): a module
constant holding a literal; a module-level function (its docstring); every `if`/`elif`,
`while`, conditional expression, `and`/`or`, `except`; every number other than 0 and 1.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hooksim.contracts import CLAUSES

ROOT = Path(__file__).resolve().parents[2]
_ID = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)(?![\w-])")

#: file -> the names whose rules are audited (module level, or `Class.method`; None: all).
AUDITED: dict[str, tuple[str, ...] | None] = {
    "simulator/_rules.py": None,
    "simulator/_analytics.py": (
        "HOUR", "MAX_HOURS", "URL_LIFETIME", "FILE_EVENTS", "FORMATS", "CSV_COLUMNS",
        "hour_window", "ended_hours", "file_parts", "FileSigner.open",
    ),
}  # fmt: skip
#: When one line holds several points, the one reported.
_FIRST = ("rule function", "constant", "branch", "except", "condition", "number")


@dataclass(frozen=True, slots=True)
class Point:
    """A place where the engine decides something: it must name its clause."""

    line: int
    #: One of `_FIRST`.
    kind: str
    #: The lines whose comments may name the clause (a statement's header or the whole
    #: simple statement), and the line where looking upwards for a comment block starts.
    first: int
    last: int
    name: str = ""

    @property
    def what(self) -> str:
        if self.kind == "rule function":
            return f"rule function {self.name}()"
        return f"{self.kind} {self.name}".strip()


@dataclass(frozen=True, slots=True)
class Finding:
    file: str
    line: int
    what: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}: {self.problem}"


def _header(statement: ast.stmt) -> tuple[int, int]:
    """The lines of a statement that belong to it alone: a compound statement's header."""
    test = getattr(statement, "test", None) or getattr(statement, "iter", None)
    if isinstance(statement, ast.If | ast.While | ast.For) and test is not None:
        return statement.lineno, test.end_lineno or test.lineno
    if isinstance(statement, ast.FunctionDef | ast.ClassDef | ast.Try | ast.With):
        return statement.lineno, statement.lineno
    return statement.lineno, statement.end_lineno or statement.lineno


def _statements(node: ast.AST) -> Iterator[ast.stmt]:
    for child in ast.walk(node):
        if isinstance(child, ast.stmt):
            yield child


def _enclosing(statements: list[ast.stmt], node: ast.expr) -> tuple[int, int]:
    """The header of the innermost statement whose own lines hold `node`."""
    best: tuple[int, int] | None = None
    for statement in statements:
        first, last = _header(statement)
        if first <= node.lineno <= last and (best is None or first >= best[0]):
            best = (first, last)
    assert best is not None, f"line {node.lineno}: no statement holds it"
    return best


def _is_number(node: ast.AST) -> bool:
    value = getattr(node, "value", None)
    return (
        isinstance(node, ast.Constant)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and value not in (0, 1)
    )


def rule_points(tree: ast.Module, names: tuple[str, ...] | None) -> list[Point]:
    points: list[Point] = []
    for top in tree.body:
        name = getattr(top, "name", None)
        if isinstance(top, ast.Assign | ast.AnnAssign):
            targets = top.targets if isinstance(top, ast.Assign) else [top.target]
            name = next((t.id for t in targets if isinstance(t, ast.Name)), None)
        if name is None or name == "__all__":
            continue
        methods = {n.split(".", 1)[1] for n in names or () if n.startswith(f"{name}.")}
        if names is not None and name not in names and not methods:
            continue
        if isinstance(top, ast.Assign | ast.AnnAssign):
            if top.value is not None and any(
                isinstance(n, ast.Constant) for n in ast.walk(top.value)
            ):
                first, last = _header(top)
                points.append(Point(top.lineno, "constant", first, last, name))
            continue
        if isinstance(top, ast.FunctionDef):
            points.append(Point(top.lineno, "rule function", -1, -1, name))
        if not isinstance(top, ast.FunctionDef | ast.ClassDef):
            continue
        bodies = [
            item
            for item in top.body
            if isinstance(item, ast.FunctionDef) and (not methods or item.name in methods)
        ]
        for function in [top] if isinstance(top, ast.FunctionDef) else bodies:
            statements = [s for stmt in function.body for s in _statements(stmt)]
            for statement in statements:
                if isinstance(statement, ast.If | ast.While):
                    first, last = _header(statement)
                    points.append(Point(statement.lineno, "branch", first, last))
                if isinstance(statement, ast.Try):
                    for handler in statement.handlers:
                        last = handler.body[0].end_lineno or handler.lineno
                        points.append(Point(handler.lineno, "except", handler.lineno, last))
            for stmt in function.body:
                for node in ast.walk(stmt):
                    if isinstance(node, ast.IfExp | ast.BoolOp) or _is_number(node):
                        assert isinstance(node, ast.expr)
                        first, last = _enclosing(statements, node)
                        kind = "number" if _is_number(node) else "condition"
                        points.append(Point(node.lineno, kind, first, last))
    return points


def _comments(source: str) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {token.start[0]: token.string for token in tokens if token.type == tokenize.COMMENT}


def _ids_near(point: Point, lines: list[str], comments: dict[int, str]) -> set[str]:
    """Clause ids in the comments on the point's own lines, and in the block of comment lines
    right above them (for a constant, the comments of its whole paragraph above)."""
    text = [comments.get(n, "") for n in range(point.first, point.last + 1)]
    above = point.first - 1
    constant = point.kind == "constant"
    while above >= 1 and lines[above - 1].strip():
        if lines[above - 1].lstrip().startswith("#"):
            text.append(lines[above - 1])
        elif not constant:
            break
        above -= 1
    return set(_ID.findall(" ".join(text)))


def audit(file: str, source: str, names: tuple[str, ...] | None = None) -> list[Finding]:
    """Every rule point of `source` that names no clause, or an unknown one."""
    tree = ast.parse(source)
    lines = source.splitlines()
    comments = _comments(source)
    docstrings = {
        node.lineno: ast.get_docstring(node) or ""
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }
    findings: dict[int, Finding] = {}
    points = sorted(rule_points(tree, names), key=lambda point: _FIRST.index(point.kind))
    for point in points:
        if point.line in findings:
            continue
        if point.first == -1:
            ids = set(_ID.findall(docstrings[point.line]))
        else:
            ids = _ids_near(point, lines, comments)
        if not ids & set(CLAUSES):
            problem = "names no contract clause in a comment beside or above it"
            unknown = sorted(i for i in ids if "-" in i)  # words in capitals are not ids
            if unknown:
                problem = f"names {', '.join(unknown)}, not clauses of contracts/clauses.yaml"
            findings[point.line] = Finding(file, point.line, point.what, problem)
    return sorted(findings.values(), key=lambda finding: finding.line)


@pytest.mark.parametrize("file", sorted(AUDITED))
def test_every_rule_the_engine_enforces_names_its_clause(file: str) -> None:
    source = (ROOT / file).read_text(encoding="utf-8")
    points = rule_points(ast.parse(source), AUDITED[file])
    assert len(points) >= 10, "the audit found almost nothing to audit: is it still reading?"
    gaps = audit(file, source, AUDITED[file])
    assert gaps == [], "rules without a clause:\n" + "\n".join(map(str, gaps))


RULES = ROOT / "simulator" / "_rules.py"


def _planted(old: str, new: str) -> str:
    source = RULES.read_text(encoding="utf-8")
    assert source.count(old) == 1, f"the planted rule's anchor changed: {old!r}"
    return source.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "line_text", "what"),
    [
        (
            "    failures = subscription.consecutive_failures + 1\n",
            "    failures = subscription.consecutive_failures + 1\n"
            "    if answer.status_code == 410:\n"
            "        return Verdict(failures, DeliveryState.UNDELIVERED, disable=True)\n",
            "if answer.status_code == 410:",
            "branch",
        ),
        (
            "Unit = Delivery | Batch\n",
            "Unit = Delivery | Batch\n\n_GONE_STATUS = 410\n",
            "_GONE_STATUS = 410",
            "constant _GONE_STATUS",
        ),
        (
            "        delay = min(delay, settings.max_delay)\n",
            "        delay = min(delay, settings.max_delay, 3600.0)\n",
            "delay = min(delay, settings.max_delay, 3600.0)",
            "number",
        ),
        (
            "# DISABLE-RESET: any success sets the counter back to 0.",
            "# Any success sets the counter back to 0.",
            "if not pending:",
            "branch",
        ),
        (
            "    if subscription is None:  # API-DELETE\n",
            "    if subscription is None:  # DELETED-MEANS-GONE\n",
            "if subscription is None:  # DELETED-MEANS-GONE",
            "branch",
        ),
        (
            'a 3xx is never followed and fails (DELIVERY-SUCCESS-2XX)."""',
            'a 3xx is never followed and fails."""',
            "def classify_status(status: int) -> Outcome:",
            "rule function classify_status()",
        ),
    ],
    ids=["new-branch", "new-constant", "new-number", "comment-loses-its-clause",
         "unknown-clause", "function-without-clause"],
)  # fmt: skip
def test_a_rule_without_a_clause_is_a_gap(old: str, new: str, line_text: str, what: str) -> None:
    source = _planted(old, new)
    line = next(n for n, text in enumerate(source.splitlines(), 1) if line_text in text)
    gaps = audit("simulator/_rules.py", source)
    assert [(g.line, g.what) for g in gaps] == [(line, what)], "\n".join(map(str, gaps))
