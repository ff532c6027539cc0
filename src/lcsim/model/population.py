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


def personal_times(rate: float, u: np.ndarray) -> np.ndarray:
    """Days from entry of a student's first personal setbacks (Poisson, `rate` a day), from
    the uniforms `u` of their "personal" stream (the last axis: one setback each)."""
    if rate <= 0:
        return np.full(u.shape, np.inf, dtype=np.float32)
    return (np.cumsum(-np.log1p(-u), axis=-1) / rate).astype(np.float32)


def build_students(structure: Structure, streams: Streams) -> tuple[list[Student], Draws]:
    """Every student of every cohort, with their subgroup, groups and pre-drawn numbers.

    The numbers are drawn for the whole school at once (`Streams.event_uniform_sets`), the
    same as drawing them student by student."""
    calendar, cohort, channels = structure.calendar, structure.cohort, structure.channels
    class_size, year_ends = calendar.class_size, calendar.follow_up_years
    teaching = calendar.teaching
    count = calendar.cohorts * class_size
    ids = np.arange(count)
    exam_draws = year_ends * (len(calendar.exam_days) + 1)
    entry_u, career, exam_u, personal_u = streams.event_uniform_sets(
        [("entry", 6, np.float64), ("career", 1 + 2 * year_ends, np.float64),
         ("academic", exam_draws, np.float32), ("personal", PERSONAL_DRAWS, np.float64)],
        ids, 0)
    draws = Draws(career_u=career.astype(np.float32), exam_u=exam_u,
                  personal_t=personal_times(structure.setbacks.personal_rate, personal_u),
                  # Each schedule is anchored on a day of the student's teaching year: its
                  # first contact is that day modulo the interval, so a schedule k times as
                  # frequent keeps every contact of the slower one (pairing across scenarios).
                  phases=np.stack(((entry_u[:, 1] * teaching) % channels.coach_interval,
                                   (entry_u[:, 2] * teaching) % channels.advisor_interval,
                                   (entry_u[:, 3] * teaching) % channels.session_interval),
                                  axis=1))
    bounds = np.asarray(cohort.group_bounds, dtype=np.float64)
    group_of = np.searchsorted(bounds, entry_u[:, 0], side="right").tolist()
    connected = connected_draws(entry_u[:, 4], int(round(cohort.connected_meetings)),
                                cohort.attendance, cohort.connection_threshold).tolist()
    research = (career[:, 0] < calendar.research_prob).tolist()
    first_personal = draws.personal_t[:, 0].tolist()
    groups = [*cohort.groups, None]
    students = []
    for sid, g in enumerate(group_of):
        c, i = divmod(sid, class_size)
        student = Student(sid, c, c * DAYS_PER_YEAR, c * DAYS_PER_YEAR + year_ends * DAYS_PER_YEAR)
        group = groups[min(g, len(cohort.groups))]
        student.subgroup = group.name if group else "none"
        student.risk = group.risk if group else 1.0
        student.belonging_offset = group.belonging_offset if group else 0.0
        student.community = i % cohort.community_count
        # Coaches keep a group across the four classes in school at one time.
        student.coach = ((i + (c % 4) * class_size) // cohort.students_per_coach
                         if cohort.students_per_coach else -1)
        student.connected = connected[sid]
        student.research = research[sid]
        student.next_personal = student.entry + first_personal[sid]
        students.append(student)
    return students, draws


def build_faculty(structure: Structure) -> list[Faculty]:
    """The school's faculty agents: support deans and coaches."""
    return [Faculty(i, group.role, group.slots, group.protected_hours, group.students)
            for group in structure.casework.faculty for i in range(group.count)]


def connected_draws(u: np.ndarray, n: int, p: float, k: int) -> np.ndarray:
    """Whether Binomial(n, p) >= k, by inverse CDF from each uniform of `u`."""
    below = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(min(k, n + 1)))
    return (u >= below) & (n >= k)
