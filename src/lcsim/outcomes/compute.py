"""Outcome metrics: pure functions from one replication's tables to a row of numbers.

Times to detection and intervention are Kaplan–Meier estimates: episodes that end (recovery,
exit, end of follow-up) before being noticed or helped are censored there
(`lcsim.outcomes.episodes`). The shares helped within 30 and 90 days are cumulative incidences
(Aalen–Johansen), where those other ends compete with help instead. The student-level formulas
are in `lcsim.outcomes.students`. The names, meanings and directions are in
`lcsim.outcomes.registry`.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from lcsim.outcomes.episodes import HELPED, durations, help_causes
from lcsim.outcomes.registry import SUBGROUP_FAMILIES
from lcsim.outcomes.students import (
    LOW_TIES_QUANTILE,
    friend_exit_attrition,
    graduated_within,
    group_rates,
    isolated,
    left_school,
    mentee_shares,
    took_leave,
)
from lcsim.outcomes.tables import CHANNEL_GROUP, DISMISSED, STILL_OPEN, WITHDRAWN
from lcsim.stats.competing import cumulative_incidence
from lcsim.stats.survival import km_quantile

HELP_WITHIN_DAYS = (30.0, 90.0)  # helped_within_30d, helped_within_90d


class ReplicationTables(Protocol):
    """What `compute` reads: a replication's students and episodes tables and its totals."""

    students: pd.DataFrame
    episodes: pd.DataFrame
    totals: dict[str, float]


def _km(episodes: pd.DataFrame, start: str, event: str, q: float) -> float:
    """KM quantile of event - start; episodes without the event are censored at their end."""
    times, observed = durations(episodes, start, event)
    return km_quantile(times, observed, q) if times.size else float("nan")


def _helped_within(episodes: pd.DataFrame) -> list[float]:
    """Cumulative incidence of help at each of `HELP_WITHIN_DAYS` (NaN without episodes)."""
    times, causes = help_causes(episodes)
    return [float(x) for x in cumulative_incidence(times, causes, HELPED, HELP_WITHIN_DAYS)]


def _ties(st: pd.DataFrame) -> dict[str, float]:
    """The peer network's year-1 figures (NaN without the columns or anyone enrolled then)."""
    if "ties_year1" not in st or not st["ties_year1"].notna().any():
        return {"isolated_share": float("nan"), "ties_p10_year1": float("nan")}
    return {"isolated_share": float(isolated(st).mean()),
            "ties_p10_year1": float(st["ties_year1"].quantile(LOW_TIES_QUANTILE))}


def compute(result: ReplicationTables) -> dict[str, float]:
    """All metrics of one replication, as a flat dict (a row of `runs.csv`)."""
    st, ep, tot = result.students, result.episodes, result.totals
    n = len(st)
    dismissed = (st["status"] == DISMISSED).to_numpy()
    withdrawn = (st["status"] == WITHDRAWN).to_numpy()
    detected = ep["channel"].dropna().map(CHANNEL_GROUP)
    nothing = float("nan")  # shares of noticed episodes are undefined when none was noticed
    shares = detected.value_counts(normalize=True) if len(detected) else pd.Series(dtype=float)
    ended = ep[ep["outcome"] != STILL_OPEN]
    within_30, within_90 = _helped_within(ep)
    out = {
        "graduated_4yr": float(graduated_within(st, 4).mean()),
        "graduated_6yr": float(graduated_within(st, 6).mean()),
        "attrition": float(left_school(st).mean()),
        "attrition_academic": float(dismissed.mean()),
        "attrition_nonacademic": float(withdrawn.mean()),
        "leave_of_absence": float(took_leave(st).mean()),
        "episodes_per_100": 100.0 * len(ep) / n if n else float("nan"),
        "time_to_detection_median_days": _km(ep, "onset", "detected_at", 0.5),
        "time_to_intervention_median_days": _km(ep, "onset", "intervention_start", 0.5),
        "time_to_intervention_p90_days": _km(ep, "onset", "intervention_start", 0.9),
        "helped_within_30d": within_30,
        "helped_within_90d": within_90,
        "unhelped_share": float(ended["intervention_start"].isna().mean())
        if len(ended) else float("nan"),
        "detected_by_peer": float(shares.get("peer", 0.0)) if len(detected) else nothing,
        "detected_by_faculty": float(shares.get("faculty", 0.0)) if len(detected) else nothing,
        "detected_by_self": float(shares.get("self", 0.0)) if len(detected) else nothing,
        "detected_by_institution": float(shares.get("institution", 0.0)) if len(detected) else nothing,
        "faculty_load_ratio": tot["faculty_hours_demanded"] / tot["faculty_hours_protected"]
        if tot["faculty_hours_protected"] > 0 else float("nan"),
        "belonging_mean": float(st["belonging"].mean()),
        "peer_ties_mean": float(st["peer_ties"].mean()),
        "faculty_connected_share": float(st["faculty_connected"].mean()),
        "identity_mean": float(st["identity"].mean()),
        "clinical_skills_mean": float(st["clinical_skills"].mean()),
        "queue_wait_median_days": _km(ep, "referred_at", "intervention_start", 0.5),
        **_ties(st),
        **mentee_shares(st),
    }
    out["friend_exit_attrition"], out["no_friend_exit_attrition"] = friend_exit_attrition(st)
    sub = group_rates(st, by=["subgroup"])
    for prefix, metric in SUBGROUP_FAMILIES.items():
        for name, value in zip(sub["subgroup"], sub[metric], strict=True):
            out[f"{prefix}{name}"] = float(value)
    return out
