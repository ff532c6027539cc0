"""Student outcomes: who left, who graduated on time and who took leave, overall or by group.

The formulas of the student-level metrics are written here once. `lcsim.outcomes.compute`
averages them over one replication (and per subgroup, for ``attrition_sub_*``); the committee
report's subgroup section reads `group_rates` of each stored students table per replication and
subgroup, so it shows the same numbers as ``comparison.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lcsim.outcomes.registry import ON_TIME_SLACK
from lcsim.outcomes.tables import DISMISSED, WITHDRAWN

RATES = ("attrition", "graduated_4yr", "leave_of_absence")
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

    Columns: the ``by`` columns, ``attrition``, ``graduated_4yr``, ``leave_of_absence`` and
    ``students``; one row per group present.
    """
    keys = list(by)
    flags = pd.DataFrame({
        **{k: students[k] for k in keys},
        "attrition": left_school(students).astype(float),
        "graduated_4yr": graduated_within(students, 4).astype(float),
        "leave_of_absence": took_leave(students).astype(float),
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


def mentee_shares(students: pd.DataFrame) -> dict[str, float]:
    """Unmatched and mentor-lost mentee-years over all mentee-years (NaN without any: no peer
    mentoring, or tables written before the columns existed)."""
    if "mentee_years" not in students or not students["mentee_years"].sum():
        return {"unmatched_mentee_share": float("nan"), "mentor_lost_share": float("nan")}
    years = float(students["mentee_years"].sum())
    return {"unmatched_mentee_share": float(students["unmatched_years"].sum()) / years,
            "mentor_lost_share": float(students["mentor_lost_years"].sum()) / years}
