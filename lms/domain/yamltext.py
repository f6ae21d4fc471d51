"""YAML parsing that remembers where each value came from, for messages with line numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml


class YamlSyntaxError(ValueError):
    """YAML that does not parse; ``line`` is 1-based within the parsed text."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


@dataclass
class Located:
    """Parsed YAML data plus the 1-based line of every mapping key and sequence item.

    Lines are keyed by a dotted path: ``"evidence_task.indicators"``, ``"indicators[2]"``.
    """

    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    first_line: int = 1

    def line(self, path: str, default: int | None = None) -> int:
        """The line of ``path``, or of its nearest recorded parent, or ``default``."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.first_line if default is None else default


def parse(text: str, line_offset: int = 0) -> Located:
    """Parse one YAML document; ``line_offset`` is added to every line (text embedded in a file)."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        raise YamlSyntaxError(f"YAML syntax error: {problem}{context}".strip(), line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML syntax error: {exc}", 1 + line_offset) from None
    located = Located(data=data, first_line=1 + line_offset)
    if node is not None:
        _record(node, "", located.lines, line_offset)
    return located


def _record(node: yaml.Node, path: str, lines: dict[str, int], offset: int) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{path}.{key_node.value}" if path else str(key_node.value)
            lines.setdefault(key, key_node.start_mark.line + 1 + offset)
            _record(value_node, key, lines, offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = f"{path}[{index}]"
            lines[key] = item.start_mark.line + 1 + offset
            _record(item, key, lines, offset)
