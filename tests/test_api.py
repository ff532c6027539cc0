"""The library API: lcsim.load / run / compare / sweep / report and the objects they return.

Each command is a thin wrapper of one of these, so a result's ``to_json()`` must be exactly
what the command's ``--json`` prints for the same inputs. Scenarios are small (a class of 60,
two cohorts) and replication counts tiny, so each test takes a few seconds.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import lcsim
from conftest import write_small_scenario
from lcsim.cli.main import main
from lcsim.config.loader import ConfigError
from lcsim.experiment.engine import make_executor
from lcsim.experiment.errors import RunError
from lcsim.results import RunResults, SweepResults

SHIPPED = Path(__file__).resolve().parents[1] / "scenarios"

SWEEP = """\
    base: small.yaml
    design: grid
    replications: 2
    seed: 4
    factors:
      coaching.meetings_per_year: {values: [1, 3, 6, 12]}
    """  # 4 points x 2 replications


@pytest.fixture
def coached(tmp_path: Path) -> Path:
    """A small coached LC (it has a coaching section for overrides to change)."""
    return write_small_scenario(tmp_path, "small", str(SHIPPED / "coached-lc.yaml"))


def cli_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    """What ``lcsim ARGV --json`` prints, as an object (the command must succeed)."""
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_lazy_exports_are_the_api() -> None:
    assert lcsim.run is lcsim.api.run and lcsim.RunResults is RunResults
    assert {"load", "run", "compare", "sweep", "report", "SweepResults"} <= set(dir(lcsim))
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        lcsim.nonsense  # noqa: B018


def test_load_resolves_extends_and_applies_overrides(coached: Path) -> None:
    scenario = lcsim.load(coached, ["coaching.meetings_per_year=6"])
    assert scenario.name == "small" and scenario.population.class_size == 60
    assert scenario.coaching is not None and scenario.coaching.meetings_per_year == 6
    with pytest.raises(ConfigError, match="coaching.bogus"):
        lcsim.load(coached, ["coaching.bogus=1"])


def test_run_to_json_is_what_lcsim_run_json_prints(
        tmp_path: Path, coached: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = lcsim.run(coached, out=tmp_path / "api", replications=3, seed=2, workers=1,
                       progress=False)
    printed = cli_json(["run", str(coached), "-n", "3", "--seed", "2", "--workers", "1",
                        "--out", str(tmp_path / "cli")], capsys)
    assert result.to_json() == printed
    assert printed["replications"] == 3 and printed["metrics"]


def test_run_holds_its_tables_and_summary(tmp_path: Path, coached: Path) -> None:
    result = lcsim.run(coached, out=tmp_path / "run", replications=3, seed=2, workers=1,
                       progress=False)
    assert result.directory == tmp_path / "run" and not result.failures
    assert list(result.runs["replication"]) == [0, 1, 2]
    for table in (result.students, result.episodes, result.faculty):
        assert set(table["replication"]) == {0, 1, 2}
    summary = result.summary()
    assert list(summary["metric"]) == result.metrics
    row = summary.set_index("metric").loc["graduated_4yr"]
    assert row["mean"] == pytest.approx(result.runs["graduated_4yr"].mean())
    assert row["ci_low"] <= row["mean"] <= row["ci_high"]


def test_run_takes_a_scenario_object_overrides_and_an_open_executor(
        tmp_path: Path, coached: Path) -> None:
    from_file = lcsim.run(coached, out=tmp_path / "file", replications=2, workers=1,
                          overrides=["coaching.meetings_per_year=6"], progress=False)
    with make_executor(1) as ex:
        from_object = lcsim.run(lcsim.load(coached), out=tmp_path / "object", replications=2,
                                executor=ex, overrides=["coaching.meetings_per_year=6"],
                                progress=False)
        assert ex.submit(int, "7").result() == 7  # still open: the caller owns it
    assert from_object.scenario == from_file.scenario
    assert_frame_equal(from_object.runs, from_file.runs)


def test_sweep_to_json_is_what_lcsim_sweep_json_prints(
        tmp_path: Path, coached: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text(textwrap.dedent(SWEEP))
    result = lcsim.sweep(lcsim.load_sweep(path), out=tmp_path / "api", workers=1,
                         progress=False)
    printed = cli_json(["sweep", str(path), "--workers", "1", "--out", str(tmp_path / "cli")],
                       capsys)
    mine = result.to_json()
    assert (mine["out"], mine["report"]) == (str(tmp_path / "api"),
                                             str(tmp_path / "api" / "report.html"))
    paths = {"out": None, "report": None}
    assert {**mine, **paths} == {**printed, **paths}
    assert (mine["points"], mine["runs"], mine["failed_runs"]) == (4, 8, 0)
    assert mine["sensitivity"]


def test_sweep_holds_its_tables(tmp_path: Path, coached: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text(textwrap.dedent(SWEEP))
    result = lcsim.sweep(path, out=tmp_path / "out", workers=1, progress=False, report=False)
    assert isinstance(result, SweepResults) and result.report is None
    assert not (tmp_path / "out" / "report.html").exists()
    assert list(result.points["coaching.meetings_per_year"]) == [1, 3, 6, 12]
    assert len(result.runs) == result.n_runs == 8
    assert set(result.point_summary["point"]) == {0, 1, 2, 3}
    assert "coaching.meetings_per_year" in set(result.sensitivity["factor"])
    assert set(result.headline_factors()) <= set(result.top_factors())


def test_report_rebuilds_a_comparison_or_a_sweep(tmp_path: Path, coached: Path) -> None:
    ref = write_small_scenario(tmp_path, "ref", str(SHIPPED / "baseline.yaml"))
    comparison = lcsim.compare([ref, coached], out=tmp_path / "cmp", replications=3,
                               workers=1, progress=False, report=False)
    assert not (comparison.directory / "report.html").exists()
    assert lcsim.report(tmp_path / "cmp") == tmp_path / "cmp" / "report.html"
    assert "<html" in (tmp_path / "cmp" / "report.html").read_text(encoding="utf-8")

    path = tmp_path / "sweep.yaml"
    path.write_text(textwrap.dedent(SWEEP))
    lcsim.sweep(path, out=tmp_path / "sw", workers=1, progress=False, report=False)
    assert lcsim.report(tmp_path / "sw") == tmp_path / "sw" / "report.html"
    assert "Sweep report: sweep" in (tmp_path / "sw" / "report.html").read_text()


def test_report_refuses_a_directory_without_results(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="holds no comparison or sweep"):
        lcsim.report(tmp_path)
    with pytest.raises(RunError, match="is not a directory"):
        lcsim.report(tmp_path / "missing")


def test_run_results_of_no_replications_print_no_metrics(tmp_path: Path, coached: Path) -> None:
    empty = RunResults(tmp_path, lcsim.load(coached), 1, pd.DataFrame())
    assert empty.to_json() == {"scenario": "small", "replications": 0, "seed": 1,
                               "metrics": {}}
    assert empty.students.empty  # no students.parquet in the directory
