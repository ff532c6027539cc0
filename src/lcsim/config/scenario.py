"""The scenario schema: a validated, frozen description of one school and its community structure.

Every field here acts through a mechanism in the model (see docs/model.md); defaults are the
calibrated no-learning-community baseline. Units are in the field names or descriptions
(time in days unless a name says weeks, months or years). Numbers marked "assumption" in
docs/model.md have no published source.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lcsim.config.assumptions import Assumptions
from lcsim.config.moved import MOVED, MOVED_SECTIONS, REPLACED

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class Part(BaseModel):
    """Base for every scenario section: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Subgroup(Part):
    """A marginalised subgroup with a higher risk of difficulty (Nguyen et al. 2022)."""

    name: str = Field(min_length=1, max_length=40, description="label used in the equity tables")
    share: Share = Field(description="fraction of each entering class")
    risk_multiplier: float = Field(
        1.0, ge=0.0, le=10.0,
        description="multiplies the chance a setback becomes a difficulty episode, the hazard "
        "of leaving during an episode and the background withdrawal chance")
    belonging_offset: float = Field(
        0.0, ge=-0.5, le=0.5, description="shift of initial and long-run belonging (0-1 scale)")


def _default_subgroups() -> tuple[Subgroup, ...]:
    return (
        Subgroup(name="urim", share=0.17, risk_multiplier=2.1, belonging_offset=-0.10),
        Subgroup(name="low_income", share=0.12, risk_multiplier=1.6, belonging_offset=-0.05),
    )


class Population(Part):
    """Who enters and for how long they are followed."""

    class_size: int = Field(150, ge=1, le=250_000, description="students entering each year")
    cohorts: int = Field(4, ge=1, le=20, description="entering classes simulated, one a year")
    follow_up_years: int = Field(
        6, ge=4, le=10, description="each cohort is followed this many years after entry")
    subgroups: tuple[Subgroup, ...] = Field(default_factory=_default_subgroups)

    @model_validator(mode="after")
    def _check(self) -> Population:
        if sum(g.share for g in self.subgroups) > 1.0 + 1e-9:
            raise ValueError("subgroup shares add up to more than 1")
        if self.class_size * self.cohorts > 1_000_000:
            raise ValueError("class_size x cohorts must be at most 1,000,000 students")
        names = [g.name for g in self.subgroups]
        if len(set(names)) != len(names):
            raise ValueError("subgroup names must be unique")
        if "none" in names:
            raise ValueError("'none' is reserved for students in no subgroup")
        return self


class Calendar(Part):
    """The academic year: exam blocks, the licensing exam, clerkships and breaks."""

    exam_blocks_per_year: int = Field(4, ge=1, le=12, description="exam blocks a year")
    licensing_exam_year: int = Field(
        2, ge=1, le=4, description="year whose end holds the licensing exam (Step 1)")
    clerkship_years: tuple[int, ...] = Field(
        (3, 4), description="years spent in dispersed clinical clerkships")
    clerkship_peer_contact: Share = Field(
        0.35, description="peer contact in clerkship years as a share of pre-clerkship contact")
    break_weeks: int = Field(
        6, ge=0, le=20,
        description="weeks of break at the end of each year: no sessions, meetings or exams")
    research_year_prob: Prob = Field(
        0.07, description="chance a student takes a voluntary research year after year 3")

    @model_validator(mode="after")
    def _check(self) -> Calendar:
        if any(y < 1 or y > 4 for y in self.clerkship_years):
            raise ValueError("clerkship_years must be between 1 and 4")
        return self


class Setbacks(Part):
    """Exogenous setbacks and how often they turn into difficulty episodes without support."""

    personal_per_year: float = Field(
        1.0, ge=0.0, le=20.0, description="personal setbacks a year (any time), Poisson")
    academic_prob_per_exam: Prob = Field(
        0.05, description="chance of an academic setback at each exam block")
    licensing_exam_prob: Prob = Field(
        0.10, description="chance of an academic setback at the licensing exam")
    personal_to_episode: Prob = Field(
        0.04, description="chance an unsupported personal setback becomes an episode")
    academic_to_episode: Prob = Field(
        0.30, description="chance an unsupported academic setback becomes an episode")
    strain_days: float = Field(
        60.0, gt=0.0, le=730.0, description="time constant with which strain fades")
    strain_effect: float = Field(
        0.5, ge=0.0, le=5.0, description="relative rise in conversion per unit of strain")


