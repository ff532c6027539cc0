"""The one translation of a scenario into the model's numbers.

`Structure.from_scenario` is the only place in the model that reads a scenario: it turns every
knob into the rates, probabilities, capacities and schedules the model uses (contact rates,
notice probabilities, meeting intervals, case slots, growth targets, calendar days). Keeping
this translation in one place makes each knob's mechanism easy to find, document and test;
the rest of the model reads only these numbers (a test enforces it). Rates are per day.
Constants named ASSUMED_* have no published source (see docs/model.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lcsim.config.scenario import Scenario
from lcsim.model.parameters import (
    Calendar,
    Casework,
    Channels,
    Cohort,
    EpisodeRates,
    FacultyGroup,
    Group,
    Peers,
    SetbackRates,
    Workload,
)
from lcsim.model.schedule import exam_days
from lcsim.model.units import (
    DAYS_PER_HAZARD_MONTH,
    DAYS_PER_MONTH,
    DAYS_PER_WEEK,
    DAYS_PER_YEAR,
    WEEKS_PER_YEAR,
)

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
ASSUMED_TRAINING_RECOVERY = 1.15  # ... and raises help's recovery ratio to this power
HELP_LEAVING_HR = 0.6  # help multiplies the hazard of leaving (docs/assumptions.md)
HELP_RECOVERY_HR = 5.5  # help multiplies the recovery rate
HELP_FAIL_RATIO = 0.6  # help multiplies the chance of failing the year
HELP_LOA_PROB = 0.5  # help ends a severe episode in a leave of absence with this chance
HELP_LOA_MODERATE_SHARE = 1 / 3  # ... a moderate one with this share of that chance
ASSUMED_MENTOR_TRAINED = 1.5  # mentor training multiplies notice and escalation
ASSUMED_GRADER_DISCLOSURE = 0.7  # a coach who also grades hears less
ASSUMED_REFERENCE_GROUP = 8  # facilitator notice at this group size; falls as sqrt with size
ASSUMED_ACTIVITIES_PROTECTION = 0.25  # LC activities before exams: fewer academic episodes
ASSUMED_REFERENCE_LC_SIZE = 30  # students per class per LC at which ties form at the base rate
ASSUMED_ADVISOR_MEETING_HOURS = 0.5


@dataclass(frozen=True, slots=True)
class Structure:
    """Every number the model takes from a scenario, by topic (see `parameters.py`)."""

    calendar: Calendar
    cohort: Cohort
    peers: Peers
    channels: Channels
    casework: Casework
    setbacks: SetbackRates
    episodes: EpisodeRates
    workload: Workload

    @classmethod
    def from_scenario(cls, sc: Scenario) -> Structure:
        """Translate a scenario's knobs into model numbers."""
        calendar = _calendar(sc)
        channels = _channels(sc, calendar.teaching)
        return cls(
            calendar=calendar,
            cohort=_cohort(sc, channels.coach_meetings),
            peers=_peers(sc),
            channels=channels,
            casework=_casework(sc),
            setbacks=_setbacks(sc),
            episodes=_episodes(sc),
            workload=_workload(sc),
        )


def _calendar(sc: Scenario) -> Calendar:
    cal, pop = sc.calendar, sc.population
    teaching = DAYS_PER_YEAR - DAYS_PER_WEEK * cal.break_weeks
    return Calendar(
        teaching=teaching,
        clerkship_years=frozenset(cal.clerkship_years),
        exam_days=tuple(exam_days(teaching, cal.exam_blocks_per_year)),
        licensing_day=min(teaching + 1.0, DAYS_PER_YEAR - 1.0),
        licensing_year=cal.licensing_exam_year,
        research_prob=cal.research_year_prob,
        class_size=pop.class_size,
        cohorts=pop.cohorts,
        follow_up_years=pop.follow_up_years,
        horizon=DAYS_PER_YEAR * (pop.cohorts - 1 + pop.follow_up_years),
    )


