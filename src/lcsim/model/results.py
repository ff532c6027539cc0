"""What one replication produced, as tidy tables: students, episodes, setbacks and faculty.

The students' table also gives each student's state two years after entry (belonging, ties,
identity, skills); the totals give the faculty hours demanded and protected over the students'
enrolled time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lcsim.model.agents import EPISODE_COLUMNS, FACULTY_COLUMNS, Episode, Faculty, Student
from lcsim.model.parameters import Workload
from lcsim.model.rules import Rules
from lcsim.model.units import DAYS_PER_YEAR, MONTHS_PER_YEAR, WEEKS_PER_YEAR

STUDENT_COLUMNS = (
    "student", "cohort", "subgroup", "community", "coach", "entry", "status", "exit_time",
    "graduated_at", "years_to_graduate", "loa_count", "fails", "episodes", "belonging",
    "peer_ties", "identity", "clinical_skills", "faculty_connected", "ties_year1", "ties_year2",
    "friends_lost", "mentee_years", "unmatched_years", "mentor_lost_years",
)
TIMES = ("detected_at", "referred_at", "intervention_start", "resolved_at", "ended_at")


@dataclass
class RunResult:
    """What one replication produced: tables, plus scalar totals for metrics."""

    students: pd.DataFrame
    episodes: pd.DataFrame
    setbacks: pd.DataFrame
    totals: dict[str, float]
    faculty: pd.DataFrame
    events: pd.DataFrame | None = None  # the event log of traced students (model/trace.py)


def student_table(studs: list[Student], rules: Rules, ties_at: np.ndarray | None = None,
                  friends_lost: np.ndarray | None = None,
                  mentee: np.ndarray | None = None) -> pd.DataFrame:
    """One row per student: who they are, how they left, and their state two years in.

    `ties_at`: each student's friends in the peer network at the end of their first and second
    years (the network's degrees); `ties_year1`/`ties_year2` are NaN for a student who had
    left by then (or without a network). `friends_lost`: each student's friends who left
    (withdrawn or dismissed) while both were enrolled (0 without a network). `mentee`: per student, years in a mentee year, those
    without a mentor, and those whose mentor stopped (`mentoring.Mentoring.counts`; 0 without)."""
    count = len(studs)
    mentored = np.zeros((count, 3), np.int64) if mentee is None else mentee.astype(np.int64)
    later = 2 * DAYS_PER_YEAR

    def column(get: Callable[[Student], object], dtype: type) -> np.ndarray:
        return np.fromiter((get(s) for s in studs), dtype=dtype, count=count)  # keeps peak low

    def when(x: float | None) -> float:
        return math.nan if x is None else x

    entry = column(lambda s: s.entry, float)
    graduated = column(lambda s: when(s.graduated_at), float)
    exit_time = column(lambda s: when(s.exit_time), float)
    ties = np.full((count, 2), math.nan)
    if ties_at is not None:
        for k in (0, 1):
            stayed = ~(exit_time <= entry + (k + 1) * DAYS_PER_YEAR) & (ties_at[:, k] >= 0)
            ties[stayed, k] = ties_at[stayed, k]
    return pd.DataFrame({
        "student": column(lambda s: s.id, np.int64),
        "cohort": column(lambda s: s.cohort, np.int64),
        "subgroup": [s.subgroup for s in studs],
        "community": column(lambda s: s.community, np.int64),
        "coach": column(lambda s: s.coach, np.int64),
        "entry": entry,
        "status": [s.status for s in studs],
        "exit_time": exit_time,
        "graduated_at": graduated,
        "years_to_graduate": (graduated - entry) / DAYS_PER_YEAR,
        "loa_count": column(lambda s: s.loa_count, np.int64),
        "fails": column(lambda s: s.fails, np.int64),
        "episodes": column(lambda s: s.n_episodes, np.int64),
        "belonging": [math.nan if math.isnan(t) else rules.belonging(s, s.entry + later, 2, t)
                      for s, t in zip(studs, ties[:, 1], strict=True)],
        "peer_ties": ties[:, 1],
        "identity": column(lambda s: rules.identity(s, s.entry + later), float),
        "clinical_skills": column(lambda s: rules.clinical_skills(s, s.entry + later), float),
        "faculty_connected": column(lambda s: bool(s.connected), bool),
        "ties_year1": ties[:, 0],
        "ties_year2": ties[:, 1],
        "friends_lost": (np.zeros(count, np.int64) if friends_lost is None
                         else friends_lost.astype(np.int64)),
        "mentee_years": mentored[:, 0],
        "unmatched_years": mentored[:, 1],
        "mentor_lost_years": mentored[:, 2],
    }, columns=list(STUDENT_COLUMNS))


def episode_table(episodes: list[Episode]) -> pd.DataFrame:
    """One row per difficulty episode (see `agents.EPISODE_COLUMNS`)."""
    table = pd.DataFrame.from_records([ep.row() for ep in episodes], columns=list(EPISODE_COLUMNS))
    for col in TIMES:
        table[col] = table[col].astype(float)
    return table


def setback_table(record: list[tuple[int, float, str]] | None) -> pd.DataFrame:
    """One row per setback, if they were recorded (else empty)."""
    return pd.DataFrame.from_records(record or [], columns=["student", "time", "kind"])


def faculty_table(faculty: list[Faculty],
                  mentors: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                  ) -> pd.DataFrame:
    """One row per faculty member (see `agents.FACULTY_COLUMNS`), then one per student who
    mentored: role "mentor", member = student id, students = mentee-years, noticed
    (`mentors`: `mentoring.Mentoring.rows`, columns, so 10^5 mentors stay cheap)."""
    table = pd.DataFrame.from_records([f.row() for f in faculty], columns=list(FACULTY_COLUMNS))
    if mentors is None or not mentors[0].size:
        return table
    member, students, noticed = mentors
    zero = np.zeros(member.size, np.int64)
    rows = pd.DataFrame({"role": np.full(member.size, "mentor", object),
                         "member": member.astype(np.int64), "students": students,
                         "slots": zero, "protected_hours_per_week": zero.astype(float),
                         "cases": zero, "busy_days": zero.astype(float), "noticed": noticed},
                        columns=list(FACULTY_COLUMNS))
    return pd.concat([table, rows], ignore_index=True) if len(table) else rows


def faculty_hours(workload: Workload, years: float, case_hours: float) -> tuple[float, float]:
    """Faculty hours demanded and protected over `years` student-years of enrolment."""
    demanded = case_hours + years * workload.advisor_meetings * workload.advisor_meeting_hours
    if workload.coach_meetings is not None:
        demanded += years * workload.coach_meetings * workload.coach_meeting_hours
    protected = workload.protected_per_week * WEEKS_PER_YEAR * years / workload.steady_students
    if workload.session_share is not None:  # facilitation is taught in protected teaching time
        facilitation = (years * workload.session_share / workload.group_size
                        * workload.sessions_per_month * MONTHS_PER_YEAR * workload.session_hours)
        demanded += facilitation
        protected += facilitation
    return demanded, protected


def student_years(students: pd.DataFrame, follow_up_years: int) -> float:
    """Years in school of every student, until exit or the end of their follow-up."""
    end = students["exit_time"].fillna(students["entry"] + follow_up_years * DAYS_PER_YEAR)
    return float(((end - students["entry"]) / DAYS_PER_YEAR).sum())
