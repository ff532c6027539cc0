"""The school's people at the start: students with their pre-drawn random numbers, and faculty.

Each student's random numbers for entry (subgroup, schedule phases, faculty connection), career
(research year, background exits, progression), exams and personal setbacks are drawn once, by
student id, from named streams (`streams.py`), so they are the same in every scenario run with
the same seed (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lcsim.model.agents import Faculty, Student
from lcsim.model.streams import Streams
from lcsim.model.structure import Structure
from lcsim.model.units import DAYS_PER_YEAR

PERSONAL_DRAWS = 12  # pre-drawn personal setback times per student (more are redrawn)


@dataclass(frozen=True)
class Draws:
    """Per-student pre-drawn uniforms and times, indexed by student id (compact arrays)."""

    career_u: np.ndarray  # per year end: [research, background exits..., progression draws...]
    exam_u: np.ndarray  # one per exam sat
    personal_t: np.ndarray  # days from entry of the first PERSONAL_DRAWS personal setbacks
    phases: np.ndarray  # teaching-time phases of the coach, advisor and session schedules


def personal_times(streams: Streams, sid: int, count: int, rate: float) -> np.ndarray:
    """Days from entry of a student's first `count` personal setbacks (Poisson, `rate` a day)."""
    if rate <= 0:
        return np.full(count, np.inf, dtype=np.float32)
    gaps = -np.log1p(-streams.event_uniforms("personal", sid, 0, count))
    return (np.cumsum(gaps) / rate).astype(np.float32)


def build_students(structure: Structure, streams: Streams) -> tuple[list[Student], Draws]:
    """Every student of every cohort, with their subgroup, groups and pre-drawn numbers."""
    calendar, cohort, channels = structure.calendar, structure.cohort, structure.channels
    class_size, year_ends = calendar.class_size, calendar.follow_up_years
    teaching, personal_rate = calendar.teaching, structure.setbacks.personal_rate
    bounds = np.asarray(cohort.group_bounds, dtype=np.float64)
    meetings = int(round(cohort.connected_meetings))
    count = calendar.cohorts * class_size
    exam_draws = year_ends * (len(calendar.exam_days) + 1)
    draws = Draws(career_u=np.empty((count, 1 + 2 * year_ends), dtype=np.float32),
                  exam_u=np.empty((count, exam_draws), dtype=np.float32),
                  personal_t=np.empty((count, PERSONAL_DRAWS), dtype=np.float32),
                  phases=np.empty((count, 3), dtype=np.float64))
    students = []
    for c in range(calendar.cohorts):
        for i in range(class_size):
            sid = c * class_size + i
            student = Student(sid, c, c * DAYS_PER_YEAR,
                              c * DAYS_PER_YEAR + year_ends * DAYS_PER_YEAR)
            entry_u = streams.event_uniforms("entry", sid, 0, 6)
            g = int(np.searchsorted(bounds, entry_u[0], side="right"))
            group = cohort.groups[g] if g < len(cohort.groups) else None
            student.subgroup = group.name if group else "none"
            student.risk = group.risk if group else 1.0
            student.belonging_offset = group.belonging_offset if group else 0.0
            student.community = i % cohort.community_count
            # Coaches keep a group across the four classes in school at one time.
            student.coach = ((i + (c % 4) * class_size) // cohort.students_per_coach
                             if cohort.students_per_coach else -1)
            # Each schedule is anchored on a day of the student's teaching year: its first
            # contact is that day modulo the interval, so a schedule k times as frequent
            # keeps every contact of the slower one (pairing across scenarios).
            draws.phases[sid] = ((entry_u[1] * teaching) % channels.coach_interval,
                                 (entry_u[2] * teaching) % channels.advisor_interval,
                                 (entry_u[3] * teaching) % channels.session_interval)
            student.connected = binomial_at_least(entry_u[4], meetings, cohort.attendance,
                                                  cohort.connection_threshold)
            career = streams.event_uniforms("career", sid, 0, 1 + 2 * year_ends)
            student.research = bool(career[0] < calendar.research_prob)
            draws.career_u[sid] = career
            draws.exam_u[sid] = streams.event_uniforms("academic", sid, 0, exam_draws)
            draws.personal_t[sid] = personal_times(streams, sid, PERSONAL_DRAWS, personal_rate)
            student.next_personal = student.entry + float(draws.personal_t[sid, 0])
            students.append(student)
    return students, draws


def build_faculty(structure: Structure) -> list[Faculty]:
    """The school's faculty agents: support deans and coaches."""
    return [Faculty(i, group.role, group.slots, group.protected_hours, group.students)
            for group in structure.casework.faculty for i in range(group.count)]


def binomial_at_least(u: float, n: int, p: float, k: int) -> bool:
    """Whether Binomial(n, p) >= k, by inverse CDF from one uniform."""
    below = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(min(k, n + 1)))
    return bool(n >= k and u >= below)
