"""The documentation says what the code does: generated blocks are current, names exist.

These tests fail when a setting, metric, command or constant changes without the docs.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

import lcsim.model
from lcsim.cli.main import COMMANDS
from lcsim.config.assumptions import Assumptions
from lcsim.config.moved import MOVED
from lcsim.config.priors import load_priors
from lcsim.config.scenario import Scenario
from lcsim.outcomes.registry import METRIC_NAMES
from lcsim.reference import (
    ASSUMPTIONS,
    GLOSSARY,
    KNOBS,
    REGENERATE,
    assumption_reference,
    begin_marker,
    end_marker,
    generated_block,
    knob_reference,
    metric_glossary,
    replace_block,
    write_docs,
)

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SCENARIOS_DOC = ROOT / "docs" / "scenarios.md"
ASSUMPTIONS_DOC = ROOT / "docs" / "assumptions.md"
MODEL_DOC = ROOT / "docs" / "model.md"
STALE = f"out of date: regenerate with  {REGENERATE}"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _leaf_fields(cls: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    """Dotted key -> FieldInfo of every non-section field, walking sections (lists as `[]`)."""
    out: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        key = f"{prefix}{name}"
        sub = _section(info.annotation)
        if sub is None:
            out[key] = info
        else:
            many = "tuple" in str(info.annotation)
            out.update(_leaf_fields(sub, key + ("[]." if many else ".")))
    return out


def _section(tp: Any) -> type[BaseModel] | None:
    for arg in (tp, *getattr(tp, "__args__", ())):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _section_text(text: str, heading: str) -> str:
    """The body of a `## heading` section, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no '## {heading}' section"
    return match.group(1)


