"""Tests for parameter sweeps: sweep files, designs, store/resume, executors, sensitivity, report.

Every sweep here runs a tiny base scenario (the small-group LC with a class of 50 and one
cohort, ~0.02 s a replication) so the whole file stays fast.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import lcsim.experiment.replications as replications
from lcsim.cli.main import main
from lcsim.config.scenario import Scenario
from lcsim.experiment.engine import make_executor
from lcsim.experiment.replications import Batch
from lcsim.experiment.store import ResultStore
from lcsim.reports.sweep import write_report
from lcsim.sweeps.design import Factor, FactorInfo, SweepSpec, unit_design
from lcsim.sweeps.fields import field_kind, point_data
from lcsim.sweeps.runner import SweepTasks, assemble_runs, plan_sweep, run_sweep
from lcsim.sweeps.sensitivity import (
    PointMoments,
    morris_indices,
    point_moments,
    sensitivity,
    sobol_indices,
    src,
)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


TINY = textwrap.dedent(f"""\
    extends: {SCENARIOS / "small-group-lc.yaml"}
    name: tiny
    population: {{class_size: 50, cohorts: 1}}
    """)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def write_sweep(tmp_path: Path, body: str, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text("base: tiny.yaml\n" + textwrap.dedent(body))
    return path


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(args)
    out, err = capsys.readouterr()
    return rc, out, err


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {"points": pd.read_parquet(out / "points.parquet"),
            "runs": pd.read_parquet(out / "runs.parquet"),
            "sensitivity": pd.read_csv(out / "sensitivity.csv"),
            "point_summary": pd.read_csv(out / "point_summary.csv")}


def assert_same_tables(a: Path, b: Path) -> None:
    ta, tb = tables(a), tables(b)
    for name in ta:
        assert_frame_equal(ta[name], tb[name], obj=name)


# ------------------------------------------------------------------ designs from YAML

DESIGNS = {
    "grid": ("""\
        design: grid
        replications: 2
        factors:
          coaching.meetings_per_year: {values: [1, 12]}
          small_groups.size: {range: [4, 12]}
        levels: 3
        """, 2 * 3, set()),
    "lhs": ("""\
        design: lhs
        samples: 6
        replications: 2
        factors:
          coaching.meetings_per_year: {range: [1, 12]}
          small_groups.size: {range: [4, 12]}
          assumptions.self_referral_per_year: {range: [0.3, 3.0], log: true}
        """, 6, set()),
    "sobol": ("""\
        design: sobol
        samples: 4
        replications: 2
        factors:
          coaching.meetings_per_year: {range: [1, 12]}
          setbacks.personal_per_year: {range: [0.5, 2]}
        """, 4 * (2 + 2), {"S1", "ST"}),
    "morris": ("""\
        design: morris
        samples: 3
        replications: 2
        factors:
          coaching.meetings_per_year: {values: [1, 3, 6, 12]}
          small_groups.size: {range: [4, 12]}
          setbacks.personal_per_year: {range: [0.5, 2]}
        """, 3 * (3 + 1), {"mu_star", "sigma", "mu"}),
}


@pytest.mark.parametrize("design", list(DESIGNS))
def test_design_runs_from_yaml(design: str, tmp_path: Path, base: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    body, n_points, special = DESIGNS[design]
    path = write_sweep(tmp_path, body)
    out = tmp_path / "out"
    rc, stdout, _ = run_cli(["sweep", str(path), "--out", str(out), "--workers", "1",
                             "--json"], capsys)
    assert rc == 0
    info = json.loads(stdout)
    assert (info["points"], info["replications"], info["runs"], info["failures"]) == \
        (n_points, 2, n_points * 2, 0)
    assert info["out"] == str(out) and info["seed"] == 1

    t = tables(out)
    factors = [c for c in t["points"].columns if c != "point"]
    assert t["points"]["point"].tolist() == list(range(n_points))
    assert len(t["runs"]) == n_points * 2
    # point x replication, each point with replications 0 and 1
    assert sorted(zip(t["runs"]["point"], t["runs"]["replication"], strict=True)) == \
        [(p, r) for p in range(n_points) for r in range(2)]
    assert {"attrition", "time_to_intervention_median_days"} <= set(t["runs"].columns)

    sens = t["sensitivity"]
    assert list(sens.columns) == ["metric", "factor", "method", "index", "value", "ci_low",
                                  "ci_high"]
    methods = set(sens["method"])
    assert "src" in methods
    expected_method = {"sobol": "sobol", "morris": "morris"}.get(design)
    assert methods - {"src"} == ({expected_method} if expected_method else set())
    if special:
        rows = sens[sens["method"] == expected_method]
        assert set(rows["index"]) == special
        assert set(rows["factor"]) == set(factors)
    # JSON: top indices per metric, largest first, of the design's primary index
    primary = {"sobol": "ST", "morris": "mu_star"}.get(design, "src")
    assert info["sensitivity"]
    for tops in info["sensitivity"].values():
        assert 1 <= len(tops) <= 3 and all(t["index"] == primary for t in tops)
        sizes = [abs(t["value"]) for t in tops]
        assert sizes == sorted(sizes, reverse=True)

    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 2
    for external in ("http://", "https://", "<script", "<link"):
        assert external not in html
    if design == "grid":  # one heatmap figure per headline metric
        assert "Pairs of factors" in html


def test_integer_fields_get_integers(tmp_path: Path, base: Path) -> None:
    path = write_sweep(tmp_path, """\
        design: random
        samples: 40
        replications: 1
        factors:
          small_groups.size: {range: [4, 12], log: true}
          community.count: {range: [2, 6]}
          coaching.meetings_per_year: {range: [1, 12]}
        """)
    plan = plan_sweep(path)
    pts = plan.points
    for col, (lo, hi) in {"small_groups.size": (4, 12), "community.count": (2, 6)}.items():
        assert pd.api.types.is_integer_dtype(pts[col])
        assert pts[col].between(lo, hi).all()
        assert all(type(row[plan.paths.index(col)]) is int for row in plan.values)
    assert pd.api.types.is_float_dtype(pts["coaching.meetings_per_year"])
    # 40 random draws over 5 equally likely counts: P(some count never drawn) < 5 * 0.8^40
    assert set(pts["community.count"]) == {2, 3, 4, 5, 6}
    point = dict(zip(plan.paths, plan.values[0], strict=True))
    sc = Scenario.model_validate(point_data(plan.base.model_dump(), point))
    assert isinstance(sc.small_groups.size, int)


def test_field_kind_follows_scenario_annotations() -> None:
    assert field_kind("small_groups.size") == "int"
    assert field_kind("leadership.meeting_every_weeks") == "int"  # int | None
    assert field_kind("coaching.meetings_per_year") == "float"
    assert field_kind("space.assigned") == "bool"
    assert field_kind("coaching") == "section"
    assert field_kind("coaching.meeting_per_year") is None
    assert field_kind("small_groups.size.x") is None


def test_integer_mapping_gives_each_integer_equal_mass() -> None:
    info = FactorInfo("small_groups.size", Factor(range=(4, 12)), "int")
    u = (np.arange(9000) + 0.5) / 9000
    counts = pd.Series([info.from_unit(x) for x in u]).value_counts()
    assert sorted(counts.index) == list(range(4, 13)) and (counts == 1000).all()
    assert info.from_unit(0.0) == 4 and info.from_unit(1.0) == 12
    log = FactorInfo("assumptions.self_referral_per_year", Factor(range=(0.3, 3.0), log=True), "float")
    assert log.from_unit(0.0) == 0.3 and log.from_unit(1.0) == 3.0
    assert log.from_unit(0.5) == pytest.approx(np.sqrt(0.3 * 3.0))
    assert log.grid(3) == pytest.approx([0.3, np.sqrt(0.9), 3.0])


def test_lhs_and_morris_designs_have_their_structure() -> None:
    factors = [FactorInfo(f"f{i}", Factor(range=(0, 1)), "float") for i in range(3)]
    lhs = unit_design(SweepSpec(base="x", design="lhs", samples=10, replications=1,
                                factors={"a": Factor(range=(0, 1))}), factors)
    # Latin hypercube: every factor has exactly one point in each of the 10 strata
    for j in range(3):
        assert sorted(np.floor(lhs[:, j] * 10).astype(int)) == list(range(10))
    morris = unit_design(SweepSpec(base="x", design="morris", samples=4, replications=1,
                                   factors={"a": Factor(range=(0, 1))}), factors)
    assert morris.shape == (4 * 4, 3)
    for traj in morris.reshape(4, 4, 3):  # each step of a trajectory moves one factor
        assert (np.count_nonzero(np.diff(traj, axis=0), axis=1) == 1).all()


# ------------------------------------------------------------------ bad sweep files

BAD = {
    "not a field": ("""\
        design: lhs
        samples: 4
        replications: 2
        factors:
          coaching.meeting_per_year: {range: [1, 3]}
        """, ["line 6", "factors.coaching.meeting_per_year", "not a scenario field",
              "did you mean 'coaching.meetings_per_year'"]),
    "range outside bounds": ("""\
        design: lhs
        samples: 4
        replications: 2
        factors:
          coaching.meetings_per_year: {range: [1, 200]}
          small_groups.size: {values: [1, 4]}
        """, ["line 6", "factors.coaching.meetings_per_year", "between 0.0 and 52.0",
              "line 7", "factors.small_groups.size", "value 1 is refused"]),
    "bad design": ("""\
        design: latin
        samples: 4
        replications: 2
        factors:
          coaching.meetings_per_year: {range: [1, 3]}
        """, ["line 2", "design", "'latin'"]),
    "unknown keys": ("""\
        design: lhs
        samples: 4
        replications: 2
        repetitions: 3
        factors:
          coaching.meetings_per_year: {range: [1, 3], logscale: true}
        """, ["line 5", "repetitions: unknown key", "line 7",
              "factors.coaching.meetings_per_year.logscale: unknown key"]),
    "design point refused": ("""\
        design: grid
        replications: 2
        factors:
          population.class_size: {values: [250000, 100]}
          population.cohorts: {values: [1, 10]}
        """, ["factors", "design point 1 (population.class_size=250000",
              "population.cohorts=10", "at most 1,000,000"]),
    "sobol samples": ("""\
        design: sobol
        samples: 10
        replications: 2
        factors:
          coaching.meetings_per_year: {range: [1, 3]}
        """, ["line 3", "samples", "power of 2"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_sweep_files_fail_before_any_run(case: str, tmp_path: Path, base: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    body, needles = BAD[case]
    path = write_sweep(tmp_path, body)

    def never(task: object) -> dict:
        raise AssertionError("a run started")

    monkeypatch.setattr(replications, "run_batch", never)
    out = tmp_path / "out"
    rc, stdout, err = run_cli(["sweep", str(path), "--out", str(out), "--workers", "1"], capsys)
    assert rc == 2 and stdout == ""
    assert err.startswith(f"lcsim: error: {path}")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err
    assert not out.exists()  # nothing was written, so no parts either


# ------------------------------------------------------------------ store, resume, executors

GRID = """\
    design: grid
    replications: 7
    seed: 3
    factors:
      coaching.meetings_per_year: {values: [1, 12]}
      assumptions.self_referral_per_year: {values: [0.5, 2.0]}
    """  # 4 points x 2 batches (reps 0-4, 5-6) = 8 tasks


@pytest.fixture(scope="module")
def grid_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted serial run of GRID (shared: tests copy it before changing it)."""
    root = tmp_path_factory.mktemp("grid")
    (root / "tiny.yaml").write_text(TINY)
    path = write_sweep(root, GRID)
    out = root / "reference"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--json"]) == 0
    return out


