"""Safe, strict loading of YAML settings files into pydantic models.

Planners edit these files by hand, so every problem (bad YAML, unknown key, out-of-range
value, unsafe content) is reported as one :class:`ConfigError` whose message names the file,
line, setting, what was expected and what was found, instead of a Python traceback.

The YAML is read with a private subclass of ``yaml.SafeLoader`` (nothing global is changed)
that refuses object tags, alias bombs, duplicate keys and non-text keys, and records the line
of every key so later validation errors can point at it.
"""

from __future__ import annotations

import codecs
import datetime as dt
import decimal
import difflib
import enum
import os
import types
import typing
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_EXPANDED_NODES",
    "MAX_FILE_BYTES",
    "OVERRIDE_SOURCE",
    "ConfigError",
    "Origins",
    "apply_overrides",
    "deep_merge",
    "load_mapping",
    "load_model",
    "validate_mapping",
]

MAX_FILE_BYTES = 1024 * 1024
"""Settings files larger than this are refused (they are hand-written, so this is generous)."""
MAX_ALIASES = 50
"""Most ``*alias`` references allowed in one document (stops "billion laughs" bombs)."""
MAX_EXPANDED_NODES = 200_000
"""Most values a document may contain once every alias is expanded."""
MAX_DEPTH = 64
"""Deepest nesting of lists/mappings allowed (stops stack exhaustion)."""
OVERRIDE_SOURCE = "--set"
"""Pseudo file name recorded in origin maps for values set on the command line."""

Origins = dict[str, tuple[str, int]]
"""Dotted key path -> (file, 1-based line) where that key's final value was set."""

M = TypeVar("M", bound=BaseModel)

_OVERRIDE_ORIGIN = (OVERRIDE_SOURCE, 0)
_TAG_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = _TAG_PREFIX + "str"
_MAX_FOUND = 60


# --------------------------------------------------------------------------------------------
# The error type


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
# Safe YAML reading


def _short_tag(tag: str) -> str:
    """Show ``tag:yaml.org,2002:python/object`` the way it was written: ``!!python/object``."""
    return "!!" + tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else tag


def _node_kind(node: Node) -> str:
    """Describe what a YAML node is, in planner words."""
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a mapping"
    tag = node.tag[len(_TAG_PREFIX) :] if node.tag.startswith(_TAG_PREFIX) else node.tag
    if tag == "null":
        return "null" if node.value else "an empty value"
    if tag in ("int", "float"):
        return f"the number {node.value}"
    if tag == "bool":
        return f"the true/false word {node.value!r}"
    return f"the value {node.value!r}"


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

    def compose_node(self, parent: Node | None, index: Any) -> Node:
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


def _join(prefix: str, part: str | int) -> str:
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
                f"YAML tag '{_short_tag(node.tag)}' is not allowed in settings files "
                "(only plain values, lists and mappings)",
                found=_short_tag(node.tag),
            )

    def check_key(self, key_node: Node, path: str) -> None:
        self.check_tag(key_node, path)
        if isinstance(key_node, ScalarNode) and key_node.tag == _STR_TAG:
            return
        kind = _node_kind(key_node)
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
            if key_node.tag == _TAG_PREFIX + "merge":  # check what `<<:` merges in, too
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
                    _join(path, key_node.value),
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
                item_path = _join(path, index)
                self.origins[item_path] = (self.loader.display, item.start_mark.line + 1)
                self.walk(item, item_path)
        elif isinstance(node, MappingNode):
            self.check_mapping(node, path)
            for key_node, value_node in node.value:
                key_path = _join(path, key_node.value)
                self.origins[key_path] = (self.loader.display, key_node.start_mark.line + 1)
                self.walk(value_node, key_path)


def _yaml_error_message(exc: yaml.MarkedYAMLError) -> str:
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


def _parse(text: str, display: str, prefix: str = "") -> tuple[Any, Origins, Node | None]:
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
        raise ConfigError(_yaml_error_message(exc), file=display, line=line) from None
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


def _read_text(path: Path, display: str) -> str:
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


