"""Replications of a scenario: seeds, batches, the one worker function, and a run directory.

A run directory holds what `lcsim run` promises: `runs.csv`, `students.parquet`,
`episodes.parquet`, `faculty.parquet`, `manifest.json` and `scenario.resolved.yaml` (and
`events.parquet` with `--trace`), plus the crash-safe parts (`parts/`) they are assembled from, so `--resume` can finish an interrupted
run. `run_batch` is the worker of `lcsim run`, `lcsim compare` and `lcsim sweep` alike.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import simpy

import lcsim
from lcsim.config.scenario import Scenario
from lcsim.experiment.atomic import atomic_write_text
from lcsim.experiment.engine import Failure, Task, execute
from lcsim.experiment.errors import RunError
from lcsim.experiment.provenance import code_hash, git_commit, scenario_hash, scenario_yaml
from lcsim.experiment.resume import Kind, finish_directory, start_directory
from lcsim.experiment.store import ResultStore, read_csv_table
from lcsim.model.simulation import Model, RunResult
from lcsim.model.trace import Trace
from lcsim.outcomes.compute import compute

BATCH = 5  # replications per task: fixed so task keys (and --resume) do not depend on workers
RUN = Kind("manifest", "results", "them",
           stored="the stored run (different scenario, seed, --trace or lcsim code)")


@dataclass(frozen=True)
class Batch:
    """The payload of one task: replications `reps` of `scenario`.

    ``point`` is set for a design point of a sweep: its rows get a ``point`` column and only
    the ``runs`` table is returned (a sweep has too many runs to keep students and episodes).
    ``trace`` (a share in (0, 1]) adds an ``events`` table (`lcsim.model.trace`); sweeps never
    trace.
    """

    scenario: Scenario
    seed: int
    reps: tuple[int, ...]
    stream: int = 0  # 0: common random numbers; k > 0: scenario k's own streams (--no-crn)
    point: int | None = None
    trace: float | None = None  # share of students whose events are logged (--trace)


def replication_seed(seed: int, rep: int, stream: int = 0) -> np.random.SeedSequence:
    """Seed of replication `rep`: `SeedSequence(seed).spawn(...)[rep]`, for any count.

    `stream > 0` gives a scenario its own independent streams (no common random numbers).
    """
    key = (rep,) if stream == 0 else (rep, stream)
    return np.random.SeedSequence(seed, spawn_key=key)


def _results(batch: Batch) -> Iterator[tuple[int, RunResult]]:
    for rep in batch.reps:
        # The traced students are keyed without the scenario's stream: the same in every
        # scenario of a comparison, with or without --no-crn.
        trace = (Trace(batch.trace, replication_seed(batch.seed, rep))
                 if batch.trace and batch.point is None else None)
        seed = replication_seed(batch.seed, rep, batch.stream)
        yield rep, Model(batch.scenario, seed, trace=trace).run()


def run_batch(batch: Batch) -> dict[str, pd.DataFrame]:
    """Worker function: run the batch's replications and return their tables."""
    if batch.point is not None:
        return {"runs": pd.DataFrame([{"point": batch.point, "replication": rep, **compute(r)}
                                      for rep, r in _results(batch)])}
    runs, students, episodes, faculty, events = [], [], [], [], []
    for rep, result in _results(batch):
        runs.append({"replication": rep, **compute(result)})
        students.append(result.students.assign(replication=rep))
        episodes.append(result.episodes.assign(replication=rep))
        faculty.append(result.faculty.assign(replication=rep))
        if result.events is not None:
            events.append(result.events.assign(replication=rep))
    tables = {
        "runs": pd.DataFrame(runs),
        "students": _first(pd.concat(students, ignore_index=True), "replication"),
        "episodes": _first(pd.concat(episodes, ignore_index=True), "replication"),
        "faculty": _first(pd.concat(faculty, ignore_index=True), "replication"),
    }
    if events:
        tables["events"] = _first(pd.concat(events, ignore_index=True), "replication")
    return tables


