"""Validating settings against a pydantic model, with errors a planner can act on.

Pydantic's errors are turned into `ConfigError` lines that name the file and line where the
value was set, the dotted key, what was expected (from the field's type and bounds) and what
was found, with a "did you mean" for unknown keys.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from lcsim.config.describe import Entry, choices, describe, field_names_at, types_at
from lcsim.config.errors import ConfigError, show_value
from lcsim.config.moved import check_moved

M = TypeVar("M", bound=BaseModel)

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


def _unknown_key(parts: Sequence[str | int], model_cls: type[BaseModel]
                 ) -> tuple[str, str | None, str]:
    """Message, expected and found for a key the model does not have ("did you mean")."""
    names = field_names_at(model_cls, parts[:-1])
    unknown = str(parts[-1]) if parts else ""
    guess = difflib.get_close_matches(unknown, names, n=1, cutoff=0.6)
    expected = "one of " + ", ".join(names) if names else None
    if guess:
        message = f"unknown key (did you mean {guess[0]!r}?)"
    elif names:
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        message = f"unknown key (known keys here: {shown})"
    else:
        message = "unknown key"
    return message, expected, repr(unknown)


def _wrong_value(err: Mapping[str, Any], error_type: str, parts: Sequence[str | int],
                 entries: list[Entry]) -> tuple[str, str | None, str | None]:
    """Message, expected and found for a value of the wrong type or out of its bounds."""
    value = err.get("input")
    if not _is_type_error(error_type):
        expected = _readable(str(err.get("msg", "")))
        # A whole group's repr (from a model-level check) is noise: the reason says it all.
        found = show_value(value) if parts and not isinstance(value, dict | list) else None
        message = f"{expected}, found {found}" if found is not None else expected
        if error_type == "string_pattern_mismatch":
            message = f"expected {message}"
        return message, expected, found
    expected = describe(entries) or _readable(str(err.get("msg", "")))
    found = show_value(value)
    message = f"expected {expected}, found {found}"
    if isinstance(value, str) and error_type in ("literal_error", "enum"):
        guess = difflib.get_close_matches(value, choices(entries), n=1, cutoff=0.6)
        if guess:
            message += f" (did you mean {guess[0]!r}?)"
    return message, expected, found


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
    expected: str | None
    found: str | None
    if error_type == "extra_forbidden":
        message, expected, found = _unknown_key(parts, model_cls)
    elif error_type == "missing":
        expected = describe(types_at(model_cls, parts)) or "a value"
        found = "nothing"
        message = f"required setting is missing (expected {expected})"
    else:
        message, expected, found = _wrong_value(err, error_type, parts,
                                                types_at(model_cls, parts))
    return ConfigError(message, file=where_file, key=key, line=line, expected=expected, found=found)


def validate_mapping(
    data: Mapping[str, Any],
    model_cls: type[M],
    origins: Mapping[str, tuple[str, int]],
    file: str | Path | None,
) -> M:
    """Validate a plain dict against ``model_cls``; every pydantic error becomes one line of a
    single ConfigError located via ``origins`` (``file`` is used when no origin is known).

    A model may list keys that moved elsewhere (``moved_keys``, a class variable: old dotted
    key -> new one); a dict that still uses one gets only those lines, naming the new key."""
    shown_file = os.fspath(file) if file is not None else None
    moved = getattr(model_cls, "moved_keys", None)  # settings that left this model's schema
    if moved:
        check_moved(data, moved, origins, shown_file)
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
