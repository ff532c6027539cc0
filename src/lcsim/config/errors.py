"""How a settings problem is said: `ConfigError` and the words it uses for values and YAML.

Every problem with a settings file (unreadable YAML, unknown key, out-of-range value, unsafe
content) is one `ConfigError` whose lines name the file, line, setting, what was expected and
what was found, so a planner never sees a Python traceback.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

OVERRIDE_SOURCE = "--set"
"""Pseudo file name recorded in origin maps for values set on the command line."""
TAG_PREFIX = "tag:yaml.org,2002:"
"""The prefix of YAML's standard tags (``!!str`` is ``tag:yaml.org,2002:str``)."""

_MAX_FOUND = 60



def _format_problem(file: str | None, line: int | None, key: str | None, message: str) -> str:
    """One human-readable line: ``file, line N: key: message`` (parts omitted when unknown)."""
    if file == OVERRIDE_SOURCE:
        head = f"{OVERRIDE_SOURCE} {key}" if key else OVERRIDE_SOURCE
        return f"{head}: {message}"
    where = file or ""
    if file and line:
        where += f", line {line}"
    parts = [p for p in (where, key) if p]
    return ": ".join([*parts, message])


class ConfigError(Exception):
    """A settings problem explained for planners; ``str(err)`` has one line per problem.

    ``file``/``key``/``line``/``expected``/``found`` describe the first problem; ``problems``
    holds every formatted line (several when validation finds more than one mistake).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        line: int | None = None,
        expected: str | None = None,
        found: str | None = None,
        problems: Sequence[str] | None = None,
    ) -> None:
        self.file = file
        self.key = key
        self.line = line
        self.expected = expected
        self.found = found
        self.problems: list[str] = (
            list(problems) if problems else [_format_problem(file, line, key, message)]
        )
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)


# --------------------------------------------------------------------------------------------


def show_value(value: Any) -> str:
    """Planner-friendly, truncated rendering of a found value (YAML words for null/bools)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, enum.Enum):
        value = value.value
    text = repr(value)
    return text if len(text) <= _MAX_FOUND else text[: _MAX_FOUND - 3] + "..."


def short_tag(tag: str) -> str:
    """Show ``tag:yaml.org,2002:python/object`` the way it was written: ``!!python/object``."""
    return "!!" + tag[len(TAG_PREFIX) :] if tag.startswith(TAG_PREFIX) else tag


def node_kind(node: Node) -> str:
    """Describe what a YAML node is, in planner words."""
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a mapping"
    tag = node.tag[len(TAG_PREFIX) :] if node.tag.startswith(TAG_PREFIX) else node.tag
    if tag == "null":
        return "null" if node.value else "an empty value"
    if tag in ("int", "float"):
        return f"the number {node.value}"
    if tag == "bool":
        return f"the true/false word {node.value!r}"
    return f"the value {node.value!r}"


def yaml_error_message(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's context + problem as one sentence, with hints for common planner mistakes."""
    problem = (exc.problem or "unreadable YAML").strip()
    if "found another document" in problem:
        return "file holds more than one YAML document (a second '---'); keep only one"
    syntax = isinstance(exc, yaml.scanner.ScannerError | yaml.parser.ParserError)
    text = "YAML syntax error: " if syntax else "cannot read YAML: "
    if exc.context:
        text += exc.context.strip()
        ctx, prob = exc.context_mark, exc.problem_mark
        if ctx is not None and prob is not None and ctx.line != prob.line:
            text += f" (line {ctx.line + 1})"
        text += ", "
    text += problem
    if "'\\t'" in problem:  # PyYAML shows a tab as its repr, '\t'
        text += "; indent with spaces, not tabs"
    return text
