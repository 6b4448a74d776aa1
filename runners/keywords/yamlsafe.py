"""YAML read safely, with a way back from a data path to the line it came from.

Validation errors must name the file, the line and the field; PyYAML's composed node tree
keeps the marks that the constructed Python data loses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["MarkedYaml", "YamlSyntaxError", "load_marked"]


class YamlSyntaxError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class MarkedYaml:
    data: Any
    root: yaml.Node | None

    def line_of(self, path: Sequence[str | int]) -> int:
        """1-based line of the deepest node that the path reaches."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else 1
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line


def _child(node: yaml.Node | None, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                return value
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(step, int)
        and 0 <= step < len(node.value)
    ):
        child: yaml.Node = node.value[step]
        return child
    return None


def _duplicate_key(node: yaml.Node | None) -> tuple[int, str] | None:
    """The first mapping key that appears twice (PyYAML silently keeps the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    return key.start_mark.line + 1, key.value
                seen.add(key.value)
            found = _duplicate_key(value)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            found = _duplicate_key(child)
            if found:
                return found
    return None


#: libyaml's safe loader when PyYAML was built with it (about ten times faster on lists of
#: thousands of terms); the pure-Python one otherwise. Both keep the marks.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_marked(text: str) -> MarkedYaml:
    """Parse with the safe loader; syntax errors and duplicate keys carry their line."""
    try:
        loader = _LOADER(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(line, f"not valid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(1, f"not valid YAML: {exc}") from exc
    duplicate = _duplicate_key(root)
    if duplicate:
        raise YamlSyntaxError(duplicate[0], f"key {duplicate[1]!r} appears twice in one mapping")
    return MarkedYaml(data, root)
