"""What `lcsim.run` and `lcsim.sweep` return: a finished run or sweep, its tables as DataFrames.

`RunResults` holds one scenario's per-replication metrics and reads its student, episode and
faculty tables from the run directory on first use. `SweepResults` holds a sweep's plan and
sensitivity indices and reads its points, runs and per-point summary on first use (a sweep's
runs can be large). Each has ``to_json()``, the object the command's ``--json`` prints, so the
command line and a notebook see the same thing. (`lcsim.compare` returns a
`lcsim.comparison.result.Comparison`.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lcsim.outcomes.json_values import json_scalar

if TYPE_CHECKING:
    from lcsim.config.scenario import Scenario
    from lcsim.sweeps.runner import SweepPlan


def _read(path: Path) -> pd.DataFrame:
    """A stored table, or an empty one when the file is missing or empty (nothing ran)."""
    if not path.is_file() or not path.stat().st_size:
        return pd.DataFrame()
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


@dataclass
class RunResults:
    """Replications of one scenario: ``runs`` has one row per replication (``replication``
    and every metric); ``failures`` maps failed task keys to their tracebacks."""

    directory: Path
    scenario: Scenario
    seed: int
    runs: pd.DataFrame
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        """The metric columns of ``runs``."""
        return [c for c in self.runs.columns if c != "replication"]

    def summary(self) -> pd.DataFrame:
        """Per metric: replications with a value (``n``), mean and 95% CI across replications.

        A Kaplan-Meier time that some replication never reached within follow-up has no mean
        (NaN): averaging only the replications that reached it would flatter the scenario.
        """
        from lcsim.outcomes.registry import BEYOND_FOLLOW_UP
        from lcsim.stats.intervals import summarise

        return summarise(self.runs, self.metrics, complete=BEYOND_FOLLOW_UP)

    @cached_property
    def students(self) -> pd.DataFrame:
        """One row per student and replication (read from ``students.parquet``)."""
        return _read(self.directory / "students.parquet")

    @cached_property
    def episodes(self) -> pd.DataFrame:
        """One row per setback episode and replication (read from ``episodes.parquet``)."""
        return _read(self.directory / "episodes.parquet")

    @cached_property
    def faculty(self) -> pd.DataFrame:
        """One row per faculty member and replication (read from ``faculty.parquet``)."""
        return _read(self.directory / "faculty.parquet")

    def to_json(self) -> dict[str, Any]:
        """What ``lcsim run --json`` prints: the scenario, replication count, seed and, per
        metric, the mean and 95% CI (null where undefined)."""
        metrics: dict[str, dict[str, float | None]] = {}
        if len(self.runs):
            metrics = {r.metric: {"mean": json_scalar(r.mean), "ci_low": json_scalar(r.ci_low),
                                  "ci_high": json_scalar(r.ci_high)}
                       for r in self.summary().itertuples()}
        return {"scenario": self.scenario.name, "replications": int(len(self.runs)),
                "seed": self.seed, "metrics": metrics}


@dataclass
class SweepResults:
    """A finished sweep: its plan, ``n_runs`` runs stored, the ``sensitivity`` indices (one row
    per metric, factor, method and index), failed task keys with their tracebacks, and the path
    of its report (None when none was written)."""

    directory: Path
    plan: SweepPlan
    n_runs: int
    sensitivity: pd.DataFrame
    failures: dict[str, str] = field(default_factory=dict)
    report: Path | None = None

    @cached_property
    def points(self) -> pd.DataFrame:
        """One row per design point: ``point`` and the factor values (``points.parquet``)."""
        return _read(self.directory / "points.parquet")

    @cached_property
    def runs(self) -> pd.DataFrame:
        """One row per point and replication with every metric (``runs.parquet``)."""
        return _read(self.directory / "runs.parquet")

    @cached_property
    def point_summary(self) -> pd.DataFrame:
        """Per point and metric, the mean and 95% CI across replications."""
        return _read(self.directory / "point_summary.csv")

    @cached_property
    def failed_runs(self) -> int:
        """Replications in the failed tasks (each task runs a batch of one point's)."""
        if not self.failures:
            return 0
        from lcsim.sweeps.runner import SweepTasks

        return sum(len(task.payload.reps) for task in SweepTasks(self.plan)
                   if task.key in self.failures)

    def top_factors(self, n: int = 3) -> dict[str, list[dict[str, Any]]]:
        """Per metric, the ``n`` most influential factors by the design's primary index
        (Sobol' total order, Morris mu*, otherwise |standardized regression coefficient|)."""
        from lcsim.sweeps.sensitivity import top_indices

        return top_indices(self.sensitivity, self.plan.spec.design, n)

    def headline_factors(self, n: int = 3) -> dict[str, list[dict[str, Any]]]:
        """`top_factors` of the metrics the sweep report headlines, in its order (of the first
        six metrics when the sweep measured none of them)."""
        from lcsim.reports.sweep import HEADLINE

        top = self.top_factors(n)
        shown = [m for m in HEADLINE if m in top] or list(top)[:6]
        return {metric: top[metric] for metric in shown}

    def to_json(self) -> dict[str, Any]:
        """What ``lcsim sweep --json`` prints: counts, output paths and the top three factors
        of each metric."""
        plan = self.plan
        return {
            "sweep": plan.name, "file": plan.display, "design": plan.spec.design,
            "points": plan.n_points, "replications": plan.spec.replications,
            "runs": self.n_runs, "seed": plan.spec.seed, "out": str(self.directory),
            "failures": len(self.failures), "failed_runs": self.failed_runs,
            "report": None if self.report is None else str(self.report),
            "sensitivity": self.top_factors(),
        }
