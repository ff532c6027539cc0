"""One simulation of a school: built from a Scenario and a seed, run, and returned as tables.

Time unit: days from the first cohort's entry. Order of processes: the school calendar enrols
a cohort a year and runs exam blocks and year ends (progression checks) for every student; the
personal-setback process brings each student's exogenous setbacks; setbacks that become
difficulty episodes start `episode_life`, where detection channels race spontaneous recovery
and the rising risk of leaving; detected episodes queue for the faculty's case slots (faculty
agents in `support.SupportQueue`) and end resolved, mitigated or in a leave of absence. The
model does no I/O: `run()` returns a `RunResult` of tidy DataFrames.
"""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from lcsim.config.scenario import Scenario
from lcsim.model.agents import (
    EPISODE_COLUMNS,
    FACULTY_COLUMNS,
    RESOLVING,
    Episode,
    Faculty,
    Student,
)
from lcsim.model.bucket_queue import BucketQueue
from lcsim.model.processes import (
    DRAWS_PER_SETBACK,
    episode_kind,
    episode_life,
    mitigated_tail,
    personal_setbacks,
    school_calendar,
    severity,
)
from lcsim.model.rules import (
    ASSUMED_ADVISOR_MEETING_HOURS,
    ASSUMED_BELONGING_PREVENT,
    ASSUMED_CONNECTED_PREVENT,
    ASSUMED_IDENTITY_HAZARD,
    ASSUMED_MENTOR_PREVENT,
    ASSUMED_SKILLS_PREVENT,
    RESEARCH_YEAR,
    Rules,
)
from lcsim.model.schedule import YEAR
from lcsim.model.streams import Streams
from lcsim.model.structure import (
    ASSUMED_ACTIVITIES_PROTECTION,
    ASSUMED_ATTENDANCE,
    Structure,
    case_slots,
    coach_case_hours,
    coach_count,
    protected_hours_per_week,
)
from lcsim.model.support import SupportQueue
from lcsim.outcomes.tables import ACADEMIC, DISMISSED, ENROLLED, GRADUATED, WITHDRAWN

PERSONAL_DRAWS = 12  # pre-drawn personal setback times per student (more are redrawn)
STUDENT_COLUMNS = (
    "student", "cohort", "subgroup", "community", "coach", "entry", "status", "exit_time",
    "graduated_at", "years_to_graduate", "loa_count", "fails", "episodes", "belonging",
    "peer_ties", "identity", "clinical_skills", "faculty_connected",
)


@dataclass
class RunResult:
    """What one replication produced: tables, plus scalar totals for metrics."""

    students: pd.DataFrame
    episodes: pd.DataFrame
    setbacks: pd.DataFrame
    totals: dict[str, float]
    faculty: pd.DataFrame


