"""The course of a difficulty episode, as a SimPy process: detection, referral, help, outcome.

At onset the episode's uniforms fix its time to spontaneous recovery, the time its rising risk
of leaving comes due, and its detection time and channel (`Rules.detection`); whichever comes
first decides. A detected episode is referred (after a delay) and queues for a faculty case
slot (`support.SupportQueue`); help ends it resolved, mitigated or in a leave of absence.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from lcsim.model.agents import Episode, Faculty, Student
from lcsim.model.progression import Progression
from lcsim.model.rules import SEVERITY_RECOVERY, Rules
from lcsim.model.schedule import exp_time, hazard_left, rising_hazard_time
from lcsim.model.structure import Structure
from lcsim.model.support import SupportQueue


class EpisodeCourse:
    """Runs each episode's process and books what it costs (case hours, detections)."""

    __slots__ = ("env", "rules", "support", "progression", "rates", "casework", "cohort",
                 "horizon", "class_size", "coaches", "mentors", "case_hours")

    def __init__(self, env: simpy.Environment, structure: Structure, rules: Rules,
                 support: SupportQueue, progression: Progression,
                 faculty: list[Faculty]) -> None:
        self.env: simpy.Environment = env
        self.rules: Rules = rules
        self.support: SupportQueue = support
        self.progression: Progression = progression
        self.rates = structure.episodes
        self.casework = structure.casework
        self.cohort = structure.cohort
        self.horizon: float = structure.calendar.horizon
        self.class_size: int = structure.calendar.class_size
        self.coaches: list[Faculty] = [f for f in faculty if f.role == "coach"]
        self.mentors: list[Faculty] = [f for f in faculty if f.role == "mentor"]
        self.case_hours = 0.0  # faculty hours of every referred case

    def start(self, ep: Episode, u: np.ndarray) -> None:
        """Start the episode's process; `u` is its block of uniforms (setbacks.py)."""
        ep.process = self.env.process(self._life(ep, u))

    def _life(self, ep: Episode, u: np.ndarray) -> Generator[Any, Any, None]:
        """One episode: channels race recovery and exit; detected episodes queue for help."""
        env, rules, progression = self.env, self.rules, self.progression
        growth, intervention_days = self.rates.hazard_growth, self.casework.intervention_days
        s, onset = ep.student, ep.onset
        recovery_rate = 1.0 / (self.rates.recovery_days * SEVERITY_RECOVERY[ep.severity])
        recover = onset + exp_time(u[3], recovery_rate)
        hazard = rules.withdraw_rate(s, ep, onset)
        leave = onset + rising_hazard_time(u[4], hazard, growth)
        detect, channel = rules.detection(s, ep, u, min(recover, leave, self.horizon) - onset)
        try:
            first = min(detect, recover, leave)
            if math.isinf(first):
                yield env.event()  # nothing will happen: wait for the student's exit or the end
            yield env.timeout(first - env.now)
            if first == leave:
                return progression.unhelped_exit(ep, u[14])
            if first == recover:
                return progression.close(ep, "recovered")
            ep.detected_at, ep.channel = env.now, channel
            self._credit(ep)
            referral = env.now + rules.referral_delay(channel, u[12], env.now)
            first = min(referral, recover, leave)
            if first > env.now:
                yield env.timeout(first - env.now)
            if first == leave:
                return progression.unhelped_exit(ep, u[14])
            if first == recover:
                return progression.close(ep, "recovered")
            ep.referred_at = env.now
            self.case_hours += self.casework.case_hours

            def start() -> None:
                ep.intervention_start = env.now

            give_up = min(recover, leave)
            helped = yield from self.support.serve(intervention_days, give_up, start)
            if not helped:
                if give_up == leave:
                    return progression.unhelped_exit(ep, u[14])
                return progression.close(ep, "recovered")
            # The outcome follows the balance of leaving and recovery when help started: with L
            # and R the hazards of each still to come (independent Exp(1), memorylessness),
            # L / (L + R) is uniform, small for a student nearer to leaving than to recovering
            # (docs/model.md section 6.7). The rest of the episode gets a fresh time to
            # recovery, distributed as the time left would be.
            began = ep.intervention_start
            assert began is not None  # set by `start` when the case was taken
            to_leave = max(0.0, hazard_left(u[4], hazard, growth, began - onset))
            to_recover = (recover - began) * recovery_rate
            balance = to_leave / (to_leave + to_recover) if to_leave + to_recover > 0 else 0.5
            self._after_intervention(ep, balance, began + exp_time(u[7], recovery_rate))
        except simpy.Interrupt as stop:
            progression.close(ep, str(stop.cause))

    def _after_intervention(self, ep: Episode, u: float, recover: float) -> None:
        """Outcome of finished help, from a uniform that is small when leaving was nearer than
        recovery: a leave of absence, else mitigated (runs on for half the time left to
        `recover`), else resolved."""
        p_loa = self.casework.loa_by_severity[ep.severity]
        if u < p_loa:
            return self.progression.leave_of_absence(ep)
        if u >= p_loa + (1 - p_loa) * (1 - self.casework.resolve_prob):
            return self.progression.close(ep, "resolved")
        end = self.env.now + max(0.0, recover - self.env.now) * 0.5
        ep.process = self.env.process(self._mitigated_tail(ep, end))

    def _mitigated_tail(self, ep: Episode, end: float) -> Generator[Any, Any, None]:
        """A mitigated episode runs on without risk of leaving until it resolves."""
        try:
            if end > self.env.now:
                yield self.env.timeout(end - self.env.now)
            self.progression.close(ep, "mitigated")
        except simpy.Interrupt as stop:
            self.progression.close(ep, str(stop.cause))

    def _credit(self, ep: Episode) -> None:
        """Book a detection to the coach or mentor agent who made it."""
        if ep.channel == "coach":
            self.coaches[ep.student.coach].noticed += 1
        elif ep.channel == "mentor":
            mentor = self.mentor_of(ep.student)
            if mentor is not None:
                mentor.noticed += 1

    def mentor_of(self, s: Student) -> Faculty | None:
        """The near-peer mentor of a student in a mentee year: by class position, per year."""
        cohort = self.cohort
        if s.year not in cohort.mentee_years:
            return None
        local = s.id % self.class_size
        return self.mentors[cohort.mentee_years.index(s.year) * cohort.mentors_per_year
                            + local // cohort.mentees_per_mentor]
