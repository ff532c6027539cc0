"""The one translation of a scenario into the model's numbers.

`Structure.from_scenario` is the only place in the model that reads a scenario: it turns every
knob into the rates, probabilities, capacities and schedules the model uses (contact rates,
notice probabilities, meeting intervals, case slots, growth targets, calendar days). Keeping
this translation in one place makes each knob's mechanism easy to find, document and test;
the rest of the model reads only these numbers (a test enforces it). Rates are per day.
Behavioural numbers come from the scenario's `assumptions` section (docs/assumptions.md); this
module keeps none of its own.
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
    Development,
    EpisodeRates,
    FacultyGroup,
    Group,
    Network,
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


@dataclass(frozen=True, slots=True)
class Structure:
    """Every number the model takes from a scenario, by topic (see `parameters.py`)."""

    calendar: Calendar
    cohort: Cohort
    development: Development
    peers: Peers
    channels: Channels
    casework: Casework
    setbacks: SetbackRates
    episodes: EpisodeRates
    workload: Workload
    network: Network

    @classmethod
    def from_scenario(cls, sc: Scenario) -> Structure:
        """Translate a scenario's knobs into model numbers."""
        calendar = _calendar(sc)
        channels = _channels(sc, calendar.teaching)
        return cls(
            calendar=calendar,
            cohort=_cohort(sc, channels.coach_meetings),
            development=_development(sc, channels.coach_meetings),
            peers=_peers(sc),
            channels=channels,
            casework=_casework(sc),
            setbacks=_setbacks(sc),
            episodes=_episodes(sc),
            workload=_workload(sc),
            network=_network(sc, channels.mentor_rate),
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
    pop, lc, co = sc.population, sc.community, sc.coaching
    boost = sc.assumptions.inclusion_belonging_boost if sc.inclusion.programme else 0.0
    groups = tuple(Group(g.name, g.risk_multiplier, g.belonging_offset + boost)
                   for g in pop.subgroups)
    bounds = tuple(float(x) for x in np.cumsum([g.share for g in pop.subgroups]))
    return Cohort(
        groups=groups,
        group_bounds=bounds,
        community_count=lc.count if lc else 1,
        students_per_coach=co.students_per_coach if co else 0,
        connected_meetings=coach_meetings if co else sc.advising.meetings_per_year,
        connection_threshold=sc.assumptions.connection_meetings,
        attendance=sc.assumptions.attendance,
    )


def _development(sc: Scenario, coach_meetings: float) -> Development:
    """Belonging's parts, and identity and skills targets from the programmes that exist."""
    a, sg, pm = sc.assumptions, sc.small_groups, sc.peer_mentoring
    identity = (a.identity_target_base + (a.identity_small_groups if sg else 0)
                + (a.identity_mentoring if pm else 0)
                + min(a.identity_coaching_cap, coach_meetings * a.identity_per_coach_meeting))
    skills = (a.skills_target_base + (a.skills_small_groups if sg else 0)
              + min(a.skills_coaching_cap, coach_meetings * a.skills_per_coach_meeting))
    return Development(
        belonging_base=a.belonging_base,
        belonging_per_tie=a.belonging_per_tie_factor,
        belonging_mentor=a.belonging_mentor,
        belonging_connected=a.belonging_connected,
        identity_start=a.identity_start,
        identity_target=identity,
        skills_target=skills,
        growth_days=a.growth_days,
    )


def _peers(sc: Scenario) -> Peers:
    a = sc.assumptions
    return Peers(detect=a.peer_notice * a.peer_escalate, tie_half=a.tie_half,
                 isolation_factor=a.isolation_peer_factor,
                 difficulty_notice=a.friend_difficulty_notice)


def _network(sc: Scenario, mentor_rate: float) -> Network:
    """Contact by context of the peer network, a teaching day (design §2.2, §5)."""
    lc, sg, pm, a = sc.community, sc.small_groups, sc.peer_mentoring, sc.assumptions
    class_rate = a.class_contacts_per_week / DAYS_PER_WEEK
    community_rate = vertical_rate = vertical_keep = 0.0
    if lc is not None:
        room = a.room_contact_multiplier if sc.space and sc.space.assigned else 1.0
        contact = lc.peer_contacts_per_week * room / DAYS_PER_WEEK
        class_rate += contact * lc.mixing  # joint events: spread over the class pool
        per_class = max(1.0, sc.population.class_size / lc.count)
        size = min(a.lc_size_factor_max, max(a.lc_size_factor_min,
                                             math.sqrt(a.reference_lc_size / per_class)))
        community_rate = contact * (1 - lc.mixing) * size
        if lc.vertical:
            vertical_rate = a.vertical_contacts_per_week / DAYS_PER_WEEK
            vertical_keep = a.vertical_clerkship_contact_kept
    session_rate = 0.0
    clerkships = frozenset(sc.calendar.clerkship_years)
    if sg is not None and sg.sessions_per_month > 0:
        session_rate = sg.sessions_per_month / DAYS_PER_MONTH * a.session_pair_contact
    return Network(
        contacts_to_tie=a.contacts_to_tie,
        tie_memory_days=a.tie_memory_days,
        homophily=a.homophily,
        class_rate=class_rate,
        community_rate=community_rate,
        vertical_rate=vertical_rate,
        session_rate=session_rate,
        mentor_rate=mentor_rate,
        class_pool=a.class_pool,
        community_pool=a.community_pool,
        group_size=sg.size if sg is not None else 0,
        kept_years=sg.kept_years if sg is not None else 1,
        session_years=frozenset(y for y in range(1, 5) if sg is not None
                                and (sg.in_clerkships or y not in clerkships)),
        clerkship_years=clerkships,
        clerkship_contact=sc.calendar.clerkship_peer_contact,
        vertical_keep=vertical_keep,
        orientation_ties=lc.orientation_ties if lc is not None else 0,
        mentor_year=pm.mentor_year if pm is not None else 0,
        mentee_years=pm.mentee_years if pm is not None else (),
        caseload=pm.mentees_per_mentor if pm is not None else 0,
        match_any=bool(pm and pm.matching == "any"),
    )


def _channels(sc: Scenario, teaching: float) -> Channels:
    sg, co, pm, adv, a = (sc.small_groups, sc.coaching, sc.peer_mentoring, sc.advising,
                          sc.assumptions)
    faculty_mult = a.training_notice if sc.leadership.training else 1.0
    mentor_rate = mentor_detect = 0.0
    if pm is not None:
        year = pm.mentor_year  # senior mentors have less time and more experience
        busy = {2: a.mentor_time_y2, 3: a.mentor_time_y3, 4: a.mentor_time_y4}[year]
        mentor_rate = (pm.contacts_per_month / DAYS_PER_MONTH * min(1.0, 4 / pm.mentees_per_mentor)
                       * busy)
        skill = {2: a.mentor_skill_y2, 3: a.mentor_skill_y3, 4: a.mentor_skill_y4}[year]
        trained = a.mentor_trained if pm.trained else 1.0
        mentor_detect = (min(1.0, a.mentor_notice * skill * trained)
                         * min(1.0, a.mentor_escalate * trained))
    coach_meetings = coach_detect = 0.0
    if co is not None:
        coach_meetings = co.meetings_per_year
        disclose = a.grader_disclosure if sg and sg.facilitator_is_coach else 1.0
        coach_detect = min(1.0, a.coach_notice * faculty_mult * disclose) * a.attendance
    session_interval, session_detect = math.inf, 0.0
    if sg is not None and sg.sessions_per_month > 0:
        session_interval = DAYS_PER_MONTH / sg.sessions_per_month
        size_factor = math.sqrt(a.reference_group / sg.size)
        session_detect = min(1.0, a.facilitator_notice * size_factor * faculty_mult)
    return Channels(
        self_rate=a.self_referral_per_year / DAYS_PER_YEAR,
        self_belonging_effect=a.self_referral_belonging,
        self_connected=a.connected_self,
        visibility_sd=a.visibility_sd,
        mentor_rate=mentor_rate,
        mentor_detect=mentor_detect,
        coach_meetings=coach_meetings,
        coach_interval=_interval(teaching, coach_meetings),
        coach_detect=coach_detect,
        advisor_meetings=adv.meetings_per_year,
        advisor_interval=_interval(teaching, adv.meetings_per_year),
        advisor_detect=min(1.0, a.advisor_notice * faculty_mult) * a.attendance,
        session_interval=session_interval,
        session_detect=session_detect,
        sessions_in_clerkships=bool(sg and sg.in_clerkships),
        grades_detect=a.grades_detect,
        grades_release_days=sc.institution.grade_release_days,
    )


def _interval(teaching: float, per_year: float) -> float:
    """Teaching days between meetings held `per_year` times a year (inf: never)."""
    return teaching / per_year if per_year > 0 else math.inf


def _casework(sc: Scenario) -> Casework:
    sup, co, a = sc.support, sc.coaching, sc.assumptions
    faculty = [FacultyGroup("support", sup.faculty, case_slots(sup.protected_hours_per_week, sc),
                            sup.protected_hours_per_week)]
    if co is not None:
        faculty.append(FacultyGroup("coach", coach_count(sc), case_slots(coach_case_hours(sc), sc),
                                    co.protected_hours_per_week, co.students_per_coach))
    training = a.training_recovery if sc.leadership.training else 1.0
    return Casework(
        capacity=support_capacity(sc),
        faculty=tuple(faculty),
        referral_rate=1.0 / sup.referral_delay_days if sup.referral_delay_days > 0 else 0.0,
        leadership_weeks=sc.leadership.meeting_every_weeks,
        intervention_days=sup.intervention_days,
        case_hours=sup.case_hours_per_week * sup.intervention_days / DAYS_PER_WEEK,
        loa_by_severity=(0.0, 0.0, a.help_loa_prob * a.help_loa_moderate_share,
                         a.help_loa_prob),
        leaving_hr=a.help_leaving_hr,
        recovery_hr=a.help_recovery_hr ** training,
    )


def _setbacks(sc: Scenario) -> SetbackRates:
    sb, lc, a = sc.setbacks, sc.community, sc.assumptions
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
        activities_protection=a.activities_protection,
        belonging_slope=a.belonging_conversion_slope,
        mentor_factor=a.mentor_prevent,
        connected_factor=a.connected_prevent,
        skills_slope=a.skills_prevent,
        conversion_cap=a.conversion_cap,
    )


