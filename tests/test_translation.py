"""One translation point per knob: only `model/structure.py` reads a scenario.

`Structure.from_scenario` turns every scenario field into the numbers the model runs on; the
rest of the model reads only those (docs/model.md). Checked twice: statically (no other model
module touches a scenario's attributes or imports the config layer, bar the Model's annotation)
and dynamically (a run through a scenario that records who reads it). The model's behavioural
numbers are the scenario's assumptions, so its code holds no such number of its own. Also: the
model's own modules import one another without a circle, even for typing.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from conftest import FULL_LC, build_scenario
from lcsim.config.assumptions import Assumptions
from lcsim.model.simulation import Model
from lcsim.model.structure import Structure

MODEL_DIR = Path(__file__).resolve().parents[1] / "src" / "lcsim" / "model"
TRANSLATION = "structure.py"
SCENARIO_NAMES = {"scenario", "sc"}


def scenario_reads(path: Path) -> list[str]:
    """`scenario.x`, `sc.x` and `....scenario` attribute uses in a module, as source lines."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Attribute):
            continue
        on_name = isinstance(node.value, ast.Name) and node.value.id in SCENARIO_NAMES
        if on_name or node.attr == "scenario":
            found.append(f"{path.name}:{node.lineno}")
    return found


def config_imports(path: Path) -> set[str]:
    """Names a module imports from the config layer."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lcsim.config"):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("lcsim.config")}
    return names


def test_only_structure_reads_scenario_fields() -> None:
    modules = sorted(MODEL_DIR.glob("*.py"))
    assert scenario_reads(MODEL_DIR / TRANSLATION)  # the check does see reads where they are
    reads = [hit for path in modules if path.name != TRANSLATION for hit in scenario_reads(path)]
    assert reads == []
    importers = {path.name: config_imports(path) for path in modules}
    importers = {name: got for name, got in importers.items() if got and name != TRANSLATION}
    assert importers == {"simulation.py": {"Scenario"}}  # the Model's annotation only


# Decimal numbers the model code may hold, by module, and why: none is a behavioural number
# (those are the scenario's assumptions). 0.0 and 1.0 (bounds, identities) are allowed anywhere.
ALLOWED_NUMBERS = {
    "rules.py": {0.5: "middle of the belonging and skills scales (a normalisation)",
                 1e-12: "clip of a uniform before a normal quantile",
                 0.7: "SEVERITY_RECOVERY, until episodes.py reads EpisodeRates (lead)",
                 1.6: "SEVERITY_RECOVERY, as above"},
    "structure.py": {1.15: "ASSUMED_TRAINING_RESOLVE: the lead's help mechanism replaces it"},
    "episodes.py": {0.5: "the middle of a uniform; a mitigated episode's remaining share (help, lead)"},
    "schedule.py": {2.0: "the last exam block two days before the year end; a triangle's area"},
    "bucket_queue.py": {0.25: "bucket width of the event queue (speed only)"},
    "units.py": {365.0: "days a year", 30.0: "days of a hazard month", 1e-9: "time resolution"},
}


def decimal_numbers(path: Path) -> set[float]:
    """Every decimal (float) literal in a module's code, docstrings excluded."""
    return {node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and type(node.value) is float}


def test_model_code_holds_no_behavioural_numbers() -> None:
    found = {path.name: decimal_numbers(path) - {0.0, 1.0} for path in MODEL_DIR.glob("*.py")}
    extra = {name: sorted(numbers - set(ALLOWED_NUMBERS.get(name, {})))
             for name, numbers in found.items()}
    assert {name: got for name, got in extra.items() if got} == {}


class Recorder:
    """A scenario (or section) that records the module of every attribute read."""

    def __init__(self, target: Any, readers: set[str]) -> None:
        self._target, self._readers = target, readers

    def __getattr__(self, name: str) -> Any:
        self._readers.add(sys._getframe(1).f_globals["__name__"])
        return wrap(getattr(self._target, name), self._readers)


def wrap(value: Any, readers: set[str]) -> Any:
    if isinstance(value, BaseModel):
        return Recorder(value, readers)
    if isinstance(value, tuple):
        return tuple(wrap(item, readers) for item in value)
    return value


def test_a_run_reads_the_scenario_only_in_structure() -> None:
    sc = build_scenario({"leadership.training": True, "leadership.meeting_every_weeks": 2},
                        base=FULL_LC, class_size=30)
    readers: set[str] = set()
    plain = Model(sc, 4).run()
    recorded = Model(Recorder(sc, readers), 4).run()  # type: ignore[arg-type]
    assert readers == {"lcsim.model.structure"}
    assert len(recorded.episodes) > 0
    assert recorded.episodes.equals(plain.episodes)  # the recorder changed nothing


def model_imports(path: Path) -> set[str]:
    """The model modules a module imports, at any level (including under TYPE_CHECKING)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("lcsim.model."):
                names.add(node.module.rsplit(".", 1)[1])
            elif node.module == "lcsim.model":
                names |= {alias.name for alias in node.names}
    return names


def test_model_modules_import_without_a_circle() -> None:
    graph = {path.stem: model_imports(path) for path in MODEL_DIR.glob("*.py")}
    assert {"structure", "processes"} <= graph["simulation"]  # the graph was read
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for imported in graph.get(module, ()):
            visit(imported, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())
    assert "simulation" not in set().union(*(graph[m] for m in graph if m != "simulation"))


# Where an assumption acts only in some structures: the scenario changes that switch it on.
RICH = {"leadership.training": True, "peer_mentoring.trained": True,
        "small_groups.facilitator_is_coach": True, "inclusion.programme": True}
CONTEXT: dict[str, dict[str, Any]] = {
    "class_contacts_per_week": {"community": None, "small_groups": None, "space": None},
    "lc_size_factor_min": {"population.class_size": 600, "community.count": 1},
    "lc_size_factor_max": {"community.count": 80},
    "identity_coaching_cap": {"coaching.meetings_per_year": 8.0},
    "skills_coaching_cap": {"coaching.meetings_per_year": 8.0},
    "mentor_time_y3": {"peer_mentoring.mentor_year": 3},
    "mentor_skill_y3": {"peer_mentoring.mentor_year": 3},
    "mentor_time_y4": {"peer_mentoring.mentor_year": 4},
    "mentor_skill_y4": {"peer_mentoring.mentor_year": 4},
}


def _other_value(name: str, value: float) -> float:
    """A valid value of assumption `name` different from `value`."""
    if isinstance(value, int):
        return value + 1
    for candidate in (value * 0.8, value * 1.2, 0.1):
        try:
            Assumptions(**{name: candidate})
        except ValueError:
            continue
        if candidate != value:
            return candidate
    raise AssertionError(name)  # pragma: no cover


@pytest.mark.parametrize("name", sorted(Assumptions.model_fields))
def test_every_assumption_reaches_the_model(name: str) -> None:
    """Changing any one assumption changes the numbers the model runs on."""
    context = {**RICH, **CONTEXT.get(name, {})}
    base = build_scenario(context, base=FULL_LC)
    value = getattr(base.assumptions, name)
    changed = build_scenario({**context, f"assumptions.{name}": _other_value(name, value)},
                             base=FULL_LC)
    assert Structure.from_scenario(changed) != Structure.from_scenario(base), name
