"""How a community structure acts: the rates and probabilities each knob sets.

`Structure.from_scenario` turns the scenario's structural sections into the numbers the
processes use (contact rates, notice probabilities, capacities, growth targets). Keeping this
translation in one place makes each knob's mechanism easy to find, document and test.
Constants named ASSUMED_* have no published source (see docs/model.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lcsim.config.scenario import Scenario

YEAR = 365.0
MONTH = YEAR / 12
ASSUMED_CLASS_CONTACTS_PER_WEEK = 1.0  # informal contact with classmates without an LC
ASSUMED_PEER_NOTICE = 0.06  # chance a peer contact reveals an ongoing episode
ASSUMED_PEER_ESCALATE = 0.35  # chance a peer who notices gets the student to help
ASSUMED_TIE_PER_CONTACT = 0.004  # ties form at contact rate x this, per day
ASSUMED_BASE_TIES_MAX = 3.0  # long-run ties without a community
ASSUMED_LC_TIES = 5.0  # extra long-run ties inside a community
ASSUMED_VERTICAL_TIES = 2.0  # extra ties with other class years in a vertical LC
ASSUMED_TIE_HALF = 4.0  # ties at which the tie factor is 0.5
ASSUMED_BELONGING_BASE = 0.38
ASSUMED_BELONGING_PER_TIE_FACTOR = 0.3
ASSUMED_ATTENDANCE = 0.85  # share of scheduled one-to-one meetings that happen
ASSUMED_TRAINING_NOTICE = 1.3  # leadership training multiplies faculty notice probability
ASSUMED_TRAINING_RESOLVE = 1.15  # ... and the chance an intervention resolves the episode
ASSUMED_MENTOR_TRAINED = 1.5  # mentor training multiplies notice and escalation
ASSUMED_GRADER_DISCLOSURE = 0.7  # a coach who also grades hears less
ASSUMED_REFERENCE_GROUP = 8  # facilitator notice at this group size; falls as sqrt with size
ASSUMED_ACTIVITIES_PROTECTION = 0.25  # LC activities before exams: fewer academic episodes
ASSUMED_REFERENCE_LC_SIZE = 30  # students per class per LC at which ties form at the base rate


@dataclass(frozen=True)
class Structure:
    """Numbers derived from a scenario's structure; rates per day, probabilities per contact."""

    has_community: bool
    community_count: int
    peer_rate_pre: float
    peer_rate_clerk: float
    peer_detect: float
    ties_initial: float
    ties_max: float
    ties_rate_factor: float
    mentor_rate: float
    mentor_detect: float
    mentee_years: tuple[int, ...]
    coach_meetings: float
    coach_detect: float
    advisor_meetings: float
    advisor_detect: float
    session_interval: float
    session_detect: float
    sessions_in_clerkships: bool
    activities_before_exams: bool
    leadership_weeks: int | None
    resolve_prob: float
    capacity: int
    identity_target: float
    skills_target: float
    connected_meetings: float

    @classmethod
    def from_scenario(cls, sc: Scenario) -> Structure:
        """Translate the structural knobs into model numbers."""
        lc, sg, co, pm = sc.community, sc.small_groups, sc.coaching, sc.peer_mentoring
        trained = sc.leadership.training
        faculty_mult = ASSUMED_TRAINING_NOTICE if trained else 1.0
        if lc is not None:
            room = sc.space.contact_multiplier if sc.space and sc.space.assigned else 1.0
            peer_pre = lc.peer_contacts_per_week * room / 7
            vertical_keep = 0.5 if lc.vertical else 0.0  # seniors keep contact in clerkships
            share = sc.calendar.clerkship_peer_contact
            peer_clerk = peer_pre * (share + (1 - share) * vertical_keep)
            ties_max = ASSUMED_BASE_TIES_MAX + ASSUMED_LC_TIES
            ties_max += ASSUMED_VERTICAL_TIES if lc.vertical else 0.0
            ties0 = float(lc.orientation_ties)
            per_class = max(1.0, sc.population.class_size / lc.count)
            ties_factor = min(2.0, max(0.5, math.sqrt(ASSUMED_REFERENCE_LC_SIZE / per_class)))
            ties_max = min(ties_max, ASSUMED_BASE_TIES_MAX + per_class - 1)
        else:
            peer_pre = ASSUMED_CLASS_CONTACTS_PER_WEEK / 7
            peer_clerk = peer_pre * sc.calendar.clerkship_peer_contact
            ties_max, ties0, ties_factor = ASSUMED_BASE_TIES_MAX, 0.0, 1.0
        mentor_rate = mentor_detect = 0.0
        mentee_years: tuple[int, ...] = ()
        if pm is not None:
            busy = {2: 1.0, 3: 0.8, 4: 0.7}[pm.mentor_year]  # senior mentors have less time
            mentor_rate = pm.contacts_per_month / MONTH * min(1.0, 4 / pm.mentees_per_mentor) * busy
            skill = {2: 0.9, 3: 1.0, 4: 1.1}[pm.mentor_year]  # and more experience
            tm = ASSUMED_MENTOR_TRAINED if pm.trained else 1.0
            mentor_detect = min(1.0, pm.notice_prob * skill * tm) * min(1.0, pm.escalate_prob * tm)
            mentee_years = pm.mentee_years
        coach_meetings = coach_detect = 0.0
        if co is not None:
            coach_meetings = co.meetings_per_year
            disclose = ASSUMED_GRADER_DISCLOSURE if sg and sg.facilitator_is_coach else 1.0
            coach_detect = min(1.0, co.notice_prob * faculty_mult * disclose) * ASSUMED_ATTENDANCE
        session_interval, session_detect = math.inf, 0.0
        if sg is not None and sg.sessions_per_month > 0:
            session_interval = MONTH / sg.sessions_per_month
            size_factor = math.sqrt(ASSUMED_REFERENCE_GROUP / sg.size)
            session_detect = min(1.0, sg.facilitator_notice_prob * size_factor * faculty_mult)
        adv = sc.advising
        advisor_detect = min(1.0, adv.notice_prob * faculty_mult) * ASSUMED_ATTENDANCE
        resolve = min(1.0, sc.support.resolve_prob * (ASSUMED_TRAINING_RESOLVE if trained else 1))
        identity = 0.6 + (0.1 if sg else 0) + (0.05 if pm else 0) + min(0.1, coach_meetings / 40)
        skills = 0.5 + (0.2 if sg else 0) + min(0.1, coach_meetings / 40)
        return cls(
            has_community=lc is not None,
            community_count=lc.count if lc else 1,
            peer_rate_pre=peer_pre,
            peer_rate_clerk=peer_clerk,
            peer_detect=ASSUMED_PEER_NOTICE * ASSUMED_PEER_ESCALATE,
            ties_initial=ties0,
            ties_max=ties_max,
            ties_rate_factor=ties_factor,
            mentor_rate=mentor_rate,
            mentor_detect=mentor_detect,
            mentee_years=mentee_years,
            coach_meetings=coach_meetings,
            coach_detect=coach_detect,
            advisor_meetings=adv.meetings_per_year,
            advisor_detect=advisor_detect,
            session_interval=session_interval,
            session_detect=session_detect,
            sessions_in_clerkships=bool(sg and sg.in_clerkships),
            activities_before_exams=bool(lc and lc.activities_before_exams),
            leadership_weeks=sc.leadership.meeting_every_weeks,
            resolve_prob=resolve,
            capacity=support_capacity(sc),
            identity_target=identity,
            skills_target=skills,
            connected_meetings=coach_meetings if co else adv.meetings_per_year,
        )

    def ties_at(self, days: float, peer_rate: float) -> float:
        """Peer ties after `days` in school, approaching `ties_max` at a contact-driven rate."""
        k = peer_rate * ASSUMED_TIE_PER_CONTACT * self.ties_rate_factor
        return self.ties_max - (self.ties_max - self.ties_initial) * math.exp(-k * days)