@pytest.fixture
def grid_sweep(tmp_path: Path, grid_reference: Path) -> Path:
    """A private copy of the GRID sweep file and its base, next to each other."""
    for name in ("tiny.yaml", "sweep.yaml"):
        shutil.copy(grid_reference.parent / name, tmp_path / name)
    return tmp_path / "sweep.yaml"


def test_resume_after_interrupt_gives_identical_tables(
        tmp_path: Path, grid_sweep: Path, grid_reference: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = grid_sweep
    out = tmp_path / "interrupted"
    real = replications.run_batch
    calls: list[str] = []

    def interrupt_after_3(task: Batch) -> dict:
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(f"{task.point}-{task.reps[0]}")
        return real(task)

    monkeypatch.setattr(replications, "run_batch", interrupt_after_3)
    rc, _, err = run_cli(["sweep", str(path), "--out", str(out), "--workers", "1"], capsys)
    assert rc == 130 and "--resume" in err
    done = len(ResultStore(out).done_tasks())  # tasks computed but not yet stored are lost
    assert 0 < done <= 3
    assert json.loads((out / "sweep.json").read_text())["status"] == "running"
    assert not (out / "runs.parquet").exists()

    # Without --resume the directory is refused; with it only the missing tasks run.
    rc, _, err = run_cli(["sweep", str(path), "--out", str(out), "--workers", "1"], capsys)
    assert rc == 2 and "--resume" in err
    resumed: list[int] = []

    def counting(task: Batch) -> dict:
        resumed.append(task.point)
        return real(task)

    monkeypatch.setattr(replications, "run_batch", counting)
    rc, _, _ = run_cli(["sweep", str(path), "--out", str(out), "--workers", "1", "--resume"],
                       capsys)
    assert rc == 0 and len(resumed) == 8 - done
    assert_same_tables(grid_reference, out)
    assert json.loads((out / "sweep.json").read_text())["status"] == "complete"


def test_failed_tasks_are_recorded_and_retried_on_resume(
        tmp_path: Path, grid_sweep: Path, grid_reference: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    real = replications.run_batch

    def fails_at_point_2(task: Batch) -> dict:
        if task.point == 2:
            raise ValueError("boom at point 2")
        return real(task)

    monkeypatch.setattr(replications, "run_batch", fails_at_point_2)
    out = tmp_path / "out"
    rc, stdout, err = run_cli(["sweep", str(grid_sweep), "--out", str(out), "--workers", "1",
                               "--json"], capsys)
    assert rc == 1 and "2 task(s) failed" in err
    info = json.loads(stdout)
    assert (info["failures"], info["failed_runs"], info["runs"]) == (2, 7, 3 * 7)
    failed = pd.read_csv(out / "failures.csv")
    assert set(failed["point"]) == {2} and (failed["error"] == "ValueError: boom at point 2").all()
    assert "Traceback" in (out / "failures" / f"{failed['task'][0]}.txt").read_text()
    assert 2 not in set(pd.read_parquet(out / "runs.parquet")["point"])
    assert json.loads((out / "sweep.json").read_text())["status"] == "failed"

    monkeypatch.setattr(replications, "run_batch", real)
    rc, _, _ = run_cli(["sweep", str(grid_sweep), "--out", str(out), "--workers", "1",
                        "--resume"], capsys)
    assert rc == 0 and pd.read_csv(out / "failures.csv").empty
    assert_same_tables(grid_reference, out)


def test_resume_refuses_a_different_sweep(tmp_path: Path, grid_sweep: Path,
                                          grid_reference: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "copy"
    shutil.copytree(grid_reference, out)
    grid_sweep.write_text(grid_sweep.read_text().replace("seed: 3", "seed: 4"))
    rc, _, err = run_cli(["sweep", str(grid_sweep), "--out", str(out), "--resume"], capsys)
    assert rc == 2 and "cannot resume" in err and "seed" in err and "sweep_hash" in err


def test_process_pool_and_dask_give_identical_tables(
        tmp_path: Path, grid_sweep: Path, grid_reference: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from distributed import LocalCluster

    path = grid_sweep
    local = tmp_path / "local"
    assert run_cli(["sweep", str(path), "--out", str(local), "--workers", "2"], capsys)[0] == 0
    assert_same_tables(grid_reference, local)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        dask = tmp_path / "dask"
        rc, _, _ = run_cli(["sweep", str(path), "--out", str(dask), "--scheduler",
                            cluster.scheduler_address], capsys)
    assert rc == 0
    assert_same_tables(local, dask)


def test_common_random_numbers_across_points(tmp_path: Path, base: Path) -> None:
    path = write_sweep(tmp_path, """\
        design: grid
        replications: 6
        factors:
          small_groups.size: {values: [4, 4, 12]}
        """)
    plan = plan_sweep(path)
    seeds = {(t.payload.point, t.payload.reps, t.payload.seed,
              t.payload.stream) for t in SweepTasks(plan)}
    per_point = {p: sorted((r, s, st) for q, r, s, st in seeds if q == p) for p in range(3)}
    assert per_point[0] == per_point[1] == per_point[2]  # same replications and seeds
    with make_executor(1) as ex:
        run_sweep(plan, tmp_path / "out", executor=ex, progress=False, analyse=False)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    metrics = [c for c in runs.columns if c not in ("point", "replication")]
    by_point = {p: g[metrics].reset_index(drop=True) for p, g in runs.groupby("point")}
    assert_frame_equal(by_point[0], by_point[1])  # identical points: identical runs
    # group size changes the facilitators' hours, so point 2 must differ
    assert not by_point[0]["faculty_load_ratio"].equals(by_point[2]["faculty_load_ratio"])


def test_report_rebuilds_from_stored_tables(tmp_path: Path, grid_reference: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(grid_reference, out)
    for name in ("report.html", "sensitivity.csv", "point_summary.csv"):
        (out / name).unlink()
    shutil.rmtree(out / "parts")  # runs.parquet alone is enough
    assert write_report(out) == out / "report.html"
    assert "data:image/png;base64," in (out / "report.html").read_text()
    assert_same_tables(grid_reference, out)


# ------------------------------------------------------------------ analysis


def test_point_moments_merge_parts_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    store = ResultStore(tmp_path)
    frames: dict[str, pd.DataFrame] = {}
    for k in range(7):  # points span several parts, as batches of replications do
        point = k % 3
        df = pd.DataFrame({"point": point, "replication": np.arange(4) + 4 * k,
                           "a": rng.normal(size=4), "b": rng.normal(10, 2, size=4)})
        if k == 2:  # a part without column b: its rows get nulls (and n counts them out)
            df = df.drop(columns="b")
        frames[f"p{point:06d}-r{k:06d}"] = df
        store.write_part("runs", f"p{point:06d}-r{k:06d}", df)
    in_key_order = pd.concat([frames[k] for k in sorted(frames)], ignore_index=True)
    full = in_key_order.groupby("point")[["a", "b"]]
    parts = point_moments(tmp_path, 3)  # from the store's parts (unfinished sweep)
    assert assemble_runs(store, tmp_path / "runs.parquet") == 28
    assert_frame_equal(pd.read_parquet(tmp_path / "runs.parquet"), in_key_order)
    batches = point_moments(tmp_path, 3, batch_size=5)  # runs.parquet, batches split points
    for mom in (parts, batches):
        np.testing.assert_allclose(mom.mean, full.mean().to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(mom.sd(), full.std().to_numpy(), rtol=1e-10)
        np.testing.assert_array_equal(mom.n, full.count().to_numpy())
        assert isinstance(mom, PointMoments) and mom.metrics == ["a", "b"]


def test_point_moments_leave_no_mean_for_a_quantile_beyond_follow_up(tmp_path: Path) -> None:
    """A censored quantile missing in some replication of a point gives that point no mean
    (averaging the others would bias it low); other metrics and complete points are kept."""
    q = "time_to_intervention_median_days"
    df = pd.DataFrame({"point": [0, 0, 0, 1, 1, 1], "replication": [0, 1, 2, 0, 1, 2],
                       q: [50.0, np.nan, 70.0, 40.0, 44.0, 48.0],
                       "attrition": [0.02, np.nan, 0.04, 0.03, 0.03, 0.03]})
    ResultStore(tmp_path).write_part("runs", "p000000-r000000", df)
    mom = point_moments(tmp_path, 2)
    j, k = mom.metrics.index(q), mom.metrics.index("attrition")
    assert np.isnan(mom.mean[0, j]) and np.isnan(mom.sd()[0, j]) and mom.n[0, j] == 2
    assert mom.mean[1, j] == pytest.approx(44.0)
    assert mom.mean[0, k] == pytest.approx(0.03)  # not a censored quantile: NaNs dropped


def test_src_recovers_linear_model() -> None:
    rng = np.random.default_rng(11)
    x = pd.DataFrame({"x1": rng.uniform(0, 1, 400), "x2": rng.uniform(0, 10, 400),
                      "const": 1.0})
    y = 2.0 * x["x1"] - 0.1 * x["x2"] + rng.normal(0, 0.05, 400)
    rows = {r["factor"]: r for r in src(x, y.to_numpy())}
    sd_y = y.std()
    for name, b in (("x1", 2.0), ("x2", -0.1)):  # SRC = b * sd(x) / sd(y)
        expected = b * x[name].std() / sd_y
        # 400 points, noise sd 0.05 vs signal sd ~0.6: the estimate is within ~0.01
        assert rows[name]["value"] == pytest.approx(expected, abs=0.02)
        # independent factors: se of an SRC ~ (noise sd / sd(y)) / sqrt(n); the sample
        # correlation of x1 and x2 (~1/sqrt(400)) moves it by far less than 15%
        half = (rows[name]["ci_high"] - rows[name]["ci_low"]) / 2
        assert half == pytest.approx(1.966 * 0.05 / sd_y / np.sqrt(400), rel=0.15)
    assert "const" not in rows and rows["(model)"]["value"] > 0.98
    exact = {r["factor"]: r for r in src(x, (2.0 * x["x1"] - 0.1 * x["x2"]).to_numpy())}
    assert exact["x1"]["ci_low"] == pytest.approx(exact["x1"]["ci_high"])  # no noise


def test_sobol_and_morris_indices_on_known_functions() -> None:
    names = ["a", "b"]
    factors = [FactorInfo(n, Factor(range=(0, 1)), "float") for n in names]
    spec = SweepSpec(base="x", design="sobol", samples=256, replications=1,
                     factors={n: Factor(range=(0, 1)) for n in names})
    u = unit_design(spec, factors)
    rows = {(r["factor"], r["index"]): r["value"] for r in sobol_indices(names, u[:, 0], 1)}
    # y depends on a only: S1(a) = ST(a) = 1, ST(b) = 0; 256 base samples, tolerance 0.1
    assert rows[("a", "S1")] == pytest.approx(1.0, abs=0.1)
    assert rows[("a", "ST")] == pytest.approx(1.0, abs=0.1)
    assert abs(rows[("b", "ST")]) < 0.05
    spec = SweepSpec(base="x", design="morris", samples=5, replications=1,
                     factors={n: Factor(range=(0, 1)) for n in names})
    u = unit_design(spec, factors)
    rows = {(r["factor"], r["index"]): r["value"]
            for r in morris_indices(names, u, 3.0 * u[:, 0] - u[:, 1], 4, 1)}
    # linear: every elementary effect equals the slope exactly
    assert rows[("a", "mu_star")] == pytest.approx(3.0)
    assert rows[("b", "mu_star")] == pytest.approx(1.0)
    assert rows[("b", "mu")] == pytest.approx(-1.0)
    assert rows[("a", "sigma")] == pytest.approx(0.0, abs=1e-9)


def test_no_sensitivity_index_for_a_quantile_beyond_follow_up_at_some_point() -> None:
    """Indices fitted to the points that have a mean would leave out the slow ones."""
    q = "time_to_intervention_p90_days"
    points = pd.DataFrame({"point": np.arange(6), "x": np.linspace(0, 1, 6)})
    means = np.array([[300.0, 0.1], [310.0, 0.2], [np.nan, 0.3], [330.0, 0.4],
                      [340.0, 0.5], [350.0, 0.6]])
    mom = PointMoments([q, "attrition"], np.full((6, 2), 4.0), means, np.ones((6, 2)))
    manifest = {"factors": {"x": {"type": "float", "values": None, "range": [0, 1],
                                  "log": False}}, "design": "random", "seed": 0}
    sens = sensitivity(manifest, points, None, mom)
    assert q not in set(sens["metric"]) and "attrition" in set(sens["metric"])