class Episodes(Part):
    """Difficulty episodes: recovery, rising risk while unhelped, and severity."""

    recovery_days: float = Field(
        120.0, gt=0.0, le=3650.0, description="mean time to spontaneous recovery")
    withdraw_hazard_per_year: float = Field(
        0.10, ge=0.0, le=10.0,
        description="hazard of leaving (a leave of absence or a withdrawal, see "
        "leave_instead_prob) at onset, per year")
    hazard_growth_per_month: float = Field(
        0.9, ge=0.0, le=20.0, description="relative growth of that hazard per month unhelped")
    fail_if_unresolved: Prob = Field(
        0.55, description="chance an academic episode unresolved at year end fails progression "
        "(times assumptions.help_fail_ratio while it is being helped)")
    leave_instead_prob: Prob = Field(
        0.9, description="when the risk of leaving comes due, chance of a leave of absence "
        "rather than a withdrawal")
    background_withdraw_per_year: float = Field(
        0.002, ge=0.0, le=1.0,
        description="yearly chance of leaving for reasons unrelated to difficulty (career "
        "change), lowered by professional identity")
    probation_multiplier: float = Field(
        4.0, ge=1.0, le=20.0, description="academic setback risk after a failed year")


class Institution(Part):
    """The school notices academic episodes through grades after exam blocks (each block's
    grades flag an ongoing academic episode with chance assumptions.grades_detect)."""

    grade_release_days: float = Field(10.0, ge=0.0, le=90.0, description="exam to grades")


class Advising(Part):
    """Central advising, present with or without learning communities."""

    meetings_per_year: float = Field(1.0, ge=0.0, le=52.0, description="advisor meetings")


class Support(Part):
    """Student-affairs faculty who run interventions: the referral queue's servers."""

    faculty: int = Field(3, ge=0, le=10_000, description="faculty who take referred cases")
    protected_hours_per_week: float = Field(
        6.0, ge=0.0, le=60.0, description="hours each gives to cases")
    case_hours_per_week: float = Field(
        1.5, gt=0.0, le=40.0, description="faculty time one open case takes")
    intervention_days: float = Field(
        30.0, gt=0.0, le=365.0, description="length of an intervention")
    referral_delay_days: float = Field(
        14.0, ge=0.0, le=365.0,
        description="mean delay from being noticed by someone else to a referral")


class Community(Part):
    """Learning communities: assigned at entry, kept for all years."""

    count: int = Field(4, ge=1, le=1000, description="communities in the school")
    vertical: bool = Field(
        True, description="communities span class years (seniors stay in contact)")
    peer_contacts_per_week: float = Field(
        3.0, ge=0.0, le=50.0, description="informal contacts with LC peers a week")
    orientation_ties: int = Field(
        0, ge=0, le=50, description="community classmates who are friends from the first day "
        "(an orientation retreat): the nearest on each side of a ring, so an odd number is "
        "rounded up to the next even one")
    activities_before_exams: bool = Field(
        False, description="LC activities placed in the week before each exam block")
    mixing: float = Field(
        0.0, ge=0.0, le=1.0,
        description="share of community contact spent with students of the class's other "
        "communities (joint events)")


class SmallGroups(Part):
    """Small-group curriculum delivered within the community."""

    size: int = Field(8, ge=2, le=100, description="students per group")
    sessions_per_month: float = Field(
        4.0, ge=0.0, le=30.0, description="small-group sessions a month in teaching time")
    facilitator_is_coach: bool = Field(
        False, description="the coach also facilitates and grades the group")
    in_clerkships: bool = Field(False, description="sessions continue in clerkship years")
    hours_per_session: float = Field(2.0, gt=0.0, le=8.0, description="faculty hours")
    kept_years: int = Field(
        1, ge=1, le=4,
        description="class years a small group stays together before it is reshuffled (4: kept "
        "throughout)")


