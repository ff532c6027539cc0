"""The assumptions section of a scenario: how students and staff respond, as named numbers.

A scenario has two kinds of numbers. **Levers** are what a school decides (its structure,
ratios, meeting frequencies, protected hours, population): they sit in the scenario's other
sections. **Assumptions** are how people respond to that structure (prevention effects, notice
and escalation chances, tie formation, growth constants, the severity mix, ...): nobody sets
them, they are beliefs about the world, and every one of them sits here, by name, so it can be
shown, `--set`, swept and given a prior (`lcsim/config/priors.yaml`, docs/assumptions.md).
The model reads them only through `model/structure.py`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
Slope = Annotated[float, Field(ge=0.0, le=10.0)]  # log-multiplier per unit of a 0-1 scale
Gain = Annotated[float, Field(ge=0.0, le=0.5)]  # an increment on a 0-1 scale
Multiplier = Annotated[float, Field(ge=0.0, le=10.0)]
Positive = Annotated[float, Field(gt=0.0, le=10.0)]


class Assumptions(BaseModel):
    """How students and staff respond: every behavioural number of the model, by name (see
    docs/assumptions.md for each one's meaning, prior and source)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # -- peer ties and belonging
    class_contacts_per_week: float = Field(
        1.0, ge=0.0, le=50.0,
        description="informal contacts a week with classmates for a student without a community "
        "(drives tie growth and the peer channel of detection)")
    tie_half: float = Field(
        12.5, gt=0.0, le=100.0,
        description="friends at which the tie factor T/(T + tie_half) is 0.5")
    reference_lc_size: float = Field(
        30.0, gt=0.0, le=10_000.0,
        description="classmates per community at which a pair's community contact is the base "
        "rate (size factor sqrt(reference / n))")
    lc_size_factor_min: Positive = Field(
        0.5, description="lower bound of the community-size factor on a pair's "
        "community contact")
    lc_size_factor_max: Positive = Field(
        2.0, description="upper bound of the community-size factor on a pair's "
        "community contact")
    vertical_clerkship_contact_kept: Prob = Field(
        0.5, description="share of the peer contact lost in clerkship years that a vertical "
        "community keeps")
    room_contact_multiplier: float = Field(
        1.2, ge=1.0, le=5.0,
        description="an assigned room multiplies community peer contact (was "
        "space.contact_multiplier)")
    contacts_to_tie: float = Field(
        20.0, gt=0.0, le=1000.0,
        description="mean contacts a pair of students needs before they are friends (a tie of "
        "the peer network; each pair's own threshold is Erlang-2 with this mean)")
    tie_memory_days: float = Field(
        180.0, gt=0.0, le=3650.0,
        description="mean teaching days a friendship lasts once the pair's contact stops (each "
        "tie's own memory is exponential with this mean)")
    homophily: float = Field(
        1.5, gt=0.0, le=20.0, description="contact weight of a partner of the same subgroup against one of another "
        "subgroup, in contact spread over a pool (class, community, vertical partners)")
    class_pool: int = Field(
        12, ge=2, le=200,
        description="classmates a student is in regular contact with (the class contact is "
        "spread over them)")
    community_pool: int = Field(
        20, ge=2, le=200,
        description="community classmates a student is in regular contact with (all of them in "
        "a smaller community)")
    session_pair_contact: Prob = Field(
        0.2, description="chance a small-group session is a contact for a given pair of its "
        "members")
    vertical_contacts_per_week: float = Field(
        0.3, ge=0.0, le=50.0,
        description="informal contacts a week with students of the class above in a vertical "
        "community")
    belonging_base: Prob = Field(
        0.38, description="belonging (0-1) with no ties, before subgroup offsets")
    belonging_per_tie_factor: float = Field(
        0.3, ge=0.0, le=1.0,
        description="belonging gained at full tie factor")
    belonging_mentor: Gain = Field(
        0.05, description="belonging added by an active near-peer mentor")
    belonging_connected: Gain = Field(
        0.05, description="belonging added by a faculty connection")
    inclusion_belonging_boost: Gain = Field(
        0.05, description="belonging added by inclusion programming (was inclusion.belonging_boost)")
    connection_meetings: int = Field(
        2, ge=0, le=52,
        description="attended one-to-one meetings with one faculty member in year 1 that make a "
        "faculty connection")

    # -- professional identity and clinical skills
    growth_days: float = Field(
        730.0, gt=0.0, le=3650.0,
        description="time constant of identity and clinical-skills growth")
    identity_start: Prob = Field(
        0.5, description="professional identity at entry")
    identity_target_base: Prob = Field(
        0.6, description="identity target without programmes")
    identity_small_groups: Gain = Field(
        0.1, description="added to the identity target by small groups")
    identity_mentoring: Gain = Field(
        0.05, description="added to the identity target by peer mentoring")
    identity_per_coach_meeting: Gain = Field(
        0.025, description="added to the identity target per yearly coach meeting")
    identity_coaching_cap: Gain = Field(
        0.1, description="cap of the coaching contribution to the identity target")
    skills_target_base: Prob = Field(
        0.5, description="clinical-skills target without programmes")
    skills_small_groups: Gain = Field(
        0.2, description="added to the clinical-skills target by small groups")
    skills_per_coach_meeting: Gain = Field(
        0.025, description="added to the clinical-skills target per yearly coach meeting")
    skills_coaching_cap: Gain = Field(
        0.1, description="cap of the coaching contribution to the skills target")

    # -- prevention and the risk of leaving
    belonging_conversion_slope: Slope = Field(
        0.075, description="slope of the conversion of setbacks into episodes on belonging: x "
        "exp(-slope (b - 0.5))")
    belonging_leaving_slope: Slope = Field(
        0.075, description="slope of the hazard of leaving on belonging: x exp(-slope (b - 0.5))")
    mentor_prevent: Multiplier = Field(
        0.9923, description="an active near-peer mentor multiplies the conversion probability")
    connected_prevent: Multiplier = Field(
        0.9923, description="a faculty connection multiplies the conversion probability")
    activities_protection: Prob = Field(
        0.0188, description="share of academic conversions removed by community activities before "
        "exams")
    skills_prevent: Slope = Field(
        0.15, description="slope of clerkship academic conversion on clinical skills: x exp(-slope "
        "(S - 0.5))")
    identity_leaving_slope: Slope = Field(
        0.15, description="slope of the hazard of leaving (and of background withdrawal) on "
        "identity: x exp(-slope (I - identity_reference))")
    identity_reference: Prob = Field(
        0.6, description="identity at which the identity factor of the leaving hazard is 1")
    conversion_cap: Prob = Field(
        0.95, description="cap on the conversion probability of a setback")

    # -- episodes: type, severity, recovery, hazard
    isolation_share: Prob = Field(
        0.25, description="isolation share of personal episodes at belonging 0.5 (share = "
        "isolation_share + 0.5 - b, within the bounds)")
    isolation_share_min: Prob = Field(
        0.05, description="lower bound of the isolation share")
    isolation_share_max: Prob = Field(
        0.8, description="upper bound of the isolation share")
    severity_mild: Prob = Field(
        0.5, description="share of episodes that are mild (severe = 1 - mild - moderate)")
    severity_moderate: Prob = Field(
        0.35, description="share of episodes that are moderate")
    recovery_mult_mild: Positive = Field(
        0.7, description="mean time to spontaneous recovery of a mild episode, as a multiple of "
        "episodes.recovery_days")
    recovery_mult_moderate: Positive = Field(
        1.0, description="mean time to spontaneous recovery of a moderate episode, as a multiple of"
        " episodes.recovery_days")
    recovery_mult_severe: Positive = Field(
        1.6, description="mean time to spontaneous recovery of a severe episode, as a multiple of "
        "episodes.recovery_days")
    hazard_mult_mild: Multiplier = Field(
        0.5, description="hazard of leaving of a mild episode, as a multiple of the moderate one")
    hazard_mult_moderate: Multiplier = Field(
        1.0, description="hazard of leaving of a moderate episode (the reference: "
        "episodes.withdraw_hazard_per_year is set at it)")
    hazard_mult_severe: Multiplier = Field(
        2.0, description="hazard of leaving of a severe episode, as a multiple of the moderate one")

    # -- detection
    visibility_sd: float = Field(
        0.7, ge=0.0, le=3.0,
        description="log-scale spread of an episode's visibility, a multiplier of every channel's "
        "detection hazard")
    peer_notice: Prob = Field(
        0.023, description="chance a contact with a friend reveals an ongoing episode")
    peer_escalate: Prob = Field(
        0.35, description="chance a peer who notices gets the student to help")
    isolation_peer_factor: Multiplier = Field(
        0.5, description="peers notice isolation episodes this much as often as others")
    friend_difficulty_notice: Prob = Field(
        0.5, description="a friend who is in difficulty themself notices and escalates this "
        "share of what another friend would")
    connected_self: Multiplier = Field(
        1.5, description="a faculty connection multiplies the rate of asking for help")
    attendance: Prob = Field(
        0.75, description="share of scheduled one-to-one meetings that happen (coach and advisor "
        "detection; faculty connections)")
    training_notice: Multiplier = Field(
        1.3, description="leadership training multiplies faculty notice probabilities")
    mentor_trained: Multiplier = Field(
        1.5, description="mentor training multiplies mentor notice and escalation")
    grader_disclosure: Prob = Field(
        0.7, description="a coach who also grades the student's group hears this share of what "
        "another coach would")
    reference_group: float = Field(
        8.0, gt=0.0, le=100.0,
        description="small-group size at which facilitator_notice applies as given (it scales as "
        "sqrt(reference / size))")
    mentor_time_y2: Multiplier = Field(
        1.0, description="share of peer_mentoring.contacts_per_month a year-2 mentor makes")
    mentor_time_y3: Multiplier = Field(
        0.8, description="share of peer_mentoring.contacts_per_month a year-3 mentor makes")
    mentor_time_y4: Multiplier = Field(
        0.7, description="share of peer_mentoring.contacts_per_month a year-4 mentor makes")
    mentor_skill_y2: Multiplier = Field(
        0.9, description="multiplier of mentor_notice for a year-2 mentor")
    mentor_skill_y3: Multiplier = Field(
        1.0, description="multiplier of mentor_notice for a year-3 mentor")
    mentor_skill_y4: Multiplier = Field(
        1.1, description="multiplier of mentor_notice for a year-4 mentor")
    coach_notice: Prob = Field(
        0.4, description="chance a coach meeting uncovers an ongoing episode (was "
        "coaching.notice_prob)")
    advisor_notice: Prob = Field(
        0.35, description="chance an advisor meeting uncovers an ongoing episode (was "
        "advising.notice_prob)")
    facilitator_notice: Prob = Field(
        0.1, description="chance a small-group session uncovers an ongoing episode, at "
        "reference_group size (was small_groups.facilitator_notice_prob)")
    mentor_notice: Prob = Field(
        0.25, description="chance a mentor contact reveals an ongoing episode, year-3 mentor (was "
        "peer_mentoring.notice_prob)")
    mentor_escalate: Prob = Field(
        0.5, description="chance a mentor who notices gets the student to help (was "
        "peer_mentoring.escalate_prob)")
    self_referral_per_year: float = Field(
        1.0, ge=0.0, le=50.0,
        description="yearly rate of asking for help during an episode, at belonging 0.5 and "
        "visibility 1 (was self_referral.rate_per_year)")
    self_referral_belonging: Slope = Field(
        2.0, description="slope of help-seeking on belonging: x exp(slope (b - 0.5)) (was "
        "self_referral.belonging_effect)")
    grades_detect: Prob = Field(
        0.5, description="chance an exam block's grades flag an ongoing academic episode (was "
        "institution.grades_detect_prob)")

    # -- help: what an intervention does once it has started (docs/model.md section 6.7)
    help_leaving_hr: float = Field(
        0.926, ge=0.0, le=2.0,
        description="help multiplies the hazard of leaving school by this from its start "
        "(1: no effect, 0: no one leaves once helped)")
    help_recovery_hr: float = Field(
        1.29, ge=0.5, le=50.0,
        description="help multiplies the episode's recovery rate by this from its start "
        "(1: no effect)")
    help_fail_ratio: float = Field(
        0.926, ge=0.0, le=2.0,
        description="help multiplies the chance of failing the year with an open academic "
        "episode (1: no effect)")
    help_loa_prob: Prob = Field(
        0.075, description="chance that help ends a severe episode in a recommended leave of "
        "absence, when leaving was nearer than recovery (0: never)")
    help_loa_moderate_share: Prob = Field(
        0.333, description="that chance for a moderate episode, as a share of the severe one "
        "(mild episodes: none)")
    training_recovery: float = Field(
        1.021, ge=0.0, le=3.0,
        description="with leadership training, help's recovery ratio is raised to this power "
        "(1: training adds nothing; no effect when help has none)")

    # -- faculty load
    advisor_meeting_hours: float = Field(
        0.5, gt=0.0, le=8.0,
        description="faculty hours per advisor meeting (faculty load only)")

    @model_validator(mode="after")
    def _check(self) -> Assumptions:
        if self.severity_mild + self.severity_moderate > 1.0 + 1e-9:
            raise ValueError("severity_mild + severity_moderate must be at most 1 (the rest is "
                             "the severe share)")
        if self.lc_size_factor_min > self.lc_size_factor_max:
            raise ValueError("lc_size_factor_min must be at most lc_size_factor_max")
        if self.isolation_share_min > self.isolation_share_max:
            raise ValueError("isolation_share_min must be at most isolation_share_max")
        return self
