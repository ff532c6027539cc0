"""Tests for lcsim.experiment.engine: executors, failure capture, resume and bounded submission."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import _toy_tasks
import lcsim.experiment.engine as engine
from _toy_tasks import flaky, interrupt_at, logged, not_tables, square
from lcsim.experiment.engine import (
    Failure,
    SerialExecutor,
    Task,
    call_task,
    default_max_in_flight,
    execute,
    make_executor,
)
from lcsim.experiment.store import ResultStore

TESTS_DIR = Path(__file__).resolve().parent
SRC_DIR = TESTS_DIR.parent / "src"
TABLES = ("runs", "students")
N = 12


def key(i: int) -> str:
    return f"s0-b{i:05d}"


def int_tasks(n: int = N) -> list[Task]:
    return [Task(key(i), i) for i in range(n)]


def tables(store: ResultStore) -> dict[str, pd.DataFrame]:
    return {t: store.read_table(t) for t in TABLES}


def assert_tables_equal(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert_frame_equal(a[name], b[name], obj=name)


@pytest.fixture
def worker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let spawned workers import ``_toy_tasks`` and ``lcsim`` however pytest was started.

    Spawned children already inherit ``sys.path``; PYTHONPATH also covers worker processes
    that are started as fresh interpreters.
    """
    parts = [str(TESTS_DIR), str(SRC_DIR), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in parts if p))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[str]]:
    """Tables and failed keys of an uninterrupted serial run of ``flaky``."""
    store = ResultStore(tmp_path_factory.mktemp("reference"))
    failures = execute(int_tasks(), flaky, store, SerialExecutor(), progress=False)
    return tables(store), sorted(f.key for f in failures)


def run_and_compare(
    executor: Executor, root: Path, reference: tuple[dict, list[str]]
) -> list[Failure]:
    store = ResultStore(root)
    # Reverse submission order: results must not depend on order of submission/completion.
    failures = execute(int_tasks()[::-1], flaky, store, executor, progress=False)
    ref_tables, ref_failed = reference
    assert_tables_equal(tables(store), ref_tables)
    assert sorted(f.key for f in failures) == ref_failed
    assert sorted(store.failures()) == ref_failed
    return failures


# ------------------------------------------------------------------ executors


def test_serial_executor_runs_immediately() -> None:
    ex = SerialExecutor()
    fut = ex.submit(pow, 2, 10)
    assert fut.done() and fut.result() == 1024
    bad = ex.submit(int, "nope")
    assert isinstance(bad.exception(), ValueError)

    def interrupt() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ex.submit(interrupt)
    assert list(ex.map(abs, [-1, -2])) == [1, 2]
    ex.shutdown()
    with pytest.raises(RuntimeError):
        ex.submit(abs, 1)


