"""Generated reference documentation: the scenario knobs, the assumptions, the metric glossary.

All are rendered from the code and data (the pydantic `Scenario` schema, the shipped priors file
`config/priors.yaml` and `lcsim.outcomes.registry.METRICS`), so the docs cannot drift from what
the model accepts and reports. `write_docs()` rewrites the generated blocks of
`docs/scenarios.md`, `docs/assumptions.md` and `README.md` between their markers; a test checks
that the committed files hold exactly what these functions render.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from lcsim.config.priors import Fixed, PriorEntry, describe, load_priors
from lcsim.config.scenario import Scenario
from lcsim.outcomes.registry import ISOLATED_PREFIX, METRICS, SUBGROUP_PREFIX

REGENERATE = 'python -c "from lcsim.reference import write_docs; write_docs()"'
KNOBS = "knob-reference"
GLOSSARY = "metric-glossary"
ASSUMPTIONS = "assumption-reference"
GROUP_TITLES = {
    "ties_belonging": "Peer ties and belonging",
    "identity_skills": "Professional identity and clinical skills",
    "prevention": "Prevention and the risk of leaving",
    "episodes": "Episodes: type, severity, recovery and risk",
    "detection": "Detection",
    "help": "Help",
    "load": "Faculty load",
}


def begin_marker(name: str) -> str:
    """The line that opens a generated block in a Markdown file."""
    return f"<!-- BEGIN GENERATED {name}: do not edit; regenerate with {REGENERATE} -->"


def end_marker(name: str) -> str:
    """The line that closes a generated block."""
    return f"<!-- END GENERATED {name} -->"


# -- describing one field ------------------------------------------------------------------------

def _strip_optional(tp: Any) -> tuple[Any, bool]:
    """(inner type, whether None is allowed) for `X | None`."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _section_of(tp: Any) -> tuple[type[BaseModel] | None, bool]:
    """(model class, is a list of them) if the annotation is a section, else (None, False)."""
    inner, _ = _strip_optional(tp)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner, False
    if typing.get_origin(inner) is tuple:
        args = typing.get_args(inner)
        if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            return args[0], True
    return None, False


def _type_name(tp: Any) -> str:
    """A short, YAML-oriented name of an annotation: int, float, bool, text, list of int."""
    inner, optional = _strip_optional(tp)
    names = {int: "int", float: "float", bool: "bool", str: "text"}
    if typing.get_origin(inner) is tuple:
        item = typing.get_args(inner)[0]
        model, _ = _section_of(item)
        name = f"list of {model.__name__ if model else _type_name(item)}"
    else:
        name = names.get(inner, getattr(inner, "__name__", str(inner)))
    return f"{name} or null" if optional else name


