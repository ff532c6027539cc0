"""What `lcsim sweep` checks before anything runs: factors, design size and design points.

Every problem becomes a `ConfigError` that names the sweep file, key and line; `plan_sweep`
collects them all and raises one error listing them (`combined`), so a user fixes a sweep
file in one pass.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from lcsim.config.loader import ConfigError, validate_mapping
from lcsim.config.moved import moved_message
from lcsim.config.scenario import Scenario
from lcsim.sweeps.design import MAX_POINTS, MAX_RUNS, FactorInfo, SweepSpec, n_points
from lcsim.sweeps.fields import get_path, point_data, scenario_fields, set_path

SHOWN_PROBLEMS = 50


def where(display: str, origins: Mapping[str, tuple[str, int]], key: str) -> dict[str, Any]:
    """The ``file``, ``key`` and ``line`` of a ConfigError about ``key`` of the sweep file."""
    origin = origins.get(key)
    return {"file": display, "key": key, "line": origin[1] if origin else None}


def combined(lines: Sequence[ConfigError]) -> ConfigError:
    """One ConfigError listing every problem (the first gives file/key/line)."""
    shown = [e.problems[0] for e in lines[:SHOWN_PROBLEMS]]
    if len(lines) > SHOWN_PROBLEMS:
        shown.append(f"... and {len(lines) - SHOWN_PROBLEMS} more problems")
    first = lines[0]
    return ConfigError(str(first), file=first.file, key=first.key, line=first.line,
                       expected=first.expected, found=first.found, problems=shown)


def refusal(data: dict[str, Any]) -> str | None:
    """Why the scenario schema refuses ``data`` (its problems joined), or None if valid."""
    try:
        Scenario.model_validate(data)
    except ValidationError:
        try:
            validate_mapping(data, Scenario, {}, None)
        except ConfigError as err:
            return "; ".join(err.problems)
    return None


def check_factor(info: FactorInfo, base: Scenario, base_data: dict[str, Any], at: dict,
                 base_file: str) -> list[ConfigError]:
    """Problems of one factor: not a field, section off in the base, or values refused."""
    path, spec = info.path, info.spec
    if info.kind is None:
        moved = moved_message(path)
        if moved:
            return [ConfigError(moved, **at)]
        guess = difflib.get_close_matches(path, scenario_fields(), n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        return [ConfigError(f"not a scenario field{hint}", **at)]
    parts = path.split(".")
    for i in range(1, len(parts)):
        if get_path(base, ".".join(parts[:i])) is None:
            section = ".".join(parts[:i])
            return [ConfigError(f"{section} is off (null) in the base scenario {base_file}; "
                                "switch it on there to sweep its fields", **at)]
    if spec.range is not None and info.kind not in ("int", "float"):
        return [ConfigError(f"a range needs a number field, but {path} is not one; use "
                            "values: [...]", **at)]
    candidates: list[tuple[str, Any]]
    if spec.range is not None:
        lo, hi = spec.range
        if info.integer and not (lo.is_integer() and hi.is_integer()):
            return [ConfigError(f"{path} takes whole numbers: the range ends must be whole "
                                f"numbers, found [{lo:g}, {hi:g}]", **at)]
        cast = int if info.integer else float
        candidates = [("range low end", cast(lo)), ("range high end", cast(hi))]
    else:
        candidates = [("value", v) for v in dict.fromkeys(spec.values or ())]
    out = []
    for label, value in candidates:
        why = refusal(set_path(base_data, path, value))
        if why is not None:
            out.append(ConfigError(f"{label} {json.dumps(value)} is refused by the scenario "
                                   f"({why})", **at))
    return out


def check_factors(factors: Sequence[FactorInfo], base: Scenario, base_file: str,
                  display: str, origins: Mapping[str, tuple[str, int]]) -> None:
    """Refuse (listing every problem) factors that overlap or that `check_factor` refuses."""
    base_data = base.model_dump()
    problems: list[ConfigError] = []
    for info in factors:
        at = where(display, origins, f"factors.{info.path}")
        outer = [o.path for o in factors if info.path.startswith(o.path + ".")]
        if outer and info.kind is not None:
            problems.append(ConfigError(f"overlaps factor {outer[0]}, which sets its whole "
                                        "section", **at))
            continue
        problems += check_factor(info, base, base_data, at, base_file)
    if problems:
        raise combined(problems)


def check_size(spec: SweepSpec, factors: Sequence[FactorInfo], display: str,
               origins: Mapping[str, tuple[str, int]]) -> None:
    """Refuse a design over `MAX_POINTS` points or `MAX_RUNS` runs."""
    count = n_points(spec, factors)
    if count > MAX_POINTS or count * spec.replications > MAX_RUNS:
        raise ConfigError(f"the design has {count:,} points x {spec.replications:,} "
                          f"replications; the limits are {MAX_POINTS:,} points and "
                          f"{MAX_RUNS:,} runs", **where(display, origins, "design"))


def point_columns(base: Scenario, paths: Sequence[str], values: Sequence[tuple[Any, ...]],
                  display: str, origins: Mapping[str, tuple[str, int]]) -> dict[str, list[Any]]:
    """Each factor's value at every point, as the validated scenario holds it.

    Refuses (listing every one) the design points the scenario schema refuses.
    """
    base_data = base.model_dump()
    columns: dict[str, list[Any]] = {p: [] for p in paths}
    problems: list[ConfigError] = []
    at = where(display, origins, "factors")
    for i, row in enumerate(values):
        point = dict(zip(paths, row, strict=True))
        try:
            sc = Scenario.model_validate(point_data(base_data, point))
        except ValidationError:
            shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in point.items())
            why = refusal(point_data(base_data, point))
            problems.append(ConfigError(f"design point {i} ({shown}) is refused by the "
                                        f"scenario ({why})", **at))
            continue
        for p in paths:
            columns[p].append(get_path(sc, p))
    if problems:
        raise combined(problems)
    return columns
