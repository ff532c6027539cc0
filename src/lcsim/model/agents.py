"""Agents' state: students and their difficulty episodes. State only; behaviour is in processes."""

from __future__ import annotations

from typing import Any

from lcsim.outcomes.tables import ENROLLED


class Student:
    """One student's state. Slots keep 10^5 students within a small memory budget."""

    __slots__ = (
        "id", "cohort", "entry", "end", "subgroup", "risk", "belonging_offset", "community",
        "coach", "connected", "research",
        "year", "year_start", "fails", "status", "exit_time", "loa_count", "graduated_at",
        "strain", "strain_t", "active", "leave_until", "next_personal",
        "n_personal", "n_exams", "n_episodes",
    )
    id: int
    cohort: int
    entry: float
    end: float  # end of the student's follow-up
    subgroup: str
    risk: float
    belonging_offset: float
    community: int
    coach: int  # -1 without coaching
    connected: bool  # has a faculty connection
    research: bool  # will take a research year after year 3
    year: int
    year_start: float
    fails: int
    status: str
    exit_time: float | None
    loa_count: int
    graduated_at: float | None
    strain: float
    strain_t: float
    active: tuple[Episode, ...]
    leave_until: float | None
    next_personal: float
    n_personal: int
    n_exams: int
    n_episodes: int

    def __init__(self, sid: int, cohort: int, entry: float, end: float) -> None:
        self.id, self.cohort, self.entry, self.end = sid, cohort, entry, end
        self.year, self.year_start, self.fails = 1, entry, 0
        self.status, self.exit_time, self.graduated_at = ENROLLED, None, None
        self.loa_count, self.strain, self.strain_t = 0, 0.0, entry
        self.active = ()
        self.n_personal = self.n_exams = self.n_episodes = 0
        self.leave_until = None  # on leave of absence until this time


class Faculty:
    """A faculty member (support dean or coach), with their caseload.

    Faculty work referred cases in `slots` concurrent case slots (see `support.SupportQueue`);
    coaches also notice episodes among their own students. Near-peer mentors are students
    (`mentoring.py`); the faculty table gives them rows of the same columns.
    """

    __slots__ = ("id", "role", "slots", "protected_hours", "students", "cases", "busy_days",
                 "noticed")

    def __init__(self, fid: int, role: str, slots: int, protected_hours: float,
                 students: int = 0) -> None:
        self.id, self.role, self.slots, self.protected_hours = fid, role, slots, protected_hours
        self.students, self.cases, self.busy_days, self.noticed = students, 0, 0.0, 0

    def row(self) -> tuple:
        """The agent as a record row (see `FACULTY_COLUMNS`)."""
        return (self.role, self.id, self.students, self.slots, self.protected_hours,
                self.cases, self.busy_days, self.noticed)


FACULTY_COLUMNS = ("role", "member", "students", "slots", "protected_hours_per_week", "cases",
                   "busy_days", "noticed")


class Episode:
    """A difficulty episode: onset, who noticed it and when, help, and how it ended."""

    __slots__ = (
        "id", "student", "kind", "severity", "onset", "detected_at", "channel", "referred_at",
        "intervention_start", "resolved_at", "ended_at", "outcome", "process", "friends",
        "noticed_by", "plan",
    )
    id: int
    student: Student
    kind: str
    severity: int
    onset: float
    detected_at: float | None
    channel: str | None
    referred_at: float | None
    intervention_start: float | None
    resolved_at: float | None
    ended_at: float | None
    outcome: str | None
    process: Any
    friends: int  # friends in the peer network at onset
    noticed_by: int  # the student (friend or mentor) who noticed it; -1: none, or not a peer
    plan: Any  # its detection clock while undetected and open (`detection.Plan`), else None

    def __init__(self, eid: int, student: Student, kind: str, severity: int, onset: float) -> None:
        self.id, self.student, self.kind, self.severity, self.onset = (
            eid, student, kind, severity, onset)
        self.detected_at = self.channel = self.referred_at = None
        self.intervention_start = self.resolved_at = self.ended_at = self.outcome = None
        self.process = self.plan = None
        self.friends, self.noticed_by = 0, -1

    def row(self) -> tuple:
        """The episode as a record row (see `EPISODE_COLUMNS`)."""
        return (
            self.id, self.student.id, self.kind, self.severity, self.onset, self.detected_at,
            self.channel, self.referred_at, self.intervention_start, self.resolved_at,
            self.ended_at, self.outcome, self.friends, self.noticed_by,
        )


EPISODE_COLUMNS = (
    "episode", "student", "type", "severity", "onset", "detected_at", "channel", "referred_at",
    "intervention_start", "resolved_at", "ended_at", "outcome", "friends_at_onset",
    "noticed_by",
)
RESOLVING = frozenset({"recovered", "resolved", "mitigated"})
