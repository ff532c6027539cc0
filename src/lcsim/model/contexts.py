"""Where students meet, and the peer network's place in one replication (design §2.2-§2.4).

The contexts of `network.PeerNetwork`, as keyed index arrays: the class and the community (ring
lattices of `class_pool` / `community_pool` neighbours on a keyed order of each class or
community), small groups (cut from a keyed order of the class, redrawn every `kept_years`),
vertical partners in the class above and near-peer mentors (`mentor_matches`, keyed within the
community or the class). Three network-only senior classes are in school at day 0, so the first cohorts have
vertical partners and mentors. `SchoolNetwork` keeps the network in step with the school: year
starts from the school calendar, leaves and exits from `progression`, and a booking clock.
Every order is keyed by (seed, purpose, group, student), so it does not depend on which other
contexts or students exist.
"""

from __future__ import annotations

from collections.abc import Container, Generator, Iterable, Iterator
from functools import partial
from typing import Any

import numpy as np
import simpy

from lcsim.model.agents import Student
from lcsim.model.network import (
    CLASS,
    GROUP,
    LC,
    MENTOR,
    MENTOR_REV,
    VERTICAL,
    Context,
    PeerNetwork,
    factor_table,
)
from lcsim.model.parameters import Network
from lcsim.model.schedule import from_teaching, to_teaching
from lcsim.model.streams import Streams
from lcsim.model.structure import Structure
from lcsim.model.tie_events import TieLog
from lcsim.model.trace import EventLog
from lcsim.model.units import BOOKING_DAYS, SENIOR_CLASSES, VERTICAL_POOL

Ranked = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def ranked(streams: Streams, purpose: str, group: np.ndarray, ids: np.ndarray) -> Ranked:
    """Members sorted by group, in a keyed order within it: ids, group, their group's start
    and size, and their position in it."""
    order = np.lexsort((streams.keyed_uniforms(purpose, group, ids), group))
    g, ids = group[order], ids[order]
    first = np.concatenate(([True], g[1:] != g[:-1])) if g.size else np.zeros(0, bool)
    which = np.cumsum(first) - 1
    start = np.flatnonzero(first)[which]
    return ids, g, start, np.bincount(which)[which], np.arange(g.size) - start


