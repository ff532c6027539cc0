"""SimPy processes: the school calendar, personal setbacks, and each difficulty episode.

Time is in days. The calendar brings exam blocks (each may bring an academic setback) and year
ends (progression checks); personal setbacks arrive at exogenous Poisson times. A setback may
become a difficulty episode, which runs as its own process where detection channels,
spontaneous recovery and the rising risk of leaving race each other; detected episodes queue
for faculty time.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import simpy

from lcsim.model.agents import Episode
from lcsim.model.schedule import YEAR, exam_days, exp_time, hazard_left, rising_hazard_time
from lcsim.outcomes.tables import ACADEMIC, ENROLLED, ISOLATION, WELLBEING

if TYPE_CHECKING:
    from lcsim.model.simulation import Model

DRAWS_PER_SETBACK = 16  # fixed consumption per setback keeps random numbers aligned (CRN)
SEVERITY_RECOVERY = (0.0, 0.7, 1.0, 1.6)
SEVERITY_HAZARD = (0.0, 0.5, 1.0, 2.0)


def school_calendar(m: Model):
    """The academic calendar of the whole school: entries, exam blocks and year ends.

    Every student's year starts on a multiple of 365 days (entry, repeats, leaves and research
    years all move a student by whole years), so one process serves every student: at each
    exam block it asks each student sitting exams whether they had a setback, and at each year
    end it runs their progression check. This costs a handful of events a year instead of
    several per student.
    """
    env, cal = m.env, m.scenario.calendar
    # Exams come strictly before the year end (even with no break), the licensing exam last.
    blocks = exam_days(m.teaching, cal.exam_blocks_per_year)
    licensing_day = min(m.teaching + 1.0, YEAR - 1.0)
    for k in range(math.ceil(m.horizon / YEAR)):
        ys = k * YEAR
        m.enrol_cohort(k)
        for day in [*blocks, licensing_day]:
            if ys + day > env.now:
                yield env.timeout(ys + day - env.now)
            licensing = day == licensing_day
            for s in list(m.enrolled.values()):
                if m.sits_exams(s) and (not licensing or s.year == cal.licensing_exam_year):
                    m.exam_setback(s, licensing)
        yield env.timeout(ys + YEAR - env.now)
        for s in list(m.enrolled.values()):
            m.year_end(s)


def personal_setbacks(m: Model):
    """Every student's personal setbacks, from a queue of each student's next setback time.

    One process and one queue entry per student (instead of a pending SimPy event each) keeps
    memory near 2 KB per student at 10^5 students; the queue is a `BucketQueue`, whose
    operations cost the same at any school size.
    """
    env, due = m.env, m.personal_due
    while due.size:
        t, sid = due.pop()  # only this process pushes, so it can be taken before the wait
        if t > env.now:
            yield env.timeout(t - env.now)
        s = m.students[sid]
        if s.status != ENROLLED:
            continue
        if s.leave_until is None:
            m.personal_setback(s)
        else:
            m.skip_personal(s)  # setbacks on leave do not happen
        if s.next_personal < s.end:
            due.push((s.next_personal, sid))


def episode_life(m: Model, ep: Episode, u):
    """One episode: channels race recovery and exit; detected episodes queue for help."""
    env, sup = m.env, m.scenario.support
    s, t0 = ep.student, ep.onset
    recovery_rate = 1.0 / (m.scenario.episodes.recovery_days * SEVERITY_RECOVERY[ep.severity])
    recover = t0 + exp_time(u[3], recovery_rate)
    hazard = m.withdraw_rate(s, ep, t0)
    leave = t0 + rising_hazard_time(u[4], hazard, m.hazard_growth)
    detect, channel = m.detection(s, ep, u, min(recover, leave, m.horizon) - t0)
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
        m.credit(ep)
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
        # The outcome follows the balance of leaving and recovery when help started: with L and
        # R the hazards of each still to come (independent Exp(1), memorylessness), L / (L + R)
        # is uniform, small for a student nearer to leaving than to recovering (docs/model.md
        # section 6.7). The rest of the episode gets a fresh time to recovery, distributed as the
        # time left would be.
        began = ep.intervention_start
        to_leave = max(0.0, hazard_left(u[4], hazard, m.hazard_growth, began - t0))
        to_recover = (recover - began) * recovery_rate
        balance = to_leave / (to_leave + to_recover) if to_leave + to_recover > 0 else 0.5
        m.after_intervention(ep, balance, began + exp_time(u[7], recovery_rate))
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

