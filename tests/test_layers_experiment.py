"""The experiment layer: provenance apart from the model, one resume protocol, one worker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from lcsim.config.scenario import Scenario
from lcsim.experiment.errors import RunError
from lcsim.experiment.replications import Batch, batches, run_batch
from lcsim.experiment.resume import (
    Kind,
    check_directory,
    finish_directory,
    start_directory,
)
from lcsim.experiment.store import ResultStore

SRC = Path(__file__).resolve().parents[1] / "src"

KIND = Kind("record", "results", "them", stored="the stored thing (other inputs)")
FRESH_ONLY = Kind("record", "a sweep", "it", stored="the stored sweep",
                  no_record="it is not empty and holds no record.json", fresh_only=True)
WANT = {"seed": 1, "code_hash": "abc"}


def test_comparisons_and_the_store_load_without_the_model() -> None:
    """Reports read comparisons: importing them must not import SimPy or the model."""
    code = ("import sys, lcsim.comparison.result, lcsim.comparison.checks, "
            "lcsim.experiment.store, lcsim.experiment.resume, lcsim.experiment.provenance; "
            "bad = [m for m in sys.modules if m == 'simpy' or m.startswith('lcsim.model')]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(SRC), "PATH": ""})
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------ the resume protocol


def test_fresh_directory_is_recorded_as_running_then_complete(tmp_path: Path) -> None:
    out = tmp_path / "d"
    record = start_directory(out, KIND, WANT, False, {"name": "x"})
    stored = json.loads((out / "record.json").read_text())
    assert stored == record
    assert {k: stored[k] for k in ("seed", "code_hash", "name", "status")} == {
        "seed": 1, "code_hash": "abc", "name": "x", "status": "running"}
    assert "finished" not in stored
    done = finish_directory(out, KIND, False, {"runs": 3})
    assert done["status"] == "complete" and done["runs"] == 3
    assert done["started"] == record["started"] and "finished" in done
    assert json.loads((out / "record.json").read_text()) == done
    assert finish_directory(out, KIND, True, {})["status"] == "failed"


def test_existing_results_need_resume(tmp_path: Path) -> None:
    start_directory(tmp_path, KIND, WANT, False, {})
    with pytest.raises(RunError) as err:
        start_directory(tmp_path, KIND, WANT, False, {})
    assert str(err.value) == (f"{tmp_path} already holds results: use --resume to finish "
                              "them, or choose another --out")


def test_resume_refuses_another_identity_and_names_what_differs(tmp_path: Path) -> None:
    start_directory(tmp_path, KIND, WANT, False, {})
    with pytest.raises(RunError) as err:
        start_directory(tmp_path, KIND, {"seed": 2, "code_hash": "abc"}, True, {})
    assert str(err.value) == (f"cannot resume {tmp_path}: seed differ from the stored thing "
                              "(other inputs)")


def test_a_custom_mismatch_and_error_class_are_used(tmp_path: Path) -> None:
    class Mine(RunError):
        pass

    kind = Kind("record", "x", "it", mismatch=lambda d, have, want: f"no: {have['seed']}",
                error=Mine)
    start_directory(tmp_path, kind, WANT, False, {})
    with pytest.raises(Mine, match="^no: 1$"):
        start_directory(tmp_path, kind, {"seed": 1, "code_hash": "other"}, True, {})


def test_non_empty_directory_without_record(tmp_path: Path) -> None:
    (tmp_path / "stray.txt").write_text("x")
    with pytest.raises(RunError) as err:
        check_directory(tmp_path, KIND, WANT, True)
    assert str(err.value) == f"cannot resume {tmp_path}: it has no record.json"
    assert check_directory(tmp_path, KIND, WANT, False) is None  # a fresh run may use it
    with pytest.raises(RunError) as err:
        check_directory(tmp_path, FRESH_ONLY, WANT, False)
    assert str(err.value) == (f"cannot use {tmp_path}: it is not empty and holds no "
                              "record.json")
    assert check_directory(tmp_path / "new", FRESH_ONLY, WANT, True) is None


def test_resume_keeps_the_start_drops_orphan_parts_and_updates_fields(tmp_path: Path) -> None:
    first = start_directory(tmp_path, KIND, WANT, False, {"name": "old"})
    finish_directory(tmp_path, KIND, True, {"runs": 1})
    store = ResultStore(tmp_path)
    store.write_part("runs", "r1", pd.DataFrame({"x": [1]}))
    store.mark_done("r1", ["runs"])
    store.write_part("runs", "r2", pd.DataFrame({"x": [2]}))  # killed before its marker
    again = start_directory(tmp_path, KIND, WANT, True, {"name": "new"})
    assert again["started"] == first["started"]
    assert again["status"] == "running" and again["name"] == "new"
    assert "finished" not in again
    assert store.done_keys("runs") == {"r1"}
    assert_frame_equal(store.read_table("runs"), pd.DataFrame({"x": [1]}))


# ------------------------------------------------------------------ one worker


def tiny() -> Scenario:
    return Scenario.model_validate({"name": "tiny", "population": {"class_size": 40,
                                                                   "cohorts": 1}})


def test_task_keys_of_runs_and_sweep_points() -> None:
    sc = tiny()
    assert [t.key for t in batches(sc, 1, 0, 7)] == ["r000000-000004", "r000005-000006"]
    tasks = batches(sc, 1, 0, 7, point=12)
    assert [t.key for t in tasks] == ["p000012-r000000-000004", "p000012-r000005-000006"]
    assert tasks[1].payload == Batch(sc, 1, (5, 6), 0, 12)


def test_a_sweep_point_batch_gives_the_runs_of_a_run_batch_with_its_point() -> None:
    sc = tiny()
    full = run_batch(Batch(sc, 3, (0, 1)))
    assert set(full) == {"runs", "students", "episodes", "faculty"}
    point = run_batch(Batch(sc, 3, (0, 1), point=4))
    assert list(point) == ["runs"]
    runs = point["runs"]
    assert list(runs.columns[:2]) == ["point", "replication"] and (runs["point"] == 4).all()
    assert_frame_equal(runs.drop(columns="point"), full["runs"])