def _fences(text: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced code block."""
    return re.findall(r"^```([^\n]*)\n(.*?)^```\s*$", text, re.M | re.S)


def _code(text: str) -> str:
    """All code in a Markdown text: fenced blocks and inline code spans."""
    fenced = "\n".join(body for _, body in _fences(text))
    prose = re.sub(r"^```.*?^```\s*$", "", text, flags=re.M | re.S)
    return fenced + "\n" + "\n".join(re.findall(r"`([^`\n]+)`", prose))


def _table_rows(text: str) -> dict[str, str]:
    """First cell (a `code` name) -> second cell, for every Markdown table row of that form."""
    return dict(re.findall(r"^\|\s*`([^`]+)`\s*\|\s*([^|]*?)\s*\|", text, re.M))


# -- generated blocks --------------------------------------------------------------------------

def test_scenarios_doc_holds_the_current_knob_reference() -> None:
    assert generated_block(_read(SCENARIOS_DOC), KNOBS) == knob_reference(), \
        f"docs/scenarios.md knob reference {STALE}"


def test_assumptions_doc_holds_the_current_priors() -> None:
    assert generated_block(_read(ASSUMPTIONS_DOC), ASSUMPTIONS) == assumption_reference(), \
        f"docs/assumptions.md {STALE}"


def test_assumptions_doc_lists_every_assumption_with_its_central_value() -> None:
    rows = _table_rows(assumption_reference())
    assert set(rows) == set(Assumptions.model_fields)
    central = {name: line.split(" | ")[3] for line in assumption_reference().splitlines()
               for name in [line[3:].split("`")[0]] if line.startswith("| `")}
    for name, entry in load_priors().entries.items():
        assert float(central[name]) == pytest.approx(entry.central, rel=1e-3), name


def test_readme_holds_the_current_metric_glossary() -> None:
    assert generated_block(_read(README), GLOSSARY) == metric_glossary(), \
        f"README.md metric glossary {STALE}"


def test_knob_reference_lists_every_setting_with_its_bounds() -> None:
    ref = knob_reference()
    rows = _table_rows(ref)
    for key, info in _leaf_fields(Scenario).items():
        assert key in rows, f"{key} missing from the knob reference"
        line = next(ln for ln in ref.splitlines() if ln.startswith(f"| `{key}` |"))
        for m in info.metadata:  # every numeric bound is shown
            for attr in ("ge", "gt", "le", "lt"):
                if hasattr(m, attr):
                    assert str(getattr(m, attr)) in line, f"{key}: bound {attr} not shown"
        if not info.is_required() and info.default_factory is None:
            assert rows[key] != "required"


def test_glossary_and_readme_name_every_metric() -> None:
    readme, glossary = _read(README), metric_glossary()
    for name in METRIC_NAMES:
        assert f"`{name}`" in glossary
        assert name in readme, f"metric {name} not in README"


def test_write_docs_rewrites_only_the_generated_blocks(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    for src in (README, SCENARIOS_DOC, ASSUMPTIONS_DOC):
        shutil.copy(src, tmp_path / src.relative_to(ROOT))
    for path, name in ((README, GLOSSARY), (SCENARIOS_DOC, KNOBS), (ASSUMPTIONS_DOC, ASSUMPTIONS)):
        stale = replace_block(_read(path), name, "| stale |")
        (tmp_path / path.relative_to(ROOT)).write_text(stale, encoding="utf-8")

    changed = write_docs(tmp_path)

    assert sorted(p.name for p in changed) == ["README.md", "assumptions.md", "scenarios.md"]
    for path in (README, SCENARIOS_DOC, ASSUMPTIONS_DOC):
        assert _read(tmp_path / path.relative_to(ROOT)) == _read(path)
    assert write_docs(tmp_path) == []  # idempotent


def test_replace_block_refuses_a_file_without_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        replace_block("# no markers here\n", KNOBS, "x")
    text = f"a\n{begin_marker(KNOBS)}\nold\n{end_marker(KNOBS)}\nb\n"
    new = replace_block(text, KNOBS, "new")
    assert new.startswith("a\n") and new.endswith("b\n") and "old" not in new


# -- README contract ---------------------------------------------------------------------------

def test_quick_start_has_exactly_two_one_line_commands() -> None:
    blocks = _fences(_section_text(_read(README), "Quick start"))
    assert len(blocks) == 2, f"Quick start must have 2 code blocks, found {len(blocks)}"
    for info, body in blocks:
        assert info.strip() == "bash"
        lines = [ln for ln in body.splitlines() if ln.strip()]
        assert len(lines) == 1, f"a Quick start block must be one command line: {body!r}"
    first, second = (body.strip() for _, body in blocks)
    assert "lcsim compare scenarios/baseline.yaml" in first and "--out results/committee" in first
    assert "pytest" in second and ".[test]" in second


def test_quick_start_runs_every_shipped_scenario_and_names_the_report() -> None:
    quick = _section_text(_read(README), "Quick start")
    command = _fences(quick)[0][1]
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert f"scenarios/{path.name}" in command, f"{path.name} not in the main command"
    assert "results/committee/report.html" in quick


def test_quick_start_main_job_parses_with_the_real_command_line() -> None:
    """The main job's flags are those lcsim compare accepts today (a renamed flag fails here,
    not on a new user's machine), and it runs the uncertainty analysis."""
    import shlex

    from lcsim.cli.main import build_parser

    command = _fences(_section_text(_read(README), "Quick start"))[0][1].strip()
    argv = shlex.split(command.split("lcsim", 1)[1].split("&&")[0])
    args = build_parser().parse_args(argv)
    assert args.command == "compare"
    assert args.uncertainty and args.uncertainty >= 128  # enough draws to name the drivers
    assert len(args.scenarios) == len(list((ROOT / "scenarios").glob("*.yaml")))


def test_readme_mentions_every_shipped_scenario() -> None:
    readme = _read(README)
    shipped = sorted((ROOT / "scenarios").glob("*.yaml"))
    assert shipped
    for path in shipped:
        assert path.name in readme, f"scenarios/{path.name} not mentioned in README"


def test_readme_commands_exist() -> None:
    used = set(re.findall(r"(?<![\w.-])lcsim[ \t]+([a-z][a-z_-]*)", _code(_read(README))))
    assert {"run", "compare", "sweep"} <= used
    unknown = used - set(COMMANDS)
    assert not unknown, f"README uses lcsim subcommands that do not exist: {sorted(unknown)}"


def test_readme_links_the_docs() -> None:
    readme = _read(README)
    for doc in ("docs/model.md", "docs/scenarios.md", "docs/calibration.md",
                "docs/assumptions.md"):
        assert f"]({doc})" in readme
        assert (ROOT / doc).is_file()


# -- docs/model.md parameter tables -------------------------------------------------------------

# The lead's help mechanism replaces this one with the assumption `training_recovery`.
HELP_CONSTANTS = {"ASSUMED_TRAINING_RESOLVE"}


def test_model_code_keeps_no_assumed_constants() -> None:
    """Behavioural numbers are assumptions of the scenario, not module constants."""
    modules = [importlib.import_module(f"lcsim.model.{m.name}")
               for m in pkgutil.iter_modules(lcsim.model.__path__)]
    constants = {name for mod in modules for name in dir(mod) if name.startswith("ASSUMED_")}
    assert constants <= HELP_CONSTANTS, sorted(constants - HELP_CONSTANTS)


def test_model_doc_names_every_assumption_and_no_old_name() -> None:
    """Section 6's formulas use the assumptions' names; the old constants and keys are gone."""
    text = _read(MODEL_DOC)
    words = set(re.findall(r"\w+", text))
    missing = [name for name in Assumptions.model_fields if name not in words]
    assert not missing, f"assumptions not named in docs/model.md: {missing}"
    old = set(re.findall(r"ASSUMED_[A-Z_]+", text)) - HELP_CONSTANTS
    assert not old, f"docs/model.md still names old constants: {sorted(old)}"
    assert not [key for key in MOVED if key in text], "docs/model.md names keys that moved"


def test_structure_reads_every_assumption() -> None:
    """No assumption is a dead setting: the one translation point reads each of them."""
    tree = ast.parse((ROOT / "src" / "lcsim" / "model" / "structure.py").read_text("utf-8"))
    read = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    unread = set(Assumptions.model_fields) - read
    assert not unread, f"assumptions the model never reads: {sorted(unread)}"


def test_model_doc_lists_every_setting_with_its_default() -> None:
    rows = _table_rows(_read(MODEL_DOC))
    for key, info in _leaf_fields(Scenario).items():
        if key.startswith("assumptions."):
            continue  # the assumptions have their own page (docs/assumptions.md)
        assert key in rows, f"{key} missing from docs/model.md section 8.1"
        if "[]" in key or info.is_required():
            continue  # list items and required names have no single default
        default = info.get_default(call_default_factory=True)
        if isinstance(default, tuple):
            default = list(default)
        assert yaml.safe_load(rows[key]) == default, \
            f"{key}: docs/model.md says {rows[key]}, the schema's default is {default!r}"
