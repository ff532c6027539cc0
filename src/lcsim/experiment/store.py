"""Crash-safe on-disk storage of simulation results.

Every file is written atomically (`lcsim.experiment.atomic`: temp file in the same directory,
fsync, ``os.replace``), so a run killed at any instant leaves only complete files behind and
``--resume`` can pick up where it stopped.  Results are stored as one Parquet *part* per task and table::

    root/
      parts/<table>/<key>.parquet   one part per task key (e.g. ``s0-b00012``)
      parts/_done/<key>             marker: every table of task <key> is written
      failures/<key>.txt            traceback of the last failed attempt of <key>
      <table>.parquet | <table>.csv finalized (combined) tables
      manifest.json                 run metadata (``write_json``)

Parts are always combined in lexicographic key order, so the final tables do not depend on
which worker finished first.  Zero-pad numbers in keys to make that order the natural one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lcsim.experiment.atomic import (
    TMP_SUFFIX,
    atomic_open,
    atomic_write_parquet,
    atomic_write_text,
)

__all__ = ["ResultStore"]

DONE_DIR = "_done"
_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=+-]*")
_TABLE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")

Filters = Any  # pyarrow compute Expression or DNF list of (column, op, value) tuples


# --------------------------------------------------------------------------- schema helpers


def read_csv_table(path: Path) -> pd.DataFrame | None:
    """A CSV table written by `ResultStore.finalize`, or None when there is none (the file is
    missing, or holds no columns because every task failed)."""
    if not path.is_file() or not path.read_bytes().strip():
        return None
    return pd.read_csv(path)


def _unify(schemas: Sequence[pa.Schema]) -> pa.Schema:
    """Common schema of all parts (null -> string, int -> float, missing columns allowed).

    Schema metadata (pandas dtypes) comes from the first part, i.e. the smallest key.
    """
    return pa.unify_schemas(list(schemas), promote_options="permissive")


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Reorder/cast ``table`` to ``schema``; absent columns become all-null."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            col = table.column(field.name)
            columns.append(col if col.type == field.type else col.cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _select(schema: pa.Schema, columns: Sequence[str] | None) -> pa.Schema:
    """Restrict ``schema`` to ``columns`` (in the requested order), keeping metadata."""
    if columns is None:
        return schema
    missing = [c for c in columns if c not in schema.names]
    if missing:
        raise KeyError(f"columns not found: {missing}")
    return pa.schema([schema.field(c) for c in columns], metadata=schema.metadata)


# --------------------------------------------------------------------------- store


def _check_name(kind: str, value: str, pattern: re.Pattern[str]) -> str:
    """Reject names that are not plain file names (no paths, no leading dot/underscore)."""
    if not isinstance(value, str) or not pattern.fullmatch(value) or value.endswith(TMP_SUFFIX):
        raise ValueError(f"invalid {kind} {value!r}: must match {pattern.pattern}")
    return value


class ResultStore:
    """A directory of crash-safe result parts, failure records and finalized tables."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.parts_dir = self.root / "parts"
        self.failures_dir = self.root / "failures"
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"ResultStore({str(self.root)!r})"

    # ----------------------------------------------------------------- parts

    def part_path(self, table: str, key: str) -> Path:
        """Location of the part of ``table`` for task ``key``."""
        _check_name("table name", table, _TABLE_RE)
        _check_name("key", key, _KEY_RE)
        return self.parts_dir / table / f"{key}.parquet"

    def write_part(self, table: str, key: str, df: pd.DataFrame) -> Path:
        """Atomically write (or idempotently overwrite) one part; clears a failure of ``key``."""
        path = self.part_path(table, key)
        atomic_write_parquet(df, path)
        self.clear_failure(key)
        return path

    def tables(self) -> list[str]:
        """Names of tables that have a parts directory, sorted."""
        if not self.parts_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.parts_dir.iterdir() if p.is_dir() and _TABLE_RE.fullmatch(p.name)
        )

    def _part_files(self, table: str) -> list[Path]:
        """Complete part files of ``table`` sorted by key (temp files are skipped)."""
        _check_name("table name", table, _TABLE_RE)
        directory = self.parts_dir / table
        if not directory.is_dir():
            return []
        files = [
            p for p in directory.iterdir() if p.suffix == ".parquet" and not p.name.startswith(".")
        ]
        return sorted(files, key=lambda p: p.stem)

    def done_keys(self, table: str) -> set[str]:
        """Keys that have a complete part in ``table``."""
        return {p.stem for p in self._part_files(table)}

    def _plan(
        self, table: str, columns: Sequence[str] | None
    ) -> tuple[pa.Schema, list[tuple[Path, list[str]]]]:
        """Unified schema of the parts (footers only) and, per part, the columns to read."""
        files = self._part_files(table)
        unified: pa.Schema | None = None
        names: list[frozenset[str]] = []
        shared: dict[frozenset[str], frozenset[str]] = {}  # parts usually share one column set
        for f in files:  # one footer at a time: memory does not grow with the number of parts
            part = pq.read_schema(f)
            unified = part if unified is None else _unify([unified, part])
            key = frozenset(part.names)
            names.append(shared.setdefault(key, key))
        schema = _select(unified, columns) if unified is not None else pa.schema([])
        plan = [(f, [c for c in schema.names if c in n]) for f, n in zip(files, names, strict=True)]
        return schema, plan

    def iter_arrow(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        filters: Filters | None = None,
    ) -> Iterator[pa.Table]:
        """Yield parts as Arrow tables in key order, all cast to one unified schema."""
        schema, plan = self._plan(table, columns)
        for path, wanted in plan:
            if filters is None:
                part = pq.ParquetFile(path).read(columns=wanted)
            else:
                part = pq.read_table(path, columns=wanted, filters=filters)
            yield _conform(part, schema)

    def iter_parts(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        filters: Filters | None = None,
    ) -> Iterator[pd.DataFrame]:
        """Yield one DataFrame per part in key order; memory stays bounded by the largest part."""
        for part in self.iter_arrow(table, columns, filters):
            yield part.to_pandas()

    def read_table(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        filters: Filters | None = None,
    ) -> pd.DataFrame:
        """All parts of ``table`` concatenated in key order (RangeIndex); empty if none.

        ``filters`` is a pyarrow Expression or DNF list as accepted by ``pq.read_table``.
        Only files under ``parts/<table>/`` are opened.
        """
        parts = list(self.iter_arrow(table, columns, filters))
        if not parts:
            return pd.DataFrame(columns=list(columns) if columns is not None else None)
        return pa.concat_tables(parts).to_pandas()

    def finalize(
        self,
        table: str,
        fmt: Literal["parquet", "csv"] = "parquet",
        path: str | os.PathLike[str] | None = None,
    ) -> Path:
        """Atomically write the combined table to ``root/<table>.<fmt>`` (or ``path``).

        Parts are streamed one at a time (ParquetWriter row group per part, or CSV chunks), so
        memory stays bounded for sweeps with many thousands of runs.  The result equals
        ``read_table(table)``.
        """
        if fmt not in ("parquet", "csv"):
            raise ValueError(f"fmt must be 'parquet' or 'csv', not {fmt!r}")
        out = Path(path) if path is not None else self.root / f"{table}.{fmt}"
        if fmt == "parquet":
            schema, _ = self._plan(table, None)
            with atomic_open(out, "wb") as fh, pq.ParquetWriter(fh, schema) as writer:
                for part in self.iter_arrow(table):
                    if part.num_rows:
                        writer.write_table(part)
        else:
            with atomic_open(out, "w") as fh:
                header = True
                for df in self.iter_parts(table):
                    # Header from the first part even if it has no rows.
                    df.to_csv(fh, index=False, header=header)
                    header = False
                if header:
                    pd.DataFrame().to_csv(fh, index=False)
        return out

    # ----------------------------------------------------------------- task markers

    def _marker(self, key: str) -> Path:
        return self.parts_dir / DONE_DIR / _check_name("key", key, _KEY_RE)

    def mark_done(self, key: str, tables: Iterable[str] = ()) -> None:
        """Record that every part of task ``key`` is written (write this LAST)."""
        atomic_write_text(self._marker(key), "".join(f"{t}\n" for t in sorted(tables)))
        self.clear_failure(key)

    def done_tasks(self) -> set[str]:
        """Keys of tasks whose parts are all written."""
        directory = self.parts_dir / DONE_DIR
        if not directory.is_dir():
            return set()
        return {p.name for p in directory.iterdir() if not p.name.startswith(".")}

    def remove_temp_files(self) -> int:
        """Delete temp files left by a hard kill (SIGKILL, power loss); returns how many."""
        n = 0
        for directory in (self.root, self.failures_dir, *self.parts_dir.glob("*")):
            if directory.is_dir():
                for p in directory.glob(f".*{TMP_SUFFIX}"):
                    p.unlink(missing_ok=True)
                    n += 1
        return n

    # ----------------------------------------------------------------- json

    def _json_path(self, name: str) -> Path:
        name = name if name.endswith(".json") else f"{name}.json"
        _check_name("json name", name, _KEY_RE)
        return self.root / name

    def write_json(self, name: str, obj: Any) -> Path:
        """Atomically write ``obj`` as ``root/<name>.json`` (sorted keys, indent 2)."""
        path = self._json_path(name)
        atomic_write_text(path, json.dumps(obj, sort_keys=True, indent=2) + "\n")
        return path

    def read_json(self, name: str) -> Any:
        """Load ``root/<name>.json``; raises FileNotFoundError if absent."""
        return json.loads(self._json_path(name).read_text(encoding="utf-8"))

    # ----------------------------------------------------------------- failures

    def _failure_path(self, key: str) -> Path:
        return self.failures_dir / f"{_check_name('key', key, _KEY_RE)}.txt"

    def record_failure(self, key: str, error: str) -> None:
        """Atomically store the error text (traceback) of a failed task."""
        atomic_write_text(self._failure_path(key), error)

    def clear_failure(self, key: str) -> None:
        """Remove the failure record of ``key`` (called on success)."""
        self._failure_path(key).unlink(missing_ok=True)

    def failures(self) -> dict[str, str]:
        """Recorded failures as {key: error text}, sorted by key."""
        if not self.failures_dir.is_dir():
            return {}
        files = sorted(p for p in self.failures_dir.glob("*.txt") if not p.name.startswith("."))
        return {p.stem: p.read_text(encoding="utf-8") for p in files}
