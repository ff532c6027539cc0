"""Tests for lcsim.model.schedule: teaching-time arithmetic and inverse-CDF waiting times.

Distribution checks draw 20,000 fixed-seed uniforms and allow 4 standard errors (computed from
the theoretical variance), so a wrong formula (e.g. an off-by-one in the trial count, a rate
used as a mean) fails by many SEs while sampling noise passes with probability > 0.9999.
"""

from __future__ import annotations

import math
from itertools import islice

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from lcsim.model.schedule import (
    contacts_after,
    days_after,
    exam_days,
    exp_time,
    from_teaching,
    hazard_left,
    rising_hazard_time,
    to_teaching,
)
from lcsim.model.units import DAYS_PER_YEAR as YEAR

N = 20_000
TEACHING = YEAR - 7 * 6  # the default calendar: 6 break weeks
teaching_len = st.floats(min_value=200.0, max_value=YEAR)


def uniforms(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(N)


def in_break(days: float, teaching: float) -> bool:
    return days - math.floor(days / YEAR) * YEAR >= teaching


def strictly_in_break(days: float, teaching: float) -> bool:
    """Inside a break, not on its edges (a break collapses to one teaching instant, which
    rounding may place at either edge)."""
    return teaching + 1e-6 < days - math.floor(days / YEAR) * YEAR < YEAR - 1e-6


# -- teaching time ------------------------------------------------------------------------------


@given(tau=st.floats(min_value=0.0, max_value=20 * YEAR), teaching=teaching_len)
def test_to_teaching_inverts_from_teaching(tau: float, teaching: float) -> None:
    days = from_teaching(tau, teaching)
    assert not strictly_in_break(days, teaching)
    assert to_teaching(days, teaching) == pytest.approx(tau, abs=1e-7)


@given(days=st.floats(min_value=0.0, max_value=20 * YEAR), teaching=teaching_len)
def test_from_teaching_inverts_to_teaching_outside_breaks(days: float, teaching: float) -> None:
    back = from_teaching(to_teaching(days, teaching), teaching)
    if in_break(days, teaching):  # a break collapses to one teaching instant
        assert not strictly_in_break(back, teaching)
        assert to_teaching(back, teaching) == pytest.approx(to_teaching(days, teaching))
    else:
        assert back == pytest.approx(days, abs=1e-7)


def test_to_teaching_known_values() -> None:
    assert to_teaching(0.0, 300.0) == 0.0
    assert to_teaching(150.0, 300.0) == 150.0
    assert to_teaching(330.0, 300.0) == 300.0  # in the break: the clock stops
    assert to_teaching(YEAR + 10.0, 300.0) == 310.0
    assert from_teaching(310.0, 300.0) == YEAR + 10.0


# -- scheduled contacts ---------------------------------------------------------------------------


def contacts(phase: float, interval: float, teaching: float, horizon: float) -> list[float]:
    """Brute force: every contact day up to `horizon` (teaching times phase + k*interval)."""
    out, k = [], 0
    while True:
        day = from_teaching(phase + k * interval, teaching)
        if day > horizon:
            return out
        out.append(day)
        k += 1


def nth_contact_after(days: float, n: int, phase: float, interval: float, teaching: float) -> float:
    """The n-th (1-based) contact strictly after `days`, as `contacts_after` lists them."""
    return next(islice(contacts_after(days, phase, interval, teaching), n - 1, None))


def test_contacts_after_skips_the_break() -> None:
    # Teaching 300 days, a contact every 100 teaching days from day 50: 50, 150, 250, then the
    # break (days 300-365) is skipped: the next is 50 teaching days into year 2, day 415.
    assert nth_contact_after(0.0, 1, 50.0, 100.0, 300.0) == 50.0
    assert nth_contact_after(0.0, 3, 50.0, 100.0, 300.0) == 250.0
    assert nth_contact_after(0.0, 4, 50.0, 100.0, 300.0) == YEAR + 50.0
    assert nth_contact_after(260.0, 1, 50.0, 100.0, 300.0) == YEAR + 50.0
    assert nth_contact_after(320.0, 1, 50.0, 100.0, 300.0) == YEAR + 50.0  # asked during the break


def test_contacts_after_is_strictly_after() -> None:
    assert nth_contact_after(150.0, 1, 50.0, 100.0, 300.0) == 250.0  # not the contact at 150 itself
    assert nth_contact_after(149.9, 1, 50.0, 100.0, 300.0) == 150.0
    assert nth_contact_after(10.0, 1, 50.0, 100.0, 300.0) == 50.0  # before the first contact


@settings(max_examples=1000)
@given(
    teaching=teaching_len,
    interval=st.floats(min_value=3.0, max_value=200.0),
    phase_u=st.floats(min_value=0.0, max_value=0.999),
    day_u=st.floats(min_value=0.0, max_value=0.999),
    year=st.integers(min_value=0, max_value=5),
    n=st.integers(min_value=1, max_value=6),
)
def test_contacts_after_matches_brute_force(teaching: float, interval: float, phase_u: float,
                                       day_u: float, year: int, n: int) -> None:
    """The n-th contact strictly after a day equals the enumerated n-th contact."""
    phase = phase_u * min(interval, teaching)
    days = year * YEAR + day_u * YEAR  # any day, in a break or not
    got = nth_contact_after(days, n, phase, interval, teaching)
    horizon = days + 2 * YEAR + (n + 1) * interval * YEAR / teaching
    later = [c for c in contacts(phase, interval, teaching, horizon) if c > days + 1e-9]
    assert got == pytest.approx(later[n - 1], abs=1e-6)
    assert got > days
    assert not strictly_in_break(got, teaching)
    if n > 1:  # n-th after = first after the (n-1)-th, even when asked at a contact time
        prev = nth_contact_after(days, n - 1, phase, interval, teaching)
        assert got == pytest.approx(nth_contact_after(prev, 1, phase, interval, teaching), abs=1e-6)


@pytest.mark.parametrize("days", [0.0, 49.0, 50.0, 299.0, 320.0, YEAR + 150.0])
@pytest.mark.parametrize("n", [2, 3, 7])
def test_contacts_after_is_the_first_after_the_previous(days: float, n: int) -> None:
    """n-th after = first after the (n-1)-th (binary-exact numbers: no rounding involved)."""
    prev = nth_contact_after(days, n - 1, 50.0, 100.0, 300.0)
    assert nth_contact_after(days, n, 50.0, 100.0, 300.0) == nth_contact_after(prev, 1, 50.0, 100.0, 300.0)


def test_contacts_after_at_a_contact_time_is_strictly_after() -> None:
    teaching = YEAR - 7 * 4
    gap = teaching / 5
    for year in range(4):
        for k in range(5):
            at = year * YEAR + gap * (k + 1)  # how processes.student_life places exam blocks
            assert nth_contact_after(at, 1, gap, gap, teaching) > at + 1e-9


def test_contacts_after_from_a_break_keeps_a_contact_at_the_year_start() -> None:
    # Contacts at teaching times 0, 100, 200, 300 (= day 365), 400 (= day 465), ...
    assert nth_contact_after(320.0, 1, 0.0, 100.0, 300.0) == YEAR


# -- waiting times ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.01, 1.0, 7.5])
def test_exp_time_distribution(rate: float) -> None:
    t = np.array([exp_time(u, rate) for u in uniforms(2)])
    assert t.min() >= 0
    assert abs(t.mean() - 1 / rate) < 4 * (1 / rate) / math.sqrt(N)  # SD of Exp = mean
    median = np.median(t)  # median = ln 2 / rate; SE of a median = 1/(2 f(m) sqrt(N))
    assert abs(median - math.log(2) / rate) < 4 / (2 * rate * 0.5 * math.sqrt(N))


def test_exp_time_known_values() -> None:
    assert exp_time(1 - math.exp(-1), 2.0) == pytest.approx(0.5)
    assert exp_time(0.5, 0.0) == math.inf
    assert exp_time(0.0, 3.0) == 0.0


@pytest.mark.parametrize(("a", "growth"), [(0.01, 0.03), (1e-4, 0.5), (0.2, 0.0), (0.05, 2.0)])
@pytest.mark.parametrize("u", [0.01, 0.3, 0.632, 0.95, 0.9999])
def test_rising_hazard_time_integrates_to_the_draw(a: float, growth: float, u: float) -> None:
    """The cumulative hazard of a*(1 + growth*t) up to the returned time equals -log(1-u)."""
    t = rising_hazard_time(u, a, growth)
    area, _ = integrate.quad(lambda s: a * (1 + growth * s), 0.0, t)
    assert area == pytest.approx(-math.log1p(-u), rel=1e-9)


def test_rising_hazard_time_distribution() -> None:
    """Empirical survival at a few times matches exp(-H(t)) (binomial SE, 4 SE)."""
    a, g = 0.01, 0.05
    t = np.array([rising_hazard_time(u, a, g) for u in uniforms(3)])
    for x in (10.0, 40.0, 100.0):
        surv = math.exp(-(a * x + a * g * x * x / 2))
        assert abs((t > x).mean() - surv) < 4 * math.sqrt(surv * (1 - surv) / N)


def test_rising_hazard_time_edges() -> None:
    assert rising_hazard_time(0.5, 0.0, 1.0) == math.inf
    assert rising_hazard_time(0.5, 0.1, 0.0) == pytest.approx(math.log(2) / 0.1)
    # Growth only brings the time forward.
    assert rising_hazard_time(0.5, 0.1, 0.5) < rising_hazard_time(0.5, 0.1, 0.0)


@given(days=st.floats(0.0, 4 * YEAR), phase=st.floats(0.0, 99.0),
       interval=st.floats(5.0, 100.0), teaching=teaching_len)
@settings(max_examples=200, deadline=None)
def test_contacts_after_lists_the_nth_contacts_in_order(days: float, phase: float,
                                                         interval: float,
                                                         teaching: float) -> None:
    got = list(islice(contacts_after(days, phase, interval, teaching), 6))
    horizon = days + 2 * YEAR + 7 * interval * YEAR / teaching
    later = [c for c in contacts(phase, interval, teaching, horizon) if c > days + 1e-9]
    assert got == pytest.approx(later[:6], abs=1e-6)
    assert all(b > a for a, b in zip(got, got[1:], strict=False))


def test_contacts_after_an_infinite_interval_is_empty() -> None:
    assert list(contacts_after(10.0, 0.0, math.inf, 300.0)) == []


@pytest.mark.parametrize(("a", "growth", "t"), [(0.01, 0.03, 20.0), (0.002, 0.5, 60.0),
                                                  (0.02, 0.0, 30.0)])
def test_hazard_left_is_exponential_among_survivors_and_measures_what_is_to_come(
        a: float, growth: float, t: float) -> None:
    us = uniforms(7)
    times = np.array([rising_hazard_time(u, a, growth) for u in us])
    alive = us[times > t]
    assert len(alive) > 2_000
    left = np.array([hazard_left(u, a, growth, t) for u in alive])
    # Exp(1) again (memorylessness): KS test at a fixed seed; a wrong H(t) shifts it badly.
    assert stats.kstest(left, "expon").pvalue > 1e-3
    assert np.all(hazard_left(alive[0], a, growth, t) <= -math.log1p(-alive[0]))

    def hazard(x: float) -> float:
        return a * x * (1 + growth * x / 2)

    for u, h in zip(alive[:50], left[:50], strict=True):  # H(T) - H(t)
        assert h == pytest.approx(hazard(rising_hazard_time(u, a, growth)) - hazard(t),
                                  rel=1e-6, abs=1e-9)


def test_exam_days_spread_over_teaching_time_and_stay_before_the_year_end() -> None:
    assert exam_days(323.0, 4) == [80.75, 161.5, 242.25, 323.0]
    assert exam_days(YEAR, 2)[-1] == YEAR - 2.0  # no break: still before the year end


def test_days_after_lists_later_blocks_in_calendar_days() -> None:
    blocks = exam_days(323.0, 4)
    assert list(islice(days_after(242.25, blocks), 3)) == [323.0, YEAR + 80.75, YEAR + 161.5]
    assert next(days_after(323.0, blocks)) == YEAR + 80.75  # strictly after
    assert next(days_after(2 * YEAR + 10.0, blocks)) == 2 * YEAR + 80.75
