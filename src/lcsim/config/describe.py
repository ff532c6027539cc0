"""What a setting accepts, in words: the types and bounds of a pydantic model's fields.

Validation messages say what was expected ("an integer >= 2", "one of 'a', 'b' or null") and
suggest keys and values ("did you mean"); this module finds the field types at a dotted path
of a model and describes them.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import types
import typing
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from lcsim.config.errors import show_value

Entry = tuple[Any, tuple[Any, ...]]
"""A field type and its constraint metadata (e.g. ``annotated_types.Ge``)."""


def expand(annotation: Any, meta: tuple[Any, ...]) -> list[Entry]:
    """Flatten Annotated, Optional/Union and type aliases into concrete member types."""
    alias_type = getattr(typing, "TypeAliasType", None)
    if alias_type is not None and isinstance(annotation, alias_type):
        return expand(annotation.__value__, meta)
    origin = get_origin(annotation)
    if origin is Annotated:
        args = get_args(annotation)
        return expand(args[0], (*meta, *args[1:]))
    if origin is Union or origin is types.UnionType:
        return [entry for arg in get_args(annotation) for entry in expand(arg, meta)]
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


def _step(entries: list[Entry], part: str | int) -> list[Entry]:
    """Types found one level down (model field, list item or mapping value)."""
    out: list[Entry] = []
    for annotation, meta in entries:
        for tp, _ in expand(annotation, meta):
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


def types_at(model_cls: type[BaseModel], parts: Sequence[str | int]) -> list[Entry]:
    """The types a value at the dotted path ``parts`` of ``model_cls`` may take."""
    entries: list[Entry] = [(model_cls, ())]
    for part in parts:
        entries = _step(entries, part)
    return entries


def field_names_at(model_cls: type[BaseModel], parts: Sequence[str | int]) -> list[str]:
    """Keys a mapping at ``parts`` may contain (for "did you mean")."""
    names: list[str] = []
    for annotation, meta in types_at(model_cls, parts):
        for tp, _ in expand(annotation, meta):
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
        shown = [show_value(value) for value in get_args(tp)]
        return shown[0] if len(shown) == 1 else "one of " + ", ".join(shown)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(show_value(member.value) for member in tp)
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


def describe(entries: list[Entry]) -> str | None:
    """Describe the accepted values, e.g. ``an integer >= 2`` or ``one of 'a', 'b' or null``."""
    texts: list[str] = []
    for annotation, meta in entries:
        for tp, tp_meta in expand(annotation, meta):
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


def choices(entries: list[Entry]) -> list[str]:
    """Text choices of Literal/enum types (for "did you mean" on misspelt values)."""
    out: list[str] = []
    for annotation, meta in entries:
        for tp, _ in expand(annotation, meta):
            if get_origin(tp) is Literal:
                out.extend(v for v in get_args(tp) if isinstance(v, str))
            elif isinstance(tp, type) and issubclass(tp, enum.Enum):
                out.extend(m.value for m in tp if isinstance(m.value, str))
    return out
