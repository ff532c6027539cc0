"""SimPy processes: a student's years in school and the life of each difficulty episode.

Time is in days. Each student's process walks through their academic years: personal setbacks
(exogenous Poisson times) and exam blocks arrive in order; a setback may become a difficulty
episode, which runs as its own process where detection channels, spontaneous recovery and the
rising risk of leaving race each other; the year ends with a progression check.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import simpy

from lcsim.agents import ACADEMIC, ENROLLED, ISOLATION, WELLBEING, Episode, Student
from lcsim.schedule import YEAR, exp_time, rising_hazard_time

if TYPE_CHECKING:
    from lcsim.model import Model

DRAWS_PER_SETBACK = 16  # fixed consumption per setback keeps random numbers aligned (CRN)
SEVERITY_RECOVERY = (0.0, 0.7, 1.0, 1.6)
SEVERITY_HAZARD = (0.0, 0.5, 1.0, 2.0)


def student_life(m: Model, s: Student):
    """A student's path from entry to graduation, exit or the end of follow-up."""
    env, sc = m.env, m.scenario
    cal = sc.calendar
    exam_gap = m.teaching / cal.exam_blocks_per_year
    while s.status == ENROLLED:
        ys = s.year_start
        research = s.year == 0  # a research year: no exams, no progression check
        exams = [] if research else [ys + exam_gap * (k + 1) for k in range(cal.exam_blocks_per_year)]
        if not research and s.year == cal.licensing_exam_year:
            exams.append(ys + min(m.teaching + 1.0, YEAR - 1.0))  # before the year ends
        year_end = ys + YEAR
        try:
            while True:
                t_exam = exams[0] if exams else math.inf
                t = min(t_exam, s.next_personal, year_end, s.end)
                if t > env.now:
                    yield env.timeout(t - env.now)
                if t == year_end:  # a year ending on the last day of follow-up still counts
                    break
                if t >= s.end:
                    m.finish(s, ENROLLED)
                    return
                if t == s.next_personal:
                    m.personal_setback(s)
                else:
                    exams.pop(0)
                    licensing = not exams and s.year == cal.licensing_exam_year
                    m.exam_setback(s, licensing)
            m.year_end(s, research)
            if s.status == ENROLLED and env.now >= s.end:
                m.finish(s, ENROLLED)
                return
        except simpy.Interrupt:
            # A leave of absence: this academic year starts again one year later.
            s.loa_count += 1
            s.year_start = ys + YEAR
            while s.next_personal < s.year_start:  # setbacks on leave do not happen
                m.skip_personal(s)
            wait = min(s.year_start, s.end) - env.now
            if wait > 0:
                yield env.timeout(wait)
            if env.now >= s.end:
                m.finish(s, ENROLLED)
                return


def episode_life(m: Model, ep: Episode, u):
    """One episode: channels race recovery and exit; detected episodes queue for help."""
    env, sup = m.env, m.scenario.support
    s, t0 = ep.student, ep.onset
    recover = t0 + exp_time(u[3], 1.0 / (m.scenario.episodes.recovery_days
                                        * SEVERITY_RECOVERY[ep.severity]))
    leave = t0 + rising_hazard_time(u[4], m.withdraw_rate(s, ep, t0), m.hazard_growth)
    detect, channel = m.detection(s, ep, u)
    try:
        first = min(detect, recover, leave)
        if math.isinf(first):
            yield env.event()  # nothing will happen: wait for the student's exit or the end
        yield env.timeout(first - env.now)
        if first == leave:
            return m.unhelped_exit(ep, u[14])
        if first == recover:
            return m.close(ep, "recovered")
        ep.detected_at, ep.channel = env.now, channel
        referral = env.now + m.referral_delay(channel, u[12])
        first = min(referral, recover, leave)
        if first > env.now:
            yield env.timeout(first - env.now)
        if first == leave:
            return m.unhelped_exit(ep, u[14])
        if first == recover:
            return m.close(ep, "recovered")
        ep.referred_at = env.now
        m.case_hours += sup.case_hours_per_week * sup.intervention_days / 7

        def start() -> None:
            ep.intervention_start = env.now

        give_up = min(recover, leave)
        helped = yield from m.support.serve(sup.intervention_days, give_up, start)
        if not helped:
            return m.unhelped_exit(ep, u[14]) if give_up == leave else m.close(ep, "recovered")
        m.after_intervention(ep, u[13], recover)
    except simpy.Interrupt as stop:
        m.close(ep, str(stop.cause))


def mitigated_tail(m: Model, ep: Episode, end: float):
    """A mitigated episode runs on without risk of leaving until it resolves."""
    try:
        if end > m.env.now:
            yield m.env.timeout(end - m.env.now)
        m.close(ep, "mitigated")
    except simpy.Interrupt as stop:
        m.close(ep, str(stop.cause))


def episode_kind(personal: bool, u: float, belonging: float) -> str:
    """Personal setbacks become wellbeing or, more often with low belonging, isolation episodes."""
    if not personal:
        return ACADEMIC
    p_isolation = min(0.8, max(0.05, 0.25 + (0.5 - belonging)))
    return ISOLATION if u < p_isolation else WELLBEING


def severity(u: float) -> int:
    """1 mild (50%), 2 moderate (35%), 3 severe (15%): an assumption."""
    return 1 if u < 0.5 else (2 if u < 0.85 else 3)

