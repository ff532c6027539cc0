"""The metric registry: every outcome's name, meaning and preferred direction.

Free of dependencies, so reports, the CLI and the docs generator can name and describe metrics
without loading the model. `METRICS` is the source of the README glossary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
    Metric("helped_within_30d",
           "share of episodes helped (intervention started) within 30 days of onset: Aalen–"
           "Johansen cumulative incidence, where ending first in recovery, a leave, leaving or "
           "graduating competes with help", True),
    Metric("helped_within_90d",
           "share of episodes helped (intervention started) within 90 days of onset: Aalen–"
           "Johansen cumulative incidence, where ending first in recovery, a leave, leaving or "
           "graduating competes with help", True),
    Metric("unhelped_share", "share of ended episodes that never reached an intervention", False),
    Metric("detected_by_peer", "share of noticed episodes noticed by peers or mentors", None),
    Metric("detected_by_faculty",
           "share of noticed episodes noticed by coaches, facilitators or advisors", None),
    Metric("detected_by_self", "share of noticed episodes where the student asked for help", None),
    Metric("detected_by_institution", "share of noticed episodes flagged by grades", None),
    Metric("faculty_load_ratio",
           "faculty hours demanded (meetings, sessions, cases) / hours protected", False),
    Metric("belonging_mean",
           "mean belonging (0-1) at the end of year 2, among students still enrolled then "
           "(a structure that keeps more students at risk can score lower)", True),
    Metric("peer_ties_mean",
           "mean number of friends in the peer network at the end of year 2, among students "
           "still enrolled then", True),
    Metric("faculty_connected_share",
           "share with >= 2 one-to-one meetings with the same faculty member in year 1", True),
    Metric("identity_mean", "mean professional identity (0-1) at the end of year 2", True),
    Metric("clinical_skills_mean", "mean clinical skills (0-1) at the end of year 2", True),
    Metric("queue_wait_median_days",
           "Kaplan–Meier median days from referral to the start of an intervention", False),
    Metric("isolated_share",
           "share of students enrolled at the end of their first year with at most one friend "
           "in the peer network then", False),
    Metric("ties_p10_year1",
           "10th percentile of friends in the peer network at the end of the first year "
           "(students enrolled then)", True),
    Metric("friend_exit_attrition",
           "attrition among students who lost a friend in the peer network (a tie at that "
           "moment) to attrition while enrolled; NaN if nobody did. Descriptive: staying longer "
           "means more chances to lose a friend", False),
    Metric("no_friend_exit_attrition",
           "attrition among students who lost no friend to attrition (the comparison for "
           "friend_exit_attrition; it includes those who left early)", False),
    Metric("unmatched_mentee_share",
           "share of mentee-years (a student in school at the start of a class year with peer "
           "mentoring) without a near-peer mentor: past the mentor class's capacity, or their "
           "mentor had left, was on leave or was not in the mentor class then (NaN without "
           "peer mentoring). When one mentor class serves two mentee years and its capacity "
           "binds, the last cohort's later year finds it free, so over a short follow-up the "
           "share is below its steady state", False),
    Metric("mentor_lost_share",
           "share of mentee-years whose near-peer mentor stopped mentoring during the year (an "
           "episode, a leave or leaving; NaN without peer mentoring)", False),
)
METRIC_NAMES = tuple(m.name for m in METRICS)
# Kaplan–Meier quantiles: a replication whose curve never reaches the quantile (too few episodes
# helped before they ended) has no value, because the quantile lies beyond its follow-up.
# Averaging only the other replications would bias the mean low, so summaries of these metrics
# need every replication (`lcsim.stats.intervals.may_average`).
BEYOND_FOLLOW_UP = frozenset({
    "time_to_detection_median_days", "time_to_intervention_median_days",
    "time_to_intervention_p90_days", "queue_wait_median_days"})
HIGHER_IS_BETTER = {m.name: m.higher_is_better for m in METRICS}
SUBGROUP_PREFIX = "attrition_sub_"  # plus the subgroup name, e.g. attrition_sub_urim
ISOLATED_PREFIX = "isolated_sub_"  # isolated_share per subgroup, e.g. isolated_sub_urim
SUBGROUP_FAMILIES = {SUBGROUP_PREFIX: "attrition", ISOLATED_PREFIX: "isolated_share"}
"""Each family of per-subgroup metrics (prefix + subgroup name): the metric it splits, whose
formula (`lcsim.outcomes.students.group_rates`) and better direction it shares."""
SUBGROUP_PREFIXES = tuple(SUBGROUP_FAMILIES)


def subgroup_family(metric: str) -> str | None:
    """The metric a per-subgroup metric splits ('attrition_sub_urim' -> 'attrition'), or None
    for a metric of all students."""
    return next((m for p, m in SUBGROUP_FAMILIES.items() if metric.startswith(p)), None)


def subgroup_metrics(columns: Iterable[str]) -> list[str]:
    """The per-subgroup metrics among ``columns``: family by family, each sorted by name."""
    cols = set(columns)
    return [c for p in SUBGROUP_PREFIXES for c in sorted(cols) if c.startswith(p)]


def direction(metric: str) -> bool | None:
    """Whether higher is better (None: neither), for registry and per-subgroup metrics."""
    return HIGHER_IS_BETTER.get(subgroup_family(metric) or metric)
