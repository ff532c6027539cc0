"""One resume protocol for run, compare and sweep directories.

A directory that holds results has a *record* (``manifest.json``, ``compare.json`` or
``sweep.json``) written before any work starts. It holds the directory's identity (what must
match to go on: scenario or sweep hashes, seed, lcsim version and code hash, ...), provenance,
``status`` ("running", then "complete" or "failed"), ``started`` and, at the end, ``finished``.

`start_directory` refuses a directory that cannot be used: one that already holds results when
``--resume`` is not given, one whose stored identity differs from the current one, and one
that is not empty but has no record. On ``--resume`` it keeps the stored start time and deletes
the parts of tasks without a done marker (a kill between a task's parts and its marker), so
nothing is counted twice. `finish_directory` completes the record. `Kind` words the refusals
for each kind of directory; the messages are the CLI's (exit code 2, via `RunError`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lcsim.experiment.errors import RunError
from lcsim.experiment.provenance import now_iso
from lcsim.experiment.store import ResultStore

Mismatch = Callable[[Path, Mapping[str, Any], Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class Kind:
    """One kind of result directory: its record file and how its refusals read.

    ``record``: the record's name without ``.json``; ``what``/``it``: "results"/"them" in
    "DIR already holds results: use --resume to finish them"; ``stored``: what a differing
    identity differs from ("the stored run (...)"); ``no_record``: why a non-empty directory
    without a record is refused (default "it has no <record>.json"); ``fresh_only``: refuse
    such a directory even without ``--resume``; ``mismatch``: a message of its own for a
    differing identity (None: list the differing keys); ``error``: the RunError raised.
    """

    record: str
    what: str
    it: str
    stored: str = ""
    no_record: str | None = None
    fresh_only: bool = False
    mismatch: Mismatch | None = None
    error: type[RunError] = RunError

    @property
    def file(self) -> str:
        """The record's file name."""
        return f"{self.record}.json"

    def differs(self, directory: Path, have: Mapping[str, Any],
                want: Mapping[str, Any]) -> str | None:
        """Why the stored identity ``have`` does not match ``want`` (None if it does)."""
        if self.mismatch is not None:
            return self.mismatch(directory, have, want)
        diff = [k for k in want if have.get(k) != want[k]]
        if not diff:
            return None
        return f"cannot resume {directory}: {', '.join(diff)} differ from {self.stored}"


def check_directory(directory: Path, kind: Kind, identity: Mapping[str, Any],
          resume: bool) -> dict[str, Any] | None:
    """The stored record if ``directory`` may be resumed, None if it is fresh; else refuse."""
    path = directory / kind.file
    if path.exists():
        if not resume:
            raise kind.error(f"{directory} already holds {kind.what}: use --resume to finish "
                             f"{kind.it}, or choose another --out")
        stored = json.loads(path.read_text(encoding="utf-8"))
        problem = kind.differs(directory, stored, identity)
        if problem:
            raise kind.error(problem)
        return stored
    busy = directory.exists() and any(directory.iterdir())
    if busy and (resume or kind.fresh_only):
        why = kind.no_record or f"it has no {kind.file}"
        raise kind.error(f"cannot {'resume' if resume else 'use'} {directory}: {why}")
    return None


def start_directory(directory: Path, kind: Kind, identity: Mapping[str, Any], resume: bool,
                    fields: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``directory`` (`check_directory`), then write its record as running; return it.

    The record is the stored one (if resumed) updated with ``identity`` and ``fields``
    (provenance, settings), ``status: running`` and ``started`` (the stored start on resume).
    """
    stored = check_directory(directory, kind, identity, resume)
    store = ResultStore(directory)  # creates the directory
    if stored is not None:
        drop_orphan_parts(store)
        stored.pop("finished", None)
    stored = stored or {}
    record = {**stored, **identity, **fields, "status": "running",
              "started": stored.get("started") or now_iso()}
    store.write_json(kind.record, record)
    return record


def finish_directory(directory: Path, kind: Kind, failed: bool,
                     fields: Mapping[str, Any]) -> dict[str, Any]:
    """Complete the record: ``fields``, status "failed" or "complete", the finish time."""
    store = ResultStore(directory)
    record = {**store.read_json(kind.record), **fields,
              "status": "failed" if failed else "complete", "finished": now_iso()}
    store.write_json(kind.record, record)
    return record


def drop_orphan_parts(store: ResultStore) -> None:
    """Delete parts of tasks without a done marker (killed mid-write), so none is counted twice."""
    done = store.done_tasks()
    for table in store.tables():
        for key in store.done_keys(table) - done:
            store.part_path(table, key).unlink(missing_ok=True)
