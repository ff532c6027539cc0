"""Outcome metrics: pure functions from one replication's tables to a row of numbers.

`METRICS` is the registry (name -> meaning, and whether higher is better); the README glossary
is written from it. Times to detection and intervention are Kaplan–Meier estimates: episodes
that end (recovery, exit, end of follow-up) before being noticed or helped are censored there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lcsim.model.agents import CHANNEL_GROUP
from lcsim.model.simulation import RunResult
from lcsim.stats.analysis import km_quantile

ON_TIME_SLACK = 0.01  # years: graduation at the year-end boundary counts as within


@dataclass(frozen=True)
class Metric:
    """A named outcome: what it means and its preferred direction."""

    name: str
    description: str
    higher_is_better: bool | None


METRICS: tuple[Metric, ...] = (
    Metric("graduated_4yr", "share of entrants who graduated within 4 years of entry", True),
    Metric("graduated_6yr", "share of entrants who graduated within 6 years of entry", True),
    Metric("attrition", "share who left without graduating (dismissed or withdrew)", False),
    Metric("attrition_academic", "share dismissed after failing progression twice", False),
    Metric("attrition_nonacademic", "share who withdrew", False),
    Metric("leave_of_absence", "share who took at least one leave of absence", False),
    Metric("episodes_per_100", "difficulty episodes per 100 students over follow-up", False),
    Metric("time_to_detection_median_days",
           "Kaplan–Meier median days from onset to being noticed", False),
    Metric("time_to_intervention_median_days",
           "Kaplan–Meier median days from onset to the start of an intervention", False),
    Metric("time_to_intervention_p90_days",
           "Kaplan–Meier 90th percentile of days from onset to intervention", False),
    Metric("unhelped_share", "share of ended episodes that never reached an intervention", False),
    Metric("detected_by_peer", "share of noticed episodes noticed by peers or mentors", None),
    Metric("detected_by_faculty",
           "share of noticed episodes noticed by coaches, facilitators or advisors", None),
    Metric("detected_by_self", "share of noticed episodes where the student asked for help", None),
    Metric("detected_by_institution", "share of noticed episodes flagged by grades", None),
    Metric("faculty_load_ratio",
           "faculty hours demanded (meetings, sessions, cases) / hours protected", False),
    Metric("belonging_mean", "mean belonging (0-1) at the end of year 2", True),
    Metric("peer_ties_mean", "mean number of peer ties at the end of year 2", True),
    Metric("faculty_connected_share",
           "share with >= 2 one-to-one meetings with the same faculty member in year 1", True),
    Metric("identity_mean", "mean professional identity (0-1) at the end of year 2", True),
    Metric("clinical_skills_mean", "mean clinical skills (0-1) at the end of year 2", True),
    Metric("queue_wait_median_days",
           "Kaplan–Meier median days from referral to the start of an intervention", False),
)
METRIC_NAMES = tuple(m.name for m in METRICS)
# Kaplan–Meier quantiles: a replication whose curve never reaches the quantile (too few episodes
# helped before they ended) has no value, because the quantile lies beyond its follow-up.
# Averaging only the other replications would bias the mean low, so summaries of these metrics
# need every replication (`lcsim.stats.analysis.summarise`, `lcsim.comparison.runner`).
BEYOND_FOLLOW_UP = frozenset({
    "time_to_detection_median_days", "time_to_intervention_median_days",
    "time_to_intervention_p90_days", "queue_wait_median_days"})
HIGHER_IS_BETTER = {m.name: m.higher_is_better for m in METRICS}
SUBGROUP_PREFIX = "attrition_sub_"  # plus the subgroup name, e.g. attrition_sub_urim


def _km(episodes: pd.DataFrame, start: str, event: str, q: float) -> float:
    """KM quantile of event - start; episodes without the event are censored at their end."""
    eps = episodes[episodes[start].notna()]
    if eps.empty:
        return float("nan")
    observed = eps[event].notna().to_numpy()
    end = eps[event].where(observed, eps["ended_at"]).to_numpy(dtype=float)
    begin = eps[start].to_numpy(dtype=float)
    horizon = np.nanmax(np.concatenate([end, begin]))
    end = np.where(np.isnan(end), horizon, end)  # still open at the end of the run
    return km_quantile(end - begin, observed, q)


def compute(result: RunResult) -> dict[str, float]:
    """All metrics of one replication, as a flat dict (a row of `runs.csv`)."""
    st, ep, tot = result.students, result.episodes, result.totals
    n = len(st)
    years = st["years_to_graduate"]
    dismissed = (st["status"] == "dismissed").to_numpy()
    withdrawn = (st["status"] == "withdrawn").to_numpy()
    detected = ep["channel"].dropna().map(CHANNEL_GROUP)
    nothing = float("nan")  # shares of noticed episodes are undefined when none was noticed
    shares = detected.value_counts(normalize=True) if len(detected) else pd.Series(dtype=float)
    ended = ep[ep["outcome"] != "censored"]
    out = {
        "graduated_4yr": float((years <= 4 + ON_TIME_SLACK).mean()),
        "graduated_6yr": float((years <= 6 + ON_TIME_SLACK).mean()),
        "attrition": float((dismissed | withdrawn).mean()),
        "attrition_academic": float(dismissed.mean()),
        "attrition_nonacademic": float(withdrawn.mean()),
        "leave_of_absence": float((st["loa_count"] > 0).mean()),
        "episodes_per_100": 100.0 * len(ep) / n if n else float("nan"),
        "time_to_detection_median_days": _km(ep, "onset", "detected_at", 0.5),
        "time_to_intervention_median_days": _km(ep, "onset", "intervention_start", 0.5),
        "time_to_intervention_p90_days": _km(ep, "onset", "intervention_start", 0.9),
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
    }
    for name, grp in st.groupby("subgroup", sort=True):
        left = grp["status"].isin(["dismissed", "withdrawn"])
        out[f"{SUBGROUP_PREFIX}{name}"] = float(left.mean())
    return out
