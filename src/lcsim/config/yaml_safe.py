"""Reading hand-written YAML settings files safely, with the line of every key.

The YAML is read with a private subclass of ``yaml.SafeLoader`` (nothing global is changed)
that refuses object tags, alias bombs, duplicate keys and non-text keys, and records the line
of every key so later validation errors can point at it. Every problem is a `ConfigError`
(`lcsim.config.errors`) naming the file, line, setting, what was expected and what was found.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lcsim.config.errors import (
    OVERRIDE_SOURCE,
    TAG_PREFIX,
    ConfigError,
    node_kind,
    short_tag,
    yaml_error_message,
)

MAX_FILE_BYTES = 1024 * 1024
"""Settings files larger than this are refused (they are hand-written, so this is generous)."""
MAX_ALIASES = 50
"""Most ``*alias`` references allowed in one document (stops "billion laughs" bombs)."""
MAX_EXPANDED_NODES = 200_000
"""Most values a document may contain once every alias is expanded."""
MAX_DEPTH = 64
"""Deepest nesting of lists/mappings allowed (stops stack exhaustion)."""

Origins = dict[str, tuple[str, int]]
"""Dotted key path -> (file, 1-based line) where that key's final value was set."""

OVERRIDE_ORIGIN = (OVERRIDE_SOURCE, 0)
"""The origin of a value set with ``--set`` (no line)."""

