"""The model's rules: student state as functions of time, and how episodes are noticed.

`Rules` is a mixin of `Model`: it holds the formulas that turn a student's situation into
belonging, ties, identity, skills, the hazard of leaving, the detection channels (one hazard
clock, `detection.py`) and the referral delay (docs/model.md sections 6.1-6.5), apart from the
event handling in `model.py`.
It expects `scenario`, `structure`, `teaching`, `clerkship`, `hazard_growth`, `phases` and `env`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import takewhile
from statistics import NormalDist

import numpy as np

from lcsim.model.agents import Episode, Student
from lcsim.model.detection import Contacts, Flow, first_detection
from lcsim.model.processes import SEVERITY_HAZARD
from lcsim.model.schedule import YEAR, contacts_after, days_after, exam_days, exp_time
from lcsim.model.structure import (
    ASSUMED_BELONGING_BASE,
    ASSUMED_BELONGING_PER_TIE_FACTOR,
    ASSUMED_TIE_HALF,
)
from lcsim.outcomes.tables import ACADEMIC, ISOLATION

RESEARCH_YEAR = 0  # value of Student.year during a voluntary research year
ASSUMED_CONNECTED_SELF = 1.5  # a faculty connection raises help-seeking
ASSUMED_CONNECTED_PREVENT = 0.95  # ... and lowers conversion of setbacks into episodes
ASSUMED_MENTOR_PREVENT = 0.9  # an active near-peer mentor lowers conversion
ASSUMED_BELONGING_PREVENT = 1.0  # log-odds-like slope of conversion on belonging
ASSUMED_SKILLS_PREVENT = 2.0  # slope of clerkship academic conversion on clinical skills
ASSUMED_IDENTITY_HAZARD = 2.0  # slope of the leaving hazard on professional identity
ASSUMED_GROWTH_DAYS = 730.0  # time constant of identity and skills growth
ASSUMED_ADVISOR_MEETING_HOURS = 0.5
ASSUMED_VISIBILITY_SD = 0.7  # log-scale spread of how visible an episode is to every channel
_NORMAL = NormalDist()


def visibility(u: float) -> float:
    """An episode's visibility: a lognormal multiplier (mean 1) of every channel's hazard.

    Some difficulties are easy to see and some are hidden from everyone, so the channels'
    chances of noticing one episode go up and down together (docs/model.md section 6.4).
    """
    sd = ASSUMED_VISIBILITY_SD
    z = _NORMAL.inv_cdf(min(max(u, 1e-12), 1 - 1e-12))
    return math.exp(sd * z - sd * sd / 2)


class Rules:
    """Formulas of the model that depend only on state, not on event handling."""

    def in_clerkship(self, s: Student) -> bool:
        return s.year in self.clerkship

    def peer_ties(self, s: Student, t: float) -> float:
        return self.structure.ties_at(t - s.entry, self.structure.peer_rate_pre)

    def mentored(self, s: Student, year: int | None = None) -> bool:
        """Whether the student has a near-peer mentor in `year` (default: their current year)."""
        return (s.year if year is None else year) in self.structure.mentee_years

    def belonging(self, s: Student, t: float, year: int | None = None) -> float:
        ties = self.peer_ties(s, t)
        b = ASSUMED_BELONGING_BASE + s.belonging_offset
        b += ASSUMED_BELONGING_PER_TIE_FACTOR * ties / (ties + ASSUMED_TIE_HALF)
        b += 0.05 * self.mentored(s, year) + 0.05 * s.connected
        return min(1.0, max(0.0, b))

    def identity(self, s: Student, t: float) -> float:
        target = self.structure.identity_target
        return target - (target - 0.5) * math.exp(-(t - s.entry) / ASSUMED_GROWTH_DAYS)

    def clinical_skills(self, s: Student, t: float) -> float:
        target = self.structure.skills_target
        return target * (1.0 - math.exp(-(t - s.entry) / ASSUMED_GROWTH_DAYS))

    # -- episodes: hazard of leaving, detection, referral ------------------------------------
    def withdraw_rate(self, s: Student, ep: Episode, t: float) -> float:
        """Daily hazard of leaving at onset; it grows while the episode is unhelped."""
        e = self.scenario.episodes
        h = e.withdraw_hazard_per_year / YEAR * SEVERITY_HAZARD[ep.severity] * s.risk
        h *= math.exp(-ASSUMED_BELONGING_PREVENT * (self.belonging(s, t) - 0.5))
        return h * math.exp(-ASSUMED_IDENTITY_HAZARD * (self.identity(s, t) - 0.6))

    def detection(self, s: Student, ep: Episode, u: np.ndarray,
                  limit: float) -> tuple[float, str | None]:
        """Detection time and channel: one hazard clock summing every channel (detection.py).

        Slot 5 of the episode's uniforms is the clock's Exp(1) threshold, slot 6 picks the
        channel, slot 15 is the episode's visibility. Times after `limit` are not needed.
        """
        sc, st, t0 = self.scenario, self.structure, ep.onset
        rel, teach = t0 - s.entry, self.teaching
        phases = self.phases[s.id].tolist()
        b = self.belonging(s, t0)
        sr = sc.self_referral
        rate = sr.rate_per_year / YEAR * math.exp(sr.belonging_effect * (b - 0.5))
        flows = [Flow("self", rate * (ASSUMED_CONNECTED_SELF if s.connected else 1))]
        clerk = self.in_clerkship(s)
        ties = self.peer_ties(s, t0)
        peer = (st.peer_rate_clerk if clerk else st.peer_rate_pre) * st.peer_detect
        peer *= ties / (ties + ASSUMED_TIE_HALF) * (0.5 if ep.kind == ISOLATION else 1.0)
        flows.append(Flow("peer", peer))
        if self.mentored(s):  # until the end of the current academic year
            flows.append(Flow("mentor", st.mentor_rate * st.mentor_detect,
                              s.year_start + YEAR - t0))

        def after(phase: float, gap: float, until: float = math.inf) -> Iterator[float]:
            times = (x - rel for x in contacts_after(rel, phase, gap, teach))
            return takewhile(lambda t: t < until, times)

        contacts = []
        if st.coach_meetings > 0:
            contacts.append(Contacts("coach", st.coach_detect,
                                     after(phases[0], teach / st.coach_meetings)))
        sessions_now = st.sessions_in_clerkships or not clerk
        if st.session_detect > 0 and sessions_now and s.year != RESEARCH_YEAR:
            until = math.inf
            if not st.sessions_in_clerkships:  # sessions stop at the next clerkship year
                later = [y for y in self.clerkship if y > s.year]
                if later:
                    until = s.year_start + (min(later) - s.year) * YEAR - t0
            contacts.append(Contacts("facilitator", st.session_detect,
                                     after(phases[2], st.session_interval, until)))
        if st.advisor_meetings > 0:
            contacts.append(Contacts("advisor", st.advisor_detect,
                                     after(phases[1], teach / st.advisor_meetings)))
        if ep.kind == ACADEMIC:  # grades are seen some days after each later exam block
            inst = sc.institution
            release = inst.grade_release_days
            blocks = exam_days(teach, sc.calendar.exam_blocks_per_year)
            contacts.append(Contacts("institution", inst.grades_detect_prob,
                                     (t - rel + release for t in days_after(rel, blocks))))
        threshold = -math.log1p(-float(u[5])) / visibility(float(u[15]))
        t, channel = first_detection(threshold, flows, contacts, limit, float(u[6]))
        return t0 + t, channel

    def referral_delay(self, channel: str, u: float) -> float:
        """Self-referral is immediate; others wait to be passed on, or for the leadership group."""
        if channel == "self":
            return 0.0
        days = self.scenario.support.referral_delay_days
        delay = exp_time(u, 1.0 / days) if days > 0 else 0.0
        weeks = self.structure.leadership_weeks
        if weeks:
            gap = 7.0 * weeks
            now = self.env.now
            delay = min(delay, math.ceil(now / gap) * gap - now)
        return delay
