"""Tests for `lcsim compare` and lcsim.comparison.runner: pairing, JSON, executors, resume, stopping.

Scenarios are the shipped ones shrunk to 2 classes of 60 (``extends:`` + a population
override), so a replication takes ~0.04 s and every test stays within a few seconds.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import lcsim.experiment.replications as experiment
from conftest import write_small_scenario
from lcsim.api import compare
from lcsim.cli.main import main
from lcsim.comparison.checks import CompareError
from lcsim.comparison.table import comparison_table, half_widths
from lcsim.config.loader import load_model
from lcsim.config.scenario import Scenario
from lcsim.experiment.store import ResultStore
from lcsim.outcomes.registry import BEYOND_FOLLOW_UP
from lcsim.stats.differences import holm

SHIPPED = Path(__file__).resolve().parents[1] / "scenarios"
TABLES = ("runs.csv", "students.parquet", "episodes.parquet")
N = 10




@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """ref (baseline), same (identical settings, other name), lc (coached LC)."""
    d = tmp_path_factory.mktemp("scenarios")
    ref = write_small_scenario(d, "ref", str(SHIPPED / "baseline.yaml"))
    return {"ref": ref, "same": write_small_scenario(d, "same", ref.name),
            "lc": write_small_scenario(d, "lc", str(SHIPPED / "coached-lc.yaml"))}


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def read_tables(directory: Path, names: list[str]) -> dict[str, pd.DataFrame]:
    tables = {}
    for name in names:
        for t in TABLES:
            path = directory / name / t
            tables[f"{name}/{t}"] = (pd.read_csv(path) if t.endswith(".csv")
                                     else pd.read_parquet(path))
    return tables


def assert_same_results(a: Path, b: Path, names: list[str]) -> None:
    """Identical per-scenario tables and byte-identical comparison.csv."""
    ta, tb = read_tables(a, names), read_tables(b, names)
    for key in ta:
        assert_frame_equal(ta[key], tb[key], obj=key)
    assert (a / "comparison.csv").read_bytes() == (b / "comparison.csv").read_bytes()


@pytest.fixture(scope="module")
def serial(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted serial comparison ref vs lc: the reference for the other runs."""
    out = tmp_path_factory.mktemp("serial") / "cmp"
    result = compare([load_model(files[k], Scenario) for k in ("ref", "lc")], out=out,
                     replications=N, seed=3, workers=1, progress=False, report=False)
    assert not result.failures
    return out


# ------------------------------------------------------------------ pairing and JSON


