"""The scenario directories of a comparison, as the engine and the tables see them.

Each scenario keeps its own `ResultStore` under ``DIR/<scenario>/``, laid out exactly as
``lcsim run`` writes it. This module holds what `compare` needs on top of those stores: one
`Router` that lets `engine.execute` write to all of them at once, the tasks of the
replications still missing (`plan`, from the done markers) and the ``runs`` table read back
for the comparison. (Parts a killed run left half-written are dropped by the resume protocol,
`lcsim.experiment.resume`.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from lcsim.config.scenario import Scenario
from lcsim.experiment.engine import Task
from lcsim.experiment.replications import BATCH, Batch, batch_key
from lcsim.experiment.store import ResultStore

_KEY = re.compile(r"r(\d+)-(\d+)")


class Router:
    """Presents the scenarios' stores to `engine.execute` as one store.

    Task keys are ``<scenario>/<key>``; every call is passed to that scenario's
    `ResultStore` with the plain key, so each scenario directory holds exactly the parts
    ``lcsim run`` would write. Implements the store methods `execute` uses.
    """

    def __init__(self, stores: Mapping[str, ResultStore]) -> None:
        self.stores = dict(stores)

    def _split(self, key: str) -> tuple[ResultStore, str]:
        name, _, plain = key.partition("/")
        return self.stores[name], plain

    def remove_temp_files(self) -> int:
        return sum(s.remove_temp_files() for s in self.stores.values())

    def done_tasks(self) -> set[str]:
        return {f"{n}/{k}" for n, s in self.stores.items() for k in s.done_tasks()}

    def write_part(self, table: str, key: str, df: pd.DataFrame) -> Path:
        store, plain = self._split(key)
        return store.write_part(table, plain, df)

    def mark_done(self, key: str, tables: Any = ()) -> None:
        store, plain = self._split(key)
        store.mark_done(plain, tables)

    def record_failure(self, key: str, error: str) -> None:
        store, plain = self._split(key)
        store.record_failure(plain, error)


def covered(store: ResultStore) -> set[int]:
    """Replications of the tasks marked done in ``store`` (keys ``rAAAAAA-BBBBBB``)."""
    reps: set[int] = set()
    for key in store.done_tasks():
        m = _KEY.fullmatch(key)
        if m:
            reps.update(range(int(m[1]), int(m[2]) + 1))
    return reps


def plan(store: ResultStore, sc: Scenario, seed: int, n: int, stream: int,
         trace: float | None = None) -> list[Task]:
    """Tasks for the replications below ``n`` not yet done, in `experiment.batches` blocks.

    On a fresh directory this is exactly ``experiment.batches(sc, seed, 0, n, stream)``, so
    the parts and keys match ``lcsim run``; when a directory is extended or resumed, only the
    missing replications of each block of `BATCH` are run (one task per contiguous run).
    """
    done = covered(store)
    tasks = []
    for first in range(0, n, BATCH):
        missing = [r for r in range(first, min(first + BATCH, n)) if r not in done]
        while missing:
            run = [missing.pop(0)]
            while missing and missing[0] == run[-1] + 1:
                run.append(missing.pop(0))
            reps = tuple(run)
            tasks.append(Task(batch_key(reps), Batch(sc, seed, reps, stream, trace=trace)))
    return tasks


def read_runs(store: ResultStore, n: int) -> pd.DataFrame:
    """The ``runs`` table of replications below ``n``, sorted by replication."""
    runs = store.read_table("runs")
    if runs.empty or "replication" not in runs.columns:
        return pd.DataFrame({"replication": pd.Series(dtype="int64")})
    runs = runs[runs["replication"] < n]
    return runs.sort_values("replication", kind="stable").reset_index(drop=True)