def rings(streams: Streams, purpose: str, group: np.ndarray, ids: np.ndarray,
          pool: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of each group: a ring lattice of `pool` neighbours on a keyed order (all pairs of
    a group of at most pool + 1); and each pair's distance on the ring."""
    ids, _, start, size, pos = ranked(streams, purpose, group, ids)
    i, j, dist = [], [], []
    for d in range(1, pool // 2 + 1):
        ok = (2 * d < size) | ((2 * d == size) & (pos < d))
        i.append(ids[ok])
        j.append(ids[(start + (pos + d) % np.maximum(size, 1))[ok]])
        dist.append(np.full(int(ok.sum()), d))
    empty = np.zeros(0, int)
    return (np.concatenate(i) if i else empty, np.concatenate(j) if j else empty,
            np.concatenate(dist) if dist else empty)


def contact_table(p: Network) -> np.ndarray:
    """Contact factor of each row code by both students' class years (design §2.3)."""
    t, cc, keep = factor_table(), p.clerkship_contact, p.vertical_keep
    for y in range(1, 5):
        clerk = y in p.clerkship_years
        t[CLASS, y, y] = cc if clerk else 1.0
        t[LC, y, 1:] = keep  # former classmates after a repeat or a leave
        t[LC, y, y] = cc + (1 - cc) * keep if clerk else 1.0
        t[VERTICAL, y, 1:] = 1.0
        if y in p.session_years:
            t[GROUP + (y - 1) // p.kept_years, y, y] = 1.0
    for y in p.mentee_years:
        t[MENTOR, y, p.mentor_year] = t[MENTOR_REV, p.mentor_year, y] = 1.0
    return t


class Roster:
    """Every student of the network: the model's students, then the senior classes."""

    def __init__(self, structure: Structure, students: list[Student], streams: Streams) -> None:
        cal, cohort = structure.calendar, structure.cohort
        k, real = cal.class_size, len(students)
        seniors = np.arange(real, real + SENIOR_CLASSES * k)
        names = [g.name for g in cohort.groups]
        self.real, self.class_size = real, k
        self.cohort = np.concatenate(([s.cohort for s in students],
                                      -1 - (seniors - real) // k)).astype(np.int16)
        self.community = np.concatenate(([s.community for s in students],
                                         (seniors - real) % k % cohort.community_count))
        known = [names.index(s.subgroup) if s.subgroup in names else len(names)
                 for s in students]
        u = streams.keyed_uniforms("net-entry", seniors, seniors)
        drawn = np.searchsorted(np.asarray(cohort.group_bounds), u, side="right")
        self.subgroup = np.concatenate((known, drawn)).astype(np.int8)

    @property
    def n(self) -> int:
        return int(self.cohort.size)


def contexts(p: Network, r: Roster, streams: Streams,
             orientation: list[tuple[np.ndarray, np.ndarray]]) -> Iterator[Context]:
    """The contexts in their fixed order; `orientation` receives the orientation pairs."""
    ids = np.arange(r.real)
    c, lc = r.cohort[:r.real].astype(np.int64), r.community[:r.real].astype(np.int64)
    if p.class_rate > 0:
        i, j, _ = rings(streams, "net-order-class", c, ids, p.class_pool)
        yield Context(CLASS, i, j, p.class_rate, spread=True)
    if p.community_rate > 0:
        i, j, d = rings(streams, "net-order-lc", c * r.n + lc, ids, p.community_pool)
        near = d <= -(-p.orientation_ties // 2)
        orientation.append((i[near], j[near]))
        yield Context(LC, i, j, p.community_rate, spread=True)
    if p.session_rate > 0 and p.group_size:
        for q in sorted({(y - 1) // p.kept_years for y in p.session_years}):
            who, g, _, _, pos = ranked(streams, f"net-order-group-{q}", c, ids)
            i, j, _ = rings(streams, f"net-order-group-{q}", g * r.n + pos // p.group_size,
                            who, p.group_size)
            yield Context(GROUP + q, i, j, p.session_rate, spread=False)
    if p.vertical_rate > 0:
        yield Context(VERTICAL, *_above(r, streams, ids, "net-order-vertical", VERTICAL_POOL),
                      p.vertical_rate, spread=True)
    if p.mentor_rate > 0 and p.caseload:
        mentee, mentor, _ = mentor_matches(p, r, streams)
        lower = mentee < mentor
        for code, keep in ((MENTOR, lower), (MENTOR_REV, ~lower)):
            yield Context(code, mentee[keep], mentor[keep], p.mentor_rate, spread=False)


def _above(r: Roster, streams: Streams, juniors: np.ndarray, purpose: str, each: int,
           step: int = 1, anywhere: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Each junior with `each` partners of their community (or the class, `anywhere`) in the
    class `step` years up, keyed; partner t of the junior in position p is (p x each + t)."""
    everyone = np.arange(r.n)
    community = np.zeros(r.n, np.int64) if anywhere else r.community.astype(np.int64)
    g = (r.cohort.astype(np.int64) + SENIOR_CLASSES) * r.n + community
    s_ids, s_g, s_start, s_size, _ = ranked(streams, purpose + "-senior", g, everyone)
    start, size = np.zeros(int(g.max()) + 1, np.int64), np.zeros(int(g.max()) + 1, np.int64)
    start[s_g], size[s_g] = s_start, s_size
    j_ids, j_g, _, _, pos = ranked(streams, purpose + "-junior", g[juniors], juniors)
    up = j_g - step * r.n
    st, sz = np.where(up >= 0, start[np.maximum(up, 0)], 0), np.where(up >= 0,
                                                                       size[np.maximum(up, 0)], 0)
    t = np.arange(each)
    slot = pos[:, None] * each + t[None, :]
    ok = t[None, :] < np.minimum(sz, each)[:, None]  # no partner twice
    at = (st[:, None] + slot % np.maximum(sz, 1)[:, None])[ok]
    return np.repeat(j_ids, ok.sum(axis=1)), s_ids[at]


def mentor_matches(p: Network, r: Roster,
                   streams: Streams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Near-peer mentors, matched once per replication by cohort (design §4): mentees, their
    mentors and, for each match, the index in `p.mentee_years` of the year it is for.

    Cohort c's year-y mentors are in cohort c + y - mentor_year, in the same community (or
    anywhere in the class with `match_any`). Each mentor group, in a keyed order, serves the
    mentee years that share it in turn, lowest year first: mentee k of the combined list (each
    year in its own keyed order) gets mentor k mod m of the group's m, while k < caseload x m;
    the rest get none. So mentee years 1 and 2 with mentor year 3 share one mentor class.
    `mentoring.Mentoring` and the network's MENTOR rows both use these matches."""
    empty = np.zeros(0, np.int64)
    if not p.caseload or not p.mentee_years:
        return empty, empty, empty
    community = np.zeros(r.n, np.int64) if p.match_any else r.community.astype(np.int64)
    g = (r.cohort.astype(np.int64) + SENIOR_CLASSES) * r.n + community
    s_ids, s_g, s_start, s_size, _ = ranked(streams, "net-order-mentor-senior", g,
                                            np.arange(r.n))
    start, size = np.zeros(int(g.max()) + 1, np.int64), np.zeros(int(g.max()) + 1, np.int64)
    start[s_g], size[s_g] = s_start, s_size
    used = np.zeros_like(size)  # places of each mentor group taken by lower mentee years
    ids = np.arange(r.real)
    mentees, mentors, which = [], [], []
    for index, y in sorted(enumerate(p.mentee_years), key=lambda item: item[1]):
        j_ids, j_g, _, j_size, pos = ranked(streams, f"net-order-mentor-{y}", g[ids], ids)
        up = np.maximum(j_g - (p.mentor_year - y) * r.n, 0)  # the mentor group (cohort >= -3)
        m, k = size[up], used[up] + pos
        keep = k < p.caseload * m
        mentees.append(j_ids[keep])
        mentors.append(s_ids[(start[up] + k % np.maximum(m, 1))[keep]])
        which.append(np.full(int(keep.sum()), index, np.int64))
        first = pos == 0  # one member of each mentee group adds the group's size
        np.add.at(used, up[first], j_size[first])
    return np.concatenate(mentees), np.concatenate(mentors), np.concatenate(which)


class SchoolNetwork:
    """The peer network of one replication, kept in step with the school (calendar days in,
    teaching time inside)."""

    def __init__(self, structure: Structure, students: list[Student], streams: Streams,
                 log: EventLog | None = None) -> None:
        """`log`: the event log of traced students (their ties formed and lost)."""
        p, self.teaching = structure.network, structure.calendar.teaching
        self.horizon = structure.calendar.horizon
        self.roster = r = Roster(structure, students, streams)
        self.kept: np.ndarray | None = None  # ties_at, once the arrays are released
        self.friends_lost = np.zeros(r.real, np.int16)  # friends lost to attrition, kept
        pairs: list[tuple[np.ndarray, np.ndarray]] = []  # read lazily: one context at a time
        self.net = PeerNetwork(r.subgroup, r.cohort, contexts(p, r, streams, pairs),
                               contact_table(p), partial(streams.keyed_uniforms, "net-tie"),
                               p.contacts_to_tie, p.tie_memory_days, p.homophily)
        if pairs:
            self.net.orient(*pairs[0])
        if log is not None:
            self.net.booked = TieLog(log, self.net, self.teaching)

    def year_start(self, k: int, now: float, enrolled: Iterable[Student]) -> None:
        """Year k starts (cohort k has entered): every student's class year from now."""
        r = self.roster
        year = np.zeros(r.n, np.int8)
        for s in enrolled:
            if s.leave_until is None:
                year[s.id] = s.year  # 0 in a research year
        senior = r.cohort[r.real:].astype(np.int64)
        year[r.real:] = np.where(k - senior + 1 <= 4, k - senior + 1, 0)
        self.net.year_start(to_teaching(now, self.teaching), year, entering=k)

    def ties_at(self) -> np.ndarray:
        """Friends of each of the model's students at the end of their years 1 and 2 after
        entry (-1: not reached)."""
        if self.kept is not None:
            return self.kept
        return self.net.ties_at[:self.roster.real]

    def release(self) -> None:
        """Free the network's arrays once the run has ended, keeping only `ties_at` (what the
        tables read): at 100,000 students the arrays are about 900 bytes a student."""
        self.kept = self.net.ties_at[:self.roster.real].copy()
        del self.net

    def friends(self, sid: int) -> int:
        """Friends of a student as booked by the network's clock (every BOOKING_DAYS teaching
        days): what belonging reads, a lookup (an exact count costs ~10 µs a call, and
        belonging is read at every setback)."""
        return self.net.degree.item(sid)

    def friend_rates(self, sid: int, now: float,
                     difficulty_factor: float) -> tuple[np.ndarray, np.ndarray]:
        """A student's friends at calendar day `now` and their contact rates
        (`PeerNetwork.friend_rates`), read as a rate a day of the detection clock, as the
        peer channel always was (docs/model.md §6.4)."""
        return self.net.friend_rates(sid, to_teaching(now, self.teaching), difficulty_factor)

    def difficulty(self, sid: int, now_in: bool) -> None:
        """A student's first episode starts (True) or their last one ends (False)."""
        if self.kept is None:
            self.net.in_difficulty[sid] = now_in

    def lost_friend(self, sid: int, now: float, enrolled: Container[int]) -> list[int]:
        """Student `sid` leaves (withdrawn or dismissed) at `now`: each of the model's
        students tied to them at that moment, and still enrolled, has lost a friend to
        attrition (`friends_lost`). Ties are read at `now` exactly (the pairs whose change is
        due by now count as changed, as `away` books them), before `away` is called. Returns
        the friends (`friends_of`)."""
        tied = self.friends_of(sid, now)
        friends = [f for f in tied if f in enrolled]
        np.add.at(self.friends_lost, np.asarray(friends, np.int64), 1)
        return tied

    def friends_of(self, sid: int, now: float) -> list[int]:
        """The model's students tied to `sid` at calendar day `now` (exactly: changes due by
        then count; the senior classes of day 0 are left out)."""
        tied = self.net.friend_rates(sid, to_teaching(now, self.teaching), 1.0)[0]
        return tied[tied < self.roster.real].tolist()

    def away(self, sid: int, now: float) -> None:
        """A student goes on leave or leaves the school."""
        self.net.away(sid, to_teaching(now, self.teaching))

    def clock(self, env: simpy.Environment) -> Generator[Any, Any, None]:
        """Book the network's due tie changes every BOOKING_DAYS teaching days."""
        k = 1
        while (day := from_teaching(k * BOOKING_DAYS, self.teaching)) <= self.horizon:
            yield env.timeout(day - env.now)
            self.net.step(k * BOOKING_DAYS)
            k += 1