_STR_TAG = TAG_PREFIX + "str"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that caps aliases, expansion and nesting while composing.

    A subclass is used so the shared ``yaml.SafeLoader`` class is never modified.
    """

    def __init__(self, stream: str, display: str) -> None:
        super().__init__(stream)
        self.display = display
        self.alias_count = 0
        self._depth = 0
        self._sizes: dict[int, int] = {}

    def _fail(self, mark: yaml.Mark | None, message: str) -> ConfigError:
        line = mark.line + 1 if mark is not None else None
        return ConfigError(message, file=self.display, line=line)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """Compose as usual, but count aliases and the expanded size of every node."""
        if self.check_event(AliasEvent):
            event = self.peek_event()
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                raise self._fail(
                    event.start_mark,
                    f"too many YAML aliases (more than {MAX_ALIASES} '*' references); "
                    "write the values out instead",
                )
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._sizes:
                raise self._fail(
                    event.start_mark,
                    f"YAML alias '*{event.anchor}' refers to a value that contains itself",
                )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise self._fail(
                self.peek_event().start_mark,
                f"settings are nested too deeply (more than {MAX_DEPTH} levels)",
            )
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is None:
            return None
        if id(node) not in self._sizes:
            size = 1
            if isinstance(node, SequenceNode):
                size += sum(self._sizes[id(child)] for child in node.value)
            elif isinstance(node, MappingNode):
                size += sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
            self._sizes[id(node)] = size
        if self._sizes[id(node)] > MAX_EXPANDED_NODES:
            reason = (
                "too many YAML aliases: they expand to"
                if self.alias_count
                else "file has too many values:"
            )
            raise self._fail(node.start_mark, f"{reason} more than {MAX_EXPANDED_NODES} values")
        return node


def join_path(prefix: str, part: str | int) -> str:
    """The dotted path of ``part`` below ``prefix`` (the keys of `Origins`)."""
    return f"{prefix}.{part}" if prefix else str(part)


class _Checker:
    """Walks a composed node tree: checks tags and keys, flattens ``<<`` merges, and records
    the line of every key and list item per dotted path (aliases are bounded, so the walk is).
    """

    def __init__(self, loader: _StrictLoader, origins: Origins) -> None:
        self.loader = loader
        self.origins = origins
        self.checked: set[int] = set()

    def fail(self, node: Node, key: str, message: str, **kw: Any) -> ConfigError:
        return ConfigError(
            message, file=self.loader.display, key=key or None, line=node.start_mark.line + 1, **kw
        )

    def check_tag(self, node: Node, path: str) -> None:
        if node.tag not in self.loader.yaml_constructors:
            raise self.fail(
                node,
                path,
                f"YAML tag '{short_tag(node.tag)}' is not allowed in settings files "
                "(only plain values, lists and mappings)",
                found=short_tag(node.tag),
            )

    def check_key(self, key_node: Node, path: str) -> None:
        self.check_tag(key_node, path)
        if isinstance(key_node, ScalarNode) and key_node.tag == _STR_TAG:
            return
        kind = node_kind(key_node)
        hint = ""
        if isinstance(key_node, ScalarNode):
            hint = f' (put it in quotes, e.g. "{key_node.value}", if it is meant as a name)'
        raise self.fail(
            key_node,
            path,
            f"setting names must be text, found {kind}{hint}",
            expected="text",
            found=kind,
        )

    def check_mapping(self, node: MappingNode, path: str) -> None:
        """Refuse non-text and duplicate keys, then apply ``<<`` merge keys once per node."""
        if id(node) in self.checked:
            return
        self.checked.add(id(node))
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == TAG_PREFIX + "merge":  # check what `<<:` merges in, too
                merged = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for part in merged:
                    if isinstance(part, MappingNode):
                        self.check_mapping(part, path)
                continue
            self.check_key(key_node, path)
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                raise self.fail(
                    key_node,
                    join_path(path, key_node.value),
                    f"duplicate key (already set on line {seen[key_node.value]})",
                )
            seen[key_node.value] = line
        self.loader.flatten_mapping(node)
        for key_node, _ in node.value:
            self.check_key(key_node, path)

    def walk(self, node: Node, path: str) -> None:
        self.check_tag(node, path)
        if isinstance(node, ScalarNode):
            try:  # e.g. the date 2024-13-45 or '!!int abc' fail here, where the line is known
                self.loader.construct_object(node)
            except (ValueError, TypeError, OverflowError) as exc:
                raise self.fail(
                    node, path, f"cannot read value {node.value!r} ({exc})", found=repr(node.value)
                ) from None
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                item_path = join_path(path, index)
                self.origins[item_path] = (self.loader.display, item.start_mark.line + 1)
                self.walk(item, item_path)
        elif isinstance(node, MappingNode):
            self.check_mapping(node, path)
            for key_node, value_node in node.value:
                key_path = join_path(path, key_node.value)
                self.origins[key_path] = (self.loader.display, key_node.start_mark.line + 1)
                self.walk(value_node, key_path)


def parse(text: str, display: str, prefix: str = "") -> tuple[Any, Origins, Node | None]:
    """Parse one YAML document strictly; returns (data, origins, root node).

    A non-mapping root is returned unconstructed (data None) unless ``prefix`` is given, i.e.
    unless this is an override value, which may be any scalar or flow value.
    """
    origins: Origins = {}
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text, display)
        node = loader.get_single_node()
        if node is None:
            return None, origins, None
        checker = _Checker(loader, origins)
        if not (isinstance(node, MappingNode) or prefix):
            checker.check_tag(node, prefix)
            return None, origins, node
        checker.walk(node, prefix)
        return loader.construct_document(node), origins, node
    except ConfigError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(yaml_error_message(exc), file=display, line=line) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ConfigError(
            f"file contains the control character {code:#04x}, which YAML does not allow",
            file=display,
            line=line,
        ) from None
    except RecursionError:
        raise ConfigError("settings are nested too deeply", file=display) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise ConfigError(f"cannot read YAML: {exc}", file=display) from None
    finally:
        if loader is not None:
            loader.dispose()


def read_text(path: Path, display: str) -> str:
    """Read a settings file as UTF-8 text, refusing missing, special and oversized files."""
    try:
        if path.is_dir():
            raise ConfigError(
                "expected a settings file, found a directory", file=display, found="a directory"
            )
        if not path.exists():
            raise ConfigError("file not found", file=display)
        if not path.is_file():
            raise ConfigError("not a regular file", file=display)
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(
                f"file is too large ({size} bytes; the limit is {MAX_FILE_BYTES} bytes = 1 MiB)",
                file=display,
            )
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read file ({exc.strerror or exc})", file=display) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError("file is too large (the limit is 1 MiB)", file=display)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"file is not valid UTF-8 text (byte {raw[exc.start]:#04x}); save it as UTF-8",
            file=display,
            line=line,
        ) from None


def load_file(path: Path, display: str) -> tuple[dict[str, Any], Origins]:
    """Load one file (no ``extends`` handling) and insist on a mapping at the top level."""
    data, origins, node = parse(read_text(path, display), display)
    if node is None:
        raise ConfigError("file is empty (no settings found)", file=display)
    if not isinstance(node, MappingNode):
        found = node_kind(node)
        if isinstance(node, ScalarNode) and node.tag == TAG_PREFIX + "null":
            raise ConfigError("file is empty (no settings found)", file=display)
        raise ConfigError(
            f"expected a mapping of settings at the top level (lines like 'name: value'), "
            f"found {found}",
            file=display,
            line=node.start_mark.line + 1,
            expected="a mapping of settings",
            found=found,
        )
    return data, origins
