"""Near-peer mentors who are students of the mentor class (design §4, build step 6).

Who may mentor whom is fixed once per replication by cohort (`contexts.mentor_matches`, keyed;
the peer network's MENTOR rows come from the same matches). The mentor class has room for
`caseload` mentees a mentor, shared by every mentee year it serves (lowest year first), so
mentees past that capacity have no match. At each year start every student in a mentee year
who is in school (a *mentee-year*) takes their match for that year if the mentor is in the
mentor class and in school then (the senior classes always are); otherwise the mentee-year is
*unmatched*. Repeaters and students back from leave keep their cohort's match, whose mentor
has usually moved on: there is no re-matching (a later lever).

A matched mentor *mentors now* unless they are in an episode (`Student.active`), on leave or
gone (`active`): only then does the mentee get the mentor channel, the mentor's belonging and
prevention (`rules.Rules.mentored`); a mentor who stops during a mentee's open episode ends the
mentor channel for it from that day (`mentees_of`, `episodes.EpisodeCourse.support_stops`). A mentee-year whose mentor stopped at some point (an
episode, a leave, an exit) counts as *mentor lost*, from the mentor's counts at the year start
(no hook in the model's events).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from lcsim.model.agents import Student
from lcsim.model.contexts import Roster, mentor_matches
from lcsim.model.streams import Streams
from lcsim.model.structure import Structure

MENTEE, UNMATCHED, LOST = range(3)  # columns of `Mentoring.counts`
Start = tuple[int, int, bool]  # a mentor at the year start: episodes, leaves, in an episode


class Mentoring:
    """Mentors of one replication: matches, this year's mentor of each mentee, and counts."""

    __slots__ = ("students", "real", "years", "mentor_year", "cohort", "assigned", "mentor_of",
                 "current", "start", "counts", "had", "mentees", "noticed", "by_mentor")

    def __init__(self, structure: Structure, students: list[Student], roster: Roster,
                 streams: Streams) -> None:
        p = structure.network
        self.students: list[Student] = students
        self.real: int = roster.real
        self.years: tuple[int, ...] = p.mentee_years if p.caseload else ()
        self.mentor_year: int = p.mentor_year
        self.cohort: np.ndarray = roster.cohort  # of the senior classes' mentors
        n = roster.n if self.years else 0
        # assigned[i, s]: the mentor matched to student s for mentee year years[i] (-1: none)
        self.assigned = np.full((len(self.years), roster.real), -1, np.int32)
        if self.years:
            mentee, mentor, which = mentor_matches(p, roster, streams)
            self.assigned[which, mentee] = mentor
        self.mentor_of = np.full(roster.real if self.years else 0, -1, np.int32)  # this year
        self.current: list[tuple[int, int]] = []  # (mentee, class year) matched this year
        self.by_mentor: dict[int, list[int]] = {}  # this year's mentees of each real mentor
        self.start: dict[int, Start] = {}  # this year's real mentors at the year start
        self.counts = np.zeros((roster.real, 3), np.int16)  # mentee, unmatched, lost years
        self.had = np.zeros(roster.real, np.uint8)  # bit y - 1: mentored all through year y
        self.mentees = np.zeros(n, np.int32)  # mentee-years matched, per mentor (roster id)
        self.noticed = np.zeros(n, np.int32)  # episodes each mentor noticed

    def year_start(self, k: int, now: float, enrolled: Iterable[Student]) -> None:
        """Calendar year k starts (after the year ends and cohort k's entry): close the year
        that ended, then give this year's mentee-years their mentors."""
        if not self.years:
            return
        self.close(now)
        for s in enrolled:
            if s.leave_until is not None or s.year not in self.years:
                continue
            self.counts[s.id, MENTEE] += 1
            m = int(self.assigned[self.years.index(s.year), s.id])
            if m < 0 or not self._in_class(m, k):
                self.counts[s.id, UNMATCHED] += 1
                continue
            self.mentor_of[s.id] = m
            self.current.append((s.id, s.year))
            self.mentees[m] += 1
            if m < self.real:
                self.by_mentor.setdefault(m, []).append(s.id)
                if m not in self.start:
                    t = self.students[m]
                    self.start[m] = (t.n_episodes, t.loa_count, bool(t.active))

    def _in_class(self, m: int, k: int) -> bool:
        """Whether mentor m is in the mentor class and in school at the start of year k."""
        if m >= self.real:  # a senior class: never leaves, never repeats
            return k - int(self.cohort[m]) + 1 == self.mentor_year
        t = self.students[m]
        return t.exit_time is None and t.leave_until is None and t.year == self.mentor_year

    def close(self, now: float) -> None:
        """The year ends at `now`: count the mentee-years whose mentor stopped during it."""
        for sid, year in self.current:
            m = int(self.mentor_of[sid])
            if m < self.real and self._stopped(self.students[m], self.start[m], now):
                self.counts[sid, LOST] += 1
            else:
                self.had[sid] |= 1 << (year - 1)
            self.mentor_of[sid] = -1
        self.current, self.start, self.by_mentor = [], {}, {}

    @staticmethod
    def _stopped(t: Student, start: Start, now: float) -> bool:
        """Whether a mentor was in an episode, took a leave or left between the year start
        (their counts then: `start`) and `now` (an exit at `now` is the year end's)."""
        episodes, leaves, busy = start
        gone = t.exit_time is not None and t.exit_time < now
        return busy or gone or t.n_episodes > episodes or t.loa_count > leaves

    def active(self, s: Student) -> bool:
        """Whether the student has a mentor who is mentoring now: matched this year, and the
        mentor is not in an episode, not on leave and not gone."""
        if not self.years:
            return False
        m = self.mentor_of.item(s.id)
        if m < 0:
            return False
        if m >= self.real:
            return True
        t = self.students[m]
        return t.exit_time is None and t.leave_until is None and not t.active

    def mentees_of(self, m: int) -> list[int]:
        """The students matched to mentor `m` (a model student) this year."""
        return self.by_mentor.get(m, [])

    def had_mentor(self, s: Student, year: int) -> bool:
        """Whether the student had a mentor all through class year `year` (matched at its
        start, and the mentor never stopped): the tables' state two years in."""
        return bool(self.had[s.id] >> (year - 1) & 1)

    def credit(self, s: Student) -> int:
        """The student's mentor noticed their episode: their id (-1 if none)."""
        if self.years and (m := int(self.mentor_of[s.id])) >= 0:
            self.noticed[m] += 1
            return m
        return -1

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The faculty table's mentor rows, as columns: each student who mentored (roster id:
        the senior classes' ids follow the model's students), the mentee-years matched to them
        and the episodes they noticed. Mentors have no case slots or protected hours: their
        time is not faculty time."""
        who = np.flatnonzero(self.mentees)
        return who, self.mentees[who].astype(np.int64), self.noticed[who].astype(np.int64)