def coach_count(sc: Scenario) -> int:
    """Coaches needed for all enrolled classes (four at a time)."""
    if sc.coaching is None:
        return 0
    return math.ceil(sc.population.class_size * 4 / sc.coaching.students_per_coach)


def coach_case_hours(sc: Scenario) -> float:
    """Each coach's protected hours a week left for cases after scheduled meetings."""
    co = sc.coaching
    if co is None:
        return 0.0
    meeting_load = co.students_per_coach * co.meetings_per_year * co.meeting_hours / 52
    return max(0.0, co.protected_hours_per_week - meeting_load)


def case_slots(hours_per_week: float, sc: Scenario) -> int:
    """Concurrent cases one faculty member can carry: their case hours over hours per case."""
    return int(hours_per_week // sc.support.case_hours_per_week)


def support_capacity(sc: Scenario) -> int:
    """Concurrent cases all faculty can carry together (the referral queue's servers).

    Central support faculty give all their protected hours to cases; coaches give what is left
    of theirs after scheduled one-to-one meetings.
    """
    central = sc.support.faculty * case_slots(sc.support.protected_hours_per_week, sc)
    return central + coach_count(sc) * case_slots(coach_case_hours(sc), sc)


def protected_hours_per_week(sc: Scenario) -> float:
    """All faculty hours protected for student support, coaching and small-group teaching."""
    hours = sc.support.faculty * sc.support.protected_hours_per_week
    if sc.coaching is not None:
        hours += coach_count(sc) * sc.coaching.protected_hours_per_week
    return hours
