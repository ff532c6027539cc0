"""A finished comparison as an object: its tables as DataFrames, read back from its directory.

`Comparison` is what `lcsim.compare` returns and what the committee report reads; `load` builds
one from the files a comparison stored, without running anything (and without importing the
model), so reports and notebooks can open old comparisons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from lcsim.comparison.checks import CompareError
from lcsim.comparison.table import comparison_json
from lcsim.config.scenario import Scenario
from lcsim.experiment.store import ResultStore, read_csv_table
from lcsim.outcomes.json_values import json_scalar


@dataclass
class Comparison:
    """A finished comparison: per-scenario runs and the comparison table (see module doc)."""

    directory: Path
    scenarios: list[Scenario]
    runs: dict[str, pd.DataFrame]
    table: pd.DataFrame
    info: dict[str, Any]
    failures: dict[str, dict[str, str]] = field(default_factory=dict)
    uncertainty: pd.DataFrame | None = None  # uncertainty.csv, with --uncertainty
    drivers: pd.DataFrame | None = None  # drivers.csv, with --uncertainty

    @property
    def reference(self) -> str:
        """Name of the reference scenario (the first)."""
        return self.scenarios[0].name

    @property
    def names(self) -> list[str]:
        """Scenario names in order, reference first."""
        return [s.name for s in self.scenarios]

    @property
    def proposals(self) -> list[str]:
        """Names of the proposals."""
        return self.names[1:]

    def row(self, scenario: str, metric: str) -> pd.Series:
        """The comparison row of one scenario and metric."""
        t = self.table
        hit = t[(t["scenario"] == scenario) & (t["metric"] == metric)]
        if hit.empty:
            raise KeyError(f"no row for scenario {scenario!r}, metric {metric!r}")
        return hit.iloc[0]

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``comparison.json`` / ``--json`` (NaN as null); with an
        uncertainty analysis, ``"uncertainty"`` holds its settings and the rows of
        uncertainty.csv (``"table"``) and drivers.csv (``"drivers"``)."""
        info = dict(self.info)
        if self.uncertainty is not None and "uncertainty" in info:
            info["uncertainty"] = {**info["uncertainty"], "table": rows(self.uncertainty),
                                   "drivers": rows(self.drivers)}
        return comparison_json(info, self.table)


def load(directory: str | Path) -> Comparison:
    """A stored comparison, read from its files only (nothing is run)."""
    directory = Path(directory)
    for name in ("compare.json", "comparison.json", "comparison.csv"):
        if not (directory / name).is_file():
            raise CompareError(f"{directory} is not a finished comparison (no {name}); "
                               "run lcsim compare first")
    info = json.loads((directory / "comparison.json").read_text(encoding="utf-8"))
    info.pop("comparison", None)
    for key in ("table", "drivers"):
        info.get("uncertainty", {}).pop(key, None)
    table = pd.read_csv(directory / "comparison.csv", dtype={"higher_is_better": object})
    table["higher_is_better"] = table["higher_is_better"].map(
        {"True": True, "False": False, True: True, False: False}).astype(object)
    table["higher_is_better"] = table["higher_is_better"].where(
        table["higher_is_better"].notna(), None)
    table["n_pairs"] = table["n_pairs"].astype("Int64")
    scenarios, runs = [], {}
    for name in info["scenarios"]:
        sub = directory / name
        data = yaml.safe_load((sub / "scenario.resolved.yaml").read_text(encoding="utf-8"))
        scenarios.append(Scenario.model_validate(data))
        stored = read_csv_table(sub / "runs.csv")
        runs[name] = (pd.DataFrame({"replication": pd.Series(dtype="int64")}) if stored is None
                      else stored)
    stores = [*info["scenarios"], *(f"uncertainty/{n}" for n in info["scenarios"]
                                    if "uncertainty" in info)]
    failed = {name: ResultStore(directory / name).failures() for name in stores
              if (directory / name).is_dir()}
    unc = drivers = None
    if "uncertainty" in info:
        unc = _read(directory / "uncertainty.csv", "higher_is_better")
        drivers = _read(directory / "drivers.csv")
    return Comparison(directory, scenarios, runs, table, info,
                      {k: v for k, v in failed.items() if v}, unc, drivers)


def rows(table: pd.DataFrame | None) -> list[dict[str, Any]]:
    """A table's rows as JSON-safe dicts (NaN as null), columns in table order."""
    if table is None:
        return []
    return [{c: json_scalar(v) for c, v in zip(table.columns, rec, strict=True)}
            for rec in table.itertuples(index=False, name=None)]


def _read(path: Path, direction: str | None = None) -> pd.DataFrame:
    """A stored uncertainty table (``direction``: a True/False/empty column kept as objects)."""
    if not path.is_file():
        raise CompareError(f"{path.parent} is not a finished comparison (no {path.name}); "
                           "run lcsim compare --uncertainty first")
    table = pd.read_csv(path, dtype={direction: object} if direction else None)
    if direction:
        table[direction] = table[direction].map(
            {"True": True, "False": False, True: True, False: False}).astype(object)
        table[direction] = table[direction].where(table[direction].notna(), None)
    return table