def _episodes(sc: Scenario) -> EpisodeRates:
    ep, a = sc.episodes, sc.assumptions
    return EpisodeRates(
        recovery_days=ep.recovery_days,
        withdraw_rate=ep.withdraw_hazard_per_year / DAYS_PER_YEAR,
        hazard_growth=ep.hazard_growth_per_month / DAYS_PER_HAZARD_MONTH,
        leave_instead_prob=ep.leave_instead_prob,
        background_withdraw=ep.background_withdraw_per_year,
        fail_if_unresolved=ep.fail_if_unresolved,
        help_fail_ratio=a.help_fail_ratio,
        isolation_share=a.isolation_share,
        isolation_bounds=(a.isolation_share_min, a.isolation_share_max),
        severity_mild=a.severity_mild,
        severity_moderate=a.severity_moderate,
        hazard_by_severity=(0.0, a.hazard_mult_mild, a.hazard_mult_moderate, a.hazard_mult_severe),
        recovery_by_severity=(0.0, a.recovery_mult_mild, a.recovery_mult_moderate,
                              a.recovery_mult_severe),
        belonging_slope=a.belonging_leaving_slope,
        identity_slope=a.identity_leaving_slope,
        identity_reference=a.identity_reference,
    )


def _workload(sc: Scenario) -> Workload:
    sg, co = sc.small_groups, sc.coaching
    session_share = None
    if sg is not None:
        clerkships = len(frozenset(sc.calendar.clerkship_years))
        session_share = 1.0 if sg.in_clerkships else (4 - clerkships) / 4
    return Workload(
        advisor_meetings=sc.advising.meetings_per_year,
        advisor_meeting_hours=sc.assumptions.advisor_meeting_hours,
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
