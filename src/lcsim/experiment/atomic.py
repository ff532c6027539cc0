"""Atomic file writes: a killed process leaves either the old file or the new one, never half.

Each write goes to a temp file in the same directory (a leading dot and `TMP_SUFFIX`, so no
reader globbing finished files picks it up), is fsynced and then renamed onto its path with
``os.replace``. `ResultStore` writes every part, marker and manifest this way; reports use it
for their HTML.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "TMP_SUFFIX",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_csv",
    "atomic_write_parquet",
    "atomic_write_text",
]

TMP_SUFFIX = ".tmp"


def _fsync_dir(directory: Path) -> None:
    """Persist a rename on POSIX (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temp file next to ``path``; on clean exit fsync it and rename it onto ``path``.

    If the body raises anything (including ``KeyboardInterrupt``) the temp file is deleted and
    an existing ``path`` is left untouched.  ``mode`` must be a write mode ("wb" or "w").
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open supports modes 'w' and 'wb', not {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Leading dot + .tmp suffix: never mistaken for a finished file by globbing readers.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}{TMP_SUFFIX}")
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("newline", "")
    try:
        # "x": O_EXCL, permissions 0o666 & ~umask (mkstemp would force 0o600).
        with open(tmp, mode.replace("w", "x"), **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Atomically replace ``path`` with ``data``."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Atomically replace ``path`` with UTF-8 ``text`` (newlines written verbatim)."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def _to_arrow(df: pd.DataFrame) -> pa.Table:
    """Convert without the index: named index levels become columns, unnamed ones are dropped.

    Storing no index keeps concatenated parts consistent (no per-part RangeIndex metadata).
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if any(name is not None for name in df.index.names):
        df = df.reset_index()
    return pa.Table.from_pandas(df, preserve_index=False)


def atomic_write_parquet(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Atomically write ``df`` as Parquet (index handling: see ``_to_arrow``)."""
    table = _to_arrow(df)
    with atomic_open(path, "wb") as fh:
        pq.write_table(table, fh)


def atomic_write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Atomically write ``df`` as CSV without the index."""
    with atomic_open(path, "w") as fh:
        df.to_csv(fh, index=False)