def _load_file(path: Path, display: str) -> tuple[dict[str, Any], Origins]:
    """Load one file (no ``extends`` handling) and insist on a mapping at the top level."""
    data, origins, node = _parse(_read_text(path, display), display)
    if node is None:
        raise ConfigError("file is empty (no settings found)", file=display)
    if not isinstance(node, MappingNode):
        found = _node_kind(node)
        if isinstance(node, ScalarNode) and node.tag == _TAG_PREFIX + "null":
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


# --------------------------------------------------------------------------------------------
# Merging, extends and overrides


def deep_merge(base: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``child`` over ``base``: mappings merge recursively, any other child value
    (lists, scalars, null) replaces the base's. Inputs are not modified."""
    merged = dict(base)
    for key, value in child.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = value
    return merged


def _paths(data: Any, prefix: str = "") -> typing.Iterator[str]:
    """Every dotted path below ``data`` (mapping keys and list indices)."""
    if isinstance(data, dict):
        items: typing.Iterable[tuple[Any, Any]] = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return
    for key, value in items:
        path = _join(prefix, key)
        yield path
        yield from _paths(value, path)


def _copy_tree(data: Any) -> Any:
    """Copy dicts and lists without sharing (YAML aliases share objects; edits must not leak)."""
    if isinstance(data, dict):
        return {key: _copy_tree(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_copy_tree(value) for value in data]
    return data


def _merge_origins(merged: dict[str, Any], base: Origins, child: Origins) -> Origins:
    """A path present in the child came from the child; everything else from the base."""
    origins: Origins = {}
    for path in _paths(merged):
        origin = child.get(path) or base.get(path)
        if origin is not None:
            origins[path] = origin
    return origins


def _resolve(path: Path) -> Path:
    """Canonical path for cycle detection; falls back to the absolute path (symlink loops)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _load_chain(
    path: Path, display: str, chain: tuple[tuple[Path, str], ...]
) -> tuple[dict[str, Any], Origins]:
    data, origins = _load_file(path, display)
    if "extends" not in data:
        return data, origins
    target = data.pop("extends")
    line = origins.pop("extends", (display, 0))[1] or None
    if not isinstance(target, str) or not target.strip():
        found = _show(target)
        raise ConfigError(
            f"expected the name of a base settings file, found {found}",
            file=display,
            key="extends",
            line=line,
            expected="the name of a base settings file",
            found=found,
        )
    base_path = path.parent / target
    base_display = os.path.normpath(os.path.join(os.path.dirname(display), target))
    chain = (*chain, (_resolve(path), display))
    if _resolve(base_path) in {resolved for resolved, _ in chain}:
        names = " -> ".join([*(shown for _, shown in chain), base_display])
        raise ConfigError(
            f"extends cycle: {names}", file=display, key="extends", line=line, found=repr(target)
        )
    if not base_path.is_file():
        what = "is a directory" if base_path.is_dir() else "not found"
        raise ConfigError(
            f"base file {target!r} {what} (looked for {base_display})",
            file=display,
            key="extends",
            line=line,
            expected="an existing settings file",
            found=repr(target),
        )
    base_data, base_origins = _load_chain(base_path, base_display, chain)
    merged = deep_merge(base_data, data)
    return merged, _merge_origins(merged, base_origins, origins)


def load_mapping(path: str | Path) -> tuple[dict[str, Any], Origins]:
    """Read a YAML settings file safely and resolve ``extends:`` chains.

    Returns the merged plain dict (no ``extends`` key, no shared sub-objects) and the origin
    map (dotted path -> (file, line) where the final value was set).
    """
    data, origins = _load_chain(Path(path), os.fspath(path), ())
    return _copy_tree(data), origins


def _looks_like_text(value: str) -> bool:
    """True for override values that YAML would read as block structure or a comment, which a
    planner almost surely meant as plain text (e.g. ``title=Run 2: baseline``)."""
    text = value.strip()
    if text.startswith(("{", "[", '"', "'")):
        return False
    return (
        text == "-"
        or text.startswith(("- ", "#", "? ", "|", ">"))
        or ": " in text
        or text.endswith(":")
        or " #" in text
    )


def _parse_override(raw: str) -> tuple[str, Any, Origins]:
    """Split ``dotted.key=value`` and read the value as a YAML scalar or flow value."""
    if not isinstance(raw, str) or "=" not in raw:
        raise ConfigError(
            f"expected key=value (for example community.size=4), found {raw!r}",
            file=OVERRIDE_SOURCE,
            expected="key=value",
            found=repr(raw),
        )
    key_text, value_text = raw.split("=", 1)
    parts = [part.strip() for part in key_text.split(".")]
    if not all(parts):
        raise ConfigError(
            f"empty setting name in {raw!r} (expected key=value, e.g. community.size=4)",
            file=OVERRIDE_SOURCE,
            expected="key=value",
            found=repr(raw),
        )
    key = ".".join(parts)
    if _looks_like_text(value_text):
        return key, value_text.strip(), {}
    try:
        value, origins, _ = _parse(value_text, OVERRIDE_SOURCE, prefix=key)
    except ConfigError as exc:
        if exc.key:
            raise
        message = exc.problems[0].split(": ", 1)[-1]
        raise ConfigError(
            f"cannot read the value {value_text.strip()!r}: {message}",
            file=OVERRIDE_SOURCE,
            key=key,
            found=repr(value_text.strip()),
        ) from None
    return key, _copy_tree(value), origins


def _forget(origins: Origins, key: str) -> None:
    """Drop the origin of ``key`` and of everything below it."""
    below = key + "."
    for path in [p for p in origins if p == key or p.startswith(below)]:
        del origins[path]


def _list_index(items: list[Any], part: str, parent: str, key: str) -> int:
    """Item number ``part`` of a list addressed by an override, or a ConfigError."""
    if part.isdigit() and int(part) < len(items):
        return int(part)
    raise ConfigError(
        f"'{parent}' is a list of {len(items)} items; use an item number from 0 to "
        f"{len(items) - 1}, found {part!r}",
        file=OVERRIDE_SOURCE,
        key=key,
        expected=f"an item number from 0 to {len(items) - 1}",
        found=repr(part),
    )


def _set_path(root: dict[str, Any], key: str, value: Any, origins: Origins) -> None:
    """Set ``root[a][b]... = value`` for ``key = 'a.b...'``, creating missing mappings."""
    parts = key.split(".")
    container: dict[str, Any] | list[Any] = root
    for depth, part in enumerate(parts[:-1]):
        here = ".".join(parts[: depth + 1])
        if isinstance(container, list):
            nxt = container[_list_index(container, part, ".".join(parts[:depth]), key)]
        else:
            nxt = container.get(part)
            if nxt is None:  # absent or null: start a new group of settings
                nxt = container[part] = {}
                _forget(origins, here)
                origins[here] = _OVERRIDE_ORIGIN
        if not isinstance(nxt, dict | list):
            found = _show(nxt)
            raise ConfigError(
                f"cannot set '{'.'.join(parts[depth + 1 :])}' inside '{here}', "
                f"which is {found}, not a group of settings",
                file=OVERRIDE_SOURCE,
                key=key,
                expected="a mapping",
                found=found,
            )
        container = nxt
    if isinstance(container, list):
        container[_list_index(container, parts[-1], ".".join(parts[:-1]), key)] = value
    else:
        container[parts[-1]] = value


def apply_overrides(
    data: Mapping[str, Any], overrides: Sequence[str], origins: Origins
) -> dict[str, Any]:
    """Apply ``dotted.key=value`` overrides (in order) to a copy of ``data``.

    ``origins`` is updated in place so errors about overridden values say ``--set key``.
    """
    result: dict[str, Any] = _copy_tree(dict(data))
    for raw in overrides:
        key, value, _ = _parse_override(raw)
        _set_path(result, key, value, origins)
        _forget(origins, key)
        origins[key] = _OVERRIDE_ORIGIN
        for path in _paths(value, key):
            origins[path] = _OVERRIDE_ORIGIN
    return result


# --------------------------------------------------------------------------------------------
# Validation and friendly pydantic errors

_Entry = tuple[Any, tuple[Any, ...]]  # (annotation, constraint metadata)

_DESCRIBED_ERRORS = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "multiple_of",
    "finite_number",
    "literal_error",
    "enum",
    "list_type",
    "tuple_type",
    "set_type",
    "frozen_set_type",
    "dict_type",
    "mapping_type",
    "model_type",
    "model_attributes_type",
    "dataclass_type",
    "string_type",
    "string_too_short",
    "string_too_long",
    "too_short",
    "too_long",
    "none_required",
    "iterable_type",
    "is_instance_of",
}
_DESCRIBED_PREFIXES = ("int_", "float_", "bool_", "decimal_", "date_", "datetime_", "time_")


def _is_type_error(error_type: str) -> bool:
    """Errors best explained by describing the field's type (others keep pydantic's words)."""
    return error_type in _DESCRIBED_ERRORS or error_type.startswith(_DESCRIBED_PREFIXES)


def _show(value: Any) -> str:
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


def _expand(annotation: Any, meta: tuple[Any, ...]) -> list[_Entry]:
    """Flatten Annotated, Optional/Union and type aliases into concrete member types."""
    alias_type = getattr(typing, "TypeAliasType", None)
    if alias_type is not None and isinstance(annotation, alias_type):
        return _expand(annotation.__value__, meta)
    origin = get_origin(annotation)
    if origin is Annotated:
        args = get_args(annotation)
        return _expand(args[0], (*meta, *args[1:]))
    if origin is Union or origin is types.UnionType:
        return [entry for arg in get_args(annotation) for entry in _expand(arg, meta)]
    return [(annotation, meta)]


def _keys_for(model: type[BaseModel], name: str, info: FieldInfo) -> list[str]:
    """Keys accepted in input for one field (its alias, and its name when allowed)."""
    alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
    keys = [alias] if alias else []
    config = model.model_config
    if not alias or config.get("populate_by_name") or config.get("validate_by_name"):
        keys.append(name)
    return keys


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _step(entries: list[_Entry], part: str | int) -> list[_Entry]:
    """Types found one level down (model field, list item or mapping value)."""
    out: list[_Entry] = []
    for annotation, meta in entries:
        for tp, _ in _expand(annotation, meta):
            if _is_model(tp):
                for name, info in tp.model_fields.items():
                    if part in _keys_for(tp, name, info):
                        out.append((info.annotation, tuple(info.metadata)))
                continue
            origin = get_origin(tp) or tp
            args = get_args(tp)
            if not isinstance(origin, type):
                continue
            if issubclass(origin, Mapping):
                out.append((args[1] if len(args) == 2 else Any, ()))
            elif (
                isinstance(part, int)
                and issubclass(origin, Sequence | AbstractSet)
                and not issubclass(origin, str | bytes)
            ):
                if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
                    out.append((args[part] if part < len(args) else Any, ()))
                else:
                    out.append((args[0] if args else Any, ()))
    return out


def _types_at(model_cls: type[BaseModel], parts: Sequence[str | int]) -> list[_Entry]:
    entries: list[_Entry] = [(model_cls, ())]
    for part in parts:
        entries = _step(entries, part)
    return entries


def _field_names_at(model_cls: type[BaseModel], parts: Sequence[str | int]) -> list[str]:
    """Keys a mapping at ``parts`` may contain (for "did you mean")."""
    names: list[str] = []
    for annotation, meta in _types_at(model_cls, parts):
        for tp, _ in _expand(annotation, meta):
            if _is_model(tp):
                for name, info in tp.model_fields.items():
                    names.extend(k for k in _keys_for(tp, name, info) if k not in names)
    return names


def _bounds(meta: Sequence[Any]) -> dict[str, Any]:
    """Numeric/length constraints (annotated_types Ge/Le/..., Interval, nested FieldInfo)."""
    found: dict[str, Any] = {}
    for item in meta:
        if isinstance(item, FieldInfo):
            found.update(_bounds(item.metadata))
            continue
        for attr in ("gt", "ge", "lt", "le", "min_length", "max_length", "multiple_of"):
            value = getattr(item, attr, None)
            if value is not None and not callable(value):
                found[attr] = value
    return found


def _describe_number(noun: str, bounds: dict[str, Any]) -> str:
    if "ge" in bounds and "le" in bounds:
        text = f"{noun} between {bounds['ge']} and {bounds['le']}"
    else:
        limits = [
            f"{op} {bounds[name]}"
            for name, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
            if name in bounds
        ]
        text = " ".join([noun, " and ".join(limits)]) if limits else noun
    if "multiple_of" in bounds:
        text += f" (a multiple of {bounds['multiple_of']})"
    return text


def _describe_length(noun: str, unit: str, bounds: dict[str, Any]) -> str:
    low, high = bounds.get("min_length"), bounds.get("max_length")
    if low is not None and high is not None:
        return f"{noun} with {low} to {high} {unit}"
    if low is not None:
        return f"{noun} with at least {low} {unit if low != 1 else unit.rstrip('s')}"
    if high is not None:
        return f"{noun} with at most {high} {unit}"
    return noun


def _describe_one(tp: Any, meta: tuple[Any, ...]) -> str | None:
    bounds = _bounds(meta)
    origin = get_origin(tp) or tp
    if tp is type(None):
        return "null"
    if tp is bool:
        return "true or false"
    if tp is int:
        return _describe_number("an integer", bounds)
    if tp in (float, decimal.Decimal):
        return _describe_number("a number", bounds)
    if tp is str:
        return _describe_length("text", "characters", bounds)
    if origin is Literal:
        shown = [_show(value) for value in get_args(tp)]
        return shown[0] if len(shown) == 1 else "one of " + ", ".join(shown)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(_show(member.value) for member in tp)
    if _is_model(tp):
        return "a mapping of settings"
    if tp is dt.datetime:
        return "a date and time (YYYY-MM-DD HH:MM)"
    if tp is dt.date:
        return "a date (YYYY-MM-DD)"
    if isinstance(origin, type):
        if issubclass(origin, Mapping):
            return "a mapping"
        if issubclass(origin, Sequence | AbstractSet) and not issubclass(origin, str | bytes):
            return _describe_length("a list", "items", bounds)
    return None


def _describe(entries: list[_Entry]) -> str | None:
    """Describe the accepted values, e.g. ``an integer >= 2`` or ``one of 'a', 'b' or null``."""
    texts: list[str] = []
    for annotation, meta in entries:
        for tp, tp_meta in _expand(annotation, meta):
            text = _describe_one(tp, tp_meta)
            if text is None:
                return None
            if text not in texts:
                texts.append(text)
    if not texts:
        return None
    if "null" in texts:  # keep "or null" last
        texts.remove("null")
        texts.append("null")
    return " or ".join(texts)


def _choices(entries: list[_Entry]) -> list[str]:
    """Text choices of Literal/enum types (for "did you mean" on misspelt values)."""
    out: list[str] = []
    for annotation, meta in entries:
        for tp, _ in _expand(annotation, meta):
            if get_origin(tp) is Literal:
                out.extend(v for v in get_args(tp) if isinstance(v, str))
            elif isinstance(tp, type) and issubclass(tp, enum.Enum):
                out.extend(m.value for m in tp if isinstance(m.value, str))
    return out


_MISSING = object()


def _data_path(data: Any, loc: Sequence[str | int], error_type: str) -> list[str | int]:
    """Keep only the parts of a pydantic ``loc`` that are real keys in the data.

    Pydantic inserts labels such as ``'int'`` or ``"literal['auto']"`` for union members;
    those are not settings names and must not appear in messages or origin lookups.
    """
    path: list[str | int] = []
    current: Any = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        in_dict = isinstance(current, dict) and part in current
        in_list = (
            isinstance(current, list | tuple)
            and isinstance(part, int)
            and -len(current) <= part < len(current)
        )
        if in_dict or in_list:
            current = current[part]
        elif isinstance(current, dict) and last and error_type == "missing":
            current = _MISSING
        else:
            continue
        path.append(part)
    return path


def _locate(
    parts: Sequence[str | int], origins: Mapping[str, tuple[str, int]], file: str | None
) -> tuple[str | None, int | None]:
    """File and line of the nearest recorded key at or above ``parts``."""
    for size in range(len(parts), 0, -1):
        origin = origins.get(".".join(str(p) for p in parts[:size]))
        if origin is not None:
            return origin[0], origin[1] or None
    return file, None


def _readable(msg: str) -> str:
    """Pydantic's message without its programmer phrasing ("Input should be", "Value error")."""
    msg = msg.replace("String should match pattern", "text matching the pattern")
    for prefix in ("Input should be ", "Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg[:1].lower() + msg[1:]


def _problem(
    err: Mapping[str, Any],
    data: Any,
    model_cls: type[BaseModel],
    origins: Mapping[str, tuple[str, int]],
    file: str | None,
) -> ConfigError:
    """Turn one pydantic error dict into a single-problem ConfigError."""
    error_type = str(err.get("type", ""))
    parts = _data_path(data, tuple(err.get("loc", ())), error_type)
    key = ".".join(str(p) for p in parts) or None
    where_file, line = _locate(parts, origins, file)
    entries = _types_at(model_cls, parts) if error_type != "extra_forbidden" else []
    value = err.get("input")
    expected: str | None
    found: str | None
    if error_type == "extra_forbidden":
        names = _field_names_at(model_cls, parts[:-1])
        unknown = str(parts[-1]) if parts else ""
        guess = difflib.get_close_matches(unknown, names, n=1, cutoff=0.6)
        expected = "one of " + ", ".join(names) if names else None
        found = repr(unknown)
        if guess:
            message = f"unknown key (did you mean {guess[0]!r}?)"
        elif names:
            shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
            message = f"unknown key (known keys here: {shown})"
        else:
            message = "unknown key"
    elif error_type == "missing":
        expected = _describe(entries) or "a value"
        found = "nothing"
        message = f"required setting is missing (expected {expected})"
    elif not _is_type_error(error_type):
        expected = _readable(str(err.get("msg", "")))
        # A whole group's repr (from a model-level check) is noise: the reason says it all.
        found = _show(value) if parts and not isinstance(value, dict | list) else None
        message = f"{expected}, found {found}" if found is not None else expected
        if error_type == "string_pattern_mismatch":
            message = f"expected {message}"
    else:
        expected = _describe(entries) or _readable(str(err.get("msg", "")))
        found = _show(value)
        message = f"expected {expected}, found {found}"
        if isinstance(value, str) and error_type in ("literal_error", "enum"):
            guess = difflib.get_close_matches(value, _choices(entries), n=1, cutoff=0.6)
            if guess:
                message += f" (did you mean {guess[0]!r}?)"
    return ConfigError(message, file=where_file, key=key, line=line, expected=expected, found=found)


def validate_mapping(
    data: Mapping[str, Any],
    model_cls: type[M],
    origins: Mapping[str, tuple[str, int]],
    file: str | Path | None,
) -> M:
    """Validate a plain dict against ``model_cls``; every pydantic error becomes one line of a
    single ConfigError located via ``origins`` (``file`` is used when no origin is known)."""
    shown_file = os.fspath(file) if file is not None else None
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        problems: list[ConfigError] = []
        lines: list[str] = []
        for err in exc.errors(include_url=False):
            problem = _problem(err, data, model_cls, origins, shown_file)
            if problem.problems[0] not in lines:
                lines.append(problem.problems[0])
                problems.append(problem)
        rank = {p.file: i for i, p in reversed(list(enumerate(problems)))}
        problems.sort(key=lambda p: (rank[p.file], p.line is None, p.line or 0))  # reading order
        lines = [p.problems[0] for p in problems]
        first = problems[0]
        raise ConfigError(
            str(first),
            file=first.file,
            key=first.key,
            line=first.line,
            expected=first.expected,
            found=first.found,
            problems=lines,
        ) from None


def load_model(path: str | Path, model_cls: type[M], overrides: Sequence[str] = ()) -> M:
    """Load a settings file (with ``extends``), apply ``--set`` overrides, and validate."""
    data, origins = load_mapping(path)
    data = apply_overrides(data, overrides, origins)
    return validate_mapping(data, model_cls, origins, path)
