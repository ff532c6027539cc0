"""Tests for lcsim.outcomes: the metric formulas that `compute` and the report both use."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from lcsim.outcomes.compute import compute
from lcsim.outcomes.episodes import durations, help_curve
from lcsim.outcomes.registry import METRIC_NAMES, SUBGROUP_PREFIX
from lcsim.outcomes.students import group_rates

STUDENTS = pd.DataFrame({
    "replication": [0, 0, 0, 0, 1, 1],
    "subgroup": ["urim", "urim", "none", "none", "urim", "none"],
    "status": ["withdrawn", "graduated", "graduated", "dismissed", "graduated", "enrolled"],
    "years_to_graduate": [np.nan, 4.0, 5.0, np.nan, 4.0, np.nan],
    "loa_count": [1, 0, 0, 0, 2, 0],
})
EPISODES = pd.DataFrame({
    "replication": [0, 0, 0, 0, 1, 1],
    "onset": [0.0, 0.0, 100.0, 0.0, 0.0, 0.0],
    "intervention_start": [10.0, np.nan, np.nan, np.nan, np.nan, 250.0],
    # 2nd: recovered unhelped at day 5 (censored); 3rd: still open when replication 0 ends
    # (its last time is 300, so censored at 200 days); 5th: unhelped, ends at 1000.
    "ended_at": [10.0, 5.0, np.nan, 300.0, 1000.0, 250.0],
    "outcome": ["resolved", "recovered", None, "recovered", "recovered", "resolved"],
})


def _replication(rep: int) -> SimpleNamespace:
    """One replication's tables as the model hands them to `compute` (no replication column)."""
    st = STUDENTS[STUDENTS["replication"] == rep].drop(columns="replication")
    st = st.assign(belonging=0.5, peer_ties=2.0, faculty_connected=True, identity=0.5,
                   clinical_skills=0.5)
    ep = EPISODES[EPISODES["replication"] == rep].drop(columns="replication")
    ep = ep.assign(channel="peer", detected_at=ep["onset"] + 1.0, referred_at=np.nan)
    return SimpleNamespace(students=st.reset_index(drop=True), episodes=ep.reset_index(drop=True),
                           totals={"faculty_hours_demanded": 1.0, "faculty_hours_protected": 2.0})


def test_help_curve_is_the_cumulative_incidence_of_help() -> None:
    s = help_curve(EPISODES, horizon=300).set_index("time")["helped"]
    # Sorted ends: 5 recovered, 10 helped, 200 censored (open when replication 0 ends at 300),
    # 250 helped, 300 and 1000 recovered. Day 10: 1 x 1/5 of the 5 at risk after the recovery
    # at day 5 -> 1/6 of all. Day 250: survival 5/6 x 4/5 = 2/3 just before, 3 at risk, one
    # helped -> 1/6 + 2/3 x 1/3 = 7/18. Treating recoveries as censoring (Kaplan-Meier) would
    # give 1/5 at day 10: the curve counts recovered episodes as not helped.
    assert s[4] == 0.0 and s[9] == 0.0
    assert s[10] == pytest.approx(1 / 6) and s[249] == pytest.approx(1 / 6)
    assert s[250] == pytest.approx(7 / 18) and s[300] == pytest.approx(7 / 18)


def test_help_curve_without_episodes_is_flat() -> None:
    curve = help_curve(EPISODES.iloc[:0], horizon=30)
    assert curve.to_dict("list") == {"time": [0.0], "helped": [0.0]}


def test_durations_censor_open_episodes_per_replication() -> None:
    times, observed = durations(EPISODES, "onset", "intervention_start", by="replication")
    assert times.tolist() == [10.0, 5.0, 200.0, 300.0, 1000.0, 250.0]
    assert observed.tolist() == [True, False, False, False, False, True]
    # One replication alone: the same censoring without a replication column.
    one, seen = durations(EPISODES[EPISODES["replication"] == 0].drop(columns="replication"),
                          "onset", "intervention_start")
    assert one.tolist() == [10.0, 5.0, 200.0, 300.0] and seen.tolist() == [True] + [False] * 3


def test_group_rates() -> None:
    r = group_rates(STUDENTS).set_index(["replication", "subgroup"])
    assert r.loc[(0, "urim"), "attrition"] == 0.5 and r.loc[(0, "none"), "attrition"] == 0.5
    assert r.loc[(0, "none"), "graduated_4yr"] == 0.0 and r.loc[(1, "urim"), "graduated_4yr"] == 1
    assert r.loc[(1, "urim"), "leave_of_absence"] == 1.0 and r.loc[(0, "urim"), "students"] == 2


@pytest.mark.parametrize("rep", [0, 1])
def test_compute_and_the_report_share_their_formulas(rep: int) -> None:
    row = compute(_replication(rep))
    assert set(METRIC_NAMES) <= set(row)
    rates = group_rates(STUDENTS[STUDENTS["replication"] == rep])
    for r in rates.itertuples():
        assert row[f"{SUBGROUP_PREFIX}{r.subgroup}"] == r.attrition
    mine = STUDENTS[STUDENTS["replication"] == rep]
    assert row["attrition"] == group_rates(mine, by=["replication"])["attrition"].item()
    assert row["graduated_4yr"] == group_rates(mine, by=["replication"])["graduated_4yr"].item()
    # The report's curve of this replication at 30 and 90 days is what compute reports.
    curve = help_curve(EPISODES[EPISODES["replication"] == rep], horizon=400).set_index("time")
    assert row["helped_within_30d"] == pytest.approx(curve.loc[30.0, "helped"])
    assert row["helped_within_90d"] == pytest.approx(curve.loc[90.0, "helped"])


def test_tie_metrics_count_students_enrolled_at_the_end_of_year_one() -> None:
    """isolated_share: at most one friend at the end of year 1, among students enrolled then
    (NaN ties: left before); ties_p10_year1: their 10th percentile."""
    rep = _replication(0)
    rep.students = rep.students.assign(ties_year1=[0.0, 1.0, np.nan, 5.0],
                                       ties_year2=[np.nan, 2.0, np.nan, 6.0])
    row = compute(rep)
    assert row["isolated_share"] == pytest.approx(2 / 3)
    assert row["ties_p10_year1"] == pytest.approx(np.quantile([0.0, 1.0, 5.0], 0.1))
    rep.students = rep.students.drop(columns=["ties_year1", "ties_year2"])
    empty = compute(rep)
    assert np.isnan(empty["isolated_share"]) and np.isnan(empty["ties_p10_year1"])


def test_tie_columns_come_from_the_peer_network() -> None:
    """The students table's ties_year1/2 are the network's degrees at the end of each
    student's first and second years, NaN once a student has left."""
    from conftest import FULL_LC, build_scenario
    from lcsim.model.simulation import Model

    model = Model(build_scenario(base=FULL_LC, class_size=60, cohorts=2), 2)
    result = model.run()
    st = result.students
    ties = model.network.ties_at()
    left = (st["exit_time"] <= st["entry"] + 365.0).to_numpy()
    np.testing.assert_array_equal(st.loc[~left, "ties_year1"], ties[~left, 0])
    assert st.loc[left, "ties_year1"].isna().all()
    assert st["ties_year1"].mean() > 1 and (st["ties_year2"].dropna() >= 0).all()
    row = compute(result)
    assert row["isolated_share"] == pytest.approx((st["ties_year1"].dropna() <= 1).mean())
