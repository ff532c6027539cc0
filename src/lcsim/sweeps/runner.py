"""Parameter sweeps: a sweep file -> design points -> replications on the engine -> tables.

A sweep file names a base scenario, a design (grid, random, lhs, sobol, morris) and factors
(dotted scenario keys with ``values`` or a ``range``). Everything is checked before any work
starts: the file's keys, that every factor is a scenario field, and that every design point is a
valid Scenario (`lcsim.sweeps.checks`). Each task runs one batch of replications of one point
(`lcsim.experiment.replications.run_batch`, the worker of every command); every point uses the
same replication seeds (common random numbers), so differences between points are not seed
noise.

A sweep directory holds ``sweep.json`` (its record in the resume protocol of
`lcsim.experiment.resume`: ``--resume`` refuses a different sweep),
``points.parquet`` (point id and factor values), ``design.parquet`` (unit-cube coordinates, for
Morris), ``runs.parquet`` (point x replication x metrics, assembled from ``parts/runs``),
``failures.csv`` and, after analysis, ``point_summary.csv``, ``sensitivity.csv``, ``report.html``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

import lcsim
from lcsim.config.loader import ConfigError, load_mapping, validate_mapping
from lcsim.config.scenario import Scenario
from lcsim.experiment import replications
from lcsim.experiment.atomic import (
    atomic_open,
    atomic_write_csv,
    atomic_write_parquet,
    atomic_write_text,
)
from lcsim.experiment.engine import Task, execute
from lcsim.experiment.provenance import code_hash, git_commit, scenario_yaml
from lcsim.experiment.resume import Kind, finish_directory, start_directory
from lcsim.experiment.store import ResultStore
from lcsim.sweeps.checks import check_factors, check_size, point_columns, where
from lcsim.sweeps.design import FactorInfo, SweepSpec, design_values, unit_design
from lcsim.sweeps.fields import field_kind, point_data

SWEEP = Kind("sweep", "a sweep", "it",
             stored="the stored sweep (a different sweep file, base scenario, seed or lcsim "
             "code)", no_record="it is not empty and holds no sweep.json", fresh_only=True)


@dataclass
class SweepPlan:
    """A validated sweep: its spec, base scenario, factors and design points."""

    file: Path
    display: str
    spec: SweepSpec
    base: Scenario
    base_file: str
    factors: tuple[FactorInfo, ...]
    unit: np.ndarray
    values: list[tuple[Any, ...]]
    points: pd.DataFrame
    file_sha256: str

    @property
    def name(self) -> str:
        return self.spec.name or self.file.stem

    @property
    def n_points(self) -> int:
        return len(self.values)

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.factors]

    def sweep_hash(self) -> str:
        """Hash of everything that determines the results (not names, descriptions or the
        base file's location)."""
        spec = self.spec.model_dump(mode="json", exclude={"base", "name", "description"})
        text = json.dumps({"spec": spec,
                           "base": self.base.model_dump(mode="json")}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def plan_sweep(path: str | os.PathLike[str]) -> SweepPlan:
    """Load and check a sweep file and generate its points; raise ConfigError (listing every
    bad factor or design point) before anything runs."""
    display = os.fspath(path)
    data, origins = load_mapping(display)
    spec = validate_mapping(data, SweepSpec, origins, display)
    file = Path(path)
    base_path = file.parent / spec.base
    base_display = os.path.normpath(os.path.join(os.path.dirname(display), spec.base))
    if not base_path.is_file():
        raise ConfigError(f"base scenario {spec.base!r} not found (looked for {base_display})",
                          **where(display, origins, "base"))
    nice = Path(base_display)  # same file, shorter name in messages
    base_raw, base_origins = load_mapping(nice if nice.is_file() else base_path)
    base = validate_mapping(base_raw, Scenario, base_origins, base_display)

    factors = tuple(FactorInfo(p, f, field_kind(p)) for p, f in spec.factors.items())
    check_factors(factors, base, base_display, display, origins)
    check_size(spec, factors, display, origins)
    unit = unit_design(spec, factors)
    values = design_values(spec, factors, unit)
    columns = point_columns(base, [f.path for f in factors], values, display, origins)
    return SweepPlan(file, display, spec, base, base_display, factors, unit, values,
                     _points_table(columns, factors), hashlib.sha256(file.read_bytes()).hexdigest())


def _points_table(columns: dict[str, list[Any]], factors: Sequence[FactorInfo]) -> pd.DataFrame:
    n = len(next(iter(columns.values()))) if columns else 0
    df = pd.DataFrame({"point": np.arange(n, dtype=np.int64)})
    for info in factors:
        col = columns[info.path]
        if info.integer and any(v is None for v in col):
            df[info.path] = pd.array(col, dtype="Int64")
        else:
            df[info.path] = pd.Series(col, dtype=object).infer_objects()
    return df


class SweepTasks:
    """All tasks of a sweep, built lazily (one scenario at a time) so memory stays flat.

    Keys ``p<point>-r<first>-<last>`` sort point-major; batches are fixed (experiment.BATCH),
    so keys and results do not depend on the number of workers.
    """

    def __init__(self, plan: SweepPlan) -> None:
        self.plan = plan
        reps = plan.spec.replications
        self._per_point = len(replications.batches(plan.base, plan.spec.seed, 0, reps))

    def __len__(self) -> int:
        return self.plan.n_points * self._per_point

    def __iter__(self) -> Iterator[Task]:
        plan = self.plan
        base_data = plan.base.model_dump()
        for point, row in enumerate(plan.values):
            sc = Scenario.model_validate(point_data(base_data, dict(zip(plan.paths, row,
                                                                        strict=True))))
            yield from replications.batches(sc, plan.spec.seed, 0, plan.spec.replications,
                                            point=point)


@dataclass
class SweepOutput:
    """A finished (or partly failed) sweep."""

    directory: Path
    plan: SweepPlan
    runs: int
    failures: dict[str, str] = field(default_factory=dict)
    sensitivity: pd.DataFrame | None = None


def identity(plan: SweepPlan) -> dict[str, Any]:
    """What must match for a sweep directory to be resumed."""
    return {"sweep_hash": plan.sweep_hash(), "seed": plan.spec.seed,
            "lcsim_version": lcsim.__version__, "code_hash": code_hash()}


def description(plan: SweepPlan) -> dict[str, Any]:
    """What sweep.json records about the sweep besides its identity."""
    factors = {f.path: {"type": f.kind, "values": None if f.spec.values is None
                        else list(f.spec.values),
                        "range": None if f.spec.range is None else list(f.spec.range),
                        "log": f.spec.log} for f in plan.factors}
    return {"git_commit": git_commit(), "kind": "sweep", "name": plan.name,
            "file": plan.display,
            "file_sha256": plan.file_sha256, "base": plan.base_file,
            "base_scenario": plan.base.name, "design": plan.spec.design,
            "samples": plan.spec.samples,
            "levels": plan.spec.n_levels if plan.spec.design in ("grid", "morris") else None,
            "replications": plan.spec.replications, "factors": factors,
            "points": plan.n_points}


def assemble_runs(store: ResultStore, path: Path, rows_per_group: int = 4_096) -> int:
    """Stream the runs parts, in key order, into one Parquet file; return its row count.

    Unlike ``ResultStore.finalize`` this keeps neither every part's schema nor one row group
    per part (whose footer metadata a ParquetWriter holds until it closes), so the driver's
    memory stays flat however many tasks a sweep has. Parts are cast to their unified schema;
    small parts are compacted 64 at a time (each pins a larger read buffer).
    """
    keys = sorted(store.done_keys("runs"))
    schema: pa.Schema | None = None
    for key in keys:  # pass 1: unified schema, one footer at a time
        part = pq.ParquetFile(store.part_path("runs", key)).schema_arrow
        schema = part if schema is None else pa.unify_schemas([schema, part],
                                                              promote_options="permissive")
    if schema is None:
        empty = pd.DataFrame({c: pd.Series(dtype="int64") for c in ("point", "replication")})
        atomic_write_parquet(empty, path)
        return 0
    rows = 0
    pending: list[pa.Table] = []
    chunks: list[pa.Table] = []
    with atomic_open(path, "wb") as fh, pq.ParquetWriter(fh, schema) as writer:
        for i, key in enumerate(keys):
            table = pq.read_table(store.part_path("runs", key))
            pending.append(pa.table({f.name: table.column(f.name).cast(f.type)
                                     if f.name in table.column_names
                                     else pa.nulls(table.num_rows, f.type) for f in schema},
                                    schema=schema))
            last = i == len(keys) - 1
            if len(pending) == 64 or last:
                chunks.append(pa.concat_tables(pending).combine_chunks())
                pending = []
            size = sum(t.num_rows for t in chunks)
            if size >= rows_per_group or last:
                writer.write_table(pa.concat_tables(chunks), row_group_size=rows_per_group)
                rows += size
                chunks = []
    return rows


def _write_inputs(directory: Path, plan: SweepPlan) -> None:
    """The sweep's points, unit design and resolved files (a resumed sweep rebuilds its
    results, so those are removed)."""
    for stale in ("runs.parquet", "point_summary.csv", "sensitivity.csv", "report.html"):
        (directory / stale).unlink(missing_ok=True)
    atomic_write_parquet(plan.points, directory / "points.parquet")
    atomic_write_parquet(pd.DataFrame(plan.unit, columns=plan.paths)
                         .assign(point=np.arange(plan.n_points))
                         .loc[:, ["point", *plan.paths]], directory / "design.parquet")
    atomic_write_text(directory / "scenario.resolved.yaml", scenario_yaml(plan.base))
    atomic_write_text(directory / "sweep.resolved.yaml", yaml.safe_dump(
        plan.spec.model_dump(mode="json"), sort_keys=False))


def run_sweep(plan: SweepPlan, directory: Path, *, executor: Executor, resume: bool = False,
              progress: bool | None = None, workers: int | None = None,
              worker: Callable[[Any], dict[str, pd.DataFrame]] | None = None,
              analyse: bool = True) -> SweepOutput:
    """Run every task of ``plan`` not yet done in ``directory`` and assemble the tables.

    ``worker`` replaces ``replications.run_batch`` (benchmarks substitute a cheap one);
    ``analyse`` computes ``point_summary.csv`` and ``sensitivity.csv`` out of core afterwards.
    """
    directory = Path(directory)
    start_directory(directory, SWEEP, identity(plan), resume, description(plan))
    _write_inputs(directory, plan)
    store = ResultStore(directory)
    # replications.run_batch looked up at call time (tests substitute it)
    execute(SweepTasks(plan), worker or replications.run_batch, store, executor,
            progress=progress, desc=plan.name)  # failures are recorded in failures/<task>.txt

    assemble_runs(store, directory / "runs.parquet")
    recorded = store.failures()
    atomic_write_csv(pd.DataFrame(
        [{"task": k, "point": int(k[1:7]), "error": (v.strip().splitlines() or [""])[-1]}
         for k, v in recorded.items()], columns=["task", "point", "error"]),
        directory / "failures.csv")
    runs = pq.ParquetFile(directory / "runs.parquet").metadata.num_rows
    finish_directory(directory, SWEEP, bool(recorded), {
        "runs": runs, "workers": workers, "failed_tasks": sorted(recorded)})
    sens = None
    if analyse:
        from lcsim.sweeps.sensitivity import analyse as run_analysis

        sens = run_analysis(directory)
    return SweepOutput(directory, plan, runs, recorded, sens)
