"""YAML with positions: PyYAML's composed nodes turned into plain values, keeping for every
YAML path the node it came from, so that errors and failed expectations point at lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ._errors import Problem, ScenarioInputError
from ._results import SourceSpan

__all__ = ["Document", "Path", "format_path", "parse_document"]

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


def parse_document(text: str, file: str) -> Document:
    """Parse one YAML document; syntax errors and duplicate keys are `ScenarioInputError`s."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        document = Document(file, None, text.splitlines())
        if root is None:
            raise ScenarioInputError(
                [Problem(file, 1, 1, "", "the file is empty; expected a scenario mapping")]
            )
        document.value = _convert(loader, root, (), document)
        return document
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ScenarioInputError(
            [Problem(file, line, column, "", f"not valid YAML: {what}")]
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioInputError([Problem(file, 1, 1, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()


def _convert(loader: yaml.SafeLoader, node: yaml.Node, path: Path, document: Document) -> Any:
    document.nodes[path] = node
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.MarkedYAMLError(
                    problem="a mapping key must be a plain value", problem_mark=key_node.start_mark
                )
            key_text = key if isinstance(key, str) else str(key)
            if key_text in result:
                raise yaml.MarkedYAMLError(
                    problem=f"duplicate key {key_text!r}", problem_mark=key_node.start_mark
                )
            document.keys[(*path, key_text)] = key_node
            result[key_text] = _convert(loader, value_node, (*path, key_text), document)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(loader, item, (*path, index), document)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)
