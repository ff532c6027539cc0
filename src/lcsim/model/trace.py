"""The event log of traced students: what happened to each, when, for `lcsim story`.

Opt-in (`--trace`): a run without it builds no log and its model code only tests
``log is not None``. Columns are `array.array`s (about 30 bytes a row) turned into one DataFrame
at the end of the replication, stored as ``events.parquet``. Columns:

``student``, ``day`` (days since day 0), ``kind`` (``entry``, ``setback``, ``year_end``,
``leave``, ``return``, ``exit``, ``tie_formed``, ``tie_lost``; an open set of names, so later
mechanisms add their own), ``other`` (another agent involved, e.g. the friend of a tie; -1 if
none), ``episode`` (the episode a setback became or a leave came from; -1 if none), ``detail``
(a setback's type, a year's result, an exit status, the context of a tie; open too) and
``value`` (the strain at a setback, the class year at a year end, the planned return day of a
leave, the friends after a tie event). The peer network's tie events are worked out in bulk
when the table is made (`tie_events.TieLog`, `EventLog.later`); the rest of the model logs one
by one (`EventLog.add`).

Episode steps (noticed, referred, helped, ended) are not logged: they are in the episodes table.

Which students are traced is decided by a keyed draw of its own (`traced`) that depends only on
the root seed, the replication and the student id, never on the scenario or on the streams the
model draws from, so tracing changes no result and every scenario of a comparison traces the
same students.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from lcsim.model.streams import EVENT_MARK, purpose_key

EVENT_COLUMNS = ("student", "day", "kind", "other", "episode", "detail", "value")
_DTYPES: dict[str, type] = {"l": np.int_, "H": np.uint16, "d": np.float64}  # array typecodes


@dataclass(frozen=True)
class Trace:
    """What to trace in one replication: a share of students, keyed by `key`.

    ``key`` is the replication's seed *without* a scenario's own stream (``--no-crn``), so the
    traced students are the same in every scenario.
    """

    share: float
    key: np.random.SeedSequence


def traced(trace: Trace, count: int) -> np.ndarray:
    """Which of students 0..count-1 are traced (bool array).

    Student i is traced iff the i-th uniform of a Philox generator keyed by (key, "trace") is
    below the share: the draw of a student does not depend on how many students there are.
    """
    if trace.share >= 1.0:
        return np.ones(count, dtype=bool)
    seq = np.random.SeedSequence(trace.key.entropy, spawn_key=(
        *trace.key.spawn_key, purpose_key("trace"), EVENT_MARK))
    gen = np.random.Generator(np.random.Philox(key=seq.generate_state(2, np.uint64)))
    return gen.random(count) < trace.share


class EventLog:
    """The events of the traced students of one replication, as columns."""

    __slots__ = ("traced", "student", "day", "kind", "other", "episode", "detail", "value",
                 "_names", "_codes", "_later")

    def __init__(self, traced_students: np.ndarray) -> None:
        self.traced: list[bool] = traced_students.tolist()  # list indexing is the cheapest test
        self.student, self.other, self.episode = array("l"), array("l"), array("l")
        self.kind, self.detail = array("H"), array("H")
        self.day, self.value = array("d"), array("d")
        self._names: list[str] = []
        self._codes: dict[str, int] = {}
        # the blocks that sources work out at the end (`later`), each with where it goes
        # among `add`'s rows (the tie events: most of a traced run's rows)
        self._later: list[tuple[int, Rows]] = []

    def _code(self, name: str) -> int:
        code = self._codes.get(name)
        if code is None:
            code = self._codes[name] = len(self._names)
            self._names.append(name)
        return code

    def add(self, sid: int, day: float, kind: str, detail: str = "", value: float = np.nan,
            episode: int = -1, other: int = -1) -> None:
        """Record one event of student ``sid`` (nothing if the student is not traced)."""
        if not self.traced[sid]:
            return
        self.student.append(sid)
        self.day.append(day)
        self.kind.append(self._code(kind))
        self.detail.append(self._code(detail))
        self.value.append(value)
        self.episode.append(episode)
        self.other.append(other)

    def codes(self, names: list[str]) -> np.ndarray:
        """The codes of `names` in the ``kind`` and ``detail`` columns (for a `later` source)."""
        return np.array([self._code(name) for name in names], np.uint16)

    def later(self, source: Rows) -> None:
        """Record here the next block of rows that `source.rows()` gives when the table is made
        (a source that works out its rows in bulk at the end: `tie_events.TieLog`)."""
        self._later.append((len(self.student), source))

    def _sourced(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """The sources' rows as columns (student, day, kind, detail, value, other), in the
        order their blocks were recorded, and for each row the `add` row it goes before."""
        sources = list({id(source): source for _, source in self._later}.values())
        at, key, columns = [], [], []
        for source in sources:
            sizes, made = source.rows()
            mine = [(k, pos) for k, (pos, s) in enumerate(self._later) if s is source]
            at.append(np.repeat(np.array([pos for _, pos in mine], np.int64), sizes))
            key.append(np.repeat(np.array([k for k, _ in mine], np.int64), sizes))
            columns.append(made)
        cols = [np.concatenate(c) for c in zip(*columns, strict=True)]
        where = np.concatenate(at)
        if len(sources) > 1:  # blocks of several sources: back in the order recorded
            order = np.concatenate(key).argsort(kind="stable")
            where, cols = where[order], [c[order] for c in cols]
        return where, cols

    def table(self) -> pd.DataFrame:
        """The log as a DataFrame (see the module docstring), in the order of events."""
        at, more = self._sourced() if self._later else (np.zeros(0, np.int64), [])
        names = np.array(self._names or [""], dtype=object)  # (sources may add names)

        def column(k: int, name: str) -> np.ndarray:
            """`add`'s column `name` with the sources' column k (6: episode, -1) in place."""
            own = getattr(self, name)
            dtype = _DTYPES[own.typecode]
            rows: np.ndarray = (np.frombuffer(own, dtype=dtype) if len(own)
                                else np.zeros(0, dtype))
            if not at.size:
                return rows
            return np.insert(rows, at, np.full(at.size, -1, dtype) if k == 6
                             else more[k].astype(dtype))

        return pd.DataFrame({
            "student": column(0, "student").astype(np.int64),
            "day": column(1, "day"),
            "kind": names[column(2, "kind")],
            "other": column(5, "other").astype(np.int64),
            "episode": column(6, "episode").astype(np.int64),
            "detail": names[column(3, "detail")],
            "value": column(4, "value"),
        }, columns=list(EVENT_COLUMNS))


class Rows(Protocol):
    """A source of event rows worked out at the end (`EventLog.later`)."""

    def rows(self) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """The rows of each block it recorded, in that order: the blocks' sizes, and the
        columns (student, day, kind, detail, value, other; kind and detail as `codes`)."""
        ...
