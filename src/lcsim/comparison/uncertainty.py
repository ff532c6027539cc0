"""Probabilistic sensitivity analysis of a comparison: ``lcsim compare ... --uncertainty N``.

Every scenario is run on each of N assumption sets drawn from the priors (`draws`), R
replications per draw, under common random numbers within the draw; draw k uses replications
kR .. kR+R-1 of the comparison's seed, so draws differ in their chance events as well as their
assumptions (with every prior fixed, the draws are just more replications). The runs go
through the same engine and crash-safe stores as the rest of the comparison
(``DIR/uncertainty/<scenario>/parts``), so ``--resume`` finishes them.

Files (``DIR/uncertainty/``): ``draws.parquet`` (draw x every assumption, the priors' values),
``design.parquet`` (draw x varied assumption, prior quantiles 0-1), ``overrides.json`` (the
assumptions each scenario holds at its own value), ``priors.resolved.yaml`` (the priors used),
``draw_runs.parquet`` (scenario x draw x replication x metrics) and
``draw_differences.parquet`` (proposal x draw x metric: the paired difference, averaged over
the draw's replications). In ``DIR``: ``uncertainty.csv`` and ``drivers.csv`` (columns
`UNCERTAINTY_COLUMNS` and `DRIVER_COLUMNS`, computed by `lcsim.comparison.psa`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pandas as pd
import yaml

from lcsim.comparison.draws import COMMON, Draws, overrides, scenario_for
from lcsim.comparison.stores import Router
from lcsim.config.priors import Priors
from lcsim.config.scenario import Scenario
from lcsim.experiment import replications as experiment
from lcsim.experiment.atomic import atomic_write_parquet, atomic_write_text
from lcsim.experiment.engine import Failure, Task, execute
from lcsim.experiment.resume import drop_orphan_parts
from lcsim.experiment.store import ResultStore

FOLDER = "uncertainty"


@dataclass(frozen=True)
class Settings:
    """What an uncertainty analysis was asked for (recorded in compare.json)."""

    draws: int
    replications: int = 1
    priors_file: str | None = None  # None: the shipped priors
    priors_sha256: str = ""
    thresholds: dict[str, list[float]] = field(default_factory=dict)

    def identity(self) -> dict[str, object]:
        """What must match to resume (thresholds only change the tables, not the runs)."""
        return {"draws": self.draws, "replications_per_draw": self.replications,
                "priors_sha256": self.priors_sha256}


class DrawTasks:
    """The tasks of every scenario on every draw, built lazily, draw by draw.

    Keys are ``<scenario>/p<draw>-r<first>-<last>`` (see `Router`); each task is one
    `experiment.Batch` with ``point`` = the draw, so it returns the runs table only.
    """

    def __init__(self, scenarios: Sequence[Scenario], draws: Draws, seed: int, crn: bool,
                 replications: int) -> None:
        self.scenarios = list(scenarios)
        self.draws = draws
        self.seed = seed
        self.streams = [0 if crn else k + 1 for k in range(len(self.scenarios))]
        self.r = replications
        self._per_draw = len(experiment.batches(self.scenarios[0], seed, 0, replications))

    def __len__(self) -> int:
        return len(self.draws) * len(self.scenarios) * self._per_draw

    def __iter__(self) -> Iterator[Task]:
        for row in self.draws.values.to_dict("records"):
            k = int(row["draw"])
            for sc, stream in zip(self.scenarios, self.streams, strict=True):
                drawn = scenario_for(sc, row)
                for t in experiment.batches(drawn, self.seed, k * self.r, (k + 1) * self.r,
                                            stream, point=k):
                    yield Task(f"{sc.name}/{t.key}", t.payload)


def write_inputs(folder: Path, scenarios: Sequence[Scenario], draws: Draws,
                 priors: Priors) -> None:
    """The draws, their design, each scenario's own assumptions and the priors used."""
    atomic_write_parquet(draws.values, folder / "draws.parquet")
    atomic_write_parquet(draws.unit, folder / "design.parquet")
    atomic_write_text(folder / "overrides.json", json.dumps(
        {sc.name: overrides(sc) for sc in scenarios}, indent=2) + "\n")
    entries = {name: e.model_dump(mode="json", exclude_none=True)
               for name, e in priors.entries.items()}
    atomic_write_text(folder / "priors.resolved.yaml", yaml.safe_dump(
        {"description": priors.description, "assumptions": entries}, sort_keys=False))