class Coaching(Part):
    """Faculty coaches with one-to-one meetings."""

    students_per_coach: int = Field(
        20, ge=1, le=500, description="students per coach across all four classes")
    meetings_per_year: float = Field(
        3.0, ge=0.0, le=52.0, description="scheduled one-to-one meetings a year")
    protected_hours_per_week: float = Field(
        6.0, ge=0.0, le=40.0, description="each coach's protected time (meetings and cases)")
    meeting_hours: float = Field(0.75, gt=0.0, le=8.0, description="faculty hours a meeting")


class PeerMentoring(Part):
    """Near-peer mentors from a senior class."""

    @model_validator(mode="after")
    def _check(self) -> PeerMentoring:
        if any(y < 1 or y >= self.mentor_year for y in self.mentee_years):
            raise ValueError("mentee_years must be class years below mentor_year")
        return self

    mentees_per_mentor: int = Field(
        4, ge=1, le=50, description="mentees per mentor; above 4, each gets less contact")
    mentor_year: int = Field(2, ge=2, le=4, description="class year of the mentors")
    mentee_years: tuple[int, ...] = Field((1,), description="class years that get a mentor")
    contacts_per_month: float = Field(2.0, ge=0.0, le=30.0, description="at 4 mentees/mentor")
    trained: bool = Field(False, description="mentors trained to notice and escalate")
    matching: Literal["community", "any"] = Field(
        "community", description="where a mentee's mentor comes from: their own community or "
        "anywhere in the mentor class")


class Space(Part):
    """An assigned room per community."""

    assigned: bool = Field(
        True, description="the community has its own room (it multiplies community peer "
        "contact by assumptions.room_contact_multiplier)")


class Leadership(Part):
    """LC leadership: mandatory training and a group that meets to discuss cases."""

    training: bool = Field(
        False, description="mandatory training: coaches, facilitators and advisors notice more "
        "and help speeds recovery more (assumptions.training_notice, training_recovery)")
    meeting_every_weeks: int | None = Field(
        None, ge=1, le=52, description="leadership group meets every N weeks; cases referred")


class Inclusion(Part):
    """Inclusion and belonging programming."""

    programme: bool = Field(
        False, description="inclusion and belonging programming for subgroup members (it adds "
        "assumptions.inclusion_belonging_boost to their belonging)")


class Scenario(Part):
    """One school: population, calendar, behaviour and its community structure."""

    moved_keys: ClassVar[Mapping[str, str]] = {
        **MOVED, **MOVED_SECTIONS, **{old: new for old, (new, _) in REPLACED.items()}}
    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\- ]+$",
                      description="scenario label used in tables, reports and file names")
    description: str = Field("", max_length=4000, description="free text; never affects results")
    population: Population = Population()
    calendar: Calendar = Calendar()
    setbacks: Setbacks = Setbacks()
    episodes: Episodes = Episodes()
    institution: Institution = Institution()
    advising: Advising = Advising()
    support: Support = Support()
    community: Community | None = Field(None, description="null: no learning communities")
    small_groups: SmallGroups | None = None
    coaching: Coaching | None = None
    peer_mentoring: PeerMentoring | None = None
    space: Space | None = None
    leadership: Leadership = Leadership()
    inclusion: Inclusion = Inclusion()
    assumptions: Assumptions = Field(
        default_factory=Assumptions,
        description="how students and staff respond (docs/assumptions.md); unset names take "
        "the shipped defaults")

    def advisories(self) -> tuple[str, ...]:
        """Valid settings that will not do what they seem to (`lcsim validate` warns)."""
        notes = []
        pm = self.peer_mentoring
        if pm is not None and len(pm.mentee_years) > pm.mentees_per_mentor:
            notes.append(
                f"peer_mentoring: {len(pm.mentee_years)} mentee classes share one mentor class "
                f"at {pm.mentees_per_mentor} mentee(s) a mentor, so it cannot cover every "
                "mentee even at full strength; the rest are unmatched (unmatched_mentee_share)")
        return tuple(notes)

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if self.community is None:
            for part in ("small_groups", "space"):
                if getattr(self, part) is not None:
                    raise ValueError(f"{part} needs a community section")
        if self.small_groups and self.small_groups.facilitator_is_coach and not self.coaching:
            raise ValueError("small_groups.facilitator_is_coach needs a coaching section")
        return self
