"""Detection as one hazard clock: every channel adds hazard, and the episode is noticed when the
total reaches the episode's own threshold.

Channels that would each notice an episode independently (a race of independent times) are, in
distribution, the same as one clock whose hazard is the sum of the channels' hazards, with the
winner drawn in proportion to each channel's share of the hazard at that moment: the standard
construction of independent competing risks. Drawing it this way costs one threshold per episode
instead of one uniform per channel, and under common random numbers the threshold is the same in
every scenario, so an episode that a scenario's channels find early is found early by another
scenario's too; adding a channel can only bring a given episode's detection forward. That pairs
detection times across scenarios with different channels (docs/model.md section 6.4).

Two kinds of channel: a *flow* notices at a constant rate per day from its start until it ends
(self-referral, peers, a mentor; a flow that changes its rate is two flows, one ending when the
next starts); *contacts* are scheduled meetings, each noticing with a fixed chance, which adds
`-log(1 - p)` to the accumulated hazard at the meeting (coach, facilitator, advisor, grades).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from lcsim.model.units import EPS


@dataclass(frozen=True, slots=True)
class Flow:
    """A channel noticing at `rate` per day from `start` until `end` days after onset."""

    channel: str
    rate: float
    end: float = math.inf
    start: float = 0.0


@dataclass(frozen=True, slots=True)
class Contacts:
    """A channel meeting the student at `times` (days after onset, increasing), each meeting
    noticing the episode with chance `prob`."""

    channel: str
    prob: float
    times: Iterable[float]

    @property
    def hazard(self) -> float:
        """Hazard added by one meeting: -log(1 - p), infinite when p = 1."""
        return math.inf if self.prob >= 1.0 else -math.log1p(-self.prob)


def first_detection(threshold: float, flows: list[Flow], contacts: list[Contacts],
                    limit: float, u: float) -> tuple[float, str | None]:
    """Days after onset at which the accumulated hazard reaches `threshold`, and the channel.

    `threshold` is an Exp(1) draw (divided by the episode's visibility); `u` is a uniform that
    picks the channel among those contributing hazard at that moment, in proportion to their
    hazard. Nothing after `limit` days matters (the episode is over by then): returns
    (inf, None) if the threshold is not reached before it.
    """
    flows = [f for f in flows if f.rate > 0.0 and f.end > max(f.start, 0.0)]
    heap: list[tuple[float, int, float, Iterator[float]]] = []
    for i, c in enumerate(contacts):
        if c.prob > 0.0:
            times = iter(c.times)
            first = next(times, math.inf)
            if first < limit:
                heap.append((first, i, c.hazard, times))
    heapq.heapify(heap)
    total, now = 0.0, 0.0
    active, rate, ends = _flowing(flows, now)
    while True:
        meeting = heap[0][0] if heap else math.inf
        # Continuous hazard up to the next meeting, across the end of any flow on the way.
        while now < meeting and now < limit:
            if now >= ends:  # a flow has ended or begun: the flowing ones and their rate change
                active, rate, ends = _flowing(flows, now)
            stop = min(meeting, limit, ends)
            if rate > 0.0 and total + rate * (stop - now) >= threshold:
                return now + (threshold - total) / rate, _pick([(f.channel, f.rate) for f in active], u)
            total += rate * (stop - now)
            now = stop
        if now >= limit:
            return math.inf, None
        fired = []
        while heap and heap[0][0] <= now + EPS:
            _, i, hazard, times = heapq.heappop(heap)
            fired.append((contacts[i].channel, hazard))
            total += hazard
            nxt = next(times, math.inf)
            if nxt < limit:
                heapq.heappush(heap, (nxt, i, hazard, times))
        if total >= threshold:
            return now, _pick(fired, u)


def _flowing(flows: list[Flow], now: float) -> tuple[list[Flow], float, float]:
    """The flows running just after `now`, their summed rate, and the next time that changes
    (the first end of a running flow or start of a later one)."""
    active = [f for f in flows if f.start <= now < f.end]
    later = [f.start for f in flows if f.start > now]
    return active, sum(f.rate for f in active), min([f.end for f in active] + later,
                                                     default=math.inf)


def _pick(weights: list[tuple[str, float]], u: float) -> str:
    """The channel whose slice of [0, 1), in proportion to its weight, holds `u`."""
    certain = [c for c, w in weights if math.isinf(w)]
    if certain:
        return certain[min(int(u * len(certain)), len(certain) - 1)]
    total = sum(w for _, w in weights)
    acc = 0.0
    for channel, w in weights:
        acc += w / total
        if u < acc:
            return channel
    return weights[-1][0]


class Plan:
    """An undetected episode's detection clock, kept so that it can be re-planned when a
    friend or the mentor stops supporting the student (docs/model.md §6.4).

    It holds what `first_detection` reads (the threshold, the flows, the contacts as
    re-iterable schedules fixed at onset, the horizon `limit` and the channel's uniform), the
    friends and weights behind each stretch of the peer flow (from `peers[k][0]` days after
    onset on), and the answer: `days` after onset and the `channel`. A re-plan only ends flows
    early or lowers them from a day on, so the hazard before that day, and with it everything
    that happened so far, stays as it was.
    """

    __slots__ = ("threshold", "flows", "contacts", "limit", "u", "peer_scale", "peers", "days",
                 "channel")

    def __init__(self, threshold: float, flows: list[Flow], contacts: list[Contacts],
                 limit: float, u: float, peer_scale: float, friends: np.ndarray,
                 weights: np.ndarray) -> None:
        """`peer_scale` x the sum of `weights` is the peer flow's rate (the first of `flows`
        whose channel is "peer")."""
        self.threshold, self.flows, self.contacts, self.limit, self.u = (
            threshold, flows, contacts, limit, u)
        self.peer_scale = peer_scale
        self.peers: list[tuple[float, np.ndarray, np.ndarray]] = [(0.0, friends, weights)]
        self.solve()

    def solve(self) -> None:
        """(Re)compute the detection day and channel from the flows and contacts."""
        self.days, self.channel = first_detection(self.threshold, self.flows, self.contacts,
                                                  self.limit, self.u)

    def peers_at(self, day: float) -> tuple[np.ndarray, np.ndarray]:
        """The friends and their weights behind the peer flow `day` days after onset."""
        for start, friends, weights in reversed(self.peers):
            if start <= day:
                return friends, weights
        return self.peers[0][1], self.peers[0][2]

    def drop_friend(self, friend: int, day: float) -> bool:
        """Friend `friend` stops noticing from `day` days after onset on (they left or went on
        leave): the peer flow ends there and goes on without them. False if they did not
        count (not a friend at onset, or already dropped)."""
        if not self.peer_scale:
            return False
        start, friends, weights = self.peers[-1]
        hit = friends == friend
        if not (hit.any() and weights[hit].any()):
            return False
        rest = np.where(hit, np.float32(0.0), weights)
        at = next(k for k, f in enumerate(self.flows) if f.channel == "peer" and f.start == start)
        now = self.flows[at]
        self.flows[at] = Flow("peer", now.rate, min(now.end, day), now.start)
        self.flows.insert(at + 1, Flow("peer", self.peer_scale * float(rest.sum()), now.end,
                                       max(day, now.start)))
        self.peers.append((max(day, start), friends, rest))
        return True

    def stop(self, channel: str, day: float) -> bool:
        """Flows of `channel` end at `day` days after onset (the mentor stopped mentoring).
        False if none was running then."""
        changed = False
        for k, f in enumerate(self.flows):
            if f.channel == channel and f.end > day:
                self.flows[k] = Flow(channel, f.rate, max(day, f.start), f.start)
                changed = True
        return changed
