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
    """Logs the booked tie changes of traced students (a `PeerNetwork.booked` hook)."""

    def __init__(self, log: EventLog, net: PeerNetwork, teaching: float) -> None:
        self.log, self.net, self.teaching = log, net, teaching
        self.watch = np.zeros(net.n, bool)  # traced students (the senior classes never are)
        self.watch[:len(log.traced)] = log.traced
        # each pair's first row code: the rows of a pair are contiguous and sorted by code
        self.first = net.code[np.cumsum(net.row_len, dtype=np.int64) - net.row_len]
        self.kinds = log.codes(["tie_formed", "tie_lost"])
        self.details = log.codes([context_name(c) for c in range(int(net.code.max(initial=0)) + 1)])

    def __call__(self, new: np.ndarray, lost: np.ndarray) -> None:
        """Before the network books `new` ties and `lost` ones: log those of traced students,
        in the order they happened, each student's friend count running from their degree."""
        net = self.net
        k = np.concatenate((new, lost))
        student = np.concatenate((net.pi[k], net.pj[k]))
        hit = np.flatnonzero(self.watch[student])
        if not hit.size:
            return
        other = np.concatenate((net.pj[k], net.pi[k]))[hit]
        student, pair = student[hit], k[hit % k.size]
        formed = hit % k.size < new.size
        at = net.change_at[pair].astype(np.float64)
        by_student = np.lexsort((other, at, student))  # friends after each change, in order
        step = np.where(formed, 1, -1)[by_student]
        total = np.cumsum(step)
        s = student[by_student]
        start = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
        size = np.diff(start, append=s.size)
        value = np.empty(s.size)
        value[by_student] = (net.degree[s] + total
                             - np.repeat(total[start] - step[start], size))
        day = calendar_days(at, self.teaching)
        order = np.lexsort((other, student, at))
        self.log.extend(student[order], day[order],
                        np.where(formed, self.kinds[0], self.kinds[1])[order],
                        self.details[self.first[pair[order]]], value[order], other[order])