def _first(df: pd.DataFrame, col: str) -> pd.DataFrame:
    return df[[col, *[c for c in df.columns if c != col]]]


def batch_key(reps: tuple[int, ...], point: int | None = None) -> str:
    """Task key of a batch: ``r<first>-<last>``, after ``p<point>-`` for a sweep's point."""
    key = f"r{reps[0]:06d}-{reps[-1]:06d}"
    return key if point is None else f"p{point:06d}-{key}"


def batches(scenario: Scenario, seed: int, start: int, stop: int, stream: int = 0,
            point: int | None = None, trace: float | None = None) -> list[Task]:
    """Tasks for replications start..stop-1, in fixed batches of `BATCH`."""
    tasks = []
    for first in range(start - start % BATCH, stop, BATCH):
        reps = tuple(r for r in range(first, first + BATCH) if start <= r < stop)
        if reps:
            tasks.append(Task(batch_key(reps, point), Batch(scenario, seed, reps, stream, point,
                                                                trace)))
    return tasks


@dataclass
class RunOutput:
    """A finished (or partly failed) run of one scenario."""

    directory: Path
    scenario: Scenario
    runs: pd.DataFrame
    failures: dict[str, str] = field(default_factory=dict)


def identity(scenario: Scenario, seed: int, stream: int,
             trace: float | None = None) -> dict[str, Any]:
    """What must match for a run directory to be resumed (a traced run's parts hold an events
    table that an untraced run's lack, so the trace share is part of it)."""
    return {"lcsim_version": lcsim.__version__, "code_hash": code_hash(), "seed": seed,
            "scenario_hash": scenario_hash(scenario), "stream": stream, "trace": trace}


def prepare(directory: Path, scenario: Scenario, seed: int, stream: int, resume: bool,
            trace: float | None = None) -> None:
    """Create a run directory, or check that an existing one may be resumed."""
    start_directory(directory, RUN, identity(scenario, seed, stream, trace), resume,
                    {"git_commit": git_commit(), "scenario": scenario.name})
    atomic_write_text(directory / "scenario.resolved.yaml", scenario_yaml(scenario))


def finish(directory: Path, scenario: Scenario, replications: int, workers: int | None,
           failures: list[Failure]) -> RunOutput:
    """Assemble the final tables from the parts and complete the manifest."""
    store = ResultStore(directory)
    store.finalize("runs", "csv")
    for table in ("students", "episodes", "faculty"):
        store.finalize(table, "parquet")
    if "events" in store.tables():
        store.finalize("events", "parquet")
    runs = read_csv_table(directory / "runs.csv")
    runs = pd.DataFrame() if runs is None else runs
    finish_directory(directory, RUN, bool(failures), {
        "replications": replications, "workers": workers,
        "failed_tasks": sorted(f.key for f in failures),
        "python": platform.python_version(), "numpy": np.__version__,
        "simpy": simpy.__version__, "pandas": pd.__version__, "platform": sys.platform,
    })
    return RunOutput(directory, scenario, runs, store.failures())


def run_scenario(scenario: Scenario, directory: Path, *, replications: int, seed: int,
                 executor: Executor, stream: int = 0, resume: bool = False,
                 progress: bool | None = None, workers: int | None = None,
                 trace: float | None = None) -> RunOutput:
    """Run replications 0..n-1 of a scenario into `directory` on `executor`; `trace`: the
    share of students whose events go to events.parquet (None: no log)."""
    prepare(directory, scenario, seed, stream, resume, trace)
    tasks = batches(scenario, seed, 0, replications, stream, trace=trace)
    foreign = ResultStore(directory).done_tasks() - {t.key for t in tasks}
    if foreign:
        raise RunError(f"cannot resume {directory}: it holds replications of a run with a "
                       f"different --replications (e.g. {min(foreign)}); use the same number")
    failures = execute(tasks, run_batch, ResultStore(directory), executor,
                       progress=progress, desc=scenario.name)
    return finish(directory, scenario, replications, workers, failures)
