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

Two kinds of channel: a *flow* notices at a constant rate per day until it ends (self-referral,
peers, a mentor); *contacts* are scheduled meetings, each noticing with a fixed chance, which adds
`-log(1 - p)` to the accumulated hazard at the meeting (coach, facilitator, advisor, grades).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lcsim.model.units import EPS


@dataclass(frozen=True, slots=True)
class Flow:
    """A channel noticing at `rate` per day from onset until `end` days after onset."""

    channel: str
    rate: float
    end: float = math.inf


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
    flows = [f for f in flows if f.rate > 0.0 and f.end > 0.0]
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
            if now >= ends:  # a flow has ended: the flowing ones and their rate change
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
    """The flows still running after `now`, their summed rate and the first of their ends."""
    active = [f for f in flows if f.end > now]
    return active, sum(f.rate for f in active), min([f.end for f in active], default=math.inf)


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
