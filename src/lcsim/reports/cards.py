"""The scenario cards of the committee report: what each proposal changes, in words.

A card lists the settings in which a scenario differs from the reference, found by walking
the pydantic `Scenario` model so each setting gets its plain label and its field description
as help text. It reads only the scenarios' resolved settings, never their results.
"""

from __future__ import annotations

import html
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from lcsim.comparison.result import Comparison
from lcsim.config.scenario import Scenario
from lcsim.reports.format import plain_words, title


@dataclass(frozen=True)
class Change:
    """One setting that differs from the reference, in words."""

    label: str
    help: str
    reference: str
    value: str


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation like ``Coaching | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found:
                return found
    return None


def _show_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{plain_words(k)} {_show_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, dict) for v in value):
            return "; ".join(
                f"{v.get('name', '?')} ("
                + ", ".join(f"{plain_words(k)} {_show_value(x)}" for k, x in v.items()
                            if k != "name")
                + ")" for v in value)
        return ", ".join(_show_value(v) for v in value) or "none"
    return str(value)


def _walk(cls: type[BaseModel], a: Mapping[str, Any], b: Mapping[str, Any],
          path: tuple[str, ...]) -> list[Change]:
    out: list[Change] = []
    for name, info in cls.model_fields.items():
        if not path and name in ("name", "description"):
            continue
        va, vb = a.get(name), b.get(name)
        if va == vb:
            continue
        sub = _model_of(info.annotation)
        if sub is not None and isinstance(va, dict) and isinstance(vb, dict):
            out += _walk(sub, va, vb, (*path, name))
            continue
        label = " \u203a ".join(plain_words(p).capitalize() if i == 0 else plain_words(p)
                                for i, p in enumerate((*path, name)))
        section = sub is not None and (va is None or vb is None)
        helptext = (sub.__doc__ if section and sub is not None else info.description) or ""
        if sub is not None and va is None and isinstance(vb, dict):
            value = "added:\n" + "\n".join(f"{plain_words(k)} {_show_value(v)}"
                                            for k, v in vb.items())
            ref = "none"
        elif sub is not None and vb is None:
            value, ref = "none", _show_value(va)
        else:
            value, ref = _show_value(vb), _show_value(va)
        out.append(Change(label, helptext.strip().splitlines()[0] if helptext else "", ref,
                          value))
    return out


def changes(reference: Scenario, scenario: Scenario) -> list[Change]:
    """Settings of ``scenario`` that differ from ``reference`` (diff of their model_dump)."""
    return _walk(Scenario, reference.model_dump(mode="json"), scenario.model_dump(mode="json"),
                 ())


def card(cmp: Comparison, sc: Scenario) -> str:
    """HTML card of one scenario: its description and the settings that differ."""
    name = html.escape(title(sc.name))
    desc = html.escape(" ".join(sc.description.split())) or "<i>no description</i>"
    if sc.name == cmp.reference:
        return (f"<div class='card ref'><h3>{name} <span class='tag'>reference</span></h3>"
                f"<p>{desc}</p><p class='muted'>Every other scenario is compared with this "
                "one.</p></div>")
    diffs = changes(cmp.scenarios[0], sc)
    ref = html.escape(title(cmp.reference))
    if diffs:
        rows = "".join(
            f"<tr><td>{html.escape(c.label)}<div class='muted small'>{html.escape(c.help)}"
            f"</div></td><td>{html.escape(c.value).replace(chr(10), '<br>')}</td>"
            "<td class='muted'>"
            f"{html.escape(c.reference)}</td></tr>" for c in diffs)
        body = (f"<table class='changes'><colgroup><col style='width:38%'><col "
                "style='width:46%'><col style='width:16%'></colgroup><tr><th>Setting</th>"
                "<th>This scenario</th>"
                f"<th>{ref}</th></tr>{rows}</table>")
    else:
        body = f"<p><b>No setting differs from {ref}.</b></p>"
    return (f"<div class='card'><h3>{name}</h3><p>{desc}</p>"
            f"<p class='small'>What differs from {ref}:</p>{body}</div>")