def test_make_executor_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    with make_executor(1) as ex:
        assert isinstance(ex, SerialExecutor)
    with make_executor(2) as ex:
        assert isinstance(ex, ProcessPoolExecutor)
        assert ex._max_workers == 2
        assert ex._mp_context.get_start_method() == "spawn"
    with pytest.raises(RuntimeError):  # shut down on exit
        ex.submit(abs, 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    with make_executor() as ex:
        assert ex._max_workers == 3
    with pytest.raises(ValueError), make_executor(0):
        pass


def test_engine_imports_distributed_lazily() -> None:
    code = "import sys, lcsim.experiment.engine; print('distributed' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC_DIR), str(TESTS_DIR)])}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "False"


def test_default_max_in_flight() -> None:
    assert default_max_in_flight(SerialExecutor()) == 2
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert default_max_in_flight(pool) == 6

    class Opaque(Executor):
        pass

    assert default_max_in_flight(Opaque()) == 4


# ------------------------------------------------------------------ call_task and failures


def test_call_task_returns_tables_or_failure() -> None:
    k, out = call_task(square, Task("k1", 5))
    assert k == "k1" and sorted(out) == ["runs", "students"]
    k, out = call_task(flaky, Task("k3", 3))
    assert k == "k3" and isinstance(out, Failure) and out.key == "k3"
    assert "Traceback (most recent call last)" in out.error
    assert "ValueError: toy failure for payload 3" in out.error
    _, out = call_task(not_tables, Task("k4", 4))
    assert isinstance(out, Failure) and "TypeError" in out.error


def test_failures_recorded_and_retried_on_resume(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    failures = execute(int_tasks(), flaky, store, SerialExecutor(), progress=False)
    failed = [key(i) for i in range(N) if i % 4 == 3]
    assert [f.key for f in failures] == failed
    for f in failures:
        assert "Traceback" in f.error and "ValueError: toy failure" in f.error
        assert store.failures()[f.key] == f.error
    ok = {key(i) for i in range(N)} - set(failed)
    assert store.done_tasks() == ok
    assert store.done_keys("runs") == ok and store.done_keys("students") == ok
    # The fix is in: the next run only retries the failed keys and clears their records.
    assert execute(int_tasks(), square, store, SerialExecutor(), progress=False) == []
    assert store.failures() == {}
    full = ResultStore(tmp_path / "full")
    execute(int_tasks(), square, full, SerialExecutor(), progress=False)
    assert_tables_equal(tables(store), tables(full))


def test_wrong_return_type_is_a_failure(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    failures = execute(int_tasks(2), not_tables, store, SerialExecutor(), progress=False)
    assert [f.key for f in failures] == [key(0), key(1)]
    assert store.done_tasks() == set()


def test_duplicate_keys_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="duplicate"):
        execute([Task("a", 1), Task("a", 2)], square, ResultStore(tmp_path), SerialExecutor())


# ------------------------------------------------------------------ executors agree


def test_serial_results_independent_of_order(tmp_path: Path, reference: tuple) -> None:
    run_and_compare(SerialExecutor(), tmp_path, reference)


def test_process_pool_matches_serial(tmp_path: Path, reference: tuple, worker_env: None) -> None:
    with make_executor(2) as ex:
        assert isinstance(ex, ProcessPoolExecutor)
        run_and_compare(ex, tmp_path, reference)


@pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None, reason="distributed not installed"
)
def test_dask_cluster_matches_serial(tmp_path: Path, reference: tuple, worker_env: None) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        with make_executor(scheduler=cluster.scheduler_address) as ex:
            assert type(ex).__module__.startswith("distributed")
            assert default_max_in_flight(ex) == 4
            run_and_compare(ex, tmp_path, reference)
        assert ex._client.status == "closed"


# ------------------------------------------------------------------ resume


def logged_tasks(log: Path, n: int = N) -> list[Task]:
    return [Task(key(i), {"i": i, "log": str(log)}) for i in range(n)]


def called(log: Path) -> list[int]:
    return sorted(int(p.name.split(".")[0]) for p in log.iterdir())


def test_resume_after_kill_recomputes_only_missing(tmp_path: Path) -> None:
    logs = [tmp_path / f"log{i}" for i in range(3)]
    for log in logs:
        log.mkdir()
    full = ResultStore(tmp_path / "full")
    execute(logged_tasks(logs[0]), logged, full, SerialExecutor(), progress=False)
    assert called(logs[0]) == list(range(N))

    # "Killed" run: the first 6 tasks finished ...
    store = ResultStore(tmp_path / "killed")
    execute(logged_tasks(logs[1])[:6], logged, store, SerialExecutor(), progress=False)
    # ... task 2 was killed after writing its parts but before its marker ...
    (store.parts_dir / "_done" / key(2)).unlink()
    # ... task 7 was killed between its two table writes (stale, wrong part) ...
    store.write_part("runs", key(7), pd.DataFrame({"rep": [-1]}))
    # ... and a hard kill left a temp file behind.
    (store.parts_dir / "runs" / f".{key(8)}.parquet.0123.tmp").write_bytes(b"partial")

    failures = execute(logged_tasks(logs[2]), logged, store, SerialExecutor(), progress=False)
    assert failures == []
    assert called(logs[2]) == [2, *range(6, N)]
    assert_tables_equal(tables(store), tables(full))
    for t in TABLES:
        a, b = store.finalize(t, "parquet"), full.finalize(t, "parquet")
        assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))
    assert not list(store.root.rglob("*.tmp"))
    # Nothing left to do: a second resume calls nothing.
    execute(logged_tasks(logs[2]), logged, store, SerialExecutor(), progress=False)
    assert called(logs[2]) == [2, *range(6, N)]