def _yaml_value(value: Any) -> str:
    """A default as it would be written in a scenario file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, BaseModel):
        return "{" + ", ".join(f"{k}: {_yaml_value(v)}" for k, v in value) + "}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _default(info: FieldInfo) -> str:
    """The default value, `required`, or a pointer to a default list of sections."""
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        model, many = _section_of(info.annotation)
        if model is not None and many:
            return f"{len(value)} items (below)"
        if isinstance(value, BaseModel):
            return "section defaults"
        return _yaml_value(value)
    value = info.default
    if isinstance(value, BaseModel):
        return "section defaults"
    return _yaml_value(value)


def _range(info: FieldInfo) -> str:
    """Valid range from the pydantic constraints (ge/le/gt/lt, lengths, pattern)."""
    low = high = ""
    lengths = [0, None]
    pattern = None
    for m in info.metadata:
        if isinstance(m, at.Ge):
            low = f"{m.ge} <= "
        elif isinstance(m, at.Gt):
            low = f"{m.gt} < "
        elif isinstance(m, at.Le):
            high = f" <= {m.le}"
        elif isinstance(m, at.Lt):
            high = f" < {m.lt}"
        elif isinstance(m, at.MinLen):
            lengths[0] = m.min_length
        elif isinstance(m, at.MaxLen):
            lengths[1] = m.max_length
        elif getattr(m, "pattern", None):
            pattern = m.pattern
    parts = []
    if low or high:
        parts.append(f"{low}x{high}")
    if lengths[1] is not None:
        parts.append(f"{lengths[0]} to {lengths[1]} characters")
    if pattern:
        parts.append(f"matching `{pattern}`")
    if not parts and _strip_optional(info.annotation)[0] is bool:
        return "true or false"
    return ", ".join(parts) or "-"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _doc(model: type[BaseModel]) -> str:
    """First paragraph of a class docstring, on one line."""
    text = (model.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(text.split())


# -- the knob reference ---------------------------------------------------------------------------

def _sections(model: type[BaseModel],
              path: str) -> list[tuple[str, type[BaseModel], str, FieldInfo]]:
    """Every section below `model`, depth first: (dotted path, class, how it appears, field)."""
    found = []
    for name, info in model.model_fields.items():
        sub, many = _section_of(info.annotation)
        if sub is None:
            continue
        key = f"{path}.{name}" if path else name
        if many:
            key += "[]"
            note = "a list; each item has the fields below"
        elif info.default is None:
            note = ("optional: absent or `null` switches the mechanism off; when present, "
                    "unset fields take the defaults below")
        else:
            note = "always present; unset fields take the defaults below"
        found.append((key, sub, note, info))
        found.extend(_sections(sub, key))
    return found


def _field_table(model: type[BaseModel], path: str) -> list[str]:
    lines = ["| key | type | default | range | description |", "|---|---|---|---|---|"]
    for name, info in model.model_fields.items():
        key = f"{path}.{name}" if path else name
        sub, many = _section_of(info.annotation)
        if sub is not None:
            target = key + ("[]" if many else "")
            desc = info.description or _doc(sub)
            desc = f"{desc} (section `{target}`)" if desc else f"section `{target}`"
        else:
            desc = info.description or ""
        lines.append(f"| `{key}` | {_cell(_type_name(info.annotation))} | "
                     f"{_cell(_default(info))} | {_cell(_range(info))} | {_cell(desc)} |")
    return lines


def _default_items(model: type[BaseModel], info: FieldInfo) -> list[str]:
    """A table of the default items of a list-of-sections field."""
    items = info.get_default(call_default_factory=True) or ()
    if not items:
        return []
    names = list(model.model_fields)
    lines = ["Default items:", "", "| " + " | ".join(names) + " |",
             "|" + "---|" * len(names)]
    for item in items:
        lines.append("| " + " | ".join(_cell(_yaml_value(getattr(item, n))) for n in names)
                     + " |")
    return ["", *lines]


def knob_reference() -> str:
    """Markdown tables of every Scenario section and field, generated from the schema."""
    out = [
        "### Top level",
        "",
        _doc(Scenario),
        "",
        *_field_table(Scenario, ""),
    ]
    for key, model, note, info in _sections(Scenario, ""):
        out += ["", f"### `{key}`", "", f"{_doc(model)} ({note}.)", "",
                *_field_table(model, key)]
        if key.endswith("[]"):
            out += _default_items(model, info)
    return "\n".join(out) + "\n"


# -- the assumptions ----------------------------------------------------------------------------

def _num(x: float) -> str:
    """A number in at most 3 significant digits (4 below 0.01)."""
    return f"{x:.3g}" if abs(x) >= 0.01 or x == 0 else f"{x:.2g}"


def _prior(entry: PriorEntry) -> str:
    """The prior in words, with its central 95% range when it has one."""
    text = describe(entry.prior, _num)
    if isinstance(entry.prior, Fixed):
        return text
    return f"{text}; 95%: {_num(entry.ppf(0.025))} to {_num(entry.ppf(0.975))}"


def assumption_reference() -> str:
    """Markdown tables of every assumption, a table per group, from the shipped priors."""
    priors = load_priors()
    entries = priors.entries
    out: list[str] = [
        f"In an uncertainty analysis (`lcsim compare --uncertainty`, docs/uncertainty.md) the "
        f"effects of support are drawn with correlation "
        f"`effects_of_support_correlation: {priors.effects_of_support_correlation:g}` "
        "(assumption: whether support helps at all is largely one unknown); the other "
        "assumptions are drawn independently.", ""]
    for group, title in GROUP_TITLES.items():
        names = [n for n, e in entries.items() if e.group == group]
        if not names:
            continue
        out += [f"### {title}", "", "| name | meaning | unit | central | prior | null | source |",
                "|---|---|---|---|---|---|---|"]
        for name in names:
            e = entries[name]
            null = _num(e.null) if e.effect_of_support and e.null is not None else "-"
            out.append(f"| `{name}` | {_cell(e.meaning)} | {_cell(e.unit)} | {_num(e.central)} "
                       f"| {_prior(e)} | {null} | {_cell(e.source)} |")
        out.append("")
    return "\n".join(out)


# -- the metric glossary --------------------------------------------------------------------------

def metric_glossary() -> str:
    """A Markdown table of every metric in `lcsim.outcomes.registry.METRICS`."""
    better = {True: "higher", False: "lower", None: "neither (descriptive)"}
    lines = ["| metric | meaning | better |", "|---|---|---|"]
    for m in METRICS:
        lines.append(f"| `{m.name}` | {_cell(m.description)} | {better[m.higher_is_better]} |")
    lines.append(f"| `{SUBGROUP_PREFIX}<name>` | attrition (dismissed or withdrew) among "
                 "students of subgroup `<name>` (`none`: in no subgroup) | lower |")
    lines.append(f"| `{ISOLATED_PREFIX}<name>` | `isolated_share` among students of subgroup "
                 "`<name>` | lower |")
    return "\n".join(lines) + "\n"


# -- keeping the files up to date -----------------------------------------------------------------

def generated_block(text: str, name: str) -> str | None:
    """The text between the markers of block `name`, or None if the markers are missing."""
    begin, end = begin_marker(name), end_marker(name)
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        return None
    return text[i + len(begin):j].strip("\n") + "\n"


def replace_block(text: str, name: str, content: str) -> str:
    """`text` with the block `name` replaced by `content` (markers kept)."""
    begin, end = begin_marker(name), end_marker(name)
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"markers for {name!r} not found: add the lines\n{begin}\n{end}")
    return text[:i + len(begin)] + "\n\n" + content.strip("\n") + "\n\n" + text[j:]


def repo_root() -> Path:
    """The source checkout holding this package (src layout)."""
    return Path(__file__).resolve().parents[2]


def write_docs(root: Path | str | None = None) -> list[Path]:
    """Regenerate the knob reference in docs/scenarios.md, the assumption tables in
    docs/assumptions.md and the glossary in README.md.

    Returns the files that changed.
    """
    base = Path(root) if root is not None else repo_root()
    changed = []
    for rel, name, content in (("docs/scenarios.md", KNOBS, knob_reference()),
                               ("docs/assumptions.md", ASSUMPTIONS, assumption_reference()),
                               ("README.md", GLOSSARY, metric_glossary())):
        path = base / rel
        old = path.read_text(encoding="utf-8")
        new = replace_block(old, name, content)
        if new != old:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed
