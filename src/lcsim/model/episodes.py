"""The course of a difficulty episode, as a SimPy process: detection, referral, help, outcome.

At onset the episode's uniforms fix its time to spontaneous recovery, the time its rising risk
of leaving comes due, and its detection time and channel (`Rules.detection`); whichever comes
first decides. A detected episode is referred (after a delay) and queues for a faculty case
slot (`support.SupportQueue`). Help changes the episode's course from its start: it speeds
recovery and slows the risk of leaving by hazard ratios, and may end in a recommended leave.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
import simpy

from lcsim.model.agents import Episode, Faculty
from lcsim.model.mentoring import Mentoring
from lcsim.model.progression import Progression
from lcsim.model.rules import Rules
from lcsim.model.schedule import exp_time, hazard_left, hazard_time, rising_hazard_time
from lcsim.model.structure import Structure
from lcsim.model.support import SupportQueue

REPLAN = "replan"  # the interrupt that tells an undetected episode its detection moved


class EpisodeCourse:
    """Runs each episode's process and books what it costs (case hours, detections)."""

    __slots__ = ("env", "rules", "support", "progression", "rates", "casework", "horizon",
                 "coaches", "mentoring", "case_hours")

    def __init__(self, env: simpy.Environment, structure: Structure, rules: Rules,
                 support: SupportQueue, progression: Progression,
                 faculty: list[Faculty], mentoring: Mentoring | None = None) -> None:
        """`mentoring`: the near-peer mentors, credited with what they notice."""
        self.env: simpy.Environment = env
        self.rules: Rules = rules
        self.support: SupportQueue = support
        self.progression: Progression = progression
        self.rates = structure.episodes
        self.casework = structure.casework
        self.horizon: float = structure.calendar.horizon
        self.coaches: list[Faculty] = [f for f in faculty if f.role == "coach"]
        self.mentoring: Mentoring | None = mentoring
        self.case_hours = 0.0  # faculty hours of every referred case

    def start(self, ep: Episode, u: np.ndarray) -> None:
        """Start the episode's process; `u` is its block of uniforms (setbacks.py)."""
        ep.process = self.env.process(self._life(ep, u))

    def _life(self, ep: Episode, u: np.ndarray) -> Generator[Any, Any, None]:
        """One episode: channels race recovery and exit; detected episodes queue for help."""
        env, rules, progression = self.env, self.rules, self.progression
        growth, intervention_days = self.rates.hazard_growth, self.casework.intervention_days
        s, onset = ep.student, ep.onset
        recovery_rate = 1.0 / (self.rates.recovery_days * self.rates.recovery_by_severity[ep.severity])
        recover = onset + exp_time(u[3], recovery_rate)
        hazard = rules.withdraw_rate(s, ep, onset)
        leave = onset + rising_hazard_time(u[4], hazard, growth)
        detect = rules.detection(s, ep, u, min(recover, leave, self.horizon) - onset)[0]
        try:
            while True:  # until detection, recovery or leaving (a re-plan moves detection)
                first = min(detect, recover, leave)
                try:
                    if math.isinf(first):
                        yield env.event()  # nothing will happen: wait for an exit or the end
                    yield env.timeout(first - env.now)
                    break
                except simpy.Interrupt as stop:
                    if stop.cause != REPLAN:
                        raise
                    if ep.plan is not None:  # (None: closed since; its own interrupt follows)
                        detect = onset + ep.plan.days  # a friend or the mentor stopped: later
            if first == leave:
                return progression.unhelped_exit(ep, u[14])
            if first == recover:
                return progression.close(ep, "recovered")
            ep.detected_at, ep.channel = env.now, ep.plan.channel
            ep.noticed_by = rules.noticer(ep, float(u[7]))
            ep.plan = None
            self._credit(ep)
            referral = env.now + rules.referral_delay(ep.channel, u[12], env.now)
            first = min(referral, recover, leave)
            if first > env.now:
                yield env.timeout(first - env.now)
            if first == leave:
                return progression.unhelped_exit(ep, u[14])
            if first == recover:
                return progression.close(ep, "recovered")
            ep.referred_at = env.now
            self.case_hours += self.casework.case_hours

            course: list[float] = []

            def start() -> float:
                ep.intervention_start = env.now
                course.extend(self._helped_course(ep, u, recover, recovery_rate, leave, hazard,
                                                  growth))
                return min(course[0], course[1])

            give_up = min(recover, leave)
            helped = yield from self.support.serve(intervention_days, give_up, start)
            if not helped:
                if give_up == leave:
                    return progression.unhelped_exit(ep, u[14])
                return progression.close(ep, "recovered")
            yield from self._after_help(ep, u, *course)
        except simpy.Interrupt as stop:
            progression.close(ep, str(stop.cause))

    def _helped_course(self, ep: Episode, u: np.ndarray, recover: float, recovery_rate: float,
                       leave: float, hazard: float, growth: float) -> tuple[float, float, float]:
        """When a helped episode would recover and when the student would leave, and the balance
        of leaving and recovery when help started (docs/model.md section 6.7).

        From the start of help the recovery rate is multiplied by `recovery_hr` and the hazard
        of leaving by `leaving_hr`, each acting on the episode's own remaining Exp(1) draws, so
        that with both ratios at 1 the helped episode keeps exactly its unhelped times. With L
        and R the hazards of leaving and of recovery still to come (independent Exp(1) by
        memorylessness), L / (L + R) is uniform: small for a student nearer to leaving.
        """
        casework, now, onset = self.casework, self.env.now, ep.onset
        to_leave = max(0.0, hazard_left(u[4], hazard, growth, now - onset))
        to_recover = (recover - now) * recovery_rate
        balance = to_leave / (to_leave + to_recover) if to_leave + to_recover > 0 else 0.5
        if casework.recovery_hr != 1.0:
            recover = now + (recover - now) / casework.recovery_hr
        if casework.leaving_hr != 1.0:
            spent = -math.log1p(-float(u[4])) - to_leave  # hazard accumulated by now
            leave = (onset + hazard_time(spent + to_leave / casework.leaving_hr, hazard, growth)
                     if casework.leaving_hr > 0 else math.inf)
        return recover, leave, balance

    def _after_help(self, ep: Episode, u: np.ndarray, recover: float, leave: float,
                    balance: float) -> Generator[Any, Any, None]:
        """The rest of a helped episode once its case closes: it ends in recovery ("resolved"),
        in the risk of leaving coming due, or at the case's end in a recommended leave of
        absence (when leaving was nearer than recovery: `balance` below the severity's
        chance)."""
        env, progression = self.env, self.progression
        if leave <= env.now:
            return progression.unhelped_exit(ep, u[14])
        if recover <= env.now:
            return progression.close(ep, "resolved")
        if balance < self.casework.loa_by_severity[ep.severity]:
            return progression.leave_of_absence(ep)
        first = min(recover, leave)
        if math.isinf(first):
            yield env.event()  # runs on until the student's exit or the end of follow-up
        yield env.timeout(first - env.now)
        if first == leave:
            return progression.unhelped_exit(ep, u[14])
        return progression.close(ep, "resolved")

    def support_stops(self, sid: int, now: float, friends: Sequence[int]) -> None:
        """Student `sid` stops supporting others from `now`: as a friend of `friends` when
        they go away (a leave or an exit; no friends when an episode of their own starts),
        and as a near-peer mentor either way. Each open, undetected episode of those friends
        and of their mentees re-plans its detection without them (`Rules.replan`), and its
        process is told if it moved."""
        rules, students = self.rules, self.progression.students
        mentees = self.mentoring.mentees_of(sid) if self.mentoring is not None else ()
        for group, as_friend in ((friends, True), (mentees, False)):
            for other in group:
                for ep in students[other].active:
                    if ep.plan is not None and rules.replan(ep, now, sid if as_friend else -1,
                                                            not as_friend):
                        ep.process.interrupt(REPLAN)

    def _credit(self, ep: Episode) -> None:
        """Book a detection to the coach, or the mentor student, who made it."""
        if ep.channel == "coach":
            self.coaches[ep.student.coach].noticed += 1
        elif ep.channel == "mentor" and self.mentoring is not None:
            ep.noticed_by = self.mentoring.credit(ep.student)
