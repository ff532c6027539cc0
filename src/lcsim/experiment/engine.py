"""Run many independent simulation tasks on an executor and store their results crash-safely.

A *worker function* is a picklable top-level callable ``fn(payload) -> dict[str, DataFrame]``.
``execute`` submits one ``Task`` per replication (or design point x replication), writes the
returned tables as parts of a ``ResultStore`` and then a per-task done marker.  Because
finished tasks are skipped on the next call, re-running the same task list resumes a killed
run; because the store orders parts by key, results do not depend on the executor used or on
the order in which tasks complete.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
from tqdm.auto import tqdm

from lcsim.experiment.store import ResultStore

__all__ = [
    "Failure",
    "SerialExecutor",
    "Task",
    "call_task",
    "default_max_in_flight",
    "execute",
    "executor_workers",
    "make_executor",
]

T = TypeVar("T")
Tables = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Task:
    """One unit of work: ``key`` names its result parts, ``payload`` is passed to the worker."""

    key: str
    payload: Any


@dataclass
class Failure:
    """A task whose worker raised; ``error`` is the formatted traceback."""

    key: str
    error: str


class SerialExecutor(Executor):
    """Executor that runs each callable immediately in the calling process.

    Used for ``--workers 1`` and debugging (breakpoints and profilers just work).  Exceptions
    are stored on the returned Future like any executor would, except ``BaseException``s such
    as ``KeyboardInterrupt`` which propagate at once so Ctrl-C stops a serial run.
    """

    def __init__(self) -> None:
        self._shutdown = False
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run ``fn(*args, **kwargs)`` now and return its completed Future."""
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future[T] = Future()
        future.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse further submissions (nothing is ever pending)."""
        with self._lock:
            self._shutdown = True


@contextlib.contextmanager
def make_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """Yield an Executor and shut it down on exit.

    * ``scheduler`` given (e.g. ``"tcp://host:8786"``): a ``distributed.Client`` executor; the
      cluster decides the parallelism and ``workers`` is ignored.
    * ``workers == 1``: ``SerialExecutor``.
    * otherwise: a ``ProcessPoolExecutor`` with ``workers`` (default ``os.cpu_count()``)
      processes started with "spawn" (safe from notebooks and threaded parents; workers inherit
      the parent's ``sys.path``).
    """
    if scheduler is not None:
        from distributed import Client  # lazy: distributed is slow to import

        client = Client(scheduler)
        try:
            # pure=False: never tokenize payloads nor deduplicate tasks by content.
            yield client.get_executor(pure=False)
        finally:
            client.close()
        return
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if workers == 1:
        executor: Executor = SerialExecutor()
    else:
        executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn")
        )
    with executor:
        yield executor


@contextlib.contextmanager
def executor_for(executor: Executor | None, workers: int | None = None,
                 scheduler: str | None = None) -> Iterator[Executor]:
    """``executor`` as given (left open for its owner), or a new one from `make_executor`."""
    if executor is not None:
        yield executor
    else:
        with make_executor(workers, scheduler) as ex:
            yield ex


def executor_workers(executor: Executor) -> int | None:
    """Number of parallel slots of ``executor`` if it can be determined, else None."""
    if isinstance(executor, SerialExecutor):
        return 1
    n = getattr(executor, "_max_workers", None)  # Process/ThreadPoolExecutor
    if isinstance(n, int):
        return n
    client = getattr(executor, "_client", None)  # distributed.cfexecutor.ClientExecutor
    if client is not None:
        try:
            return sum(client.nthreads().values()) or None
        except Exception:
            return None
    return None


def default_max_in_flight(executor: Executor) -> int:
    """Two tasks per worker (keeps workers busy while results are written), else 4."""
    n = executor_workers(executor)
    return 2 * n if n else 4


def call_task(fn: Callable[[Any], Tables], task: Task) -> tuple[str, Tables | Failure]:
    """Run ``fn(task.payload)`` in the worker and turn any Exception into a ``Failure``.

    The result is checked here, so a worker returning the wrong type fails only its own task.
    """
    try:
        tables = fn(task.payload)
        if not isinstance(tables, dict):
            raise TypeError(f"worker must return dict[str, DataFrame], got {type(tables)}")
        for name, df in tables.items():
            if not isinstance(name, str) or not isinstance(df, pd.DataFrame):
                raise TypeError(
                    f"worker result {name!r}: expected str -> DataFrame, got {type(df).__name__}"
                )
        return task.key, tables
    except Exception:
        return task.key, Failure(task.key, traceback.format_exc())


def _outcome(future: Future[Any], key: str) -> Tables | Failure:
    """Unwrap a finished future; transport errors (unpicklable result, dead worker) fail it."""
    if future.cancelled():
        return Failure(key, "task was cancelled\n")
    exc = future.exception()
    if exc is not None:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return Failure(key, text)
    result_key, outcome = future.result()
    if result_key != key:  # pragma: no cover - would be an executor bug
        raise RuntimeError(f"result for {result_key!r} returned for task {key!r}")
    return outcome


def _shutdown_now(executor: Executor) -> None:
    """Shut down without waiting, cancelling queued work where the executor supports it."""
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except TypeError:  # distributed's ClientExecutor has no cancel_futures
        executor.shutdown(wait=False)


def execute(
    tasks: Iterable[Task],
    fn: Callable[[Any], Tables],
    store: ResultStore,
    executor: Executor,
    *,
    max_in_flight: int | None = None,
    progress: bool | None = None,
    desc: str = "",
) -> list[Failure]:
    """Run ``fn`` on every task not yet done in ``store``; return the failures (never raises them).

    For each successful task every returned table is written with ``store.write_part`` and only
    then the task's done marker, so a run killed in between recomputes that task on resume
    (parts are overwritten idempotently).  Failed tasks get ``store.record_failure`` and are
    retried by the next call.  At most ``max_in_flight`` tasks (default: 2 x workers, or 4)
    are submitted and not yet stored at any time, which bounds memory for long task lists.
    ``progress=None`` shows a tqdm bar only when stderr is a terminal.

    On KeyboardInterrupt, pending futures are cancelled, the executor is shut down and the
    interrupt re-raised; everything stored so far stays valid.  Other errors (e.g. a broken
    process pool) cancel pending futures and propagate.
    """
    limit = max_in_flight if max_in_flight is not None else default_max_in_flight(executor)
    if limit < 1:
        raise ValueError(f"max_in_flight must be >= 1, got {limit}")
    if progress is None:
        progress = sys.stderr.isatty()

    store.remove_temp_files()
    done = store.done_tasks()
    total: int | None = None
    skipped = 0
    if isinstance(tasks, Sized):
        total = len(tasks)
        skipped = sum(1 for t in tasks if t.key in done)
    bar = tqdm(total=total, initial=skipped, desc=desc or None, unit="task", disable=not progress)
    try:
        return _run(_pending(tasks, done), fn, store, executor, limit, bar)
    finally:
        bar.close()


def _pending(tasks: Iterable[Task], done: set[str]) -> Iterator[Task]:
    """The tasks not in ``done``, in order; a key seen twice raises ValueError."""
    seen: set[str] = set()
    for task in tasks:
        if task.key in seen:
            raise ValueError(f"duplicate task key {task.key!r}")
        seen.add(task.key)
        if task.key not in done:
            yield task


def _run(todo: Iterator[Task], fn: Callable[[Any], Tables], store: ResultStore,
         executor: Executor, limit: int, bar: Any) -> list[Failure]:
    """Keep at most ``limit`` tasks in flight; store each result as it comes (see `execute`)."""
    failures: list[Failure] = []
    in_flight: dict[Future[Any], str] = {}
    exhausted = False
    try:
        while True:
            while not exhausted and len(in_flight) < limit:
                task = next(todo, None)
                if task is None:
                    exhausted = True
                else:
                    in_flight[executor.submit(call_task, fn, task)] = task.key
            if not in_flight:
                return failures
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=in_flight.__getitem__):
                key = in_flight.pop(future)
                outcome = _outcome(future, key)
                if isinstance(outcome, Failure):
                    store.record_failure(key, outcome.error)
                    failures.append(outcome)
                    bar.set_postfix(failed=len(failures), refresh=False)
                else:
                    for table in sorted(outcome):
                        store.write_part(table, key, outcome[table])
                    store.mark_done(key, outcome)
                bar.update(1)
    except KeyboardInterrupt:
        for future in in_flight:
            future.cancel()
        _shutdown_now(executor)
        raise
    except BaseException:
        for future in in_flight:
            future.cancel()
        raise
