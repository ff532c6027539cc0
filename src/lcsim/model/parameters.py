"""The numbers the model runs on, grouped by what they describe; `Structure` holds them.

These are plain values (rates per day, probabilities, capacities, days); `structure.py` sets
them from a scenario's levers and assumptions, in one place, and the rest of the model reads
only these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Calendar:
    """The school's size and calendar: days of each year, from its start."""

    teaching: float  # teaching days a year: the year less its break
    clerkship_years: frozenset[int]
    exam_days: tuple[float, ...]  # exam blocks, strictly before the year end
    licensing_day: float  # the licensing exam, after the last block
    licensing_year: int
    research_prob: float  # chance a student takes a research year after year 3
    class_size: int
    cohorts: int
    follow_up_years: int
    horizon: float  # end of the last cohort's follow-up


@dataclass(frozen=True, slots=True)
class Group:
    """A subgroup of students: its label, risk multiplier and belonging offset."""

    name: str
    risk: float
    belonging_offset: float  # the subgroup's offset plus the inclusion boost


@dataclass(frozen=True, slots=True)
class Cohort:
    """How each class is composed and grouped, and where students' development heads."""

    groups: tuple[Group, ...]
    group_bounds: tuple[float, ...]  # cumulative shares: a uniform below bound g is group g
    community_count: int
    students_per_coach: int  # 0 without coaching
    connected_meetings: float  # one-to-one meetings a year that can make a faculty connection
    connection_threshold: int  # attended meetings in year 1 that make a faculty connection
    attendance: float  # share of scheduled one-to-one meetings that happen


@dataclass(frozen=True, slots=True)
class Development:
    """Where a student's belonging, professional identity and clinical skills start and head."""

    belonging_base: float  # with no ties, before the subgroup offset
    belonging_per_tie: float  # added at full tie factor
    belonging_mentor: float  # added while a near-peer mentor is active
    belonging_connected: float  # added by a faculty connection
    identity_start: float
    identity_target: float
    skills_target: float  # clinical skills start at 0
    growth_days: float  # time constant of identity and skills growth


@dataclass(frozen=True, slots=True)
class Peers:
    """What friends of the peer network do: notice episodes, and give belonging."""

    detect: float  # chance a contact with a friend reveals an episode and leads to help
    tie_half: float  # friends at which the tie factor T / (T + tie_half) is one half
    isolation_factor: float  # peers notice isolation episodes this much as often
    difficulty_notice: float  # a friend in difficulty notices this share


@dataclass(frozen=True, slots=True)
class Channels:
    """Detection channels: flows (rate per day) and scheduled contacts (interval, chance)."""

    self_rate: float
    self_belonging_effect: float
    self_connected: float  # a faculty connection multiplies the rate of asking for help
    visibility_sd: float  # log-scale spread of an episode's visibility to every channel
    mentor_rate: float
    mentor_detect: float
    coach_meetings: float  # a year
    coach_interval: float  # teaching days between meetings (inf: none)
    coach_detect: float
    advisor_meetings: float
    advisor_interval: float
    advisor_detect: float
    session_interval: float
    session_detect: float
    sessions_in_clerkships: bool
    grades_detect: float
    grades_release_days: float


@dataclass(frozen=True, slots=True)
class FacultyGroup:
    """`count` faculty agents of one role, each with `slots` concurrent case slots."""

    role: str
    count: int
    slots: int
    protected_hours: float
    students: int = 0


@dataclass(frozen=True, slots=True)
class Casework:
    """Referral and help: who works the cases, how long they take and how they end."""

    capacity: int
    faculty: tuple[FacultyGroup, ...]
    referral_rate: float  # of passing a detected episode on (0: at once)
    leadership_weeks: int | None
    intervention_days: float
    case_hours: float  # faculty hours one case takes
    loa_by_severity: tuple[float, ...]  # chance that help ends in a leave, by severity
    leaving_hr: float  # help multiplies the hazard of leaving by this from its start
    recovery_hr: float  # ... and the recovery rate by this


@dataclass(frozen=True, slots=True)
class SetbackRates:
    """Setbacks and the chance that one becomes a difficulty episode."""

    personal_rate: float
    academic_prob: float  # per exam block
    licensing_prob: float
    probation_multiplier: float
    personal_to_episode: float
    academic_to_episode: float
    strain_days: float
    strain_effect: float
    activities_before_exams: bool
    activities_protection: float  # share of academic conversions the activities remove
    belonging_slope: float  # conversion x exp(-slope (b - 0.5))
    mentor_factor: float  # conversion multiplier while a near-peer mentor is active
    connected_factor: float  # conversion multiplier for a student with a faculty connection
    skills_slope: float  # clerkship academic conversion x exp(-slope (S - 0.5))
    conversion_cap: float


@dataclass(frozen=True, slots=True)
class EpisodeRates:
    """An episode's course: recovery, the rising risk of leaving, and its academic cost."""

    recovery_days: float
    withdraw_rate: float
    hazard_growth: float  # relative growth a day of the risk of leaving
    leave_instead_prob: float
    background_withdraw: float  # chance a year
    fail_if_unresolved: float
    help_fail_ratio: float  # multiplies fail_if_unresolved while the episode is being helped
    isolation_share: float  # of personal episodes at belonging 0.5 (+ 0.5 - b, within bounds)
    isolation_bounds: tuple[float, float]
    severity_mild: float  # share of episodes that are mild
    severity_moderate: float
    hazard_by_severity: tuple[float, ...]  # multiplier of withdraw_rate, by severity (1-3)
    recovery_by_severity: tuple[float, ...]  # multiplier of recovery_days, by severity (1-3)
    belonging_slope: float  # hazard of leaving x exp(-slope (b - 0.5))
    identity_slope: float  # hazard of leaving x exp(-slope (I - identity_reference))
    identity_reference: float


@dataclass(frozen=True, slots=True)
class Workload:
    """Faculty hours: scheduled meetings and facilitation, and protected time."""

    advisor_meetings: float
    advisor_meeting_hours: float
    coach_meetings: float | None  # None without coaching
    coach_meeting_hours: float
    protected_per_week: float
    steady_students: int  # students enrolled at once (four classes)
    session_share: float | None  # share of student time with sessions; None without groups
    group_size: int
    sessions_per_month: float
    session_hours: float



@dataclass(frozen=True, slots=True)
class Network:
    """The peer network (`network.py`, `contexts.py`): contact by context, a teaching day, and
    how ties form and fade. A rate of 0 means the context is absent (it makes no rows)."""

    contacts_to_tie: float  # mean of a pair's Erlang-2 threshold
    tie_memory_days: float  # teaching days: mean life of a tie without contact
    homophily: float  # contact weight of a same-subgroup partner in spread contact
    class_rate: float  # each student's class contact, spread over the class pool
    community_rate: float  # each student's community contact, spread over the community pool
    vertical_rate: float  # each student's contact with the class above (0: not vertical)
    session_rate: float  # each pair of a small group (0: no small-group contact)
    mentor_rate: float  # each mentor-mentee pair (0: no peer mentoring)
    class_pool: int
    community_pool: int
    group_size: int
    kept_years: int  # small groups are redrawn every kept_years class years
    session_years: frozenset[int]  # class years with small-group sessions
    clerkship_years: frozenset[int]
    clerkship_contact: float  # share of class and community contact left in clerkships
    vertical_keep: float  # share of lost community contact a vertical community keeps
    orientation_ties: int  # ties with the nearest community partners at entry
    mentor_year: int  # 0 without peer mentoring
    mentee_years: tuple[int, ...]
    caseload: int
    match_any: bool  # mentors from the whole class, not only the mentee's community
