"""Scenario fields along dotted paths: what a sweep factor names and how a point sets it.

`scenario_fields` lists every dotted path of the `Scenario` schema, `field_kind` tells what one
holds (integer, float, ...), and `point_data` sets factor values in a scenario's dict.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from lcsim.config.scenario import Scenario


def _members(annotation: Any) -> list[Any]:
    """Concrete member types of an annotation (Annotated and unions flattened)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [annotation]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def scenario_fields() -> list[str]:
    """Every dotted path of the Scenario schema (sections and their fields)."""
    out: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            out.append(prefix + name)
            models = [m for m in _members(info.annotation) if _is_model(m)]
            if len(models) == 1:
                walk(models[0], f"{prefix}{name}.")

    walk(Scenario, "")
    return out


def field_kind(path: str) -> str | None:
    """Kind of the Scenario field at ``path`` ('int', 'float', 'bool', 'section', 'other'),
    or None if there is no such field. Integer fields get integer design values."""
    model: type[BaseModel] | None = Scenario
    parts = path.split(".")
    for i, part in enumerate(parts):
        if model is None or part not in model.model_fields:
            return None
        members = [m for m in _members(model.model_fields[part].annotation)
                   if m is not type(None)]
        models = [m for m in members if _is_model(m)]
        if i == len(parts) - 1:
            if members == [bool]:
                return "bool"
            if members == [int]:
                return "int"
            if members == [float]:
                return "float"
            return "section" if models else "other"
        model = models[0] if len(models) == 1 else None
    return None  # pragma: no cover - loop always returns


def get_path(obj: Any, path: str) -> Any:
    """The value at dotted ``path`` of a model (None once a section on the way is None)."""
    for part in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def set_path(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Copy of ``data`` with ``path`` set (dicts along the path are copied, others shared)."""
    head, _, rest = path.partition(".")
    out = dict(data)
    out[head] = set_path(out[head], rest, value) if rest else value
    return out


def point_data(base: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The base scenario's dict with each factor path set to its value."""
    data = dict(base)
    for path, value in values.items():
        data = set_path(data, path, value)
    return data