def _cohort(sc: Scenario, coach_meetings: float) -> Cohort:
    pop, lc, sg, co, pm = (sc.population, sc.community, sc.small_groups, sc.coaching,
                           sc.peer_mentoring)
    boost = sc.inclusion.belonging_boost
    groups = tuple(Group(g.name, g.risk_multiplier, g.belonging_offset + boost)
                   for g in pop.subgroups)
    bounds = tuple(float(x) for x in np.cumsum([g.share for g in pop.subgroups]))
    identity = 0.6 + (0.1 if sg else 0) + (0.05 if pm else 0) + min(0.1, coach_meetings / 40)
    skills = 0.5 + (0.2 if sg else 0) + min(0.1, coach_meetings / 40)
    return Cohort(
        groups=groups,
        group_bounds=bounds,
        community_count=lc.count if lc else 1,
        students_per_coach=co.students_per_coach if co else 0,
        mentee_years=pm.mentee_years if pm else (),
        mentees_per_mentor=pm.mentees_per_mentor if pm else 0,
        mentors_per_year=math.ceil(pop.class_size / pm.mentees_per_mentor) if pm else 0,
        connected_meetings=coach_meetings if co else sc.advising.meetings_per_year,
        identity_target=identity,
        skills_target=skills,
    )


def _peers(sc: Scenario) -> Peers:
    lc = sc.community
    if lc is None:
        peer_pre = ASSUMED_CLASS_CONTACTS_PER_WEEK / DAYS_PER_WEEK
        return Peers(peer_pre, peer_pre * sc.calendar.clerkship_peer_contact,
                     ASSUMED_PEER_NOTICE * ASSUMED_PEER_ESCALATE, 0.0, ASSUMED_BASE_TIES_MAX, 1.0)
    room = sc.space.contact_multiplier if sc.space and sc.space.assigned else 1.0
    peer_pre = lc.peer_contacts_per_week * room / DAYS_PER_WEEK
    vertical_keep = 0.5 if lc.vertical else 0.0  # seniors keep contact in clerkships
    share = sc.calendar.clerkship_peer_contact
    ties_max = ASSUMED_BASE_TIES_MAX + ASSUMED_LC_TIES
    ties_max += ASSUMED_VERTICAL_TIES if lc.vertical else 0.0
    per_class = max(1.0, sc.population.class_size / lc.count)
    return Peers(
        rate_pre=peer_pre,
        rate_clerk=peer_pre * (share + (1 - share) * vertical_keep),
        detect=ASSUMED_PEER_NOTICE * ASSUMED_PEER_ESCALATE,
        ties_initial=float(lc.orientation_ties),
        ties_max=min(ties_max, ASSUMED_BASE_TIES_MAX + per_class - 1),
        ties_rate_factor=min(2.0, max(0.5, math.sqrt(ASSUMED_REFERENCE_LC_SIZE / per_class))),
    )


def _channels(sc: Scenario, teaching: float) -> Channels:
    sg, co, pm, adv, sr = (sc.small_groups, sc.coaching, sc.peer_mentoring, sc.advising,
                           sc.self_referral)
    faculty_mult = ASSUMED_TRAINING_NOTICE if sc.leadership.training else 1.0
    mentor_rate = mentor_detect = 0.0
    if pm is not None:
        busy = {2: 1.0, 3: 0.8, 4: 0.7}[pm.mentor_year]  # senior mentors have less time
        mentor_rate = (pm.contacts_per_month / DAYS_PER_MONTH * min(1.0, 4 / pm.mentees_per_mentor)
                       * busy)
        skill = {2: 0.9, 3: 1.0, 4: 1.1}[pm.mentor_year]  # and more experience
        trained = ASSUMED_MENTOR_TRAINED if pm.trained else 1.0
        mentor_detect = (min(1.0, pm.notice_prob * skill * trained)
                         * min(1.0, pm.escalate_prob * trained))
    coach_meetings = coach_detect = 0.0
    if co is not None:
        coach_meetings = co.meetings_per_year
        disclose = ASSUMED_GRADER_DISCLOSURE if sg and sg.facilitator_is_coach else 1.0
        coach_detect = min(1.0, co.notice_prob * faculty_mult * disclose) * ASSUMED_ATTENDANCE
    session_interval, session_detect = math.inf, 0.0
    if sg is not None and sg.sessions_per_month > 0:
        session_interval = DAYS_PER_MONTH / sg.sessions_per_month
        size_factor = math.sqrt(ASSUMED_REFERENCE_GROUP / sg.size)
        session_detect = min(1.0, sg.facilitator_notice_prob * size_factor * faculty_mult)
    return Channels(
        self_rate=sr.rate_per_year / DAYS_PER_YEAR,
        self_belonging_effect=sr.belonging_effect,
        mentor_rate=mentor_rate,
        mentor_detect=mentor_detect,
        coach_meetings=coach_meetings,
        coach_interval=_interval(teaching, coach_meetings),
        coach_detect=coach_detect,
        advisor_meetings=adv.meetings_per_year,
        advisor_interval=_interval(teaching, adv.meetings_per_year),
        advisor_detect=min(1.0, adv.notice_prob * faculty_mult) * ASSUMED_ATTENDANCE,
        session_interval=session_interval,
        session_detect=session_detect,
        sessions_in_clerkships=bool(sg and sg.in_clerkships),
        grades_detect=sc.institution.grades_detect_prob,
        grades_release_days=sc.institution.grade_release_days,
    )


