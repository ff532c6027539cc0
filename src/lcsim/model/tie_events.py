"""Ties formed and lost by traced students, in the event log (issue 11 item 5; design §6.1).

`TieLog` is the peer network's `booked` hook when a run is traced: at each booking it logs
``tie_formed`` and ``tie_lost`` for the traced ends of the pairs that changed, at the exact time
the change happened (the pair's `change_at`, teaching clock, converted back to calendar days),
with the friend in ``other``, the context that made the pair in ``detail`` (the code of the
pair's first row: class before community before vertical before mentoring before small groups)
and the student's friends after the change, as booked, in ``value``. Untraced runs install no
hook, so the network only tests ``booked is not None``.
"""

from __future__ import annotations

import numpy as np

from lcsim.model.network import CLASS, GROUP, LC, MENTOR, MENTOR_REV, VERTICAL, PeerNetwork
from lcsim.model.trace import EventLog
from lcsim.model.units import DAYS_PER_YEAR, EPS

CONTEXT_NAMES = {CLASS: "class", LC: "community", VERTICAL: "vertical", MENTOR: "mentor",
                 MENTOR_REV: "mentor"}  # GROUP + q: "small group"


def context_name(code: int) -> str:
    """The word for a row code in the event log."""
    return CONTEXT_NAMES.get(code, "small group" if code >= GROUP else str(code))


def calendar_days(tau: np.ndarray, teaching: float) -> np.ndarray:
    """`schedule.from_teaching` of each teaching time, vectorised (the same float64
    arithmetic, so the same days: tests/test_trace_ties.py compares them)."""
    years = np.floor(tau / teaching)
    rest = tau - years * teaching
    whole = rest >= teaching - EPS  # a whole number of teaching years: a year start
    years[whole] += 1
    rest[whole] = np.maximum(0.0, rest[whole] - teaching)
    return years * DAYS_PER_YEAR + np.maximum(0.0, rest)


class TieLog:
    """Logs the booked tie changes of traced students (a `PeerNetwork.booked` hook).

    A booking keeps only what it must read then (each change's traced end, friend, time,
    context, and the end's degree before the booking); the rows' order, friend counts and
    calendar days are worked out for all bookings at once when the table is made
    (`EventLog.later`, `rows`): a traced run pays a few array operations a booking."""

    def __init__(self, log: EventLog, net: PeerNetwork, teaching: float) -> None:
        self.log, self.net, self.teaching = log, net, teaching
        self.watch = np.zeros(net.n, bool)  # traced students (the senior classes never are)
        self.watch[:len(log.traced)] = log.traced
        # each pair's first row code: the rows of a pair are contiguous and sorted by code
        self.first = net.code[np.cumsum(net.row_len, dtype=np.int64) - net.row_len]
        self.kinds = log.codes(["tie_formed", "tie_lost"])
        self.details = log.codes([context_name(c) for c in range(int(net.code.max(initial=0)) + 1)])
        self.blocks: list[tuple[np.ndarray, ...]] = []  # a booking's changes of traced ends
        self.made: tuple[np.ndarray, tuple[np.ndarray, ...]] | None = None  # `rows`, once

    def __call__(self, new: np.ndarray, lost: np.ndarray) -> None:
        """Before the network books `new` ties and `lost` ones: keep those of traced
        students (their place in the log is now; their rows are made by `rows`)."""
        net = self.net
        k = np.concatenate((new, lost))
        ends = (net.pi[k], net.pj[k])
        student = np.concatenate(ends)
        hit = self.watch[student].nonzero()[0]
        if not hit.size:
            return
        at_pair = hit % k.size
        pair, student, other = k[at_pair], student[hit], np.concatenate(ends[::-1])[hit]
        at = net.change_at[pair]
        order = np.lexsort((other, student, at))  # the log's order: time, student, friend
        pair, student = pair[order], student[order]
        self.blocks.append((student, other[order], (at_pair < new.size)[order], at[order],
                            self.first[pair], net.degree[student]))
        self.log.later(self)

    def rows(self) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """Each booking's rows, in the order they happened (time, then student, then friend),
        each student's friends after each change counted from their degree before it."""
        if self.made is None:
            self.made, self.blocks = self._rows(), []
        return self.made

    def _rows(self) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        if not self.blocks:
            empty = np.zeros(0)
            return np.zeros(0, np.int64), (empty,) * 6
        size = np.array([len(b[0]) for b in self.blocks])
        block = np.repeat(np.arange(size.size), size)
        student, other, formed, at, first, degree = (np.concatenate(c)
                                                      for c in zip(*self.blocks, strict=True))
        # each student's changes of a booking in time order (a stable sort keeps a block's
        # order: time, then friend)
        group = (block * np.int64(self.net.n) + student)
        by_student = group.argsort(kind="stable")
        step = np.where(formed, 1, -1)[by_student]
        total = np.cumsum(step)  # friends after each change: degree + the changes so far
        g = group[by_student]
        starts = np.concatenate(([True], g[1:] != g[:-1]))
        before = (total - step)[starts][np.cumsum(starts) - 1]
        value = np.empty(student.size)
        value[by_student] = degree[by_student] + total - before
        day = calendar_days(at.astype(np.float64), self.teaching)
        kind = np.where(formed, self.kinds[0], self.kinds[1])
        return size, (student, day, kind, self.details[first], value, other)