def test_self_comparison_is_exactly_zero_and_json_shape(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    code, stdout, _ = run_cli(["compare", files["ref"], files["same"], files["lc"], "-n", N,
                               "--workers", 1, "--out", out, "--json"], capsys)
    assert code == 0
    assert stdout.count("\n") == 1  # exactly one line: the JSON object, nothing else
    obj = json.loads(stdout)
    assert obj == json.loads((out / "comparison.json").read_text())
    assert obj["reference"] == "ref" and obj["scenarios"] == ["ref", "same", "lc"]
    assert obj["replications"] == N and obj["crn"] is True and obj["failures"] == {}
    assert obj["stopping"]["outcome"] == "fixed"
    assert "NaN" not in stdout  # JSON has no NaN: undefined values are null
    rows = pd.DataFrame(obj["comparison"])
    csv = pd.read_csv(out / "comparison.csv")
    assert list(csv.columns) == list(rows.columns)
    assert len(rows) == len(csv) == 3 * csv["metric"].nunique()

    same = rows[rows["scenario"] == "same"]
    # Metrics without a value in any replication (no peer mentoring in these scenarios) have
    # no difference either.
    assert set(same.loc[same["n"] == 0, "metric"]) == {"unmatched_mentee_share",
                                                        "mentor_lost_share"}
    same = same[same["n"] > 0]
    # Same settings on the same seeds: every replication is identical, so exactly zero.
    assert (same["diff"] == 0).all()
    assert (same["diff_ci_low"] == 0).all() and (same["diff_ci_high"] == 0).all()
    assert (same["p_value"] == 1).all() and (same["p_holm"] == 1).all()
    ref = rows[rows["scenario"] == "ref"].set_index("metric")
    assert ref[["diff", "p_value", "p_holm", "n_pairs"]].isna().all().all()
    # Ties share the win: same and ref have the same probability of being best.
    assert np.allclose(same.set_index("metric")["prob_best"].dropna(),
                       ref["prob_best"].dropna())
    assert rows.loc[rows["metric"] == "detected_by_peer", "prob_best"].isna().all()
    sums = rows.dropna(subset=["prob_best"]).groupby("metric")["prob_best"].sum()
    assert np.allclose(sums, 1.0)

    # Proposal diffs are the mean of replication-by-replication differences.
    runs = {n: pd.read_csv(out / n / "runs.csv").set_index("replication")
            for n in ("ref", "lc")}
    lc = rows[rows["scenario"] == "lc"].set_index("metric")
    for metric in ("graduated_4yr", "attrition", "time_to_intervention_median_days"):
        d = runs["lc"][metric] - runs["ref"][metric]
        if d.isna().any():  # a median beyond follow-up somewhere: no difference is given
            assert metric in BEYOND_FOLLOW_UP and np.isnan(lc.loc[metric, "diff"])
            continue
        assert lc.loc[metric, "diff"] == pytest.approx(d.mean(), rel=1e-12, abs=1e-15)
        assert lc.loc[metric, "n_pairs"] == N
        p = rows[(rows["metric"] == metric) & (rows["role"] == "proposal")]
        assert np.allclose(p["p_holm"], holm(p["p_value"].to_numpy()))


def test_scenario_tables_are_those_of_lcsim_run(
        files: dict[str, Path], serial: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run_cli(["run", files["lc"], "-n", N, "--seed", 3, "--workers", 1,
                          "--out", tmp_path / "run", "--json"], capsys)
    assert code == 0
    for t in TABLES:
        assert (serial / "lc" / t).read_bytes() == (tmp_path / "run" / t).read_bytes(), t
    assert ((serial / "lc" / "scenario.resolved.yaml").read_text()
            == (tmp_path / "run" / "scenario.resolved.yaml").read_text())
    manifest = json.loads((serial / "lc" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["stream"] == 0


def test_no_crn_uses_independent_streams(files: dict[str, Path], serial: Path,
                                         tmp_path: Path) -> None:
    scs = [load_model(files[k], Scenario) for k in ("ref", "same")]
    result = compare(scs, out=tmp_path / "cmp", replications=N, seed=3, crn=False,
                     workers=1, progress=False, report=False)
    streams = [json.loads((tmp_path / "cmp" / n / "manifest.json").read_text())["stream"]
               for n in ("ref", "same")]
    assert streams == [1, 2]
    # Identical settings on independent streams: replications differ, the test is Welch's.
    g = result.table[result.table["metric"] == "graduated_4yr"].set_index("scenario")
    assert not result.runs["ref"]["graduated_4yr"].equals(result.runs["same"]["graduated_4yr"])
    assert g.loc["same", "diff"] != 0 and 0 < g.loc["same", "p_value"] <= 1
    # Same settings: the true difference is 0, so the estimate lies within a few half-widths
    # of it (a 95% CI alone would miss 0 one time in 20).
    half = (g.loc["same", "diff_ci_high"] - g.loc["same", "diff_ci_low"]) / 2
    assert half > 0 and abs(g.loc["same", "diff"]) < 3 * half
    crn_ref = pd.read_csv(serial / "ref" / "runs.csv")
    assert not crn_ref["graduated_4yr"].equals(result.runs["ref"]["graduated_4yr"])
    assert not result.info["crn"]


def test_comparison_table_pairs_by_replication_number() -> None:
    """Runs are aligned on `replication`, not on row order; a missing replication is dropped."""
    ref = pd.DataFrame({"replication": [0, 1, 2, 3], "graduated_4yr": [0.1, 0.2, 0.3, 0.4]})
    prop = pd.DataFrame({"replication": [3, 0, 1], "graduated_4yr": [0.5, 0.2, 0.3]})
    t = comparison_table({"a": ref, "b": prop}).set_index(["scenario", "metric"])
    row = t.loc[("b", "graduated_4yr")]
    assert row["n_pairs"] == 3 and row["n"] == 3
    assert row["diff"] == pytest.approx(0.1)  # every pair differs by exactly 0.1
    assert row["diff_ci_low"] == pytest.approx(0.1) and row["diff_ci_high"] == pytest.approx(0.1)


# ------------------------------------------------------------------ executors


def test_workers_1_2_and_dask_give_identical_results(
        files: dict[str, Path], serial: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    names = ["ref", "lc"]
    code, _, _ = run_cli(["compare", files["ref"], files["lc"], "-n", N, "--seed", 3,
                          "--workers", 2, "--out", tmp_path / "w2", "--json"], capsys)
    assert code == 0
    assert_same_results(serial, tmp_path / "w2", names)

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        code, _, _ = run_cli(["compare", files["ref"], files["lc"], "-n", N, "--seed", 3,
                              "--scheduler", cluster.scheduler_address,
                              "--out", tmp_path / "dask", "--json"], capsys)
    assert code == 0
    assert_same_results(serial, tmp_path / "dask", names)


# ------------------------------------------------------------------ crash safety


def test_killed_compare_resumes_to_identical_tables(
        files: dict[str, Path], serial: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real = experiment.run_batch
    calls = []

    def dies_on_third(batch: experiment.Batch) -> dict[str, pd.DataFrame]:
        calls.append(batch.reps)
        if len(calls) == 3:
            raise KeyboardInterrupt  # like Ctrl-C in the middle of the comparison
        return real(batch)

    monkeypatch.setattr(experiment, "run_batch", dies_on_third)
    out = tmp_path / "cmp"
    args = ["compare", files["ref"], files["lc"], "-n", N, "--seed", 3, "--workers", 1,
            "--out", out]
    code, _, err = run_cli(args, capsys)
    assert code == 130 and "--resume" in err
    assert json.loads((out / "compare.json").read_text())["status"] == "running"
    assert not (out / "comparison.csv").exists()
    done = {n: ResultStore(out / n).done_tasks() for n in ("ref", "lc")}
    assert sum(map(len, done.values())) == 2  # two of four batches finished before the kill

    monkeypatch.setattr(experiment, "run_batch", real)
    code, _, _ = run_cli([*args, "--resume", "--json"], capsys)
    assert code == 0
    assert_same_results(serial, out, ["ref", "lc"])


def test_resume_after_losing_tables_and_markers(
        serial: Path, files: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A kill can leave parts without done markers and no final tables: resume repairs it."""
    out = tmp_path / "cmp"
    shutil.copytree(serial, out)
    for name in ("ref", "lc"):
        for t in TABLES:
            (out / name / t).unlink()
    (out / "comparison.csv").unlink()
    # Killed after writing a task's parts but before its done marker: orphan parts.
    (out / "ref" / "parts" / "_done" / "r000005-000009").unlink()
    # Killed between two parts of a task: some parts written, no marker.
    (out / "lc" / "parts" / "_done" / "r000000-000004").unlink()
    (out / "lc" / "parts" / "runs" / "r000000-000004.parquet").unlink()
    code, _, _ = run_cli(["compare", files["ref"], files["lc"], "-n", N, "--seed", 3,
                          "--workers", 1, "--out", out, "--resume", "--json"], capsys)
    assert code == 0
    assert_same_results(serial, out, ["ref", "lc"])


def test_resume_with_more_replications_after_a_kill(
        files: dict[str, Path], serial: Path, tmp_path: Path) -> None:
    """Extending a killed 7-replication run to 10 changes the last batch's key (r5-6 becomes
    r5-9): the orphan parts of the killed batch must not be counted twice."""
    scs = [load_model(files[k], Scenario) for k in ("ref", "lc")]
    out = tmp_path / "cmp"
    compare(scs, out=out, replications=7, seed=3, workers=1, progress=False, report=False)
    for name in ("ref", "lc"):  # killed after the parts of r5-6, before its marker
        (out / name / "parts" / "_done" / "r000005-000006").unlink()
    result = compare(scs, out=out, replications=N, seed=3, workers=1, progress=False,
                     resume=True, report=False)
    assert result.info["replications"] == N
    assert_same_results(serial, out, ["ref", "lc"])


def test_resume_never_drops_stored_replications(
        files: dict[str, Path], serial: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    shutil.copytree(serial, out)
    scs = [load_model(files[k], Scenario) for k in ("ref", "lc")]
    result = compare(scs, out=out, replications=5, seed=3, workers=1, progress=False,
                     resume=True, report=False)
    assert result.info["replications"] == N  # the 10 stored ones are kept and analysed
    assert_same_results(serial, out, ["ref", "lc"])


@pytest.mark.parametrize(("change", "words"), [
    (["--seed", "4"], "seed differs"),
    (["--no-crn"], "common random numbers differ"),
    ("swap", "scenarios differ"),
])
def test_resume_refuses_other_inputs(
        files: dict[str, Path], serial: Path, tmp_path: Path, change: list[str] | str,
        words: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    shutil.copytree(serial, out)
    before = (out / "comparison.csv").read_bytes()
    second = files["same"] if change == "swap" else files["lc"]
    extra = [] if change == "swap" else change
    code, stdout, err = run_cli(["compare", files["ref"], second, "-n", N, "--seed", 3,
                                 "--workers", 1, "--out", out, "--resume", *extra], capsys)
    assert code == 2 and stdout == ""
    assert words in err and "cannot resume" in err and "Traceback" not in err
    assert (out / "comparison.csv").read_bytes() == before


def test_existing_directory_needs_resume(files: dict[str, Path], serial: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    shutil.copytree(serial, out)
    code, _, err = run_cli(["compare", files["ref"], files["lc"], "-n", N, "--seed", 3,
                            "--out", out], capsys)
    assert code == 2 and "--resume" in err
    code, _, err = run_cli(["compare", files["ref"], files["lc"], "--resume"], capsys)
    assert code == 2 and "--resume needs --out" in err


def test_duplicate_names_are_refused(files: dict[str, Path], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["compare", files["ref"], files["lc"], files["lc"], "-n", 2,
                            "--out", tmp_path / "cmp"], capsys)
    assert code == 2 and "unique" in err and "'lc'" in err
    assert not (tmp_path / "cmp").exists()
    with pytest.raises(CompareError, match="at least one proposal"):
        compare([load_model(files["ref"], Scenario)], out=tmp_path / "x", replications=2)


def test_failed_replications_are_listed_and_the_rest_go_on(
        files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    real = experiment.run_batch

    def flaky(batch: experiment.Batch) -> dict[str, pd.DataFrame]:
        if batch.scenario.name == "lc" and 5 in batch.reps:
            raise ValueError("model exploded")
        return real(batch)

    monkeypatch.setattr(experiment, "run_batch", flaky)
    out = tmp_path / "cmp"
    code, _, err = run_cli(["compare", files["ref"], files["lc"], "-n", N, "--workers", 1,
                            "--out", out], capsys)
    assert code == 1
    assert "lc/r000005-000009" in err
    assert "ValueError: model exploded" in (out / "lc" / "failures" / "r000005-000009.txt"
                                            ).read_text()
    table = pd.read_csv(out / "comparison.csv").set_index(["scenario", "metric"])
    assert table.loc[("ref", "attrition"), "n"] == N
    assert table.loc[("lc", "attrition"), "n"] == table.loc[("lc", "attrition"), "n_pairs"] == 5
    assert json.loads((out / "compare.json").read_text())["status"] == "failed"
    assert json.loads((out / "comparison.json").read_text())["failures"] == {
        "lc": ["r000005-000009"]}
    assert "failed" in (out / "report.html").read_text()


# ------------------------------------------------------------------ --target-ci


def _stopping(out: Path) -> dict:
    return json.loads((out / "comparison.json").read_text())["stopping"]


def test_target_ci_stops_when_reached(files: dict[str, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    base = ["compare", files["ref"], files["lc"], "--seed", 5, "--workers", 1, "-n", 5]
    # First: a loose target, met by the first round of 5.
    code, _, _ = run_cli([*base, "--out", tmp_path / "loose", "--json",
                          "--target-ci", "graduated_4yr=0.5"], capsys)
    assert code == 0
    stop = _stopping(tmp_path / "loose")
    assert stop["outcome"] == "target_reached" and len(stop["rounds"]) == 1
    hw5 = stop["rounds"][0]["half_widths"]["graduated_4yr"]["lc"]
    assert 0 < hw5 <= 0.5
    # Then a target 0.7 x the half-width at 5 replications. The t interval shrinks as
    # t(n-1)/sqrt(n): 1.24 at n=5, 0.41 at n=25, so a second round of 20 is expected to
    # meet it; the invariant checked holds whatever the data.
    target = 0.7 * hw5
    out = tmp_path / "tight"
    code, _, _ = run_cli([*base, "--out", out, "--json", "--max-replications", 65,
                          "--target-ci", f"graduated_4yr={target!r}"], capsys)
    assert code == 0
    stop = _stopping(out)
    assert stop["outcome"] == "target_reached"
    widths = [r["half_widths"]["graduated_4yr"]["lc"] for r in stop["rounds"]]
    assert [r["replications"] for r in stop["rounds"]] == [5, 25, 45, 65][:len(widths)]
    assert len(widths) >= 2 and widths[-1] <= target and all(w > target for w in widths[:-1])
    n = len(pd.read_csv(out / "lc" / "runs.csv"))
    assert n == stop["rounds"][-1]["replications"] == json.loads(
        (out / "comparison.json").read_text())["replications"]
    assert "the target was reached" in (out / "report.html").read_text()


def test_target_ci_reports_max_reached(files: dict[str, Path], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    code, stdout, _ = run_cli(["compare", files["ref"], files["lc"], "--workers", 1, "-n", 5,
                               "--max-replications", 10, "--target-ci", "attrition=1e-9",
                               "--target-ci", "time_to_intervention_median_days=1e-9",
                               "--out", out], capsys)
    assert code == 0 and "max replications" in stdout
    stop = _stopping(out)
    assert stop["outcome"] == "max_replications" and stop["max_replications"] == 10
    assert [r["replications"] for r in stop["rounds"]] == [5, 10]
    assert len(pd.read_csv(out / "ref" / "runs.csv")) == 10
    assert "not reached by the maximum of 10 replications" in (out / "report.html").read_text()


def test_target_ci_input_errors(files: dict[str, Path], tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["compare", files["ref"], files["lc"], "--out", tmp_path / "a",
                            "--target-ci", "graduation=0.01"], capsys)
    assert code == 2 and "unknown metric 'graduation'" in err
    code, _, err = run_cli(["compare", files["ref"], files["lc"], "--out", tmp_path / "b",
                            "--max-replications", "40"], capsys)
    assert code == 2 and "--target-ci" in err
    with pytest.raises(SystemExit):
        main(["compare", str(files["ref"]), str(files["lc"]), "--target-ci", "attrition=-1"])


def test_a_quantile_beyond_follow_up_in_some_replication_gets_no_summary() -> None:
    """A KM quantile missing in a replication lies beyond its follow-up: averaging the other
    replications would bias the mean low, so the scenario gets no mean, difference or rank
    (and `n` says how many replications reached it); other metrics are summarised as usual."""
    p90 = "time_to_intervention_p90_days"
    ref = pd.DataFrame({"replication": [0, 1, 2, 3], p90: [300.0, np.nan, 310.0, np.nan],
                        "graduated_4yr": [0.8, 0.81, 0.82, 0.83]})
    prop = pd.DataFrame({"replication": [0, 1, 2, 3], p90: [100.0, 120.0, 90.0, 110.0],
                         "graduated_4yr": [0.85, 0.86, 0.86, 0.88]})
    t = comparison_table({"a": ref, "b": prop}).set_index(["scenario", "metric"])
    a, b = t.loc[("a", p90)], t.loc[("b", p90)]
    assert a["n"] == 2 and np.isnan(a["mean"]) and np.isnan(a["ci_low"])
    assert b["n"] == 4 and b["mean"] == pytest.approx(105.0)
    assert np.isnan(b["diff"]) and np.isnan(b["p_value"]) and np.isnan(b["prob_best"])
    g = t.loc[("b", "graduated_4yr")]
    assert g["diff"] == pytest.approx(0.0475) and g["prob_best"] == pytest.approx(1.0)
    both = comparison_table({"a": prop, "b": prop}).set_index(["scenario", "metric"])
    assert both.loc[("b", p90), "diff"] == 0.0  # complete in both: compared as usual
    itself = comparison_table({"a": ref, "b": ref}).set_index(["scenario", "metric"])
    assert itself.loc[("b", p90), "diff"] == 0.0  # identical in every replication: exactly 0
    assert np.isnan(itself.loc[("b", p90), "mean"])


def test_a_failed_replication_is_not_taken_for_a_quantile_beyond_follow_up() -> None:
    """A replication missing from a scenario's runs (it failed) leaves the others summarised:
    only NaNs in the scenario's own rows mean 'beyond follow-up'. The stopping rule's
    half-widths follow the same rule: no difference, never on target."""
    q = "time_to_detection_median_days"
    ref = pd.DataFrame({"replication": [0, 1, 2, 3], q: [50.0, 52.0, 49.0, 51.0]})
    failed = pd.DataFrame({"replication": [0, 1, 3], q: [30.0, 33.0, 31.0]})
    t = comparison_table({"a": ref, "b": failed}).set_index(["scenario", "metric"])
    row = t.loc[("b", q)]
    assert row["mean"] == pytest.approx(94 / 3) and row["n_pairs"] == 3
    assert row["diff"] == pytest.approx((30 + 33 + 31 - 50 - 52 - 51) / 3)
    assert half_widths({"a": ref, "b": failed}, [q])[q]["b"] < math.inf
    beyond = failed.assign(**{q: [30.0, np.nan, 31.0]})
    assert half_widths({"a": ref, "b": beyond}, [q])[q]["b"] == math.inf
