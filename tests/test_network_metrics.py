"""The peer network's metrics from a run: friends lost to attrition (issue 11).

`friends_lost` in the students table counts, for each student, the friends (ties at that
moment) who left, withdrawn or dismissed, while the student was enrolled. Here it is checked
against an independent count taken at every exit of a small run, and its metric
`friend_exit_attrition` against a hand-built students table.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from conftest import FULL_LC, SMALL_CLASS, build_scenario
from lcsim.comparison.checks import check_targets, check_thresholds
from lcsim.comparison.table import higher_is_better
from lcsim.model.simulation import Model
from lcsim.outcomes.compute import compute
from lcsim.outcomes.registry import direction, subgroup_family, subgroup_metrics
from lcsim.outcomes.students import friend_exit_attrition
from lcsim.outcomes.tables import DISMISSED, ENROLLED, WITHDRAWN
from lcsim.reports.format import fmt_change, fmt_value
from lcsim.reports.plots import ties_ecdf


def test_friends_lost_are_the_tie_pairs_at_exits() -> None:
    """Summed and per student, friends_lost equals the (leaver, enrolled friend) tie pairs at
    each withdrawal or dismissal, counted here from the network after `away` has booked the
    leaver's due tie changes (so from the booked ties, not the implementation's own reading)."""
    # Seed 2: one exit falls between bookings with a tie change due, so reading the ties
    # booked before `away` (not at that moment) would count 117 instead of 118.
    model = Model(build_scenario(base=FULL_LC, class_size=60, cohorts=3), 2)
    school, real = model.network, len(model.students)
    original = school.away
    friends: list[int] = []
    exits = []

    def away(sid: int, now: float) -> None:
        original(sid, now)
        if model.students[sid].status in (WITHDRAWN, DISMISSED):
            exits.append(sid)
            friends.extend(f for f in school.net.friends(sid).tolist()
                           if f < real and model.students[f].status == ENROLLED)

    school.away = away  # type: ignore[method-assign]
    st = model.run().students
    expected = np.bincount(np.asarray(friends, np.int64), minlength=real)
    assert len(exits) >= 3 and len(friends) > 0
    assert st["friends_lost"].sum() == len(friends)
    np.testing.assert_array_equal(st.sort_values("student")["friends_lost"], expected)


def test_friend_exit_attrition_on_a_hand_built_table() -> None:
    """Attrition among students with friends_lost > 0 and among the others; NaN for an empty
    group or without the column."""
    st = pd.DataFrame({
        "status": ["withdrawn", "graduated", "enrolled", "dismissed", "graduated", "withdrawn"],
        "friends_lost": [2, 1, 3, 0, 0, 0],
    })
    lost, none = friend_exit_attrition(st)
    assert lost == pytest.approx(1 / 3) and none == pytest.approx(2 / 3)
    lost, none = friend_exit_attrition(st.assign(friends_lost=0))
    assert np.isnan(lost) and none == pytest.approx(0.5)
    assert all(np.isnan(x) for x in friend_exit_attrition(st.drop(columns="friends_lost")))


def test_compute_reports_friend_exit_attrition_and_isolated_per_subgroup() -> None:
    """compute's friend_exit_attrition and isolated_sub_* are the formulas on the table."""
    st = pd.DataFrame({
        "subgroup": ["urim", "urim", "urim", "none", "none"],
        "status": ["withdrawn", "graduated", "graduated", "dismissed", "graduated"],
        "years_to_graduate": [np.nan, 4.0, 4.0, np.nan, 5.0],
        "loa_count": [0, 0, 0, 0, 0], "ties_year1": [np.nan, 1.0, 4.0, 0.0, 3.0],
        "friends_lost": [1, 1, 0, 0, 2],
        "belonging": 0.5, "peer_ties": 2.0, "faculty_connected": True, "identity": 0.5,
        "clinical_skills": 0.5,
    })
    ep = pd.DataFrame({"onset": [0.0], "intervention_start": [np.nan], "ended_at": [5.0],
                       "outcome": ["recovered"], "channel": [None], "detected_at": [np.nan],
                       "referred_at": [np.nan]})
    row = compute(SimpleNamespace(students=st, episodes=ep, totals={
        "faculty_hours_demanded": 1.0, "faculty_hours_protected": 2.0}))
    assert row["friend_exit_attrition"] == pytest.approx(1 / 3)
    assert row["no_friend_exit_attrition"] == pytest.approx(1 / 2)
    assert row["isolated_sub_urim"] == pytest.approx(1 / 2)  # the leaver has no year-1 ties
    assert row["isolated_sub_none"] == pytest.approx(1 / 2)
    assert row["attrition_sub_urim"] == pytest.approx(1 / 3)


def test_subgroup_families_share_one_definition() -> None:
    """isolated_sub_* is handled wherever attrition_sub_* is: order, direction, units and the
    metrics --target-ci and --threshold accept."""
    cols = ["isolated_sub_urim", "attrition", "attrition_sub_none", "isolated_sub_none",
            "attrition_sub_urim"]
    assert subgroup_metrics(cols) == ["attrition_sub_none", "attrition_sub_urim",
                                      "isolated_sub_none", "isolated_sub_urim"]
    assert subgroup_family("isolated_sub_urim") == "isolated_share"
    assert subgroup_family("attrition") is None
    assert direction("isolated_sub_urim") is False and higher_is_better("attrition_sub_x") is False
    assert direction("ties_p10_year1") is True and direction("unknown_metric") is None
    assert fmt_value("isolated_sub_urim", 0.25) == "25.0%"
    assert fmt_change("isolated_sub_urim", -0.1, -0.2, -0.05) == (
        "\u221210.0 points (95% CI \u221220.0 to \u22125.0)")
    scenarios = [build_scenario(name="a", class_size=SMALL_CLASS),
                 build_scenario(name="b", class_size=SMALL_CLASS)]
    assert check_targets({"isolated_sub_urim": 0.01}, scenarios, None) == {
        "isolated_sub_urim": 0.01}
    assert check_thresholds({"isolated_sub_none": [0.02]}, scenarios, 4) == {
        "isolated_sub_none": [0.02]}


def test_ties_ecdf_draws_each_scenario_s_empirical_distribution() -> None:
    """One step line per scenario and panel: the share with at most x friends."""
    ties = pd.DataFrame({"scenario": ["A"] * 4 + ["B"] * 2 + ["A"],
                         "subgroup": ["none"] * 6 + ["urim"],
                         "ties": [3.0, 1.0, 0.0, 1.0, 5.0, 6.0, 2.0]})
    fig = ties_ecdf(ties, ["A", "B"], [("none", "Other"), ("urim", "URiM")], isolated=1)
    first, second = fig.axes[:2]
    a, b = (line for line in first.get_lines() if line.get_label() in ("A", "B"))
    np.testing.assert_array_equal(a.get_xdata(), [0, 0, 1, 1, 3])
    np.testing.assert_array_equal(a.get_ydata(), [0, 25, 50, 75, 100])
    np.testing.assert_array_equal(b.get_ydata(), [0, 50, 100])
    assert [ln.get_label() for ln in second.get_lines() if ln.get_label() in ("A", "B")] == ["A"]
    assert first.get_title() == "Other" and second.get_title() == "URiM"
