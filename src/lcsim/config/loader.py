"""Safe, strict loading of YAML settings files into pydantic models.

Planners edit these files by hand, so every problem (bad YAML, unknown key, out-of-range
value, unsafe content) is reported as one :class:`ConfigError` whose message names the file,
line, setting, what was expected and what was found, instead of a Python traceback.

The YAML is read safely by `lcsim.config.yaml_safe`, which records the line of every key;
`lcsim.config.validation` checks the result against the model and points its errors at those
lines. This module resolves ``extends:`` chains and applies ``--set`` overrides; it is the one
the rest of lcsim imports (`load_model`, `ConfigError`).
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from lcsim.config.errors import OVERRIDE_SOURCE, ConfigError, show_value
from lcsim.config.validation import validate_mapping
from lcsim.config.yaml_safe import OVERRIDE_ORIGIN, Origins, join_path, load_file, parse

__all__ = [
    "ConfigError",
    "apply_overrides",
    "deep_merge",
    "load_mapping",
    "load_model",
    "validate_mapping",
]

M = TypeVar("M", bound=BaseModel)

# --------------------------------------------------------------------------------------------
# Merging, extends and overrides


def deep_merge(base: Mapping[str, Any], child: Mapping[str, Any],
               whole: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Merge ``child`` over ``base``: mappings merge recursively, any other child value
    (lists, scalars, null) replaces the base's, and so does a mapping under a key named in
    ``whole`` (e.g. a prior: a new distribution does not keep the old one's parameters).
    Inputs are not modified."""
    merged = dict(base)
    for key, value in child.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and key not in whole:
            merged[key] = deep_merge(old, value, whole)
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
        path = join_path(prefix, key)
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
    path: Path, display: str, chain: tuple[tuple[Path, str], ...], whole: frozenset[str]
) -> tuple[dict[str, Any], Origins]:
    data, origins = load_file(path, display)
    if "extends" not in data:
        return data, origins
    target = data.pop("extends")
    line = origins.pop("extends", (display, 0))[1] or None
    if not isinstance(target, str) or not target.strip():
        found = show_value(target)
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
    base_data, base_origins = _load_chain(base_path, base_display, chain, whole)
    merged = deep_merge(base_data, data, whole)
    return merged, _merge_origins(merged, base_origins, origins)


def load_mapping(path: str | Path, whole: frozenset[str] = frozenset()
                 ) -> tuple[dict[str, Any], Origins]:
    """Read a YAML settings file safely and resolve ``extends:`` chains.

    Returns the merged plain dict (no ``extends`` key, no shared sub-objects) and the origin
    map (dotted path -> (file, line) where the final value was set). Mappings under a key
    named in ``whole`` replace the base's instead of merging with it.
    """
    data, origins = _load_chain(Path(path), os.fspath(path), (), whole)
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
        value, origins, _ = parse(value_text, OVERRIDE_SOURCE, prefix=key)
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
                origins[here] = OVERRIDE_ORIGIN
        if not isinstance(nxt, dict | list):
            found = show_value(nxt)
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
        origins[key] = OVERRIDE_ORIGIN
        for path in _paths(value, key):
            origins[path] = OVERRIDE_ORIGIN
    return result


def load_model(path: str | Path, model_cls: type[M], overrides: Sequence[str] = ()) -> M:
    """Load a settings file (with ``extends``), apply ``--set`` overrides, and validate."""
    data, origins = load_mapping(path)
    data = apply_overrides(data, overrides, origins)
    return validate_mapping(data, model_cls, origins, path)
