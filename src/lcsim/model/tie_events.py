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
from lcsim.model.schedule import from_teaching
from lcsim.model.trace import EventLog

CONTEXT_NAMES = {CLASS: "class", LC: "community", VERTICAL: "vertical", MENTOR: "mentor",
                 MENTOR_REV: "mentor"}  # GROUP + q: "small group"


def context_name(code: int) -> str:
    """The word for a row code in the event log."""
    return CONTEXT_NAMES.get(code, "small group" if code >= GROUP else str(code))


class TieLog:
    """Logs the booked tie changes of traced students (a `PeerNetwork.booked` hook)."""

    def __init__(self, log: EventLog, net: PeerNetwork, teaching: float) -> None:
        self.log, self.net, self.teaching = log, net, teaching
        self.watch = np.zeros(net.n, bool)  # traced students (the senior classes never are)
        self.watch[:len(log.traced)] = log.traced
        # each pair's first row code: the rows of a pair are contiguous and sorted by code
        self.first = net.code[np.cumsum(net.row_len, dtype=np.int64) - net.row_len]

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
        at = net.change_at[pair]
        running: dict[int, int] = {}
        for h in np.lexsort((other, student, at)).tolist():
            sid = int(student[h])
            running[sid] = running.get(sid, int(net.degree[sid])) + (1 if formed[h] else -1)
            self.log.add(sid, from_teaching(float(at[h]), self.teaching),
                         "tie_formed" if formed[h] else "tie_lost",
                         context_name(int(self.first[pair[h]])), float(running[sid]),
                         other=int(other[h]))
