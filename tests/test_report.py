"""Tests for the committee report: self-contained HTML, headlines, cards, rebuild without runs."""

from __future__ import annotations

import base64
import json
import re
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lcsim.experiment.replications as experiment
import lcsim.model.simulation as model
from conftest import write_small_scenario
from lcsim.cli.main import main
from lcsim.config.loader import load_model
from lcsim.config.scenario import Scenario
from lcsim.reports.cards import changes
from lcsim.reports.format import fmt_change, fmt_interval, level_change_html, title

SHIPPED = Path(__file__).resolve().parents[1] / "scenarios"
PNG = b"\x89PNG\r\n\x1a\n"




@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small comparison: baseline, an identical copy, and the coached LC (8 replications)."""
    d = tmp_path_factory.mktemp("report")
    ref = write_small_scenario(d, "ref", str(SHIPPED / "baseline.yaml"))
    same = write_small_scenario(d, "same", ref.name)
    lc = write_small_scenario(d, "coached-lc", str(SHIPPED / "coached-lc.yaml"))
    out = d / "cmp"
    code = main(["compare", str(ref), str(same), str(lc), "-n", "8", "--workers", "1",
                 "--out", str(out), "--json"])
    assert code == 0
    return out


def _headline(text: str, scenario: str) -> str:
    m = re.search(r"<div class='headline'><h3>" + re.escape(title(scenario))
                  + r"</h3>(.*?)</div>", text, re.S)
    assert m, f"no headline for {scenario}"
    return re.sub(r"<[^>]+>", "", m.group(1))


def test_report_is_self_contained(compared: Path) -> None:
    text = (compared / "report.html").read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text and "<link" not in text
    srcs = re.findall(r"src=['\"]([^'\"]*)['\"]", text)
    assert len(srcs) == 6  # forest, time to intervention, retention, channels, faculty load, ties
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)
    figures = sorted(p.name for p in (compared / "figures").glob("*.png"))
    assert figures == ["detection_channels.png", "faculty_load.png", "forest.png",
                       "retention.png", "ties_year1.png", "time_to_intervention.png"]


def test_headline_per_proposal_states_the_stored_differences(compared: Path) -> None:
    text = (compared / "report.html").read_text(encoding="utf-8")
    table = pd.read_csv(compared / "comparison.csv").set_index(["scenario", "metric"])
    lc = _headline(text, "coached-lc")
    g = table.loc[("coached-lc", "graduated_4yr")]
    pts = [re.sub(r"^[+-]0\.0$", "0.0", f"{100 * g[c]:+.1f}").replace("-", "\u2212")
           for c in ("diff", "diff_ci_low", "diff_ci_high")]
    assert f"4-year graduation {pts[0]} points (95% CI {pts[1]} to {pts[2]}) vs Ref" in lc
    t = table.loc[("coached-lc", "time_to_intervention_median_days")]
    if np.isfinite(t["diff"]):
        assert t["diff_ci_high"] < 0  # the coached LC helps much sooner (CI well below 0)
        assert (f"median time to intervention {abs(t['diff']):.0f} days shorter "
                f"(95% CI {abs(t['diff_ci_high']):.0f} to {abs(t['diff_ci_low']):.0f})") in lc
    else:  # the small reference school's median was beyond follow-up in some replication
        assert "median time to intervention not available" in lc
    for days in (30, 90):  # beside the median: both levels and the change, in points
        metric = f"helped_within_{days}d"
        h, ref_mean = table.loc[("coached-lc", metric)], table.loc[("ref", metric), "mean"]
        assert h["diff_ci_low"] > 0  # the coached LC helps more episodes within the month
        change = fmt_change(metric, h["diff"], h["diff_ci_low"], h["diff_ci_high"], inline=True)
        assert (f"{100 * ref_mean:.1f}% \u2192 {100 * h['mean']:.1f}% ({change})") in lc
    assert "Episodes helped within 30 days of onset: " in lc and "; within 90 days: " in lc
    same = _headline(text, "same")
    assert "4-year graduation no change" in same
    assert "(no change: identical in every replication)" in same


def test_cards_say_what_differs(compared: Path) -> None:
    text = (compared / "report.html").read_text(encoding="utf-8")
    cards = re.split(r"<div class='card(?: ref)?'>", text)[1:]
    assert len(cards) == 3
    ref, same, lc = cards
    assert "reference" in ref
    assert "No setting differs from Ref" in same
    assert "Coaching" in lc and "added:<br>students per coach 30<br>" in lc
    assert "Leadership \u203a training" in lc  # coached-lc trains its leadership


def test_changes_diff_the_resolved_scenarios() -> None:
    base = load_model(SHIPPED / "baseline.yaml", Scenario)
    houses = load_model(SHIPPED / "advisory-colleges.yaml", Scenario)
    found = {c.label: c for c in changes(base, houses)}
    adv = found["Advising \u203a meetings per year"]
    assert (adv.value, adv.reference) == ("2", "1")
    assert found["Community"].value.startswith("added:\ncount 4\nvertical yes\n")
    assert found["Community"].reference == "none"
    assert "name" not in " ".join(found) and "Description" not in found
    assert changes(base, base.model_copy(update={"name": "other"})) == []


@pytest.mark.parametrize(("metric", "d", "lo", "hi", "expected"), [
    ("graduated_4yr", 0.012, 0.006, 0.018, "+1.2 points (95% CI +0.6 to +1.8)"),
    ("attrition", -0.004, -0.009, 0.001,
     "\u22120.4 points (95% CI \u22120.9 to +0.1)"),
    ("time_to_intervention_median_days", -23.2, -30.1, -16.9,
     "23 days shorter (95% CI 17 to 30)"),
    ("time_to_intervention_median_days", -3.0, -5.0, 1.0,
     "3.0 days shorter (95% CI 5.0 shorter to 1.0 longer)"),
    ("time_to_intervention_median_days", 12.0, 4.0, 20.0, "12 days longer (95% CI 4 to 20)"),
    ("graduated_4yr", 0.0, 0.0, 0.0, "no change (identical in every replication)"),
])
def test_change_in_plain_words(metric: str, d: float, lo: float, hi: float,
                               expected: str) -> None:
    assert fmt_change(metric, d, lo, hi) == expected


def test_change_inline_for_text_in_parentheses() -> None:
    assert (fmt_change("helped_within_30d", 0.254, 0.236, 0.273, inline=True)
            == "+25.4 points, 95% CI +23.6 to +27.3")
    assert (fmt_change("time_to_intervention_median_days", -23.2, -30.1, -16.9, inline=True)
            == "23 days shorter, 95% CI 17 to 30")
    assert (fmt_change("graduated_4yr", 0.0, 0.0, 0.0, inline=True)
            == "no change: identical in every replication")
    assert fmt_change("helped_within_90d", 0.1, np.nan, np.nan, inline=True) == "+10.0 points"


def test_level_change_shows_both_levels_and_a_coloured_change() -> None:
    row = pd.Series({"mean": 0.321, "diff": 0.254, "diff_ci_low": 0.236, "diff_ci_high": 0.273,
                     "higher_is_better": True})
    assert (level_change_html(row, "helped_within_30d", 0.067)
            == "6.7% \u2192 32.1% (<span class='better'>+25.4 points, 95% CI +23.6 to +27.3"
               "</span>)")
    unclear = row.copy()
    unclear[["diff_ci_low", "diff_ci_high"]] = [-0.01, 0.5]
    assert level_change_html(unclear, "helped_within_30d", 0.067).endswith(
        "</span>; <span class='muted'>no clear difference</span>)")


def test_share_intervals_are_shown_within_0_and_100_percent() -> None:
    assert fmt_interval("attrition", -0.004, 0.012) == "0.0% to 1.2%"
    assert fmt_interval("attrition_sub_urim", 0.98, 1.03) == "98.0% to 100.0%"
    assert fmt_interval("time_to_intervention_median_days", -3.0, 5.0) == "-3 to 5 days"


def test_equity_table_is_in_the_report(compared: Path) -> None:
    text = (compared / "report.html").read_text(encoding="utf-8")
    assert "URiM" in text and "Low income" in text and "Other students" in text
    assert "Assumptions and limits" in text and "docs/model.md" in text
    for name in ("ref", "same", "coached-lc"):
        h = json.loads((compared / name / "manifest.json").read_text())
        assert h["scenario_hash"][:12] in text


def test_subgroup_section_has_isolation_and_the_ties_figure(compared: Path,
                                                            tmp_path: Path) -> None:
    """The subgroup section shows isolated_sub_* per scenario (the numbers of comparison.csv)
    and the ECDF of ties with its caveat; tables stored without ties_year1 give neither."""
    from lcsim.outcomes.registry import ISOLATED_PREFIX
    from lcsim.reports.format import fmt_value

    text = (compared / "report.html").read_text(encoding="utf-8")
    section = text[text.index("For whom: subgroups"):text.index("Assumptions and limits")]
    assert "At most one friend at the end of year 1" in section
    assert "Friends at the end of year 1" in section and "not from data" in section
    table = pd.read_csv(compared / "comparison.csv")
    iso = table[table["metric"] == f"{ISOLATED_PREFIX}urim"].set_index("scenario")
    assert not iso["higher_is_better"].any()
    assert fmt_value("isolated_share", iso.loc["coached-lc", "mean"]) in section
    old = tmp_path / "cmp"
    shutil.copytree(compared, old)
    for name in ("ref", "same", "coached-lc"):
        path = old / name / "students.parquet"
        pd.read_parquet(path).drop(columns=["ties_year1", "ties_year2"]).to_parquet(path)
    assert main(["report", str(old)]) == 0
    text = (old / "report.html").read_text(encoding="utf-8")
    assert "At most one friend" not in text and "Friends at the end of year 1" not in text
    assert "Graduated within 4 years" in text


def test_lcsim_report_rebuilds_without_running(
        compared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    shutil.copytree(compared, out)
    original = (out / "report.html").read_bytes()
    (out / "report.html").unlink()
    shutil.rmtree(out / "figures")

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("lcsim report must not run the model")

    monkeypatch.setattr(experiment, "run_batch", boom)
    monkeypatch.setattr(model.Model, "run", boom)
    assert main(["report", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out / "report.html")
    # Same stored tables -> the same report, byte for byte (figures included).
    assert (out / "report.html").read_bytes() == original
    assert (out / "figures" / "forest.png").read_bytes() == (
        compared / "figures" / "forest.png").read_bytes()


def test_lcsim_report_hands_sweeps_to_sweep_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[Path] = []
    fake = types.ModuleType("lcsim.reports.sweep")

    def write_report(directory: Path) -> Path:
        calls.append(directory)
        return directory / "report.html"

    fake.write_report = write_report  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "lcsim.reports.sweep", fake)
    (tmp_path / "sweep.json").write_text("{}")
    (tmp_path / "compare.json").write_text("{}")  # sweep.json wins
    assert main(["report", str(tmp_path)]) == 0
    assert calls == [tmp_path] and isinstance(calls[0], Path)
    assert capsys.readouterr().out.strip() == str(tmp_path / "report.html")


def test_lcsim_report_refuses_other_directories(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "no compare.json or sweep.json" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing")]) == 2


def test_quantiles_beyond_follow_up_are_reported_as_such(compared: Path) -> None:
    """Where a scenario's p90 was not reached in some replications, the key table says so
    instead of averaging the others (which would show a time biased low)."""
    html_text = (compared / "report.html").read_text(encoding="utf-8")
    metric = "time_to_intervention_p90_days"
    partial = 0
    for name in ("ref", "same", "coached-lc"):
        runs = pd.read_csv(compared / name / "runs.csv")
        reached = int(runs[metric].notna().sum())
        if 0 < reached < len(runs):
            partial += 1
            assert f"reached in {reached} of {len(runs)} replications" in html_text
    if partial == 0:
        assert "beyond follow-up (or no episodes)" not in html_text