def run_draws(out: Path, scenarios: Sequence[Scenario], draws: Draws, priors: Priors,
              seed: int, crn: bool, replications: int, executor: Executor, resume: bool,
              progress: bool | None) -> list[Failure]:
    """Run every scenario on every draw into ``out/uncertainty``; return the failed tasks."""
    folder = out / FOLDER
    stores = {sc.name: ResultStore(folder / sc.name) for sc in scenarios}
    if resume:
        for store in stores.values():
            drop_orphan_parts(store)
    write_inputs(folder, scenarios, draws, priors)
    tasks = DrawTasks(scenarios, draws, seed, crn, replications)
    router = cast(ResultStore, Router(stores))  # duck-typed: see Router
    # experiment.run_batch looked up at call time (tests substitute it)
    return execute(tasks, experiment.run_batch, router, executor, progress=progress,
                   desc=f"uncertainty ({len(draws)} draws)")


def read_draw_runs(out: Path, names: Sequence[str]) -> pd.DataFrame:
    """Every scenario's runs on the draws: scenario, draw, replication, metrics (sorted)."""
    frames = []
    for name in names:
        runs = ResultStore(out / FOLDER / name).read_table("runs")
        if runs.empty or "point" not in runs.columns:
            continue
        frames.append(runs.rename(columns={"point": "draw"}).assign(scenario=name))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                             (("scenario", object), ("draw", "int64"),
                              ("replication", "int64"))})
    runs = pd.concat(frames, ignore_index=True)
    runs["scenario"] = pd.Categorical(runs["scenario"], categories=list(names))
    runs = runs.sort_values(["scenario", "draw", "replication"], kind="stable")
    runs["scenario"] = runs["scenario"].astype(str)
    cols = ["scenario", "draw", "replication"]
    return runs[cols + [c for c in runs.columns if c not in cols]].reset_index(drop=True)


@dataclass
class Analysis:
    """An uncertainty analysis being run: its settings, priors and draws, its failed tasks."""

    settings: Settings
    priors: Priors
    draws: Draws
    failures: list[Failure] = field(default_factory=list)
    held: dict[str, dict[str, object]] = field(default_factory=dict)

    def failed(self) -> dict[str, dict[str, str]]:
        """Failed tasks by ``uncertainty/<scenario>`` (tracebacks in its failures/ folder)."""
        out: dict[str, dict[str, str]] = {}
        for f in self.failures:
            name, _, key = f.key.partition("/")
            out.setdefault(f"{FOLDER}/{name}", {})[key] = f.error
        return out

    def finish(self, out: Path, scenarios: Sequence[Scenario],
               central: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Store the runs and differences on the draws; return (uncertainty, drivers) tables."""
        from lcsim.comparison.psa import draw_differences, drivers_table, uncertainty_table

        names = [sc.name for sc in scenarios]
        self.held = {sc.name: overrides(sc) for sc in scenarios}
        r = self.settings.replications
        runs = read_draw_runs(out, names)
        atomic_write_parquet(runs, out / FOLDER / "draw_runs.parquet")
        diffs = draw_differences(runs, names, r)
        atomic_write_parquet(diffs, out / FOLDER / "draw_differences.parquet")
        table = uncertainty_table(diffs, names, r, central, self.settings.thresholds)
        factors = [*self.priors.entries, *([COMMON] if COMMON in self.draws.unit else [])]
        drivers = drivers_table(diffs, self.draws.unit, names, factors, self.held)
        return table, drivers

    def info(self) -> dict[str, object]:
        """What comparison.json records of the analysis (besides its tables)."""
        s = self.settings
        return {"draws": s.draws, "replications_per_draw": s.replications,
                "priors_file": s.priors_file, "priors_sha256": s.priors_sha256,
                "design": "scrambled Sobol' sequence through each prior's inverse CDF",
                "varied": self.draws.varied, "thresholds": s.thresholds,
                "effects_of_support_correlation": self.priors.effects_of_support_correlation,
                "held_by_scenario": self.held}


def plan_uncertainty(draws: int | None, replications: int, priors: str | Path | None,
                     seed: int, thresholds: dict[str, list[float]]) -> Analysis | None:
    """Load the priors and draw the assumption sets, checking everything before any run;
    None without ``draws``."""
    import hashlib

    from lcsim.comparison.checks import CompareError
    from lcsim.comparison.draws import draw_assumptions
    from lcsim.config.priors import SHIPPED, load_priors

    if not draws:
        if priors is not None:
            raise CompareError("--priors only applies with --uncertainty N")
        if replications != 1:
            raise CompareError("replications per draw only apply with --uncertainty N")
        return None
    if replications < 1:
        raise CompareError(f"replications per draw must be >= 1, found {replications}")
    path = Path(priors) if priors is not None else SHIPPED
    loaded = load_priors(path)
    digest = hashlib.sha256(json.dumps(
        {k: e.model_dump(mode="json") for k, e in loaded.entries.items()},
        sort_keys=True).encode()).hexdigest()
    settings = Settings(draws, replications, None if priors is None else str(priors), digest,
                        thresholds)
    return Analysis(settings, loaded, draw_assumptions(loaded, draws, seed))
