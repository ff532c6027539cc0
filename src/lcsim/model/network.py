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
from dataclasses import dataclass

import numpy as np

CLASS, LC, VERTICAL, MENTOR, MENTOR_REV, GROUP = range(6)  # row codes; GROUP + period q
CODES = 16  # codes fit in CODE_BITS of a packed row key
CODE_BITS = 4
YEARS = 5  # class years 0 (away, not yet in school, gone, research year) to 4
CHUNK = 1 << 18  # pairs per chunk of bulk work: bounds the temporaries at 10^5 students
KEY_BITS = 63  # a packed row key is a non-negative int64
BULK = 64  # degree changes in one pass over every student when more than n / BULK

Draw = Callable[[np.ndarray, np.ndarray, int], np.ndarray]  # keyed uniforms of (i, j, slot)


@dataclass(frozen=True)
class Context:
    """Pairs (i[k], j[k]) who meet in one context, and its base contact rate a teaching day:
    `spread`: each student spreads `rate` over their partners (same subgroup weighted by the
    homophily weight); otherwise `rate` is each pair's own."""

    code: int
    i: np.ndarray
    j: np.ndarray
    rate: float
    spread: bool


def factor_table() -> np.ndarray:
    """An all-zero table of contact factors by (code, year_i, year_j): fill it, then pass it."""
    return np.zeros((CODES, YEARS, YEARS), np.float32)


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
        self._rows(contexts, homophily)
        self._pairs(contacts_to_tie)
        if orientation is not None:
            self.orient(*orientation)

    def _rows(self, contexts: Iterable[Context], homophily: float) -> None:
        """Rows: one sorted array of packed (pair, code) keys, decoded in chunks into each
        row's code and base rate, each pair's ends and its number of rows. Contexts without
        contact make no rows. Each context's arrays go as soon as it is keyed, and no full-size
        8-byte temporary is made after the sort (the build's peak: design §12)."""
        n, keys, plain, spread = self.n, [], [], []
        bits = self._bits = max(n - 1, 1).bit_length()  # a pair's key: lo << bits | hi
        if 2 * bits + CODE_BITS > KEY_BITS:
            raise ValueError(f"PeerNetwork: {n} students do not fit a packed row key")
        for c in contexts:
            if not (c.rate > 0 and c.i.size):
                continue
            k = np.minimum(c.i, c.j).astype(np.int64)
            k <<= bits
            k |= np.maximum(c.i, c.j)
            k <<= CODE_BITS
            k |= c.code
            keys.append(k)
            if c.spread:  # each student's weights over their partners in this context
                w = np.where(self.subgroup[c.i] == self.subgroup[c.j], homophily, 1.0)
                spread.append((c.code, c.rate, np.bincount(c.i, w, n) + np.bincount(c.j, w, n)))
            else:
                plain.append((c.code, c.rate))
        packed = np.empty(sum(k.size for k in keys), np.int64)
        at = 0
        while keys:  # each context's keys go once copied
            k = keys.pop(0)
            packed[at:at + k.size] = k
            at += k.size
        del k
        packed.sort()
        self.code = np.empty(packed.size, np.uint8)
        for a in range(0, packed.size, CHUNK):
            self.code[a:a + CHUNK] = packed[a:a + CHUNK] & (CODES - 1)
        packed >>= CODE_BITS  # in place: the pair's key
        first = np.ones(packed.size, bool)  # a row that starts a pair
        np.not_equal(packed[1:], packed[:-1], out=first[1:])
        m = int(np.count_nonzero(first))
        self.rrate = np.zeros(packed.size, np.float16)  # deterministic rounding
        self.pi, self.pj = np.empty(m, np.int32), np.empty(m, np.int32)
        self.row_len = np.zeros(m, np.uint8)
        p = 0
        for a in range(0, packed.size, CHUNK):
            pair = self._decode(packed[a:a + CHUNK], first[a:a + CHUNK], p)
            self._base_rates(slice(a, a + CHUNK), pair, plain, spread, homophily)
            p = int(pair[-1]) + 1

    def _decode(self, keys: np.ndarray, first: np.ndarray, p: int) -> np.ndarray:
        """One chunk of sorted rows' pair keys: the ends of the pairs that start in it (from
        pair `p` on) and their row counts; returns each row's pair."""
        starts = keys[first]
        q = p + starts.size
        np.right_shift(starts, self._bits, out=self.pi[p:q], casting="unsafe")
        np.bitwise_and(starts, (1 << self._bits) - 1, out=self.pj[p:q], casting="unsafe")
        pair = np.cumsum(first)
        counts = np.bincount(pair, minlength=q - p + 1)  # [0]: rows of the pair before p
        if counts[0]:
            self.row_len[p - 1] += counts[0]
        self.row_len[p:q] = counts[1:]
        pair += p - 1
        return pair

    def _base_rates(self, rows: slice, pair: np.ndarray, plain: list[tuple[int, float]],
                    spread: list[tuple[int, float, np.ndarray]], homophily: float) -> None:
        """Base rates of one chunk of rows: a per-pair context's rate, or a spread context's
        `rate x w x (1 / total_i + 1 / total_j)` from each end's weight total."""
        code, rrate = self.code[rows], self.rrate[rows]
        for c, rate in plain:
            rrate[code == c] = rate
        for c, rate, total in spread:
            at = code == c
            a, b = self.pi[pair[at]], self.pj[pair[at]]
            w = np.where(self.subgroup[a] == self.subgroup[b], homophily, 1.0)
            rrate[at] = rate * w * (1.0 / total[a] + 1.0 / total[b])

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
        return np.concatenate((self.hi_pairs[self.hi_ptr[s]:self.hi_ptr[s + 1]],
                               np.arange(self.lo_ptr[s], self.lo_ptr[s + 1], dtype=np.int32)))

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
        idx = self.pairs_of(s)
        tie, due = self.tie[idx], self.change_at[idx] <= now
        if due.any():  # first book what the old rates made
            self._book(idx[due & ~tie], idx[due & tie])
            tie = self.tie[idx]
        old = self.rate[idx]
        self.c0[idx] += old * np.float32(now)  # the contacts so far stay as they are
        self.rate[idx] = 0.0
        end = np.where(tie, self.change_at[idx], np.float32(np.inf))
        stop = tie & (old > 0)  # ties losing their contact last their memory from now
        if stop.any():
            end[stop] = self.memory(idx[stop]).astype(np.float32) + np.float32(now)
        self.change_at[idx] = end

    def _set(self, idx: slice | np.ndarray, rate: np.ndarray) -> None:
        """New contact rates from the clock on: when each pair becomes a tie or a tie
        dissolves."""
        now, tie, old = self.clock, self.tie[idx], self.rate[idx]
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
        due = np.flatnonzero(self.change_at <= now)
        if due.size:
            tie = self.tie[due]
            self._book(due[~tie], due[tie])

    def _book(self, new: np.ndarray, lost: np.ndarray) -> None:
        """Pairs `new` become ties and ties `lost` dissolve: their ends' degrees change."""
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

    def friend_hazard(self, s: int, notice: float, difficulty_factor: float) -> float:
        """Hazard a teaching day that a friend notices an episode of `s` beginning now:
        `notice` x the sum over s's ties of the tie's contact rate (0 once the friend is away),
        times `difficulty_factor` for a friend in difficulty. 0 without ties."""
        k = self.pairs_of(s)
        k = k[self.tie[k]]
        if not k.size:
            return 0.0
        busy = self.in_difficulty[self.pi[k] + self.pj[k] - s]
        weight = np.where(busy, np.float32(difficulty_factor), np.float32(1.0))
        return notice * float(self.rate[k] @ weight)

    def nbytes(self) -> int:
        """Bytes held by the network's arrays (for the benchmarks)."""
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))
