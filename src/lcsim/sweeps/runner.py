"""Parameter sweeps: a sweep file -> design points -> replications on the engine -> tables.

A sweep file names a base scenario, a design (grid, random, lhs, sobol, morris) and factors
(dotted scenario keys with ``values`` or a ``range``). Everything is checked before any work
starts: the file's keys, that every factor is a scenario field, and that every design point is a
valid Scenario. Each task runs one batch of replications of one point; every point uses the same
replication seeds (common random numbers), so differences between points are not seed noise.

A sweep directory holds ``sweep.json`` (manifest; ``--resume`` refuses a different sweep),
``points.parquet`` (point id and factor values), ``design.parquet`` (unit-cube coordinates, for
Morris), ``runs.parquet`` (point x replication x metrics, assembled from ``parts/runs``),
``failures.csv`` and, after analysis, ``point_summary.csv``, ``sensitivity.csv``, ``report.html``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from pydantic import (
    ValidationError,
)

import lcsim
from lcsim.config.loader import ConfigError, load_mapping, validate_mapping
from lcsim.config.scenario import Scenario
from lcsim.experiment.engine import Task, execute
from lcsim.experiment.replications import (
    Batch,
    RunError,
    batches,
    code_hash,
    git_commit,
    now_iso,
    replication_seed,
    scenario_yaml,
)
from lcsim.experiment.store import (
    ResultStore,
    atomic_open,
    atomic_write_csv,
    atomic_write_parquet,
    atomic_write_text,
)
from lcsim.model.simulation import Model
from lcsim.outcomes.compute import compute
from lcsim.sweeps.design import (
    _SHOWN_PROBLEMS,
    MANIFEST,
    MAX_POINTS,
    MAX_RUNS,
    FactorInfo,
    SweepSpec,
    _get,
    _set,
    design_values,
    field_kind,
    n_points,
    point_data,
    scenario_fields,
    unit_design,
)


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


def _error(lines: Sequence[ConfigError]) -> ConfigError:
    """One ConfigError listing every problem (the first gives file/key/line)."""
    shown = [e.problems[0] for e in lines[:_SHOWN_PROBLEMS]]
    if len(lines) > _SHOWN_PROBLEMS:
        shown.append(f"... and {len(lines) - _SHOWN_PROBLEMS} more problems")
    first = lines[0]
    return ConfigError(str(first), file=first.file, key=first.key, line=first.line,
                       expected=first.expected, found=first.found, problems=shown)


def _refusal(data: dict[str, Any]) -> str | None:
    """Why the scenario schema refuses ``data`` (its problems joined), or None if valid."""
    try:
        Scenario.model_validate(data)
    except ValidationError:
        try:
            validate_mapping(data, Scenario, {}, None)
        except ConfigError as err:
            return "; ".join(err.problems)
    return None


def _check_factor(info: FactorInfo, base: Scenario, base_data: dict[str, Any], where: dict,
                  base_file: str) -> list[ConfigError]:
    """Problems of one factor: not a field, section off in the base, or values refused."""
    path, spec = info.path, info.spec
    if info.kind is None:
        guess = difflib.get_close_matches(path, scenario_fields(), n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        return [ConfigError(f"not a scenario field{hint}", **where)]
    parts = path.split(".")
    for i in range(1, len(parts)):
        if _get(base, ".".join(parts[:i])) is None:
            section = ".".join(parts[:i])
            return [ConfigError(f"{section} is off (null) in the base scenario {base_file}; "
                                "switch it on there to sweep its fields", **where)]
    if spec.range is not None and info.kind not in ("int", "float"):
        return [ConfigError(f"a range needs a number field, but {path} is not one; use "
                            "values: [...]", **where)]
    candidates: list[tuple[str, Any]]
    if spec.range is not None:
        lo, hi = spec.range
        if info.integer and not (lo.is_integer() and hi.is_integer()):
            return [ConfigError(f"{path} takes whole numbers: the range ends must be whole "
                                f"numbers, found [{lo:g}, {hi:g}]", **where)]
        cast = int if info.integer else float
        candidates = [("range low end", cast(lo)), ("range high end", cast(hi))]
    else:
        candidates = [("value", v) for v in dict.fromkeys(spec.values or ())]
    out = []
    for label, value in candidates:
        why = _refusal(_set(base_data, path, value))
        if why is not None:
            out.append(ConfigError(f"{label} {json.dumps(value)} is refused by the scenario "
                                   f"({why})", **where))
    return out


def _where(display: str, origins: Mapping[str, tuple[str, int]], key: str) -> dict[str, Any]:
    origin = origins.get(key)
    return {"file": display, "key": key, "line": origin[1] if origin else None}


def plan_sweep(path: str | os.PathLike[str]) -> SweepPlan:
    """Load and check a sweep file and generate its points; raise ConfigError (listing every
    bad factor or design point) before anything runs."""
    display = os.fspath(path)
    data, origins = load_mapping(path)
    spec = validate_mapping(data, SweepSpec, origins, display)
    file = Path(path)
    base_path = file.parent / spec.base
    base_display = os.path.normpath(os.path.join(os.path.dirname(display), spec.base))
    if not base_path.is_file():
        raise ConfigError(f"base scenario {spec.base!r} not found (looked for {base_display})",
                          **_where(display, origins, "base"))
    nice = Path(base_display)  # same file, shorter name in messages
    base_raw, base_origins = load_mapping(nice if nice.is_file() else base_path)
    base = validate_mapping(base_raw, Scenario, base_origins, base_display)
    base_data = base.model_dump()

    factors = tuple(FactorInfo(p, f, field_kind(p)) for p, f in spec.factors.items())
    problems: list[ConfigError] = []
    for info in factors:
        where = _where(display, origins, f"factors.{info.path}")
        outer = [o.path for o in factors if info.path.startswith(o.path + ".")]
        if outer and info.kind is not None:
            problems.append(ConfigError(f"overlaps factor {outer[0]}, which sets its whole "
                                        "section", **where))
            continue
        problems += _check_factor(info, base, base_data, where, base_display)
    if problems:
        raise _error(problems)
    count = n_points(spec, factors)
    if count > MAX_POINTS or count * spec.replications > MAX_RUNS:
        raise ConfigError(f"the design has {count:,} points x {spec.replications:,} "
                          f"replications; the limits are {MAX_POINTS:,} points and "
                          f"{MAX_RUNS:,} runs", **_where(display, origins, "design"))

    unit = unit_design(spec, factors)
    values = design_values(spec, factors, unit)
    paths = [f.path for f in factors]
    columns: dict[str, list[Any]] = {p: [] for p in paths}
    where = _where(display, origins, "factors")
    for i, row in enumerate(values):
        point = dict(zip(paths, row, strict=True))
        try:
            sc = Scenario.model_validate(point_data(base_data, point))
        except ValidationError:
            shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in point.items())
            why = _refusal(point_data(base_data, point))
            problems.append(ConfigError(f"design point {i} ({shown}) is refused by the "
                                        f"scenario ({why})", **where))
            continue
        for p in paths:
            columns[p].append(_get(sc, p))
    if problems:
        raise _error(problems)
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


# --------------------------------------------------------------------------------------------
# Tasks and the worker


@dataclass(frozen=True)
class PointBatch:
    """Payload of one sweep task: design point `point` and a Batch of its replications."""

    point: int
    batch: Batch


def run_point_batch(task: PointBatch) -> dict[str, pd.DataFrame]:
    """Worker: run the batch and return only the `runs` table (with a `point` column).

    Student and episode tables are not kept: a sweep has too many runs to store them.
    """
    b = task.batch
    rows = []
    for rep in b.reps:
        result = Model(b.scenario, replication_seed(b.seed, rep, b.stream)).run()
        rows.append({"point": task.point, "replication": rep, **compute(result)})
    return {"runs": pd.DataFrame(rows)}


class SweepTasks:
    """All tasks of a sweep, built lazily (one scenario at a time) so memory stays flat.

    Keys ``p<point>-r<first>-<last>`` sort point-major; batches are fixed (experiment.BATCH),
    so keys and results do not depend on the number of workers.
    """

    def __init__(self, plan: SweepPlan) -> None:
        self.plan = plan
        reps = plan.spec.replications
        self._per_point = len(batches(plan.base, plan.spec.seed, 0, reps))

    def __len__(self) -> int:
        return self.plan.n_points * self._per_point

    def __iter__(self) -> Iterator[Task]:
        plan = self.plan
        base_data = plan.base.model_dump()
        for point, row in enumerate(plan.values):
            sc = Scenario.model_validate(point_data(base_data, dict(zip(plan.paths, row,
                                                                        strict=True))))
            for t in batches(sc, plan.spec.seed, 0, plan.spec.replications):
                yield Task(f"p{point:06d}-{t.key}", PointBatch(point, t.payload))


# --------------------------------------------------------------------------------------------
# Running a sweep into a directory


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


def _prepare(directory: Path, plan: SweepPlan, resume: bool) -> dict[str, Any]:
    """Create the sweep directory, or check that an existing one may be resumed."""
    manifest = directory / f"{MANIFEST}.json"
    want = identity(plan)
    busy = directory.exists() and any(directory.iterdir())
    if manifest.exists():
        if not resume:
            raise RunError(f"{directory} already holds a sweep: use --resume to finish it, "
                           "or choose another --out")
        have = json.loads(manifest.read_text(encoding="utf-8"))
        diff = [k for k in want if have.get(k) != want[k]]
        if diff:
            raise RunError(f"cannot resume {directory}: {', '.join(diff)} differ from the "
                           "stored sweep (a different sweep file, base scenario, seed or "
                           "lcsim code)")
        return have
    if busy:
        raise RunError(f"cannot {'resume' if resume else 'use'} {directory}: it is not empty "
                       "and holds no sweep.json")
    factors = {f.path: {"type": f.kind, "values": None if f.spec.values is None
                        else list(f.spec.values),
                        "range": None if f.spec.range is None else list(f.spec.range),
                        "log": f.spec.log} for f in plan.factors}
    return {**want, "git_commit": git_commit(), "kind": "sweep", "name": plan.name,
            "file": plan.display,
            "file_sha256": plan.file_sha256, "base": plan.base_file,
            "base_scenario": plan.base.name, "design": plan.spec.design,
            "samples": plan.spec.samples,
            "levels": plan.spec.n_levels if plan.spec.design in ("grid", "morris") else None,
            "replications": plan.spec.replications, "factors": factors,
            "points": plan.n_points, "status": "running", "started": now_iso()}


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


def run_sweep(plan: SweepPlan, directory: Path, *, executor: Any, resume: bool = False,
              progress: bool | None = None, workers: int | None = None,
              worker: Callable[[Any], dict[str, pd.DataFrame]] | None = None,
              analyse: bool = True) -> SweepOutput:
    """Run every task of ``plan`` not yet done in ``directory`` and assemble the tables.

    ``worker`` replaces ``run_point_batch`` (benchmarks substitute a cheap one); ``analyse``
    computes ``point_summary.csv`` and ``sensitivity.csv`` out of core afterwards.
    """
    directory = Path(directory)
    manifest = _prepare(directory, plan, resume)
    store = ResultStore(directory)
    store.write_json(MANIFEST, manifest)
    for stale in ("runs.parquet", "point_summary.csv", "sensitivity.csv", "report.html"):
        (directory / stale).unlink(missing_ok=True)  # a resumed sweep rebuilds them
    atomic_write_parquet(plan.points, directory / "points.parquet")
    atomic_write_parquet(pd.DataFrame(plan.unit, columns=plan.paths)
                         .assign(point=np.arange(plan.n_points))
                         .loc[:, ["point", *plan.paths]], directory / "design.parquet")
    atomic_write_text(directory / "scenario.resolved.yaml", scenario_yaml(plan.base))
    atomic_write_text(directory / "sweep.resolved.yaml", yaml.safe_dump(
        plan.spec.model_dump(mode="json"), sort_keys=False))

    execute(SweepTasks(plan), worker or run_point_batch, store, executor, progress=progress,
            desc=plan.name)  # failures are recorded in the store (failures/<task>.txt)

    assemble_runs(store, directory / "runs.parquet")
    recorded = store.failures()
    atomic_write_csv(pd.DataFrame(
        [{"task": k, "point": int(k[1:7]), "error": (v.strip().splitlines() or [""])[-1]}
         for k, v in recorded.items()], columns=["task", "point", "error"]),
        directory / "failures.csv")
    runs = pq.ParquetFile(directory / "runs.parquet").metadata.num_rows
    manifest.update({"status": "failed" if recorded else "complete", "finished": now_iso(),
                     "runs": runs, "workers": workers,
                     "failed_tasks": sorted(recorded)})
    store.write_json(MANIFEST, manifest)
    sens = None
    if analyse:
        from lcsim.sweeps.sensitivity import analyse as run_analysis

        sens = run_analysis(directory)
    return SweepOutput(directory, plan, runs, recorded, sens)