class Model(Rules):
    """A school under one scenario, for one replication seed."""

    def __init__(self, scenario: Scenario, seed: np.random.SeedSequence | int,
                 record_setbacks: bool = False) -> None:
        self.scenario = sc = scenario
        self.structure = Structure.from_scenario(scenario)
        self.streams = Streams(seed)
        self.env = simpy.Environment()
        self.teaching = YEAR - 7 * sc.calendar.break_weeks
        self.hazard_growth = sc.episodes.hazard_growth_per_month / 30.0
        self.clerkship = frozenset(sc.calendar.clerkship_years)
        self.faculty = self._faculty()
        self.support = SupportQueue(self.env, faculty=[f for f in self.faculty if f.slots])
        self.students: list[Student] = []
        self.episodes: list[Episode] = []
        self.setbacks: list[tuple] | None = [] if record_setbacks else None
        self.enrolled: dict[int, Student] = {}  # students in school, in order of entry
        self.case_hours = 0.0
        self.horizon = YEAR * (sc.population.cohorts - 1 + sc.population.follow_up_years)
        self._build()

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        sc, st = self.scenario, self.structure
        pop = sc.population
        shares = np.cumsum([g.share for g in pop.subgroups])
        n = pop.cohorts * pop.class_size
        # Pre-drawn per-student uniforms and times, indexed by student id (compact, CRN-safe).
        # Year ends: [research, background exits..., progression draws...]; exams: one each.
        self.year_ends = pop.follow_up_years
        self.exam_draws = pop.follow_up_years * (sc.calendar.exam_blocks_per_year + 1)
        self.career_u = np.empty((n, 1 + 2 * self.year_ends), dtype=np.float32)
        self.exam_u = np.empty((n, self.exam_draws), dtype=np.float32)
        self.personal_t = np.empty((n, PERSONAL_DRAWS), dtype=np.float32)
        self.phases = np.empty((n, 3), dtype=np.float64)  # coach, advisor, session schedules
        for c in range(pop.cohorts):
            for i in range(pop.class_size):
                sid = c * pop.class_size + i
                s = Student(sid, c, c * YEAR, c * YEAR + pop.follow_up_years * YEAR)
                e = self.streams.event_uniforms("entry", sid, 0, 6)
                g = int(np.searchsorted(shares, e[0], side="right"))
                sub = pop.subgroups[g] if g < len(pop.subgroups) else None
                s.subgroup = sub.name if sub else "none"
                s.risk = sub.risk_multiplier if sub else 1.0
                s.belonging_offset = (sub.belonging_offset + sc.inclusion.belonging_boost
                                      if sub else 0.0)
                s.community = i % st.community_count
                # Coaches keep a group across the four classes in school at one time.
                s.coach = ((i + (c % 4) * pop.class_size) // sc.coaching.students_per_coach
                           if sc.coaching else -1)
                # Each schedule is anchored on a day of the student's teaching year: its first
                # contact is that day modulo the interval, so a schedule k times as frequent
                # keeps every contact of the slower one (pairing across scenarios).
                self.phases[sid] = ((e[1] * self.teaching) % self._interval(st.coach_meetings),
                                    (e[2] * self.teaching) % self._interval(st.advisor_meetings),
                                    (e[3] * self.teaching) % st.session_interval)
                meetings = int(round(st.connected_meetings))
                s.connected = self._binomial_at_least(e[4], meetings, ASSUMED_ATTENDANCE, 2)
                career = self.streams.event_uniforms("career", sid, 0, 1 + 2 * self.year_ends)
                s.research = bool(career[0] < sc.calendar.research_year_prob)
                self.career_u[sid] = career
                self.exam_u[sid] = self.streams.event_uniforms("academic", sid, 0, self.exam_draws)
                self.personal_t[sid] = self._personal_times(sid, PERSONAL_DRAWS)
                s.next_personal = s.entry + float(self.personal_t[sid, 0])
                self.students.append(s)
        self.personal_due = BucketQueue(((s.next_personal, s.id) for s in self.students
                                         if s.next_personal < s.end), self.horizon)
        self.env.process(school_calendar(self))
        self.env.process(personal_setbacks(self))

    def _faculty(self) -> list[Faculty]:
        """The school's faculty and mentor agents: support deans, coaches, near-peer mentors."""
        sc = self.scenario
        sup, n = sc.support, sc.population.class_size
        people = [Faculty(i, "support", case_slots(sup.protected_hours_per_week, sc),
                          sup.protected_hours_per_week) for i in range(sup.faculty)]
        if sc.coaching is not None:
            slots = case_slots(coach_case_hours(sc), sc)
            people += [Faculty(i, "coach", slots, sc.coaching.protected_hours_per_week,
                               sc.coaching.students_per_coach) for i in range(coach_count(sc))]
        if sc.peer_mentoring is not None:
            per = sc.peer_mentoring.mentees_per_mentor
            mentors = math.ceil(n / per) * len(sc.peer_mentoring.mentee_years)
            people += [Faculty(i, "mentor", 0, 0.0, per) for i in range(mentors)]
        self.coaches = [f for f in people if f.role == "coach"]
        self.mentors = [f for f in people if f.role == "mentor"]
        return people

    def mentor_of(self, s: Student) -> Faculty | None:
        """The near-peer mentor of a student in a mentee year: by class position, per year."""
        pm = self.scenario.peer_mentoring
        if pm is None or s.year not in pm.mentee_years:
            return None
        per_year = math.ceil(self.scenario.population.class_size / pm.mentees_per_mentor)
        local = s.id % self.scenario.population.class_size
        return self.mentors[pm.mentee_years.index(s.year) * per_year
                            + local // pm.mentees_per_mentor]

    def credit(self, ep: Episode) -> None:
        """Book a detection to the coach or mentor agent who made it."""
        if ep.channel == "coach":
            self.coaches[ep.student.coach].noticed += 1
        elif ep.channel == "mentor":
            mentor = self.mentor_of(ep.student)
            if mentor is not None:
                mentor.noticed += 1

    def enrol_cohort(self, cohort: int) -> None:
        """Cohort `cohort` enters: its students join the calendar."""
        n = self.scenario.population.class_size
        if cohort < self.scenario.population.cohorts:
            for s in self.students[cohort * n:(cohort + 1) * n]:
                self.enrolled[s.id] = s

    def sits_exams(self, s: Student) -> bool:
        """In school this year (not on leave, not in a research year)."""
        return s.leave_until is None and s.year != RESEARCH_YEAR

    def _interval(self, per_year: float) -> float:
        return self.teaching / per_year if per_year > 0 else math.inf

    def _personal_times(self, sid: int, count: int) -> np.ndarray:
        """Days from entry of a student's first `count` personal setbacks (Poisson process)."""
        rate = self.scenario.setbacks.personal_per_year / YEAR
        if rate <= 0:
            return np.full(count, np.inf, dtype=np.float32)
        gaps = -np.log1p(-self.streams.event_uniforms("personal", sid, 0, count))
        return (np.cumsum(gaps) / rate).astype(np.float32)

    def _next_personal(self, s: Student) -> None:
        s.n_personal += 1
        k = s.n_personal
        t = (self.personal_t[s.id, k] if k < PERSONAL_DRAWS
             else self._personal_times(s.id, 4 * k)[k])  # rare overflow: redraw the same stream
        s.next_personal = s.entry + float(t)

    def _uniforms(self, purpose: str, s: Student, index: int) -> np.ndarray:
        """The fixed block of uniforms for one setback of one student."""
        return self.streams.event_uniforms(purpose, s.id, index, DRAWS_PER_SETBACK)

    @staticmethod
    def _binomial_at_least(u: float, n: int, p: float, k: int) -> bool:
        """Whether Binomial(n, p) >= k, by inverse CDF from one uniform."""
        below = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(min(k, n + 1)))
        return n >= k and u >= below

    # -- running ----------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Run to the end of the last cohort's follow-up and return the tables."""
        # The model makes many long-lived objects and frees them together at the end, so the
        # cyclic collector's full passes would cost time super-linear in school size.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=self.horizon + 1.0)
            return self._result()
        finally:
            if enabled:
                gc.enable()

    # -- setbacks ---------------------------------------------------------------------------
    def personal_setback(self, s: Student) -> None:
        self._setback(s, True, self._uniforms("personal-setback", s, s.n_personal))
        self._next_personal(s)

    def skip_personal(self, s: Student) -> None:
        self._next_personal(s)

    def exam_setback(self, s: Student, licensing: bool) -> None:
        sb = self.scenario.setbacks
        k = s.n_exams
        s.n_exams += 1
        u = float(self.exam_u[s.id, k]) if k < self.exam_draws else 1.0  # (never in follow-up)
        p = sb.licensing_exam_prob if licensing else sb.academic_prob_per_exam
        if s.fails:
            p = min(1.0, p * self.scenario.episodes.probation_multiplier)
        if u < p:
            self._setback(s, False, self._uniforms("academic-setback", s, k))

    def _setback(self, s: Student, personal: bool, u: np.ndarray) -> None:
        sb, st, now = self.scenario.setbacks, self.structure, self.env.now
        if self.setbacks is not None:
            self.setbacks.append((s.id, now, "personal" if personal else "academic"))
        s.strain = s.strain * math.exp(-(now - s.strain_t) / sb.strain_days)
        s.strain_t = now
        b = self.belonging(s, now)
        p = (sb.personal_to_episode if personal else sb.academic_to_episode) * s.risk
        p *= (1 + sb.strain_effect * s.strain)
        p *= math.exp(-ASSUMED_BELONGING_PREVENT * (b - 0.5))
        p *= ASSUMED_MENTOR_PREVENT if self.mentored(s) else 1.0
        p *= ASSUMED_CONNECTED_PREVENT if s.connected else 1.0
        if not personal:
            if st.activities_before_exams:
                p *= 1 - ASSUMED_ACTIVITIES_PROTECTION
            if self.in_clerkship(s):
                skills = self.clinical_skills(s, now)
                p *= math.exp(-ASSUMED_SKILLS_PREVENT * (skills - 0.5))
        s.strain += 1.0
        if u[0] >= min(0.95, p):
            return
        ep = Episode(len(self.episodes), s, episode_kind(personal, u[1], b), severity(u[2]), now)
        self.episodes.append(ep)
        s.active = (*s.active, ep)
        s.n_episodes += 1
        ep.process = self.env.process(episode_life(self, ep, u))

    # -- episodes ---------------------------------------------------------------------------
    def after_intervention(self, ep: Episode, u: float, recover: float) -> None:
        """Outcome of finished help, from a uniform that is small when leaving was nearer than
        recovery: a leave of absence, else mitigated (runs on for half the time left to
        `recover`), else resolved."""
        sup = self.scenario.support
        p_loa = {1: 0.0, 2: sup.loa_prob / 3, 3: sup.loa_prob}[ep.severity]
        if u < p_loa:
            return self.leave_of_absence(ep)
        if u >= p_loa + (1 - p_loa) * (1 - self.structure.resolve_prob):
            return self.close(ep, "resolved")
        end = self.env.now + max(0.0, recover - self.env.now) * 0.5
        ep.process = self.env.process(mitigated_tail(self, ep, end))

    def unhelped_exit(self, ep: Episode, u: float) -> None:
        """The risk of leaving came due: a leave of absence or a withdrawal."""
        if u < self.scenario.episodes.leave_instead_prob:
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
            back = s.year_start + YEAR
            s.leave_until = back if back > self.env.now else back + YEAR

    def close(self, ep: Episode, outcome: str) -> None:
        """End an episode (idempotent)."""
        if ep.outcome is not None:
            return
        ep.outcome = outcome
        ep.ended_at = self.env.now
        if outcome in RESOLVING:
            ep.resolved_at = self.env.now
        ep.process = None  # let the finished process and its frame be freed
        ep.student.active = tuple(x for x in ep.student.active if x is not ep)

    # -- progression and exits ---------------------------------------------------------------
    def year_end(self, s: Student) -> None:
        """End of an academic year: return from leave, or the progression check."""
        if s.leave_until is not None:
            if self.env.now >= s.leave_until:
                s.leave_until = None
                s.year_start = self.env.now
            return self._censor_if_due(s)
        research = s.year == RESEARCH_YEAR
        self._progression(s, research)
        self._censor_if_due(s)

    def _censor_if_due(self, s: Student) -> None:
        if s.status == ENROLLED and self.env.now >= s.end:
            self.finish(s, ENROLLED)

    def _progression(self, s: Student, research: bool) -> None:
        sc = self.scenario
        years_in = min(self.year_ends - 1, round((self.env.now - s.entry) / YEAR) - 1)
        background = self.career_u[s.id, 1 + years_in]
        u = self.career_u[s.id, 1 + self.year_ends + years_in]
        s.year_start += YEAR
        ident = self.identity(s, self.env.now)
        bg = sc.episodes.background_withdraw_per_year * s.risk
        bg *= math.exp(-ASSUMED_IDENTITY_HAZARD * (ident - 0.6))
        if background < bg:
            return self.finish(s, WITHDRAWN)
        if research:
            s.year = 4
            return
        academic = [ep for ep in s.active if ep.kind == ACADEMIC]
        if academic:
            e = sc.episodes
            p = max(e.fail_if_in_intervention if ep.intervention_start is not None
                    else e.fail_if_unresolved for ep in academic)
            if u < p:
                s.fails += 1
                if s.fails >= 2:
                    self.finish(s, DISMISSED)
                return
        if s.year == 4:
            s.graduated_at = self.env.now
            self.finish(s, GRADUATED)
        elif s.year == 3 and s.research:
            s.research = False
            s.year = RESEARCH_YEAR
        else:
            s.year += 1

    def finish(self, s: Student, status: str) -> None:
        """The student leaves the simulation: graduated, dismissed, withdrawn or censored."""
        if s.status != ENROLLED or s.exit_time is not None:
            return
        s.status = status
        s.exit_time = self.env.now
        self.enrolled.pop(s.id, None)
        cause = {GRADUATED: "graduated", DISMISSED: "dismissed", WITHDRAWN: "exit",
                 ENROLLED: "censored"}[status]
        for ep in s.active:
            process = ep.process
            self.close(ep, cause)
            process.interrupt(cause)

    # -- results ----------------------------------------------------------------------------
    def _result(self) -> RunResult:
        studs, n = self.students, len(self.students)

        def column(get, dtype) -> np.ndarray:  # one column at a time keeps the peak low
            return np.fromiter((get(s) for s in studs), dtype=dtype, count=n)

        def when(x: float | None) -> float:
            return math.nan if x is None else x

        entry = column(lambda s: s.entry, float)
        graduated = column(lambda s: when(s.graduated_at), float)
        students = pd.DataFrame({
            "student": column(lambda s: s.id, np.int64),
            "cohort": column(lambda s: s.cohort, np.int64),
            "subgroup": [s.subgroup for s in studs],
            "community": column(lambda s: s.community, np.int64),
            "coach": column(lambda s: s.coach, np.int64),
            "entry": entry,
            "status": [s.status for s in studs],
            "exit_time": column(lambda s: when(s.exit_time), float),
            "graduated_at": graduated,
            "years_to_graduate": (graduated - entry) / YEAR,
            "loa_count": column(lambda s: s.loa_count, np.int64),
            "fails": column(lambda s: s.fails, np.int64),
            "episodes": column(lambda s: s.n_episodes, np.int64),
            "belonging": column(lambda s: self.belonging(s, s.entry + 2 * YEAR, year=2), float),
            "peer_ties": column(lambda s: self.peer_ties(s, s.entry + 2 * YEAR), float),
            "identity": column(lambda s: self.identity(s, s.entry + 2 * YEAR), float),
            "clinical_skills": column(
                lambda s: self.clinical_skills(s, s.entry + 2 * YEAR), float),
            "faculty_connected": column(lambda s: bool(s.connected), bool),
        }, columns=list(STUDENT_COLUMNS))
        episodes = pd.DataFrame.from_records(
            [ep.row() for ep in self.episodes], columns=list(EPISODE_COLUMNS))
        for col in ("detected_at", "referred_at", "intervention_start", "resolved_at",
                    "ended_at"):
            episodes[col] = episodes[col].astype(float)
        setbacks = pd.DataFrame.from_records(
            self.setbacks or [], columns=["student", "time", "kind"])
        faculty = pd.DataFrame.from_records(
            [f.row() for f in self.faculty], columns=list(FACULTY_COLUMNS))
        return RunResult(students, episodes, setbacks, self._totals(students), faculty)

    def _totals(self, students: pd.DataFrame) -> dict[str, float]:
        """Faculty hours demanded and protected over the students' enrolled time."""
        sc = self.scenario
        end = students["exit_time"].fillna(students["entry"] + sc.population.follow_up_years * YEAR)
        years = float(((end - students["entry"]) / YEAR).sum())
        demanded = self.case_hours
        demanded += years * sc.advising.meetings_per_year * ASSUMED_ADVISOR_MEETING_HOURS
        if sc.coaching is not None:
            demanded += years * sc.coaching.meetings_per_year * sc.coaching.meeting_hours
        steady = 4 * sc.population.class_size
        protected = protected_hours_per_week(sc) * 52 * years / steady
        if sc.small_groups is not None:  # facilitation is taught in protected teaching time
            sg = sc.small_groups
            pre_share = 1.0 if sg.in_clerkships else (4 - len(self.clerkship)) / 4
            hours = years * pre_share / sg.size * sg.sessions_per_month * 12 * sg.hours_per_session
            demanded += hours
            protected += hours
        return {
            "faculty_hours_demanded": demanded,
            "faculty_hours_protected": protected,
            "student_years": years,
            "coaches": float(coach_count(sc)),
            "support_capacity": float(self.structure.capacity),
            "support_busy_days": self.support.busy_days,
        }
