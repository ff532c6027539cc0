"""The peer network of one replication: which students are friends, and since when.

Design: docs/design/peer-network.md (§2). A pair of students meets in one or more *contexts*
(the class, the community, a small group, vertical partners, mentoring), each a row with a base
contact rate. A pair's contact rate is the sum of its rows' rates times a factor that depends on
both students' class years (`table[code, year_i, year_j]`, year 0: away), so it is constant
between structural events: year starts (every pair, in bulk) and a student's leave or exit (their
pairs). A pair becomes a tie when its accumulated contacts reach its own keyed threshold `need`
(Erlang-2, mean `contacts_to_tie`); a tie whose contact stops dissolves after its own keyed
`memory` (exponential, mean `tie_memory_days`). Each pair's next change time is computed when its
rate changes, and `step` books the changes that are due into degrees.

Everything is numpy: no SimPy process and no Python object per pair. Time is the *teaching
clock* (teaching days since day 0; breaks do not count), which the caller converts to.
A pair's draws depend only on (seed, pair) (`Streams.keyed_uniforms`), and a context without
contact makes no rows, so structures that differ only in such a context give identical networks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from lcsim.model.network_rows import (
    CHUNK,
    CLASS,
    GROUP,
    LC,
    MENTOR,
    MENTOR_REV,
    VERTICAL,
    YEARS,
    Context,
    build_rows,
    factor_table,
)

BULK = 64  # degree changes in one pass over every student when more than n / BULK
Draw = Callable[[np.ndarray, np.ndarray, int], np.ndarray]  # keyed uniforms of (i, j, slot)

__all__ = ["CHUNK", "CLASS", "GROUP", "LC", "MENTOR", "MENTOR_REV", "VERTICAL", "YEARS", "Context",
           "PeerNetwork", "factor_table"]


class PeerNetwork:
    """Contact rows, pairs and ties of one replication (students 0..n-1)."""

    def __init__(self, subgroup: np.ndarray, cohort: np.ndarray, contexts: Iterable[Context],
                 table: np.ndarray, draw: Draw, contacts_to_tie: float,
                 tie_memory_days: float, homophily: float = 1.0,
                 orientation: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """`subgroup`, `cohort`: per student (cohort < 0: a network-only senior class);
        `contexts`: read once, in order (a generator keeps only one context's arrays alive);
        `table`: contact factors (`factor_table`); `draw`: the keyed uniforms of the tie
        draws; `orientation`: pairs whose tie forms as soon as they are in contact (`orient`)."""
        n = self.n = subgroup.size
        self.subgroup, self.cohort, self.table = subgroup, cohort, table.ravel()
        self.year = np.zeros(n, np.int8)
        self.in_difficulty = np.zeros(n, bool)  # set by the model (friends notice less)
        self.degree = np.zeros(n, np.int32)
        self.ties_at = np.full((n, 2), -1, np.int32)  # degree at the end of years 1 and 2
        self.clock = 0.0
        self._draw, self._memory_days = draw, tie_memory_days
        self.booked: Callable[[np.ndarray, np.ndarray], None] | None = None  # (new, lost)
        rows = build_rows(contexts, subgroup, homophily)
        self.code, self.rrate, self.row_len = rows.code, rows.rrate, rows.row_len
        self.pi, self.pj, self._bits = rows.pi, rows.pj, rows.bits
        del rows
        self._pairs(contacts_to_tie)
        if orientation is not None:
            self.orient(*orientation)

    def _pairs(self, contacts_to_tie: float) -> None:
        """Each pair's keyed threshold and state; a student's pairs by lower end (a sorted
        range) and by higher end (a CSR filled in chunks, in pair order)."""
        m, n = self.pi.size, self.n
        count = np.bincount(self.pj, minlength=n)
        self.hi_ptr = np.concatenate(([0], np.cumsum(count)))
        self.hi_pairs, fill = np.empty(m, np.int32), self.hi_ptr[:-1].copy()
        self.lo_ptr = np.searchsorted(self.pi, np.arange(n + 1))
        self.need = np.empty(m, np.float16)
        for a in range(0, m, CHUNK):
            pi, pj = self.pi[a:a + CHUNK], self.pj[a:a + CHUNK]
            order = np.argsort(pj, kind="stable")
            hi = pj[order]
            start = np.flatnonzero(np.concatenate(([True], hi[1:] != hi[:-1])))
            rank = np.arange(hi.size) - np.repeat(start, np.diff(start, append=hi.size))
            self.hi_pairs[fill[hi] + rank] = order + a
            fill += np.bincount(pj, minlength=n)
            u0, u1 = self._draw(pi, pj, 0), self._draw(pi, pj, 1)
            self.need[a:a + CHUNK] = -np.log(u0 * u1) * contacts_to_tie / 2
        self.c0 = np.zeros(m, np.float32)  # contacts so far: c0 + rate x clock
        self.rate = np.zeros(m, np.float32)  # contacts a teaching day, now
        self.change_at = np.full(m, np.inf, np.float32)  # becomes a tie, or a tie dissolves
        self.tie = np.zeros(m, bool)

    def orient(self, i: np.ndarray, j: np.ndarray) -> None:
        """Pairs (i[k], j[k]) become ties as soon as they are in contact (orientation): their
        threshold counts as reached. Pairs that never meet are ignored."""
        at = self.find(i, j)
        at = at[at >= 0]
        self.c0[at] = self.need[at]

    def memory(self, k: np.ndarray) -> np.ndarray:
        """Teaching days the ties of pairs `k` last without contact: keyed, exponential with
        mean `tie_memory_days` (float16), drawn on demand (only a tie that loses contact
        needs it, so it is not stored)."""
        u = self._draw(self.pi[k], self.pj[k], 2)
        return (-np.log(u) * self._memory_days).astype(np.float16)

    @property
    def pairs(self) -> int:
        return int(self.pi.size)

    def find(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Index of the pair of each (i[k], j[k]), or -1 if they never meet (a search of the
        sorted pair keys, chunk by chunk)."""
        lo, hi = np.minimum(i, j).astype(np.int64), np.maximum(i, j).astype(np.int64)
        want, found = (lo << self._bits) | hi, np.full(lo.size, -1, np.int64)
        for a in range(0, self.pairs, CHUNK):
            keys = (self.pi[a:a + CHUNK].astype(np.int64) << self._bits) | self.pj[a:a + CHUNK]
            at = np.searchsorted(keys, want)
            ok = at < keys.size
            ok[ok] = keys[at[ok]] == want[ok]
            found[ok] = at[ok] + a
        return found

    def pairs_of(self, s: int) -> np.ndarray:
        """Indices of every pair of student `s`."""
        hi, lo = self.hi_ptr, self.lo_ptr
        return np.concatenate((self.hi_pairs[hi.item(s):hi.item(s + 1)],
                               np.arange(lo.item(s), lo.item(s + 1), dtype=np.int32)))

    def friends(self, s: int) -> np.ndarray:
        """Students tied to `s` (booked ties)."""
        k = self.pairs_of(s)
        k = k[self.tie[k]]
        return self.pi[k] + self.pj[k] - s

    def year_start(self, now: float, year: np.ndarray, entering: int | None = None) -> None:
        """A year starts at teaching time `now`; `year`: every student's class year from now
        (0: away). First books what the old rates made by now; snapshots the degrees of the
        cohorts that ended their first and second years (`entering` - 1 and - 2); then sets
        every pair's rate from its rows and both years (in chunks), and books what is due."""
        self.step(now)
        if entering is not None:
            for col in (0, 1):
                done = self.cohort == entering - 1 - col
                self.ties_at[done, col] = self.degree[done]
        self.year = year.astype(np.int8)
        r0 = 0
        for a in range(0, self.pi.size, CHUNK):
            both = (self.year[self.pi[a:a + CHUNK]].astype(np.int32) * YEARS
                    + self.year[self.pj[a:a + CHUNK]])
            lens = self.row_len[a:a + CHUNK].astype(np.int64)
            end = np.cumsum(lens)
            rows = slice(r0, r0 + int(end[-1]))
            f = self.table[self.code[rows].astype(np.int32) * (YEARS * YEARS)
                           + np.repeat(both, lens)]
            rate = np.add.reduceat(self.rrate[rows].astype(np.float32) * f, end - lens)
            self._set(slice(a, a + CHUNK), rate.astype(np.float32))
            r0 += int(end[-1])
        self.step(now)

    def away(self, s: int, now: float) -> None:
        """Student `s` goes on leave or leaves at `now`: the contact of all their pairs stops
        (their ties then last their memory, unless contact resumes). `_set` with rate 0,
        without its division: this runs at every leave and exit."""
        self.clock = max(self.clock, now)
        self.year[s] = 0
        idx = self.pairs_of(s)  # (`take` and `count_nonzero`: these arrays are short)
        tie, due = self.tie.take(idx), self.change_at.take(idx) <= np.float32(now)
        if np.count_nonzero(due):  # first book what the old rates made
            self._book(idx[due & ~tie], idx[due & tie])
            tie = self.tie.take(idx)
        old = self.rate.take(idx)
        self.c0[idx] += old * np.float32(now)  # the contacts so far stay as they are
        self.rate[idx] = 0.0
        end = np.where(tie, self.change_at.take(idx), np.float32(np.inf))
        stop = tie & (old > 0)  # ties losing their contact last their memory from now
        if np.count_nonzero(stop):
            end[stop] = self.memory(idx[stop]).astype(np.float32) + np.float32(now)
        self.change_at[idx] = end

    def _set(self, idx: slice | np.ndarray, rate: np.ndarray) -> None:
        """New contact rates from the clock on: when each pair becomes a tie or a tie
        dissolves."""
        # copies: with a slice these would be views, and `old` would read the new rates
        now, tie, old = self.clock, self.tie[idx].copy(), self.rate[idx].copy()
        self.c0[idx] += (old - rate) * np.float32(now)  # the contacts so far stay as they are
        self.rate[idx] = rate
        on = rate > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            due = np.maximum((self.need[idx] - self.c0[idx]) / rate, np.float32(now))
        stop = tie & (old > 0) & ~on  # a tie loses its contact: it lasts its memory from now
        end = self.change_at[idx].copy()
        if stop.any():
            k = np.flatnonzero(stop)
            k = k + idx.start if isinstance(idx, slice) else idx[k]
            end[stop] = self.memory(k).astype(np.float32) + np.float32(now)
        self.change_at[idx] = np.where(tie, np.where(on, np.inf, end),
                                       np.where(on, due, np.inf))

    def step(self, now: float) -> None:
        """Book the ties formed or dissolved by teaching time `now` (degrees change)."""
        self.clock = max(self.clock, now)
        due = (self.change_at <= np.float32(now)).nonzero()[0]
        if due.size:
            tie = self.tie[due]
            self._book(due[~tie], due[tie])

    def _book(self, new: np.ndarray, lost: np.ndarray) -> None:
        """Pairs `new` become ties and ties `lost` dissolve: their ends' degrees change.
        `booked` (the event log's, when tracing) sees them first, with their times."""
        if self.booked is not None:
            self.booked(new, lost)
        self.tie[new], self.tie[lost] = True, False
        self.change_at[new] = self.change_at[lost] = np.inf
        self.c0[lost] = 0.0  # a lost tie starts again from no contact
        for idx, d in ((new, 1), (lost, -1)):
            if not idx.size:
                continue
            ends = np.concatenate((self.pi[idx], self.pj[idx]))
            if ends.size * BULK > self.n:  # many: one pass over every student
                self.degree += np.bincount(ends, minlength=self.n).astype(np.int32) * d
            else:
                np.add.at(self.degree, ends, d)

    def nbytes(self) -> int:
        """Bytes held by the network's arrays (for the benchmarks)."""
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))

    def _ties_of(self, s: int, now: float) -> np.ndarray:
        """Indices of s's pairs that are ties at teaching time `now` (exact: a change that is
        due but not booked yet counts), without booking anything."""
        k = self.pairs_of(s)  # (`take`, not fancy indexing: these arrays are short)
        return k.compress(self.tie.take(k) ^ (self.change_at.take(k) <= np.float32(now)))

    def ties_now(self, s: int, now: float) -> int:
        """Friends of `s` at teaching time `now` exactly (not before the last booking)."""
        return int(self._ties_of(s, now).size)

    def friend_rates(self, s: int, now: float,
                     difficulty_factor: float) -> tuple[np.ndarray, np.ndarray]:
        """The friends of `s` at `now` and each one's contact rate with s a teaching day,
        times `difficulty_factor` for a friend in difficulty (0 once a friend is away): the
        weights with which friends notice an episode of s (design §3)."""
        k = self._ties_of(s, now)
        friend = np.bitwise_xor(np.bitwise_xor(self.pi.take(k), self.pj.take(k)), np.int32(s))
        rate = self.rate.take(k)  # (friend: the other end of each pair; one of the two is s)
        hard = self.in_difficulty.take(friend)
        if np.count_nonzero(hard):  # (x 1 leaves a rate as it is)
            rate *= np.where(hard, np.float32(difficulty_factor), np.float32(1.0))
        return friend, rate
