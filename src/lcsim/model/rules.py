"""The model's rules: student state as functions of time, and how episodes are noticed.

`Rules` holds the formulas that turn a student's situation into belonging, ties, identity,
skills, the hazard of leaving, the detection channels (one hazard clock, `detection.py`) and
the referral delay (docs/model.md sections 6.1-6.5), apart from the event handling. It reads
the `Structure`, each student's schedule phases, the peer network (friends) and who mentors
whom, never the simulation clock: times are passed in.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from lcsim.model.agents import Episode, Student
from lcsim.model.contexts import SchoolNetwork
from lcsim.model.detection import Contacts, Flow, Plan
from lcsim.model.mentoring import Mentoring
from lcsim.model.parameters import EpisodeRates
from lcsim.model.schedule import Meetings, Yearly, exp_time
from lcsim.model.structure import Structure
from lcsim.model.units import DAYS_PER_WEEK, DAYS_PER_YEAR
from lcsim.outcomes.tables import ACADEMIC, ISOLATION, WELLBEING

RESEARCH_YEAR = 0  # value of Student.year during a voluntary research year
# The middle of the 0-1 belonging and skills scales: every factor of belonging (or skills) is 1
# there, so the calibrated base rates hold for a student in the middle (a normalisation).
BELONGING_REFERENCE = 0.5
SKILLS_REFERENCE = 0.5
# Read by episodes.py only, until it reads `EpisodeRates.recovery_by_severity` (set from the
# assumptions recovery_mult_*): the lead's help mechanism changes episodes.py.
_NORMAL = NormalDist()
_U_CLIP = 1e-12  # keeps the normal quantile finite at u = 0 or 1


def visibility(u: float, sd: float) -> float:
    """An episode's visibility: a lognormal multiplier (mean 1, log-scale spread `sd`) of every
    channel's hazard.

    Some difficulties are easy to see and some are hidden from everyone, so the channels'
    chances of noticing one episode go up and down together (docs/model.md section 6.4).
    """
    z = _NORMAL.inv_cdf(min(max(u, _U_CLIP), 1 - _U_CLIP))
    return math.exp(sd * z - sd * sd / 2)


def episode_kind(rates: EpisodeRates, personal: bool, u: float, belonging: float) -> str:
    """Personal setbacks become wellbeing or, more often with low belonging, isolation episodes."""
    if not personal:
        return ACADEMIC
    low, high = rates.isolation_bounds
    p_isolation = min(high, max(low, rates.isolation_share + (BELONGING_REFERENCE - belonging)))
    return ISOLATION if u < p_isolation else WELLBEING


def severity(rates: EpisodeRates, u: float) -> int:
    """1 mild, 2 moderate or 3 severe, in the assumed shares (`severity_mild`, `_moderate`)."""
    mild = rates.severity_mild
    return 1 if u < mild else (2 if u < mild + rates.severity_moderate else 3)


class Rules:
    """Formulas of the model that depend only on state, not on event handling."""

    __slots__ = ("structure", "phases", "clerkship", "teaching", "network", "mentoring",
                 "_belonging")

    def __init__(self, structure: Structure, phases: np.ndarray, network: SchoolNetwork,
                 mentoring: Mentoring | None = None) -> None:
        """`phases`: per student id, the phases of the coach, advisor and session schedules;
        `network`: the replication's peer network (friends give belonging and notice);
        `mentoring`: who has a near-peer mentor now (None: nobody)."""
        self.mentoring: Mentoring | None = mentoring
        self.structure: Structure = structure
        self.network: SchoolNetwork = network
        self.phases: np.ndarray = phases
        self.clerkship: frozenset[int] = structure.calendar.clerkship_years
        self.teaching: float = structure.calendar.teaching
        dev = structure.development  # read at every setback: its numbers, looked up once
        self._belonging = (dev.belonging_base, dev.belonging_per_tie, structure.peers.tie_half,
                           dev.belonging_mentor, dev.belonging_connected)

    def in_clerkship(self, s: Student) -> bool:
        """Whether the student's current year is a clerkship year."""
        return s.year in self.clerkship

    def peer_ties(self, s: Student, t: float) -> float:
        """The student's friends in the peer network at day `t`, the current time of the run,
        as of the network's last booking (every 4 teaching weeks; section 6.1)."""
        return float(self.network.friends(s.id))

    def mentored(self, s: Student, year: int | None = None) -> bool:
        """Whether the student has a near-peer mentor who is mentoring now (not in an episode,
        on leave or gone: `mentoring.Mentoring.active`); given a class `year` (the tables' state
        two years in), whether they had one all through that year."""
        m = self.mentoring
        if m is None:
            return False
        return m.active(s) if year is None else m.had_mentor(s, year)

    def belonging(self, s: Student, t: float, year: int | None = None,
                  ties: float | None = None) -> float:
        """Belonging (0-1) at day `t`: friends (`ties`, default: the network's now), subgroup
        offset, a mentor, a faculty connection."""
        base, per_tie, half, mentor, connected = self._belonging
        if ties is None:
            ties = self.network.friends(s.id)  # = peer_ties(s, t), without the call
        b = base + s.belonging_offset + per_tie * ties / (ties + half)
        b += mentor * self.mentored(s, year) + connected * s.connected
        return min(1.0, max(0.0, b))

    def identity(self, s: Student, t: float) -> float:
        """Professional identity (0-1) at day `t`: from its start at entry towards the target."""
        dev = self.structure.development
        target = dev.identity_target
        return target - (target - dev.identity_start) * math.exp(-(t - s.entry) / dev.growth_days)

    def clinical_skills(self, s: Student, t: float) -> float:
        """Clinical skills (0-1) at day `t`: from 0 at entry towards the target."""
        dev = self.structure.development
        return dev.skills_target * (1.0 - math.exp(-(t - s.entry) / dev.growth_days))

    # -- episodes: hazard of leaving, detection, referral ------------------------------------
    def withdraw_rate(self, s: Student, ep: Episode, t: float) -> float:
        """Daily hazard of leaving at onset; it grows while the episode is unhelped."""
        rates = self.structure.episodes
        h = rates.withdraw_rate * rates.hazard_by_severity[ep.severity] * s.risk
        h *= math.exp(-rates.belonging_slope * (self.belonging(s, t) - BELONGING_REFERENCE))
        return h * math.exp(-rates.identity_slope * (self.identity(s, t) - rates.identity_reference))

    def detection(self, s: Student, ep: Episode, u: np.ndarray,
                  limit: float) -> tuple[float, str | None, int]:
        """Detection time, channel and the friend who noticed (-1: not a friend): one hazard
        clock summing every channel (detection.py). The clock is kept as the episode's `plan`
        until the episode is detected or ends, for `replan`.

        Slot 5 of the episode's uniforms is the clock's Exp(1) threshold, slot 6 picks the
        channel, slot 7 the friend who noticed (in proportion to their contact; a friend in
        difficulty counts `difficulty_notice`, one away 0), slot 15 is the episode's
        visibility. Times after `limit` are not needed.
        """
        sd = self.structure.channels.visibility_sd
        threshold = -math.log1p(-float(u[5])) / visibility(float(u[15]), sd)
        peers = self.structure.peers
        friend, weight = self.network.friend_rates(s.id, ep.onset, peers.difficulty_notice)
        ep.friends = int(friend.size)
        scale = peers.detect * (peers.isolation_factor if ep.kind == ISOLATION else 1.0)
        ep.plan = Plan(threshold, self._flows(s, ep, scale, float(weight.sum())),
                       self._contacts(s, ep), limit, float(u[6]), scale, friend, weight)
        return ep.onset + ep.plan.days, ep.plan.channel, self.noticer(ep, float(u[7]))

    def replan(self, ep: Episode, now: float, friend: int = -1, mentor: bool = False) -> bool:
        """Student `friend` (a friend) stops noticing the undetected episode `ep` from `now`
        (they left or went on leave), and/or (`mentor`) its student's mentor stops mentoring:
        the detection clock goes on from `now` without them. Returns whether the planned
        detection changed. Support that stops can only delay a detection (the hazard before `now` is unchanged and after it lower).

        Other changes during an episode (a friend's own difficulty, ties formed, a year
        start's contact rates, a friend back from leave) do not re-plan: the clock keeps the
        rates of its onset for them (docs/model.md §7)."""
        plan, day = ep.plan, now - ep.onset
        if plan is None:
            return False
        dropped = friend >= 0 and plan.drop_friend(friend, day)
        stopped = mentor and plan.stop("mentor", day)
        if not (dropped or stopped):
            return False
        before = (plan.days, plan.channel)
        plan.solve()
        if plan.days < day:  # (rounding: the hazard before `now` is what it was)
            plan.days = day
        return (plan.days, plan.channel) != before  # (who noticed is read at detection)

    def noticer(self, ep: Episode, u: float) -> int:
        """The friend who notices, if the planned channel is "peer": slot 7 picks among the
        friends behind the peer flow at the detection day, in proportion to their weights
        (-1 for any other channel)."""
        plan = ep.plan
        if plan is None or plan.channel != "peer":
            return -1
        friend, weight = plan.peers_at(plan.days)
        cum = weight.cumsum(dtype=np.float64)
        at = int(cum.searchsorted(u * cum[-1], side="right"))
        return friend.item(min(at, friend.size - 1))

    def _flows(self, s: Student, ep: Episode, scale: float, friends: float) -> list[Flow]:
        """Channels that notice at a rate a day: the student, friends (`scale` x `friends`,
        the sum of their weighted contact rates, `PeerNetwork.friend_rates`), a mentor."""
        channels, onset = self.structure.channels, ep.onset
        belonging = self.belonging(s, onset)
        rate = channels.self_rate * math.exp(channels.self_belonging_effect
                                             * (belonging - BELONGING_REFERENCE))
        flows = [Flow("self", rate * (channels.self_connected if s.connected else 1))]
        flows.append(Flow("peer", scale * friends))  # 0 without friends
        if self.mentored(s):  # a mentor mentoring at onset: until the academic year's end
            flows.append(Flow("mentor", channels.mentor_rate * channels.mentor_detect,
                              s.year_start + DAYS_PER_YEAR - onset))
        return flows

    def _contacts(self, s: Student, ep: Episode) -> list[Contacts]:
        """Scheduled contacts, in days after onset: coach, facilitator, advisor, grades (as
        they stand at onset; re-iterable, so a re-plan reads the same meetings)."""
        channels, onset, teaching = self.structure.channels, ep.onset, self.teaching
        since_entry = onset - s.entry
        phases = self.phases[s.id].tolist()
        contacts = []
        if channels.coach_meetings > 0:
            contacts.append(Contacts("coach", channels.coach_detect,
                                     Meetings(since_entry, phases[0], channels.coach_interval,
                                              teaching)))
        in_clerkships = channels.sessions_in_clerkships
        sessions_now = in_clerkships or not self.in_clerkship(s)
        if channels.session_detect > 0 and sessions_now and s.year != RESEARCH_YEAR:
            until = math.inf
            if not in_clerkships:  # sessions stop at the next clerkship year
                later = [y for y in self.clerkship if y > s.year]
                if later:
                    until = s.year_start + (min(later) - s.year) * DAYS_PER_YEAR - onset
            contacts.append(Contacts("facilitator", channels.session_detect,
                                     Meetings(since_entry, phases[2], channels.session_interval,
                                              teaching, until)))
        if channels.advisor_meetings > 0:
            contacts.append(Contacts("advisor", channels.advisor_detect,
                                     Meetings(since_entry, phases[1], channels.advisor_interval,
                                              teaching)))
        if ep.kind == ACADEMIC:  # grades are seen some days after each later exam block
            contacts.append(Contacts("institution", channels.grades_detect,
                                     Yearly(since_entry, self.structure.calendar.exam_days,
                                            channels.grades_release_days)))
        return contacts

    def referral_delay(self, channel: str | None, u: float, now: float) -> float:
        """Self-referral is immediate; others wait to be passed on, or for the leadership group
        (which meets every few weeks from day 0); `now` is the day of detection."""
        if channel == "self":
            return 0.0
        casework = self.structure.casework
        rate = casework.referral_rate
        delay = exp_time(u, rate) if rate > 0 else 0.0
        weeks = casework.leadership_weeks
        if weeks:
            gap = DAYS_PER_WEEK * weeks
            delay = min(delay, math.ceil(now / gap) * gap - now)
        return delay
