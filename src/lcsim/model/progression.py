"""Who is in school: enrolment, the year-end progression check, leaves of absence and exits.

A student's year ends with a progression check (background withdrawal, failing a year with an
unresolved academic episode, graduation, the research year), unless they are on leave. Leaves
and exits end the student's open episodes, interrupting their processes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import simpy

from lcsim.model.agents import RESOLVING, Episode, Student
from lcsim.model.contexts import SchoolNetwork
from lcsim.model.rules import RESEARCH_YEAR, Rules
from lcsim.model.structure import Structure
from lcsim.model.trace import EventLog
from lcsim.model.units import DAYS_PER_YEAR
from lcsim.outcomes.tables import ACADEMIC, DISMISSED, ENROLLED, GRADUATED, WITHDRAWN

EXIT_CAUSE = {GRADUATED: "graduated", DISMISSED: "dismissed", WITHDRAWN: "exit",
              ENROLLED: "censored"}  # how a student's exit ends their open episodes


class Progression:
    """The students enrolled now, and the bookkeeping of their years, leaves and exits."""

    __slots__ = ("env", "rules", "rates", "students", "career_u", "class_size", "cohorts",
                 "year_ends", "enrolled", "log", "network", "on_stop")

    def __init__(self, env: simpy.Environment, structure: Structure, rules: Rules,
                 students: list[Student], career_u: np.ndarray,
                 log: EventLog | None = None, network: SchoolNetwork | None = None) -> None:
        """`career_u`: per student, the uniforms of each year end (see `population.Draws`);
        `log`: the event log of traced students (None: no tracing); `network`: the peer
        network, told of leaves and of exits during a year."""
        self.env: simpy.Environment = env
        self.rules: Rules = rules
        self.rates = structure.episodes
        self.students: list[Student] = students
        self.career_u: np.ndarray = career_u
        self.class_size: int = structure.calendar.class_size
        self.cohorts: int = structure.calendar.cohorts
        self.year_ends: int = structure.calendar.follow_up_years
        self.enrolled: dict[int, Student] = {}  # students in school, in order of entry
        self.log: EventLog | None = log
        self.network: SchoolNetwork | None = network
        # Told (student, day, their friends) when a student goes away during a year (a leave
        # or an exit), so that their friends' and mentees' episodes re-plan their detection
        # (`episodes.EpisodeCourse.support_stops`, set by the model once it exists).
        self.on_stop: Callable[[int, float, Sequence[int]], None] | None = None

    def enrol_cohort(self, cohort: int) -> None:
        """Cohort `cohort` enters: its students join the calendar."""
        size = self.class_size
        if cohort < self.cohorts:
            for s in self.students[cohort * size:(cohort + 1) * size]:
                self.enrolled[s.id] = s
                if self.log is not None:
                    self.log.add(s.id, self.env.now, "entry", s.subgroup, 1.0)

    @staticmethod
    def sits_exams(s: Student) -> bool:
        """In school this year (not on leave, not in a research year)."""
        return s.leave_until is None and s.year != RESEARCH_YEAR

    def year_end(self, s: Student) -> None:
        """End of an academic year: return from leave, or the progression check."""
        if s.leave_until is not None:
            if self.env.now >= s.leave_until:
                s.leave_until = None
                s.year_start = self.env.now
                if self.log is not None:
                    self.log.add(s.id, self.env.now, "return", "", float(s.year))
            return self._censor_if_due(s)
        research = s.year == RESEARCH_YEAR
        year = s.year
        result = self._progression(s, research)
        if self.log is not None:
            self.log.add(s.id, self.env.now, "year_end", result, float(year))
        self._censor_if_due(s)

    def _censor_if_due(self, s: Student) -> None:
        if s.status == ENROLLED and self.env.now >= s.end:
            self.finish(s, ENROLLED)

    def _progression(self, s: Student, research: bool) -> str:
        """The progression check; its result (passed, repeated, dismissed, withdrew,
        graduated, research_year: begins a research year, research_done: ends one)."""
        rates, now = self.rates, self.env.now
        years_in = min(self.year_ends - 1, round((now - s.entry) / DAYS_PER_YEAR) - 1)
        background = self.career_u[s.id, 1 + years_in]
        u = self.career_u[s.id, 1 + self.year_ends + years_in]
        s.year_start += DAYS_PER_YEAR
        identity = self.rules.identity(s, now)
        hazard = rates.background_withdraw * s.risk
        hazard *= math.exp(-rates.identity_slope * (identity - rates.identity_reference))
        if background < hazard:
            self.finish(s, WITHDRAWN)
            return "withdrew"
        if research:
            s.year = 4
            return "research_done"
        academic = [ep for ep in s.active if ep.kind == ACADEMIC]
        if academic:
            helped = all(ep.intervention_start is not None for ep in academic)
            p_fail = rates.fail_if_unresolved * (rates.help_fail_ratio if helped else 1.0)
            if u < p_fail:
                s.fails += 1
                if s.fails >= 2:
                    self.finish(s, DISMISSED)
                    return "dismissed"
                return "repeated"
        if s.year == 4:
            s.graduated_at = now
            self.finish(s, GRADUATED)
            return "graduated"
        if s.year == 3 and s.research:
            s.research = False
            s.year = RESEARCH_YEAR
            return "research_year"
        s.year += 1
        return "passed"

    def finish(self, s: Student, status: str) -> None:
        """The student leaves the simulation: graduated, dismissed, withdrawn or censored."""
        if s.status != ENROLLED or s.exit_time is not None:
            return
        s.status = status
        s.exit_time = self.env.now
        self.enrolled.pop(s.id, None)
        if self.log is not None:
            self.log.add(s.id, self.env.now, "exit", status, float(s.year))
        if self.network is not None and status in (WITHDRAWN, DISMISSED):
            # graduation and censoring happen at a year end: the year start that follows
            # moves the network
            friends = self.network.lost_friend(s.id, self.env.now, self.enrolled)
            self.network.away(s.id, self.env.now)
            if self.on_stop is not None:
                self.on_stop(s.id, self.env.now, friends)
        cause = EXIT_CAUSE[status]
        for ep in s.active:
            process = ep.process
            self.close(ep, cause)
            process.interrupt(cause)

    def unhelped_exit(self, ep: Episode, u: float) -> None:
        """The risk of leaving came due: a leave of absence or a withdrawal."""
        if u < self.rates.leave_instead_prob:
            return self.leave_of_absence(ep)
        self.close(ep, "withdrew")
        self.finish(ep.student, WITHDRAWN)

    def leave_of_absence(self, ep: Episode) -> None:
        """The student leaves until the next year start; the current year starts again then."""
        s = ep.student
        self.close(ep, "loa")
        for other in s.active:
            process = other.process
            self.close(other, "loa")
            process.interrupt("loa")
        if s.leave_until is None:
            s.loa_count += 1
            back = s.year_start + DAYS_PER_YEAR
            s.leave_until = back if back > self.env.now else back + DAYS_PER_YEAR
            if self.network is not None:
                self.network.away(s.id, self.env.now)
                if self.on_stop is not None:
                    self.on_stop(s.id, self.env.now, self.network.friends_of(s.id, self.env.now))
            if self.log is not None:
                self.log.add(s.id, self.env.now, "leave", ep.kind, s.leave_until, ep.id)

    def close(self, ep: Episode, outcome: str) -> None:
        """End an episode (idempotent)."""
        if ep.outcome is not None:
            return
        ep.outcome = outcome
        ep.ended_at = self.env.now
        if outcome in RESOLVING:
            ep.resolved_at = self.env.now
        ep.process = ep.plan = None  # let the finished process and its frame be freed
        ep.student.active = tuple(x for x in ep.student.active if x is not ep)
        if not ep.student.active and self.network is not None:
            self.network.difficulty(ep.student.id, False)
