"""Tests for `lcsim compare --uncertainty`: draws, determinism, resume, and what the tables mean.

Scenarios are the shipped baseline and coached LC shrunk to 2 classes of 60, so a replication
takes ~0.04 s; an analysis of 16 draws runs in a few seconds.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from pandas.testing import assert_frame_equal

import lcsim.experiment.replications as experiment
from conftest import write_small_scenario
from lcsim.api import compare
from lcsim.cli.main import main
from lcsim.comparison.checks import CompareError
from lcsim.comparison.draws import draw_assumptions, overrides, scenario_for
from lcsim.comparison.psa import DRIVER_METRICS
from lcsim.comparison.result import load
from lcsim.config.assumptions import Assumptions
from lcsim.config.loader import ConfigError, load_model
from lcsim.config.priors import SHIPPED, load_priors
from lcsim.config.scenario import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
DRAWS = 16
SEED = 5


def run_cli(args: list[Any], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def priors_file(path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the shipped priors with ``change`` applied to its assumptions."""
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    change(data["assumptions"])
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def fix_all_but(keep: set[str]) -> Callable[[dict[str, Any]], None]:
    """Fix every prior at its central value except those in ``keep``."""
    def change(entries: dict[str, Any]) -> None:
        for name, entry in entries.items():
            if name not in keep:
                entry["prior"] = {"dist": "fixed", "value": entry["central"]}
    return change


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("scenarios")
    return {"ref": write_small_scenario(d, "ref", str(SCENARIOS / "baseline.yaml")),
            "lc": write_small_scenario(d, "lc", str(SCENARIOS / "coached-lc.yaml")),
            "adv": write_small_scenario(d, "adv", str(SCENARIOS / "advisory-colleges.yaml"))}


def scenarios(files: dict[str, Path], *names: str) -> list[Scenario]:
    return [load_model(files[n], Scenario) for n in names]


