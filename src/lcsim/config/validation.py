"""Validating settings against a pydantic model, with errors a planner can act on.

Pydantic's errors are turned into `ConfigError` lines that name the file and line where the
value was set, the dotted key, what was expected (from the field's type and bounds) and what
was found, with a "did you mean" for unknown keys.
"""

from __future__ import annotations

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

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from lcsim.config.yaml_safe import (
    ConfigError,
    _show,
)

M = TypeVar("M", bound=BaseModel)

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