def _interval(teaching: float, per_year: float) -> float:
    """Teaching days between meetings held `per_year` times a year (inf: never)."""
    return teaching / per_year if per_year > 0 else math.inf


def _casework(sc: Scenario) -> Casework:
    sup, co, pm = sc.support, sc.coaching, sc.peer_mentoring
    faculty = [FacultyGroup("support", sup.faculty, case_slots(sup.protected_hours_per_week, sc),
                            sup.protected_hours_per_week)]
    if co is not None:
        faculty.append(FacultyGroup("coach", coach_count(sc), case_slots(coach_case_hours(sc), sc),
                                    co.protected_hours_per_week, co.students_per_coach))
    if pm is not None:
        per = pm.mentees_per_mentor
        mentors = math.ceil(sc.population.class_size / per) * len(pm.mentee_years)
        faculty.append(FacultyGroup("mentor", mentors, 0, 0.0, per))
    training = ASSUMED_TRAINING_RECOVERY if sc.leadership.training else 1.0
    return Casework(
        capacity=support_capacity(sc),
        faculty=tuple(faculty),
        referral_rate=1.0 / sup.referral_delay_days if sup.referral_delay_days > 0 else 0.0,
        leadership_weeks=sc.leadership.meeting_every_weeks,
        intervention_days=sup.intervention_days,
        case_hours=sup.case_hours_per_week * sup.intervention_days / DAYS_PER_WEEK,
        loa_by_severity=(0.0, 0.0, HELP_LOA_PROB * HELP_LOA_MODERATE_SHARE, HELP_LOA_PROB),
        leaving_hr=HELP_LEAVING_HR,
        recovery_hr=HELP_RECOVERY_HR ** training,
    )


def _setbacks(sc: Scenario) -> SetbackRates:
    sb, lc = sc.setbacks, sc.community
    return SetbackRates(
        personal_rate=sb.personal_per_year / DAYS_PER_YEAR,
        academic_prob=sb.academic_prob_per_exam,
        licensing_prob=sb.licensing_exam_prob,
        probation_multiplier=sc.episodes.probation_multiplier,
        personal_to_episode=sb.personal_to_episode,
        academic_to_episode=sb.academic_to_episode,
        strain_days=sb.strain_days,
        strain_effect=sb.strain_effect,
        activities_before_exams=bool(lc and lc.activities_before_exams),
    )


def _episodes(sc: Scenario) -> EpisodeRates:
    ep = sc.episodes
    return EpisodeRates(
        recovery_days=ep.recovery_days,
        withdraw_rate=ep.withdraw_hazard_per_year / DAYS_PER_YEAR,
        hazard_growth=ep.hazard_growth_per_month / DAYS_PER_HAZARD_MONTH,
        leave_instead_prob=ep.leave_instead_prob,
        background_withdraw=ep.background_withdraw_per_year,
        fail_if_unresolved=ep.fail_if_unresolved,
        help_fail_ratio=HELP_FAIL_RATIO,
    )


def _workload(sc: Scenario) -> Workload:
    sg, co = sc.small_groups, sc.coaching
    session_share = None
    if sg is not None:
        clerkships = len(frozenset(sc.calendar.clerkship_years))
        session_share = 1.0 if sg.in_clerkships else (4 - clerkships) / 4
    return Workload(
        advisor_meetings=sc.advising.meetings_per_year,
        advisor_meeting_hours=ASSUMED_ADVISOR_MEETING_HOURS,
        coach_meetings=co.meetings_per_year if co is not None else None,
        coach_meeting_hours=co.meeting_hours if co is not None else 0.0,
        protected_per_week=protected_hours_per_week(sc),
        steady_students=4 * sc.population.class_size,
        session_share=session_share,
        group_size=sg.size if sg is not None else 1,
        sessions_per_month=sg.sessions_per_month if sg is not None else 0.0,
        session_hours=sg.hours_per_session if sg is not None else 0.0,
    )


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
    meeting_load = co.students_per_coach * co.meetings_per_year * co.meeting_hours / WEEKS_PER_YEAR
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
