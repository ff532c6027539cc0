"""Setbacks, and the chance that one becomes a difficulty episode.

Personal setbacks come at each student's pre-drawn Poisson times; academic ones may come at
each exam block. Support lowers the chance that a setback becomes an episode (belonging, a
mentor, a faculty connection, clinical skills, LC activities before exams; docs/model.md 6.2),
strain from recent setbacks raises it. An episode then runs its course (`episodes.py`).
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from lcsim.model.agents import Episode, Student
from lcsim.model.bucket_queue import BucketQueue
from lcsim.model.episodes import EpisodeCourse
from lcsim.model.population import PERSONAL_DRAWS, Draws, personal_times
from lcsim.model.rules import BELONGING_REFERENCE, SKILLS_REFERENCE, Rules, episode_kind, severity
from lcsim.model.streams import Streams
from lcsim.model.structure import Structure
from lcsim.model.trace import EventLog

DRAWS_PER_SETBACK = 16  # fixed consumption per setback keeps random numbers aligned (CRN)


class Setbacks:
    """Each student's setbacks; those that become episodes are started on their course."""

    __slots__ = ("env", "rules", "streams", "course", "rates", "episode_rates", "exam_u",
                 "personal_t", "exam_draws", "episodes", "record", "personal_due", "log")

    def __init__(self, env: simpy.Environment, structure: Structure, rules: Rules,
                 streams: Streams, course: EpisodeCourse, students: list[Student], draws: Draws,
                 record: bool = False, log: EventLog | None = None) -> None:
        """`record`: keep every setback (student, day, kind) for the setbacks table; `log`:
        the event log of traced students (None: no tracing)."""
        self.env: simpy.Environment = env
        self.rules: Rules = rules
        self.streams: Streams = streams
        self.course: EpisodeCourse = course
        self.rates = structure.setbacks
        self.episode_rates = structure.episodes
        self.exam_u: np.ndarray = draws.exam_u
        self.personal_t: np.ndarray = draws.personal_t
        self.exam_draws: int = draws.exam_u.shape[1]
        self.episodes: list[Episode] = []
        self.record: list[tuple[int, float, str]] | None = [] if record else None
        self.log: EventLog | None = log
        # Each student's next personal setback, for the one process that brings them all.
        self.personal_due = BucketQueue(((s.next_personal, s.id) for s in students
                                         if s.next_personal < s.end),
                                        structure.calendar.horizon)

    def personal(self, s: Student) -> None:
        """The student's next personal setback comes now."""
        self._setback(s, True, "personal-setback", s.n_personal)
        self._next_personal(s)

    def skip_personal(self, s: Student) -> None:
        """The student's next personal setback falls in a leave: it does not happen."""
        self._next_personal(s)

    def exams(self, sitting: list[Student], licensing: bool) -> None:
        """Students sit an exam block (or the licensing exam): each has a setback or not, from
        their next pre-drawn exam uniform (read for the whole block at once: about 10,000
        sittings a run), in the order of `sitting`."""
        if not sitting:
            return
        rates = self.rates
        p = rates.licensing_prob if licensing else rates.academic_prob
        on_probation = min(1.0, p * rates.probation_multiplier)
        ids = np.fromiter([s.id for s in sitting], np.int64, len(sitting))
        k = np.fromiter([s.n_exams for s in sitting], np.int64, len(sitting))
        for s in sitting:
            s.n_exams += 1
        u = np.ones(len(sitting))  # past the pre-drawn exams (never in follow-up): no setback
        drawn = k < self.exam_draws
        u[drawn] = self.exam_u[ids[drawn], k[drawn]]
        fails = np.fromiter([s.fails > 0 for s in sitting], bool, len(sitting))
        for i in np.flatnonzero(u < np.where(fails, on_probation, p)).tolist():
            self._setback(sitting[i], False, "academic-setback", int(k[i]), licensing)

    def _setback(self, s: Student, personal: bool, purpose: str, index: int,
                 licensing: bool = False) -> None:
        """A setback now; its uniforms are the block `index` of the purpose's stream (slot 0
        decides whether it becomes an episode: drawn alone when it does not)."""
        rates, rules, now = self.rates, self.rules, self.env.now
        if self.record is not None:
            self.record.append((s.id, now, "personal" if personal else "academic"))
        s.strain = s.strain * math.exp(-(now - s.strain_t) / rates.strain_days)
        s.strain_t = now
        belonging = rules.belonging(s, now)
        p = (rates.personal_to_episode if personal else rates.academic_to_episode) * s.risk
        p *= (1 + rates.strain_effect * s.strain)
        p *= math.exp(-rates.belonging_slope * (belonging - BELONGING_REFERENCE))
        p *= rates.mentor_factor if rules.mentored(s) else 1.0
        p *= rates.connected_factor if s.connected else 1.0
        if not personal:
            if rates.activities_before_exams:
                p *= 1 - rates.activities_protection
            if rules.in_clerkship(s):
                skills = rules.clinical_skills(s, now)
                p *= math.exp(-rates.skills_slope * (skills - SKILLS_REFERENCE))
        s.strain += 1.0
        if self.streams.event_uniform(purpose, s.id, index) >= min(rates.conversion_cap, p):
            if self.log is not None:
                self._log(self.log, s, personal, licensing, -1)
            return
        u = self.streams.event_uniforms(purpose, s.id, index, DRAWS_PER_SETBACK)
        kinds = self.episode_rates
        ep = Episode(len(self.episodes), s, episode_kind(kinds, personal, u[1], belonging),
                     severity(kinds, u[2]), now)
        self.episodes.append(ep)
        free, s.active = not s.active, (*s.active, ep)
        rules.network.difficulty(s.id, True)
        if free:  # in an episode now: as a near-peer mentor, they stop mentoring
            self.course.support_stops(s.id, now, ())
        s.n_episodes += 1
        if self.log is not None:
            self._log(self.log, s, personal, licensing, ep.id)
        self.course.start(ep, u)

    def _log(self, log: EventLog, s: Student, personal: bool, licensing: bool,
             episode: int) -> None:
        """Record a traced student's setback (type, strain before it, the episode it became)."""
        detail = "personal" if personal else "licensing" if licensing else "academic"
        log.add(s.id, self.env.now, "setback", detail, s.strain - 1.0, episode)

    def _next_personal(self, s: Student) -> None:
        s.n_personal += 1
        k = s.n_personal
        t = (self.personal_t[s.id, k] if k < PERSONAL_DRAWS  # rare overflow: redraw the stream
             else personal_times(self.rates.personal_rate,
                                 self.streams.event_uniforms("personal", s.id, 0, 4 * k))[k])
        s.next_personal = s.entry + float(t)
