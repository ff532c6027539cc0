"""One simulation of a school: built from a Scenario and a seed, run, and returned as tables.

Time unit: days from the first cohort's entry. The scenario is translated once into a
`Structure` (structure.py); the parts below read only that. Order of processes: the school
calendar enrols a cohort a year and runs exam blocks and year ends (progression checks) for
every student; the personal-setback process brings each student's exogenous setbacks; setbacks
that become difficulty episodes start their course (`episodes.py`), where detection channels
race spontaneous recovery and the rising risk of leaving; detected episodes queue for the
faculty's case slots (faculty agents in `support.SupportQueue`) and end resolved, mitigated or
in a leave of absence. The model does no I/O: `run()` returns a `RunResult` of tidy DataFrames.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import simpy

from lcsim.config.scenario import Scenario
from lcsim.model.agents import Faculty, Student
from lcsim.model.contexts import SchoolNetwork
from lcsim.model.episodes import EpisodeCourse
from lcsim.model.mentoring import Mentoring
from lcsim.model.population import build_faculty, build_students
from lcsim.model.processes import personal_setbacks, school_calendar
from lcsim.model.progression import Progression
from lcsim.model.results import (
    RunResult,
    episode_table,
    faculty_hours,
    faculty_table,
    setback_table,
    student_table,
    student_years,
)
from lcsim.model.rules import Rules
from lcsim.model.setbacks import Setbacks
from lcsim.model.streams import Streams
from lcsim.model.structure import Structure
from lcsim.model.support import SupportQueue
from lcsim.model.trace import EventLog, Trace, traced


class Model:
    """A school under one scenario, for one replication seed: its parts, wired together."""

    def __init__(self, scenario: Scenario, seed: np.random.SeedSequence | int,
                 record_setbacks: bool = False, trace: Trace | None = None) -> None:
        """`record_setbacks`: keep every setback for the setbacks table (tests, diagnostics);
        `trace`: keep the event log of a share of students (`trace.py`)."""
        with _no_gc():
            self._build(scenario, seed, record_setbacks, trace)

    def _build(self, scenario: Scenario, seed: np.random.SeedSequence | int,
               record_setbacks: bool, trace: Trace | None) -> None:
        self.structure: Structure = Structure.from_scenario(scenario)
        self.streams = Streams(seed)
        self.env = env = simpy.Environment()
        self.faculty: list[Faculty] = build_faculty(self.structure)
        self.support = SupportQueue(env, faculty=[f for f in self.faculty if f.slots])
        self.students: list[Student]
        self.students, draws = build_students(self.structure, self.streams)
        self.log = (EventLog(traced(trace, len(self.students))) if trace is not None
                    and trace.share > 0 else None)
        # The peer network: friends give belonging and notice episodes (docs/model.md §6.1)
        self.network = SchoolNetwork(self.structure, self.students, self.streams, self.log)
        self.mentoring = Mentoring(self.structure, self.students, self.network.roster,
                                   self.streams)
        self.rules = Rules(self.structure, draws.phases, self.network, self.mentoring)
        self.progression = Progression(env, self.structure, self.rules, self.students,
                                       draws.career_u, self.log, self.network)
        self.course = EpisodeCourse(env, self.structure, self.rules, self.support,
                                    self.progression, self.faculty, self.mentoring)
        self.progression.on_stop = self.course.support_stops  # leaves and exits re-plan
        self.setbacks = Setbacks(env, self.structure, self.rules, self.streams, self.course,
                                 self.students, draws, record_setbacks, self.log)
        env.process(school_calendar(env, self.structure.calendar, self.progression,
                                    self.setbacks, self.network, self.mentoring))
        env.process(self.network.clock(env))
        env.process(personal_setbacks(env, self.setbacks, self.students))

    def run(self) -> RunResult:
        """Run to the end of the last cohort's follow-up and return the tables."""
        with _no_gc():
            self.env.run(until=self.structure.calendar.horizon + 1.0)
            return self._result()

    def _result(self) -> RunResult:
        self.network.release()  # its arrays go before the tables are built: a lower peak
        self.mentoring.close(self.structure.calendar.horizon)  # the last year's mentee-years
        students = student_table(self.students, self.rules, self.network.ties_at(),
                                 self.network.friends_lost, self.mentoring.counts)
        years = student_years(students, self.structure.calendar.follow_up_years)
        demanded, protected = faculty_hours(self.structure.workload, years,
                                            self.course.case_hours)
        totals = {
            "faculty_hours_demanded": demanded,
            "faculty_hours_protected": protected,
            "student_years": years,
            "coaches": float(len(self.course.coaches)),
            "support_capacity": float(self.structure.casework.capacity),
            "support_busy_days": self.support.busy_days,
        }
        return RunResult(students, episode_table(self.setbacks.episodes),
                         setback_table(self.setbacks.record), totals,
                         faculty_table(self.faculty, self.mentoring.rows()),
                         None if self.log is None else self.log.table())


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector off while inside (and back to what it was after).

    The model makes many long-lived objects and frees them together at the end, so the
    collector's passes while building and running it would cost time super-linear in school
    size and find nothing to free.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
