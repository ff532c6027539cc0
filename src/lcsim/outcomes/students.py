"""Student outcomes: who left, who graduated on time and who took leave, overall or by group.

The formulas of the student-level metrics are written here once. `lcsim.outcomes.compute`
averages them over one replication (and per subgroup, for ``attrition_sub_*`` and
``isolated_sub_*``); the committee
report's subgroup section reads `group_rates` of each stored students table per replication and
subgroup, so it shows the same numbers as ``comparison.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lcsim.outcomes.registry import ON_TIME_SLACK
from lcsim.outcomes.tables import DISMISSED, WITHDRAWN

RATES = ("attrition", "graduated_4yr", "leave_of_absence", "isolated_share")
"""The per-group shares of `group_rates`, named as the metrics they are."""


def left_school(students: pd.DataFrame) -> pd.Series:
    """Per student: left without graduating (dismissed or withdrew)."""
    return students["status"].isin([DISMISSED, WITHDRAWN])


def graduated_within(students: pd.DataFrame, years: int) -> pd.Series:
    """Per student: graduated within ``years`` of entry (a year-end boundary counts as within)."""
    return students["years_to_graduate"] <= years + ON_TIME_SLACK


def took_leave(students: pd.DataFrame) -> pd.Series:
    """Per student: took at least one leave of absence."""
    return students["loa_count"] > 0


def group_rates(students: pd.DataFrame,
                by: Sequence[str] = ("replication", "subgroup")) -> pd.DataFrame:
    """Per group of ``by`` (sorted): the `RATES` shares and the number of ``students``.

    Columns: the ``by`` columns, ``attrition``, ``graduated_4yr``, ``leave_of_absence``,
    ``isolated_share`` (of the group's students enrolled at the end of their first year; NaN
    without any, or without a ``ties_year1`` column) and ``students``; one row per group present.
    """
    keys = list(by)
    flags = pd.DataFrame({
        **{k: students[k] for k in keys},
        "attrition": left_school(students).astype(float),
        "graduated_4yr": graduated_within(students, 4).astype(float),
        "leave_of_absence": took_leave(students).astype(float),
        "isolated_share": isolated(students) if "ties_year1" in students else float("nan"),
    })
    g = flags.groupby(keys, sort=True)
    out = g[list(RATES)].mean()
    out["students"] = g.size()
    return out.reset_index()


ISOLATED_TIES = 1  # at most this many friends at the end of year 1: isolated (issue 11)
LOW_TIES_QUANTILE = 0.1  # ties_p10_year1


def isolated(students: pd.DataFrame) -> pd.Series:
    """Per student enrolled at the end of their first year: at most `ISOLATED_TIES` friends in
    the peer network then (NaN for the others)."""
    ties = students["ties_year1"]
    return (ties <= ISOLATED_TIES).astype(float).where(ties.notna())


def friend_exit_attrition(students: pd.DataFrame) -> tuple[float, float]:
    """Attrition among students who lost at least one friend to attrition (``friends_lost`` >
    0: a friend in the peer network left, withdrawn or dismissed, while they were enrolled),
    and among those who lost none; NaN for a group without students (or without the column).

    Descriptive, not an effect of losing a friend: a student must stay enrolled to lose a
    friend, so early leavers fall in the second group, and students who stay long lose more."""
    if "friends_lost" not in students:
        return float("nan"), float("nan")
    lost = students["friends_lost"] > 0
    left = left_school(students)
    return (float(left[lost].mean()) if lost.any() else float("nan"),
            float(left[~lost].mean()) if (~lost).any() else float("nan"))


def mentee_shares(students: pd.DataFrame) -> dict[str, float]:
    """Unmatched and mentor-lost mentee-years over all mentee-years (NaN without any: no peer
    mentoring, or tables written before the columns existed)."""
    if "mentee_years" not in students or not students["mentee_years"].sum():
        return {"unmatched_mentee_share": float("nan"), "mentor_lost_share": float("nan")}
    years = float(students["mentee_years"].sum())
    return {"unmatched_mentee_share": float(students["unmatched_years"].sum()) / years,
            "mentor_lost_share": float(students["mentor_lost_years"].sum()) / years}
