"""YAML with positions: PyYAML's composed nodes turned into plain values, keeping for every
YAML path the node it came from, so that errors and failed expectations point at lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ._errors import Problem, ScenarioInputError
from ._results import SourceSpan

__all__ = ["Bounds", "Document", "Path", "format_path", "parse_document"]

Path = tuple[str | int, ...]


def format_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class Document:
    """A parsed YAML file: its value, its lines, and the node behind every path."""

    file: str
    value: Any
    lines: list[str]
    nodes: dict[Path, yaml.Node] = field(default_factory=dict)
    keys: dict[Path, yaml.Node] = field(default_factory=dict)  # the key node of a mapping entry

    def position(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """1-based line and column of the value (or its key) at `path`, or of its nearest
        parent that exists."""
        probe = tuple(path)
        while True:
            node = (self.keys.get(probe) if key else None) or self.nodes.get(probe)
            if node is not None:
                return node.start_mark.line + 1, node.start_mark.column + 1
            if not probe:
                return 1, 1
            probe = probe[:-1]

    def value_at(self, path: Path) -> Any:
        value = self.value
        for part in path:
            value = value[part]
        return value

    def problem(self, path: Path, message: str, *, key: bool = False) -> Problem:
        line, column = self.position(path, key=key)
        return Problem(self.file, line, column, format_path(path), message)

    def span(self, path: Path) -> SourceSpan:
        """The lines that wrote the value at `path` (with its key, when it has one)."""
        node = self.nodes.get(tuple(path))
        if node is None:
            line = self.position(path)[0]
            return SourceSpan(self.file, line, line, self.lines[line - 1] if self.lines else "")
        start_node = self.keys.get(tuple(path)) or node
        first = start_node.start_mark.line + 1
        end = _last_node(node).end_mark
        last = end.line if end.column == 0 else end.line + 1
        last = max(first, min(last, len(self.lines)))
        while last > first and not self.lines[last - 1].strip():
            last -= 1
        text = "\n".join(self.lines[first - 1 : last])
        return SourceSpan(self.file, first, last, text)


def _last_node(node: yaml.Node) -> yaml.Node:
    """The node that ends a block collection: its own end mark lies at the next token."""
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.value:
        if node.flow_style:
            break
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node


@dataclass(frozen=True, slots=True)
class Bounds:
    """How big a document may be once parsed (`ScenarioLimits` in `_loader.py` says why)."""

    max_depth: int
    max_values: int
    max_items: int


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing while it composes what is nested too deeply or a
    collection with too many entries: a deep file would exhaust the stack (the composer
    recurses), a long one the time and memory of everything after it. Each refusal
    points at the node that went past the bound."""

    def __init__(self, text: str, bounds: Bounds) -> None:
        super().__init__(text)
        self.bounds = bounds
        self._depth = 0
        self._composed = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        bounds = self.bounds
        mark = self.peek_event().start_mark
        if self._depth >= bounds.max_depth:
            raise _too_much(mark, f"nests deeper than {bounds.max_depth} levels", "DEPTH")
        if parent is not None and len(parent.value) >= bounds.max_items:
            raise _too_much(
                mark, f"has a list or mapping of more than {bounds.max_items} entries", "ITEMS"
            )
        self._composed += 1
        if self._composed > bounds.max_values:
            raise _too_much(mark, f"holds more than {bounds.max_values} values", "VALUES")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooMuch(yaml.MarkedYAMLError):
    """The document went past one of its bounds (not a YAML error: valid, but too much).
    `path` is where, once aliases are expanded (a node's line is where it was written,
    which for an alias is its anchor)."""

    path = ""


def _too_much(mark: Any, what: str, limit: str, path: Path = ()) -> _TooMuch:
    error = _TooMuch(
        problem=f"the scenario {what} (a limit: HOOKSIM_SCENARIO_MAX_{limit} raises it)",
        problem_mark=mark,
    )
    error.path = format_path(path)
    return error


def parse_document(text: str, file: str, bounds: Bounds) -> Document:
    """Parse one YAML document within `bounds`; syntax errors, duplicate keys and what goes
    past a bound are `ScenarioInputError`s that name the line."""
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text, bounds)  # refuses unprintable characters at once
        root = loader.get_single_node()
        document = Document(file, None, text.splitlines())
        if root is None:
            raise ScenarioInputError(
                [Problem(file, 1, 1, "", "the file is empty; expected a scenario mapping")]
            )
        document.value = _Converter(loader, document, bounds).convert(root, (), 0)
        return document
    except _TooMuch as exc:
        line, column = (
            (exc.problem_mark.line + 1, exc.problem_mark.column + 1) if exc.problem_mark else (1, 1)
        )
        raise ScenarioInputError(
            [Problem(file, line, column, exc.path, str(exc.problem))]
        ) from None
    except RecursionError:  # pragma: no cover - the depth bound comes first
        raise ScenarioInputError(
            [Problem(file, 1, 1, "", "the scenario nests too deeply to read")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ScenarioInputError(
            [Problem(file, line, column, "", f"not valid YAML: {what}")]
        ) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_and_column(text, exc.position)
        what = f"character #x{exc.character:04x} is not allowed in YAML ({exc.reason})"
        raise ScenarioInputError(
            [Problem(file, line, column, "", f"not valid YAML: {what}")]
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioInputError([Problem(file, 1, 1, "", f"not valid YAML: {exc}")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of the character at `position` of `text`."""
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


class _Converter:
    """Composed nodes to plain values, keeping every path's node. An alias is converted once
    for every place it is used (each place has its own path), so the values are counted and
    the depth checked again here: ten aliases nested nine deep are a billion values, and an
    anchor used inside itself never ends."""

    def __init__(self, loader: yaml.SafeLoader, document: Document, bounds: Bounds) -> None:
        self.loader, self.document, self.bounds = loader, document, bounds
        self.values = 0

    def convert(self, node: yaml.Node, path: Path, depth: int) -> Any:
        bounds = self.bounds
        if depth >= bounds.max_depth:
            raise _too_much(
                node.start_mark, f"nests deeper than {bounds.max_depth} levels", "DEPTH", path
            )
        self.values += 1
        if self.values > bounds.max_values:
            raise _too_much(
                node.start_mark,
                f"holds more than {bounds.max_values} values once its aliases are expanded",
                "VALUES",
                path,
            )
        loader, document = self.loader, self.document
        document.nodes[path] = node
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)  # merge keys (<<)
            if len(node.value) > bounds.max_items:  # merged in from elsewhere
                raise _too_much(
                    node.start_mark,
                    f"has a list or mapping of more than {bounds.max_items} entries",
                    "ITEMS",
                    path,
                )
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise yaml.MarkedYAMLError(
                        problem="a mapping key must be a plain value",
                        problem_mark=key_node.start_mark,
                    )
                key = loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | float | bool) and key is not None:
                    raise yaml.MarkedYAMLError(
                        problem="a mapping key must be a plain value",
                        problem_mark=key_node.start_mark,
                    )
                key_text = key if isinstance(key, str) else str(key)
                if key_text in result:
                    raise yaml.MarkedYAMLError(
                        problem=f"duplicate key {key_text!r}", problem_mark=key_node.start_mark
                    )
                document.keys[(*path, key_text)] = key_node
                result[key_text] = self.convert(value_node, (*path, key_text), depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [
                self.convert(item, (*path, index), depth + 1)
                for index, item in enumerate(node.value)
            ]
        return loader.construct_object(node, deep=True)
