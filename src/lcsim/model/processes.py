"""The school-wide SimPy processes: the school calendar and the personal setbacks.

Time is in days. The calendar brings exam blocks (each may bring an academic setback) and year
ends (progression checks); personal setbacks arrive at exogenous Poisson times. A setback may
become a difficulty episode, which runs as its own process (`episodes.py`).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from lcsim.model.agents import Student
from lcsim.model.contexts import SchoolNetwork
from lcsim.model.mentoring import Mentoring
from lcsim.model.parameters import Calendar
from lcsim.model.progression import Progression
from lcsim.model.setbacks import Setbacks
from lcsim.model.units import DAYS_PER_YEAR
from lcsim.outcomes.tables import ENROLLED


def school_calendar(env: simpy.Environment, calendar: Calendar, progression: Progression,
                    setbacks: Setbacks, network: SchoolNetwork | None = None,
                    mentoring: Mentoring | None = None) -> Generator[Any, Any, None]:
    """The academic calendar of the whole school: entries, exam blocks and year ends.

    Every student's year starts on a multiple of 365 days (entry, repeats, leaves and research
    years all move a student by whole years), so one process serves every student: at each
    exam block it asks each student sitting exams whether they had a setback, and at each year
    end it runs their progression check. This costs a handful of events a year instead of
    several per student. Each year start (after the year ends and the entry) also moves the
    peer network's class years (`contexts.SchoolNetwork.year_start`) and gives mentees their
    near-peer mentors for the year (`mentoring.Mentoring.year_start`).
    """
    # Exams come strictly before the year end (even with no break), the licensing exam last.
    licensing_day, licensing_year = calendar.licensing_day, calendar.licensing_year
    enrolled, sits_exams = progression.enrolled, progression.sits_exams
    for k in range(math.ceil(calendar.horizon / DAYS_PER_YEAR)):
        year_start = k * DAYS_PER_YEAR
        progression.enrol_cohort(k)
        if network is not None:
            network.year_start(k, env.now, enrolled.values())
        if mentoring is not None:
            mentoring.year_start(k, env.now, enrolled.values())
        for day in [*calendar.exam_days, licensing_day]:
            if year_start + day > env.now:
                yield env.timeout(year_start + day - env.now)
            licensing = day == licensing_day
            setbacks.exams([s for s in enrolled.values() if sits_exams(s)
                            and (not licensing or s.year == licensing_year)], licensing)
        yield env.timeout(year_start + DAYS_PER_YEAR - env.now)
        for s in list(enrolled.values()):
            progression.year_end(s)


def personal_setbacks(env: simpy.Environment, setbacks: Setbacks,
                      students: list[Student]) -> Generator[Any, Any, None]:
    """Every student's personal setbacks, from a queue of each student's next setback time.

    One process and one queue entry per student (instead of a pending SimPy event each) keeps
    memory near 2 KB per student at 10^5 students; the queue is a `BucketQueue`, whose
    operations cost the same at any school size.
    """
    due = setbacks.personal_due
    while due.size:
        t, sid = due.pop()  # only this process pushes, so it can be taken before the wait
        if t > env.now:
            yield env.timeout(t - env.now)
        s = students[sid]
        if s.status != ENROLLED:
            continue
        if s.leave_until is None:
            setbacks.personal(s)
        else:
            setbacks.skip_personal(s)  # setbacks on leave do not happen
        if s.next_personal < s.end:
            due.push((s.next_personal, sid))
