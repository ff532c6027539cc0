"""Top-level toy worker functions for the store/engine tests.

They live in an importable module (not in the test files) so that spawned process-pool and
Dask workers can unpickle them by reference.  Pytest puts ``tests/`` on ``sys.path`` (rootdir
"prepend" import mode), spawned children inherit the parent's ``sys.path``, and the tests also
export it via PYTHONPATH, so workers import this module as ``_toy_tasks``.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CATEGORIES = ["low", "mid", "high"]


def square(payload: int) -> dict[str, pd.DataFrame]:
    """Deterministic tables from a Generator seeded by ``payload`` (several dtypes, 2 tables)."""
    rng = np.random.default_rng(payload)
    n = payload % 3 + 1
    runs = pd.DataFrame(
        {
            "rep": [payload],
            "square": [payload * payload],
            "noise": [rng.normal()],
            "label": [f"r{payload:03d}"],
            "retained": [bool(payload % 2)],
        }
    )
    students = pd.DataFrame(
        {
            "rep": np.full(n, payload, dtype=np.int64),
            "student": np.arange(n, dtype=np.int64),
            "gpa": rng.uniform(2.0, 4.0, n),
            "risk": pd.Categorical(rng.choice(CATEGORIES, n), categories=CATEGORIES),
            "note": pd.array([None if i % 2 else f"s{i}" for i in range(n)], dtype="str"),
        }
    )
    return {"runs": runs, "students": students}


def flaky(payload: int) -> dict[str, pd.DataFrame]:
    """Like ``square`` but raises for payloads that are 3 mod 4."""
    if payload % 4 == 3:
        raise ValueError(f"toy failure for payload {payload}")
    return square(payload)


def logged(payload: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """``square(payload["i"])`` that also drops one file per call into ``payload["log"]``.

    Files (not globals) count calls across processes.
    """
    log = Path(payload["log"])
    (log / f"{payload['i']}.{os.getpid()}.{uuid.uuid4().hex}").touch()
    return square(payload["i"])


BARRIER: threading.Barrier | None = None  # set by tests that run ``rendezvous`` on threads


def rendezvous(payload: int) -> dict[str, pd.DataFrame]:
    """``square`` once ``BARRIER.parties`` tasks are running at the same time (thread pools).

    Proves that that many tasks really are in flight together; times out otherwise.
    """
    assert BARRIER is not None
    BARRIER.wait(timeout=10)
    return square(payload)


def interrupt_at(payload: dict[str, int]) -> dict[str, pd.DataFrame]:
    """``square(payload["i"])`` but raises KeyboardInterrupt when ``i == payload["stop"]``."""
    if payload["i"] == payload["stop"]:
        raise KeyboardInterrupt
    return square(payload["i"])


def not_tables(payload: int) -> Any:
    """A broken worker returning the wrong type."""
    return [payload]