@pytest.fixture(scope="module")
def serial(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "cmp"
    result = compare(scenarios(files, "ref", "lc"), out=out, replications=4, seed=SEED,
                     workers=1, uncertainty=DRAWS, thresholds={"graduated_4yr": [0.0, 0.01]},
                     progress=False, report=False)
    assert not result.failures
    return out


UNC_FILES = ("uncertainty.csv", "drivers.csv", "comparison.csv")
UNC_TABLES = ("draws.parquet", "design.parquet", "draw_runs.parquet",
              "draw_differences.parquet")


def assert_same_analysis(a: Path, b: Path) -> None:
    for name in UNC_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in UNC_TABLES:
        assert_frame_equal(pd.read_parquet(a / "uncertainty" / name),
                           pd.read_parquet(b / "uncertainty" / name), obj=name)


# ------------------------------------------------------------------ the draws


def test_draws_are_quasi_random_through_each_prior() -> None:
    priors = load_priors()
    draws = draw_assumptions(priors, 64, seed=1)
    assert len(draws) == 64 and list(draws.values.columns) == ["draw", *priors.entries]
    assert draws.varied == [n for n, e in priors.entries.items() if not e.fixed]
    for name in draws.varied:  # each value is its prior's quantile of the design coordinate
        u = draws.unit[name].to_numpy()
        want = priors.entries[name].prior.ppf_many(u)
        if Assumptions.model_fields[name].annotation is int:  # integers are rounded
            want = np.rint(want)
        assert np.allclose(draws.values[name], want)
        if not priors.entries[name].effect_of_support:
            # Sobol' points: each quarter of every axis holds exactly a quarter of 64 draws
            assert np.histogram(u, bins=4, range=(0, 1))[0].tolist() == [16] * 4, name
    fixed = [n for n in priors.entries if n not in draws.varied]
    for name in fixed:
        assert (draws.values[name] == priors.entries[name].central).all()
    same = draw_assumptions(priors, 64, seed=1)
    assert_frame_equal(draws.values, same.values)
    assert not np.allclose(draws.unit[draws.varied[0]],
                           draw_assumptions(priors, 64, seed=2).unit[draws.varied[0]])


def test_effects_of_support_rise_and_fall_together() -> None:
    """The copula keeps every margin uniform and correlates the effects (normal-scale
    correlation rho); other assumptions stay uncorrelated. With 1,024 draws a correlation's
    standard error is about 0.03, so 0.1 is over 3 of them."""
    from scipy import stats

    priors = load_priors()
    rho = priors.effects_of_support_correlation
    assert rho == 0.5
    draws = draw_assumptions(priors, 1024, seed=3)
    effects = [n for n in draws.varied if priors.entries[n].effect_of_support]
    others = [n for n in draws.varied if n not in effects]
    assert len(effects) == 12 and "effects_of_support_common" in draws.unit
    # oriented so that a higher value is a stronger effect (a hazard ratio below its null of 1
    # is stronger the lower it is): then every pair correlates positively
    stronger = np.array([1.0 if priors.entries[n].central >= priors.entries[n].null else -1.0
                         for n in effects])
    assert (stronger < 0).sum() == 4  # mentor_prevent, connected_prevent, two hazard ratios
    z = stats.norm.ppf(draws.unit[effects].to_numpy()) * stronger
    corr = np.corrcoef(z, rowvar=False)[np.triu_indices(len(effects), 1)]
    assert abs(corr.mean() - rho) < 0.05 and (abs(corr - rho) < 0.15).all()
    for name in effects:  # a uniform margin: Kolmogorov-Smirnov at the 1% level
        assert stats.kstest(draws.unit[name], "uniform").pvalue > 0.01, name
    z_other = stats.norm.ppf(draws.unit[others[:6]].to_numpy())
    cross = np.corrcoef(np.column_stack([z[:, :6], z_other]), rowvar=False)[:6, 6:]
    assert (abs(cross) < 0.1).all()
    independent = load_priors().model_copy(update={"effects_of_support_correlation": 0.0})
    flat = draw_assumptions(independent, 1024, seed=3)
    assert "effects_of_support_common" not in flat.unit
    z0 = stats.norm.ppf(flat.unit[effects].to_numpy())
    assert abs(np.corrcoef(z0, rowvar=False)[np.triu_indices(12, 1)]).max() < 0.1


def test_drivers_find_the_assumption_and_the_common_factor_that_drive_a_difference() -> None:
    """Synthetic draws: the difference follows the common factor, then one assumption; the
    others (and a fixed one) explain nothing. 512 draws: the estimated shares' standard errors
    are about 0.02-0.03, so the tolerances are over 3 of them."""
    from lcsim.comparison.draws import COMMON
    from lcsim.comparison.psa import drivers_table

    rng = np.random.default_rng(11)
    n = 512
    design = pd.DataFrame({"draw": np.arange(n), "a": rng.random(n), "b": rng.random(n),
                           COMMON: rng.random(n)})
    d = 2.0 * design[COMMON] + 1.0 * design["a"] + rng.normal(0, 0.3, n)
    diffs = pd.DataFrame({"proposal": "p", "draw": design["draw"], "metric": "attrition",
                          "diff": d, "within_var": np.nan})
    table = drivers_table(diffs, design, ["r", "p"], ["a", "b", "fixed", COMMON], {},
                          metrics=["attrition"]).set_index("assumption")
    total = 4 / 12 + 1 / 12 + 0.09
    assert table.loc[COMMON, "status"] == "common factor"
    assert table.loc[COMMON, "share"] == pytest.approx((4 / 12) / total, abs=0.06)
    assert table.loc["a", "share"] == pytest.approx((1 / 12) / total, abs=0.06)
    assert table.loc["b", "share"] < 0.02 and table.loc["b", "p_holm"] > 0.05
    assert table.loc["fixed", "status"] == "fixed prior" and table.loc["fixed", "share"] == 0
    assert table.loc[COMMON, "rank"] == 1 and table.loc["a", "rank"] == 2


def test_a_scenario_keeps_the_assumptions_it_sets(files: dict[str, Path]) -> None:
    adv, = scenarios(files, "adv")
    assert overrides(adv) == {"advisor_notice": 0.45}
    draws = draw_assumptions(load_priors(), 8, seed=1)
    for row in draws.values.to_dict("records"):
        drawn = scenario_for(adv, row)
        assert drawn.assumptions.advisor_notice == 0.45
        assert drawn.assumptions.peer_notice == row["peer_notice"]
        assert drawn.model_dump(exclude={"assumptions"}) == adv.model_dump(exclude={"assumptions"})


def test_a_prior_that_draws_invalid_values_is_refused_before_anything_runs(
        tmp_path: Path) -> None:
    def bad(entries: dict[str, Any]) -> None:  # a probability with an unbounded prior
        entries["peer_notice"]["prior"] = {"dist": "lognormal", "median": 0.3, "sigma": 2.0}
    priors = load_priors(priors_file(tmp_path / "p.yaml", bad))
    with pytest.raises(CompareError, match="peer_notice = .* not a valid value"):
        draw_assumptions(priors, 64, seed=1)


# ------------------------------------------------------------------ determinism and resume


def test_workers_1_2_and_dask_give_identical_tables(
        files: dict[str, Path], serial: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    base = ["compare", files["ref"], files["lc"], "--uncertainty", DRAWS, "--seed", SEED,
            "--central-replications", 4, "--threshold", "graduated_4yr=0",
            "--threshold", "graduated_4yr=0.01", "--json"]
    code, out, _ = run_cli([*base, "--workers", 2, "--out", tmp_path / "w2"], capsys)
    assert code == 0
    assert_same_analysis(serial, tmp_path / "w2")
    printed = json.loads(out)["uncertainty"]
    assert printed["draws"] == DRAWS and len(printed["table"]) == len(
        pd.read_csv(serial / "uncertainty.csv"))
    assert len(printed["drivers"]) == len(pd.read_csv(serial / "drivers.csv"))

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        code, _, _ = run_cli([*base, "--scheduler", cluster.scheduler_address,
                              "--out", tmp_path / "dask"], capsys)
    assert code == 0
    assert_same_analysis(serial, tmp_path / "dask")


def test_killed_analysis_resumes_to_identical_tables(
        files: dict[str, Path], serial: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real = experiment.run_batch
    calls: list[Any] = []

    def dies_among_the_draws(batch: experiment.Batch) -> dict[str, pd.DataFrame]:
        calls.append(batch.point)
        if batch.point is not None and sum(c is not None for c in calls) == 9:
            raise KeyboardInterrupt  # Ctrl-C while the draws run
        return real(batch)

    monkeypatch.setattr(experiment, "run_batch", dies_among_the_draws)
    out = tmp_path / "cmp"
    args = ["compare", files["ref"], files["lc"], "--uncertainty", DRAWS, "--seed", SEED,
            "--central-replications", 4, "--threshold", "graduated_4yr=0",
            "--threshold", "graduated_4yr=0.01", "--workers", 1, "--out", out]
    code, _, err = run_cli(args, capsys)
    assert code == 130 and "--resume" in err
    assert not (out / "uncertainty.csv").exists()
    done = sum(len(list((out / "uncertainty" / n / "parts" / "_done").glob("*")))
               for n in ("ref", "lc"))
    assert done == 8

    monkeypatch.setattr(experiment, "run_batch", real)
    code, _, err = run_cli([*args[:-2], "--out", out, "--resume"], capsys)
    assert code == 0, err
    assert_same_analysis(serial, out)


def test_resume_refuses_another_analysis(files: dict[str, Path], serial: Path,
                                         tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    shutil.copytree(serial, out)
    with pytest.raises(CompareError, match="the uncertainty analysis differs"):
        compare(scenarios(files, "ref", "lc"), out=out, replications=4, seed=SEED, workers=1,
                uncertainty=DRAWS * 2, resume=True, progress=False, report=False)


# ------------------------------------------------------------------ what the tables mean


def test_tables_have_a_row_per_proposal_metric_and_threshold(serial: Path) -> None:
    cmp = load(serial)
    assert cmp.uncertainty is not None and cmp.drivers is not None
    unc = cmp.uncertainty
    grad = unc[unc["metric"] == "graduated_4yr"]
    assert sorted(grad["threshold"]) == [0.0, 0.01]
    assert (grad["prob_better_by_threshold"].iloc[0] >= grad["prob_better_by_threshold"]).all()
    assert unc[unc["metric"] == "attrition"]["threshold"].isna().all()
    assert (unc["n_draws"] == DRAWS).any() and (unc["replications_per_draw"] == 1).all()
    diffs = pd.read_parquet(serial / "uncertainty" / "draw_differences.parquet")
    d = diffs[(diffs["metric"] == "attrition")]["diff"].to_numpy()
    row = unc[unc["metric"] == "attrition"].iloc[0]
    assert row["mean"] == pytest.approx(d.mean())
    assert row["prob_better"] == pytest.approx(np.mean(d < 0))  # lower attrition is better
    assert row["ui95_low"] <= row["ui90_low"] <= row["mean"] <= row["ui90_high"] \
        <= row["ui95_high"]
    drivers = cmp.drivers
    n_assumptions = len(load_priors().entries)
    assert len(drivers) == len(DRIVER_METRICS) * (n_assumptions + 1)  # + the common factor
    common = drivers[drivers["assumption"] == "effects_of_support_common"]
    assert len(common) == len(DRIVER_METRICS) and (common["status"] == "common factor").all()
    fixed = drivers[drivers["status"] == "fixed prior"]
    assert len(fixed) > 0 and (fixed["share"] == 0).all()  # a fixed prior explains nothing


def test_per_draw_runs_use_the_draws_assumptions(serial: Path, files: dict[str, Path]) -> None:
    """Draw k of scenario s is replication k of s with the draw's assumptions (R = 1)."""
    from lcsim.model.simulation import Model
    from lcsim.outcomes.compute import compute

    draws = pd.read_parquet(serial / "uncertainty" / "draws.parquet")
    runs = pd.read_parquet(serial / "uncertainty" / "draw_runs.parquet")
    lc, = scenarios(files, "lc")
    k = 5
    drawn = scenario_for(lc, draws.iloc[k].to_dict())
    expected = compute(Model(drawn, experiment.replication_seed(SEED, k)).run())
    row = runs[(runs["scenario"] == "lc") & (runs["draw"] == k)].iloc[0]
    assert row["replication"] == k
    for metric in ("graduated_4yr", "attrition", "helped_within_30d"):
        assert row[metric] == pytest.approx(expected[metric], nan_ok=True)


def test_with_every_prior_fixed_the_interval_is_the_monte_carlo_spread(
        files: dict[str, Path], tmp_path: Path) -> None:
    """Nothing drawn: draw k is replication k at the central assumptions, so the per-draw
    differences are the central comparison's paired differences, the UI their quantiles and
    the share from assumptions zero."""
    path = priors_file(tmp_path / "fixed.yaml", fix_all_but(set()))
    n = 12
    result = compare(scenarios(files, "ref", "lc"), out=tmp_path / "cmp", replications=n,
                     seed=SEED, workers=1, uncertainty=n, priors=path, progress=False,
                     report=False)
    assert result.uncertainty is not None and result.drivers is not None
    ref, lc = result.runs["ref"], result.runs["lc"]
    for metric in ("graduated_4yr", "attrition", "helped_within_30d"):
        paired = (lc[metric] - ref[metric]).to_numpy()
        row = result.uncertainty[result.uncertainty["metric"] == metric].iloc[0]
        assert (row["ui95_low"], row["ui95_high"]) == pytest.approx(
            tuple(np.quantile(paired, [0.025, 0.975])), abs=1e-12)
        assert (row["ui90_low"], row["ui90_high"]) == pytest.approx(
            tuple(np.quantile(paired, [0.05, 0.95])), abs=1e-12)
        assert row["share_assumptions"] == pytest.approx(0.0, abs=1e-9)
    assert (result.drivers["status"] == "fixed prior").all()
    assert (result.drivers["share"] == 0).all()


def test_widening_a_prior_widens_the_interval(files: dict[str, Path], tmp_path: Path) -> None:
    """Only coach_notice varies; the same design quantiles and seeds in both analyses, so the
    wider prior moves every draw's value further from the centre and only that differs. Four
    replications a draw keep the Monte Carlo noise below the effect of the wide prior."""
    def narrow(entries: dict[str, Any]) -> None:
        fix_all_but({"coach_notice"})(entries)
        entries["coach_notice"]["prior"] = {"dist": "uniform", "low": 0.35, "high": 0.45}

    def wide(entries: dict[str, Any]) -> None:
        fix_all_but({"coach_notice"})(entries)
        entries["coach_notice"]["prior"] = {"dist": "uniform", "low": 0.05, "high": 0.95}

    widths, shares = {}, {}
    for name, change in (("narrow", narrow), ("wide", wide)):
        path = priors_file(tmp_path / f"{name}.yaml", change)
        result = compare(scenarios(files, "ref", "lc"), out=tmp_path / name, replications=4,
                         seed=SEED, workers=1, uncertainty=32, draw_replications=4,
                         priors=path, progress=False,
                         report=False)
        assert result.uncertainty is not None and result.drivers is not None
        row = result.uncertainty[result.uncertainty["metric"] == "helped_within_30d"].iloc[0]
        widths[name] = row["ui95_high"] - row["ui95_low"]
        d = result.drivers
        shares[name] = d[(d["metric"] == "helped_within_30d")
                         & (d["assumption"] == "coach_notice")]["share"].iloc[0]
        assert (d[d["assumption"] != "coach_notice"]["share"] == 0).all()
    assert widths["wide"] > 1.2 * widths["narrow"]
    # the wide prior drives a good part of the spread, the narrow one next to none of it
    # (seeded: 0.44 and 0.01 here; the cut-offs leave room for other platforms' last digits)
    assert shares["wide"] > 0.25 and shares["narrow"] < 0.1


# ------------------------------------------------------------------ input errors


@pytest.mark.parametrize(("extra", "message"), [
    (["--threshold", "graduated_4yr=0.01"], "--threshold only applies with --uncertainty"),
    (["--priors", "x.yaml"], "--priors only applies with --uncertainty"),
    (["--uncertainty", 4, "--threshold", "nonsense=1"], "unknown metric 'nonsense'"),
    (["--uncertainty", 4, "--threshold", "detected_by_peer=0.1"], "neither direction"),
    (["--uncertainty", 1], "at least 2 draws"),
])
def test_bad_uncertainty_options_exit_2_with_one_line(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        extra: list[Any], message: str) -> None:
    code, _, err = run_cli(["compare", files["ref"], files["lc"], "--out", tmp_path / "x",
                            *extra], capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x" / "compare.json").exists()  # refused before anything ran


def test_a_bad_priors_file_names_file_and_line(files: dict[str, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    def bad(entries: dict[str, Any]) -> None:
        entries["peer_notice"]["central"] = 7.0
    path = priors_file(tmp_path / "bad.yaml", bad)
    with pytest.raises(ConfigError):
        load_priors(path)
    code, _, err = run_cli(["compare", files["ref"], files["lc"], "--uncertainty", 4,
                            "--priors", path, "--out", tmp_path / "x"], capsys)
    assert code == 2 and "bad.yaml" in err and "peer_notice" in err
    assert "Traceback" not in err