class RecordingStore(ResultStore):
    """ResultStore that logs the order of part writes and done markers."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.events: list[tuple[str, str]] = []

    def write_part(self, table: str, key: str, df: pd.DataFrame) -> Path:
        self.events.append(("part", key))
        return super().write_part(table, key, df)

    def mark_done(self, key: str, tables: Any = ()) -> None:
        self.events.append(("done", key))
        super().mark_done(key, tables)


def test_marker_written_after_all_parts_of_a_task(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    execute(int_tasks(4), square, store, SerialExecutor(), progress=False)
    for i in range(4):
        mine = [kind for kind, k in store.events if k == key(i)]
        assert mine == ["part", "part", "done"]


def test_keyboard_interrupt_stops_and_resume_completes(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "s")
    ex = SerialExecutor()
    tasks = [Task(key(i), {"i": i, "stop": 3}) for i in range(N)]
    with pytest.raises(KeyboardInterrupt):
        execute(tasks, interrupt_at, store, ex, max_in_flight=2, progress=False)
    # Tasks 0-1 were stored; task 2 had finished but was not stored yet when task 3 raised.
    assert store.done_tasks() == {key(0), key(1)}
    with pytest.raises(RuntimeError):  # executor was shut down
        ex.submit(abs, 1)
    resumed = [Task(key(i), {"i": i, "stop": -1}) for i in range(N)]
    execute(resumed, interrupt_at, store, SerialExecutor(), progress=False)
    full = ResultStore(tmp_path / "full")
    execute(int_tasks(), square, full, SerialExecutor(), progress=False)
    assert_tables_equal(tables(store), tables(full))


class PendingExecutor(Executor):
    """Hands out futures that never run; records shutdown calls."""

    def __init__(self) -> None:
        self.futures: list[Future[Any]] = []
        self.shutdowns: list[dict[str, Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        self.futures.append(fut)
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.shutdowns.append({"wait": wait, "cancel_futures": cancel_futures})


def test_keyboard_interrupt_while_waiting_cancels_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted_wait(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "wait", interrupted_wait)
    ex = PendingExecutor()
    with pytest.raises(KeyboardInterrupt):
        execute(int_tasks(), square, ResultStore(tmp_path), ex, max_in_flight=3, progress=False)
    assert len(ex.futures) == 3
    assert all(f.cancelled() for f in ex.futures)
    assert ex.shutdowns == [{"wait": False, "cancel_futures": True}]


# ------------------------------------------------------------------ bounded submission


class CountingExecutor(Executor):
    """Wraps an executor and records the peak number of submitted, unfinished futures."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.outstanding = 0
        self.peak = 0
        self.submitted = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            self.outstanding += 1
            self.submitted += 1
            self.peak = max(self.peak, self.outstanding)
        fut = self.inner.submit(fn, *args, **kwargs)
        fut.add_done_callback(self._finished)
        return fut

    def _finished(self, fut: Future[Any]) -> None:
        with self._lock:
            self.outstanding -= 1


@pytest.mark.parametrize("max_in_flight", [1, 3, None])
def test_max_in_flight_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_in_flight: int | None
) -> None:
    limit = max_in_flight or 4  # default: 2 x the 2 workers reported below
    # Each task waits until `limit` tasks run at once, so the bound is reached deterministically.
    monkeypatch.setattr(_toy_tasks, "BARRIER", threading.Barrier(limit))
    consumed = 0

    def lazy_tasks() -> Iterator[Task]:
        nonlocal consumed
        for t in int_tasks(12):
            consumed += 1
            yield t

    with ThreadPoolExecutor(max_workers=16) as pool:
        ex = CountingExecutor(pool)
        ex._max_workers = 2  # type: ignore[attr-defined]
        failures = execute(
            lazy_tasks(),
            _toy_tasks.rendezvous,
            ResultStore(tmp_path),
            ex,
            max_in_flight=max_in_flight,
            progress=False,
        )
    assert failures == []
    assert consumed == 12 and ex.submitted == 12
    assert ex.peak == limit  # reached but never exceeded


# ------------------------------------------------------------------ progress


@pytest.mark.parametrize("progress", [True, False])
def test_progress_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str], progress: bool) -> None:
    execute(
        int_tasks(3),
        square,
        ResultStore(tmp_path),
        SerialExecutor(),
        progress=progress,
        desc="toy-sweep",
    )
    err = capsys.readouterr().err
    assert ("toy-sweep" in err and "3/3" in err) is progress
