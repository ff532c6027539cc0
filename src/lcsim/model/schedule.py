"""Calendar arithmetic: scheduled contacts in *teaching time*, which skips each year's break.

Meetings, small-group sessions and exam blocks recur at fixed intervals of teaching time from a
phase. Mapping between absolute days (from a student's entry) and teaching days lets the model
find "the n-th meeting after onset" in closed form instead of simulating every meeting.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from lcsim.model.units import DAYS_PER_YEAR, EPS


def to_teaching(days: float, teaching: float) -> float:
    """Teaching days elapsed after `days` since entry (break days do not count)."""
    years = math.floor(days / DAYS_PER_YEAR)
    return years * teaching + min(days - years * DAYS_PER_YEAR, teaching)


def from_teaching(tau: float, teaching: float) -> float:
    """Days since entry at which `tau` teaching days have elapsed."""
    years = math.floor(tau / teaching)
    rest = tau - years * teaching
    if rest >= teaching - EPS:  # a whole number of teaching years (lost to rounding): year start
        years, rest = years + 1, max(0.0, rest - teaching)
    return years * DAYS_PER_YEAR + max(0.0, rest)


def contacts_after(days: float, phase: float, interval: float,
                   teaching: float) -> Iterator[float]:
    """Days since entry of every scheduled contact strictly after `days`, in order (endless)."""
    if not math.isfinite(interval):
        return
    k = _first_after(days, phase, interval, teaching)
    while True:
        yield from_teaching(phase + k * interval, teaching)
        k += 1


def _first_after(days: float, phase: float, interval: float, teaching: float) -> int:
    """Index k of the first contact (at teaching time phase + k*interval) strictly after `days`."""
    k = max(0, math.floor((to_teaching(days, teaching) - phase) / interval))
    # Decide "strictly after" in days, with a tolerance for rounding: a contact exactly at
    # `days` is not after it, and one at the next year's start is after a day in the break.
    while from_teaching(phase + k * interval, teaching) <= days + EPS:
        k += 1
    return k


def exp_time(u: float, rate: float) -> float:
    """An exponential waiting time with the given rate, from uniform u (inverse CDF)."""
    if rate <= 0.0:
        return math.inf
    return -math.log1p(-u) / rate


def rising_hazard_time(u: float, a: float, growth: float) -> float:
    """Time at which a hazard a*(1 + growth*t) accumulates to an Exp(1) draw from u."""
    return hazard_time(-math.log1p(-u), a, growth)


def hazard_time(e: float, a: float, growth: float) -> float:
    """Time at which a hazard a*(1 + growth*t) has accumulated to `e` (inf if never)."""
    if a <= 0.0:
        return math.inf
    if growth <= 0.0:
        return e / a
    b = a * growth / 2  # H(t) = a t + b t^2 = e: the positive root, in the form that keeps
    return 2 * e / (a + math.sqrt(a * a + 4 * b * e))  # its precision when b is small


def exam_days(teaching: float, blocks: int) -> list[float]:
    """Days of a year (from its start) of its exam blocks: evenly spread over the teaching time,
    the last at its end, and strictly before the year end even with no break."""
    gap = teaching / blocks
    return [min(gap * (j + 1), DAYS_PER_YEAR - 2.0) for j in range(blocks)]


def days_after(days: float, in_year: Sequence[float]) -> Iterator[float]:
    """Days since entry of every yearly event at `in_year` days of each year, strictly after
    `days`, in order (endless)."""
    year = math.floor(days / DAYS_PER_YEAR)
    while True:
        for d in in_year:
            t = year * DAYS_PER_YEAR + d
            if t > days + EPS:
                yield t
        year += 1


def hazard_left(u: float, a: float, growth: float, t: float) -> float:
    """Hazard still to accumulate after time t before the event of `rising_hazard_time(u, ...)`.

    With E = -log(1 - u) and H(t) = a t (1 + growth t / 2), this is E - H(t); given that the
    event has not come by t it is again Exp(1) (memorylessness), independent of the past.
    """
    spent = a * t * (1.0 + growth * t / 2.0) if a > 0.0 else 0.0
    return -math.log1p(-u) - spent


class Meetings:
    """Days after a moment (`since` days from entry) of a schedule's contacts, before `until`
    days after it: re-iterable, each pass starts again (a re-planned detection reads them
    twice)."""

    __slots__ = ("since", "phase", "gap", "teaching", "until")

    def __init__(self, since: float, phase: float, gap: float, teaching: float,
                 until: float = math.inf) -> None:
        self.since, self.phase, self.gap, self.teaching, self.until = (
            since, phase, gap, teaching, until)

    def __iter__(self) -> Iterator[float]:
        since, until = self.since, self.until
        for x in contacts_after(since, self.phase, self.gap, self.teaching):
            if (t := x - since) >= until:
                return
            yield t


class Yearly:
    """Days after a moment (`since` days from entry) of yearly events at `in_year` days of
    each year, each seen `delay` days later: re-iterable, like `Meetings`."""

    __slots__ = ("since", "in_year", "delay")

    def __init__(self, since: float, in_year: Sequence[float], delay: float = 0.0) -> None:
        self.since, self.in_year, self.delay = since, in_year, delay

    def __iter__(self) -> Iterator[float]:
        since, delay = self.since, self.delay
        for t in days_after(since, self.in_year):
            yield t - since + delay
