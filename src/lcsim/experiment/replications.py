"""Replications of a scenario: seeds, the worker function, and a run directory on disk.

A run directory holds what `lcsim run` promises: `runs.csv`, `students.parquet`,
`episodes.parquet`, `manifest.json` and `scenario.resolved.yaml`, plus the crash-safe parts
(`parts/`) they are assembled from, so `--resume` can finish an interrupted run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import simpy
import yaml

import lcsim
from lcsim.config.scenario import Scenario
from lcsim.experiment.engine import Failure, Task, execute
from lcsim.experiment.store import ResultStore, atomic_write_text
from lcsim.model.simulation import Model
from lcsim.outcomes.compute import compute

BATCH = 5  # replications per task: fixed so task keys (and --resume) do not depend on workers
TABLES = ("runs", "students", "episodes", "faculty")


class RunError(Exception):
    """A run directory cannot be used (e.g. resuming with different inputs)."""


@dataclass(frozen=True)
class Batch:
    """The payload of one task: replications `reps` of `scenario`."""

    scenario: Scenario
    seed: int
    reps: tuple[int, ...]
    stream: int = 0  # 0: common random numbers; k > 0: scenario k's own streams (--no-crn)


def replication_seed(seed: int, rep: int, stream: int = 0) -> np.random.SeedSequence:
    """Seed of replication `rep`: `SeedSequence(seed).spawn(...)[rep]`, for any count.

    `stream > 0` gives a scenario its own independent streams (no common random numbers).
    """
    key = (rep,) if stream == 0 else (rep, stream)
    return np.random.SeedSequence(seed, spawn_key=key)


def run_batch(batch: Batch) -> dict[str, pd.DataFrame]:
    """Worker function: run the batch's replications and return their tables."""
    runs, students, episodes, faculty = [], [], [], []
    for rep in batch.reps:
        result = Model(batch.scenario, replication_seed(batch.seed, rep, batch.stream)).run()
        runs.append({"replication": rep, **compute(result)})
        students.append(result.students.assign(replication=rep))
        episodes.append(result.episodes.assign(replication=rep))
        faculty.append(result.faculty.assign(replication=rep))
    return {
        "runs": pd.DataFrame(runs),
        "students": _first(pd.concat(students, ignore_index=True), "replication"),
        "episodes": _first(pd.concat(episodes, ignore_index=True), "replication"),
        "faculty": _first(pd.concat(faculty, ignore_index=True), "replication"),
    }


def _first(df: pd.DataFrame, col: str) -> pd.DataFrame:
    return df[[col, *[c for c in df.columns if c != col]]]


def batches(scenario: Scenario, seed: int, start: int, stop: int, stream: int = 0) -> list[Task]:
    """Tasks for replications start..stop-1, in fixed batches of `BATCH`."""
    tasks = []
    for first in range(start - start % BATCH, stop, BATCH):
        reps = tuple(r for r in range(first, first + BATCH) if start <= r < stop)
        if reps:
            key = f"r{reps[0]:06d}-{reps[-1]:06d}"
            tasks.append(Task(key, Batch(scenario, seed, reps, stream)))
    return tasks


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario (canonical JSON)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def scenario_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML (every field, defaults included)."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False)


def git_commit() -> str | None:
    """The commit of the lcsim source tree, if it is a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(lcsim.__file__).parent, capture_output=True,
            text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@functools.cache
def code_hash() -> str:
    """SHA-256 of the lcsim package's source files (relative paths and contents).

    What resuming checks: results from other model code must not be mixed, while a commit that
    touches only docs, tests or scenarios changes nothing here (and an installed copy outside
    git still has a code version).
    """
    return source_hash(Path(lcsim.__file__).parent)


def source_hash(root: Path) -> str:
    """SHA-256 of the Python files under `root`: their relative paths and contents, in order."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RunOutput:
    """A finished (or partly failed) run of one scenario."""

    directory: Path
    scenario: Scenario
    runs: pd.DataFrame
    failures: dict[str, str] = field(default_factory=dict)


def identity(scenario: Scenario, seed: int, stream: int) -> dict:
    """What must match for a run directory to be resumed."""
    return {"lcsim_version": lcsim.__version__, "code_hash": code_hash(), "seed": seed,
            "scenario_hash": scenario_hash(scenario), "stream": stream}


def prepare(directory: Path, scenario: Scenario, seed: int, stream: int, resume: bool) -> None:
    """Create a run directory, or check that an existing one may be resumed."""
    store = ResultStore(directory)
    manifest = directory / "manifest.json"
    want = identity(scenario, seed, stream)
    if manifest.exists():
        if not resume:
            raise RunError(f"{directory} already holds results: use --resume to finish them, "
                           "or choose another --out")
        have = json.loads(manifest.read_text())
        diff = [k for k in want if have.get(k) != want[k]]
        if diff:
            raise RunError(f"cannot resume {directory}: {', '.join(diff)} differ from the "
                           "stored run (different scenario, seed or lcsim code)")
    elif resume and directory.exists() and any(directory.iterdir()):
        raise RunError(f"cannot resume {directory}: it has no manifest.json")
    directory.mkdir(parents=True, exist_ok=True)
    if not manifest.exists():
        store.write_json("manifest", {**want, "git_commit": git_commit(),
                                      "scenario": scenario.name, "status": "running",
                                      "started": now_iso()})
        atomic_write_text(directory / "scenario.resolved.yaml", scenario_yaml(scenario))


def finish(directory: Path, scenario: Scenario, seed: int, replications: int, stream: int,
           workers: int | None, started: str, failures: list[Failure]) -> RunOutput:
    """Assemble the final tables from the parts and complete the manifest."""
    store = ResultStore(directory)
    for table, fmt in (("runs", "csv"), ("students", "parquet"), ("episodes", "parquet"),
                       ("faculty", "parquet")):
        store.finalize(table, fmt)
    runs = pd.read_csv(directory / "runs.csv") if (directory / "runs.csv").stat().st_size else \
        pd.DataFrame()
    manifest = store.read_json("manifest")
    manifest.update(identity(scenario, seed, stream))
    manifest.update({
        "scenario": scenario.name, "replications": replications, "workers": workers,
        "started": manifest.get("started", started), "finished": now_iso(),
        "status": "failed" if failures else "complete",
        "failed_tasks": sorted(f.key for f in failures),
        "python": platform.python_version(), "numpy": np.__version__,
        "simpy": simpy.__version__, "pandas": pd.__version__, "platform": sys.platform,
    })
    store.write_json("manifest", manifest)
    return RunOutput(directory, scenario, runs, store.failures())


def run_scenario(scenario: Scenario, directory: Path, *, replications: int, seed: int,
                 executor, stream: int = 0, resume: bool = False,
                 progress: bool | None = None, workers: int | None = None) -> RunOutput:
    """Run replications 0..n-1 of a scenario into `directory` on `executor`."""
    started = now_iso()
    prepare(directory, scenario, seed, stream, resume)
    tasks = batches(scenario, seed, 0, replications, stream)
    foreign = ResultStore(directory).done_tasks() - {t.key for t in tasks}
    if foreign:
        raise RunError(f"cannot resume {directory}: it holds replications of a run with a "
                       f"different --replications (e.g. {min(foreign)}); use the same number")
    failures = execute(tasks, run_batch, ResultStore(directory), executor,
                       progress=progress, desc=scenario.name)
    return finish(directory, scenario, seed, replications, stream, workers, started, failures)
