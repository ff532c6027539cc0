"""The event log (`--trace`): it changes no result, traces the same students in every scenario,
matches the episodes table, and a traced run cannot be resumed untraced (or the reverse)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from conftest import FULL_LC, build_scenario
from lcsim.experiment.errors import RunError
from lcsim.experiment.replications import Batch, replication_seed, run_batch, run_scenario
from lcsim.model.trace import EventLog, Trace, traced

SEED = 11


@pytest.fixture(scope="module")
def lc_tables() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """The same batch of a learning community, untraced and with every student traced."""
    scenario = build_scenario(base=FULL_LC, class_size=60)
    plain = run_batch(Batch(scenario, SEED, (0, 1)))
    full = run_batch(Batch(scenario, SEED, (0, 1), trace=1.0))
    return plain, full


def test_tracing_every_student_changes_no_result(lc_tables) -> None:
    plain, full = lc_tables
    assert "events" not in plain
    for table in ("runs", "students", "episodes", "faculty"):
        assert_frame_equal(plain[table], full[table])


def test_every_traced_student_enters_and_leaves_once(lc_tables) -> None:
    _, full = lc_tables
    events, students = full["events"], full["students"]
    for kind in ("entry", "exit"):
        counts = events[events["kind"] == kind].groupby(["replication", "student"]).size()
        assert len(counts) == len(students) and (counts == 1).all()
    exits = events[events["kind"] == "exit"].merge(students, on=["replication", "student"])
    assert (exits["day"] == exits["exit_time"].fillna(exits["entry"] + 6 * 365)).all()
    assert (exits["detail"] == exits["status"]).all()


def test_setbacks_that_became_episodes_are_the_episodes(lc_tables) -> None:
    _, full = lc_tables
    events, episodes = full["events"], full["episodes"]
    became = events[(events["kind"] == "setback") & (events["episode"] >= 0)]
    joined = became.merge(episodes, on=["replication", "episode"], suffixes=("", "_ep"))
    assert len(joined) == len(became) == len(episodes)
    assert (joined["student"] == joined["student_ep"]).all()
    assert np.allclose(joined["day"], joined["onset"])
    leaves = events[events["kind"] == "leave"]
    assert len(leaves) == int(full["students"]["loa_count"].sum())


def test_traced_students_depend_only_on_seed_replication_and_id() -> None:
    key = replication_seed(SEED, 3)
    some = traced(Trace(0.3, key), 500)
    assert traced(Trace(0.3, key), 200).tolist() == some[:200].tolist()  # not on the count
    assert 0.2 < some.mean() < 0.4
    assert traced(Trace(1.0, key), 5).all()
    other = traced(Trace(0.3, replication_seed(SEED, 4)), 500)
    assert other.tolist() != some.tolist()


def test_no_crn_streams_trace_the_same_students() -> None:
    a = build_scenario(class_size=60)
    b = build_scenario({"coaching": {"students_per_coach": 10, "meetings_per_year": 6.0}},
                       class_size=60, name="other")
    first = run_batch(Batch(a, SEED, (2,), stream=1, trace=0.25))["events"]
    second = run_batch(Batch(b, SEED, (2,), stream=2, trace=0.25))["events"]
    assert set(first["student"]) == set(second["student"])
    assert len(set(first["student"])) > 10


def test_sweep_points_never_trace() -> None:
    out = run_batch(Batch(build_scenario(class_size=30), SEED, (0,), point=0, trace=1.0))
    assert set(out) == {"runs"}


def test_an_empty_log_is_an_empty_table() -> None:
    log = EventLog(np.zeros(3, dtype=bool))
    log.add(1, 2.0, "setback", "personal")
    table = log.table()
    assert table.empty and list(table.columns) == ["student", "day", "kind", "other",
                                                    "episode", "detail", "value"]


@pytest.mark.parametrize(("first", "second"), [(0.5, None), (None, 1.0), (0.5, 0.25)])
def test_resume_refuses_a_different_trace(tmp_path: Path, first, second) -> None:
    scenario = build_scenario(class_size=20)
    with ThreadPoolExecutor(1) as ex:
        run_scenario(scenario, tmp_path, replications=1, seed=SEED, executor=ex, trace=first,
                     progress=False)
        assert (tmp_path / "events.parquet").exists() == (first is not None)
        with pytest.raises(RunError, match="trace"):
            run_scenario(scenario, tmp_path, replications=1, seed=SEED, executor=ex,
                         trace=second, resume=True, progress=False)
        run_scenario(scenario, tmp_path, replications=1, seed=SEED, executor=ex, trace=first,
                     resume=True, progress=False)


def test_compare_traces_the_same_default_share_from_the_api_and_the_cli() -> None:
    import inspect

    from lcsim import api
    from lcsim.comparison.defaults import DEFAULT_TRACE

    assert inspect.signature(api.compare).parameters["trace"].default == DEFAULT_TRACE


def test_rows_worked_out_later_go_where_they_were_recorded() -> None:
    """Blocks of two `later` sources, recorded between `add` events, come out in the table
    where and in the order they were recorded, whatever the source."""
    from lcsim.model.trace import EventLog

    log = EventLog(np.ones(10, bool))

    class Source:
        def __init__(self, name: str) -> None:
            self.name, self.blocks = name, []

        def record(self, *students: int) -> None:
            self.blocks.append(students)
            log.later(self)

        def rows(self) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
            student = np.array([s for b in self.blocks for s in b])
            kind = log.codes([self.name] * student.size)
            return (np.array([len(b) for b in self.blocks]),
                    (student, student * 1.0, kind, kind, student * 0.5, -student))

    a, b = Source("a"), Source("b")
    log.add(0, 0.0, "x")
    a.record(1, 2)
    b.record(3)
    log.add(4, 4.0, "x")
    b.record(5)
    a.record(6)
    a.record(7)
    log.add(8, 8.0, "x")
    table = log.table()
    assert table["student"].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert table["kind"].tolist() == ["x", "a", "a", "b", "x", "b", "a", "a", "x"]
    assert table["other"].tolist() == [-1, -1, -2, -3, -1, -5, -6, -7, -1]
    assert table["episode"].tolist() == [-1] * 9
