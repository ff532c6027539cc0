"""Tests for lcsim.stats.uncertainty: intervals over draws, variance shares, first-order shares."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lcsim.stats.uncertainty import first_order, spline_df, summarise_draws, variance_shares


def test_intervals_are_the_empirical_quantiles() -> None:
    d = np.arange(1, 101, dtype=float)  # 1..100
    s = summarise_draws(d, True)
    assert s["mean"] == 50.5
    assert (s["ui95_low"], s["ui95_high"]) == tuple(np.quantile(d, [0.025, 0.975]))
    assert (s["ui90_low"], s["ui90_high"]) == tuple(np.quantile(d, [0.05, 0.95]))
    assert s["ui95_low"] < s["ui90_low"] < s["ui90_high"] < s["ui95_high"]


def test_probability_better_follows_the_direction_and_counts_ties_as_neither() -> None:
    d = np.array([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0])
    up = summarise_draws(d, True, threshold=2.0)
    assert (up["prob_better"], up["prob_worse"]) == (4 / 8, 2 / 8)
    assert up["prob_better_by_threshold"] == 3 / 8  # 2, 3, 4: at least the threshold
    down = summarise_draws(d, False, threshold=1.0)
    assert (down["prob_better"], down["prob_worse"]) == (2 / 8, 4 / 8)
    assert down["prob_better_by_threshold"] == 2 / 8  # -2, -1: lower by at least 1
    # a negative threshold asks "not worse by more than": d >= -1.5 when higher is better
    assert summarise_draws(d, True, threshold=-1.5)["prob_better_by_threshold"] == 7 / 8
    none = summarise_draws(d, None, threshold=1.0)
    assert math.isnan(none["prob_better"]) and math.isnan(none["prob_better_by_threshold"])


def test_a_missing_draw_gives_no_summary() -> None:
    s = summarise_draws([1.0, float("nan"), 2.0], True)
    assert all(math.isnan(v) for v in s.values())


def test_variance_shares() -> None:
    assert variance_shares(4.0, 1.0) == (0.75, 0.25)
    assert variance_shares(1.0, 3.0) == (0.0, 1.0)  # noise estimate above the total: clipped
    assert variance_shares(0.0, 0.0) == (0.0, 1.0)
    assert all(math.isnan(x) for x in variance_shares(1.0, float("nan")))


def test_first_order_recovers_a_known_share() -> None:
    """d = u + noise, u uniform: Var(E[d|u]) = 1/12, so with noise variance 1/12 the share is
    0.5. With 2,000 draws the adjusted R^2 has a standard error of about
    2 x 0.5 x 0.5 / sqrt(2000) ~ 0.011 (delta method); the tolerance 0.05 is over 4 of them."""
    rng = np.random.default_rng(7)
    u = rng.random(2000)
    d = u + rng.normal(0.0, math.sqrt(1 / 12), u.size)
    fit = first_order(u, d)
    assert fit["share"] == pytest.approx(0.5, abs=0.05)
    assert fit["p_value"] < 1e-12
    assert fit["diff_at_p10"] == pytest.approx(0.1, abs=0.05)
    assert fit["diff_at_p90"] == pytest.approx(0.9, abs=0.05)


def test_first_order_follows_a_curved_effect() -> None:
    """A U-shaped effect has no linear part; the cubic spline still finds it (share 0.8)."""
    rng = np.random.default_rng(8)
    u = rng.random(1000)
    signal = (u - 0.5) ** 2
    d = signal + rng.normal(0.0, math.sqrt(signal.var() / 4), u.size)
    fit = first_order(u, d)
    assert fit["share"] == pytest.approx(0.8, abs=0.05)
    # both ends sit at (0.4)^2 = 0.16; only the lowest value (0 at the middle) shows the swing
    assert fit["diff_at_p10"] == pytest.approx(0.16, abs=0.02)
    assert fit["diff_at_p90"] == pytest.approx(0.16, abs=0.02)
    assert fit["diff_min"] == pytest.approx(0.0, abs=0.02)
    assert fit["diff_max"] >= max(fit["diff_at_p10"], fit["diff_at_p90"])


def test_an_assumption_without_effect_gets_about_zero() -> None:
    """Unrelated u: the adjusted R^2 is about 0 (sd ~ sqrt(2 df)/n = 0.012 at n = 256), and
    its mean over 200 such assumptions is within 0.01 of the chance level of a clipped
    estimate (clipping at 0 leaves a small positive bias, well under 0.01)."""
    rng = np.random.default_rng(9)
    d = rng.normal(size=256)
    shares = [first_order(rng.random(256), d)["share"] for _ in range(200)]
    assert max(shares) < 0.06
    assert np.mean(shares) < 0.01
    p = [first_order(rng.random(256), d)["p_value"] for _ in range(200)]
    assert 0.02 < np.mean(np.array(p) < 0.05) < 0.10  # the F test holds its level


def test_first_order_degenerate_inputs() -> None:
    u = np.linspace(0, 1, 50)
    assert first_order(u, np.full(50, 3.0))["share"] == 0.0
    assert math.isnan(first_order(u[:3], u[:3])["share"])
    with pytest.raises(ValueError):
        first_order(u, u[:10])
    assert [spline_df(n) for n in (8, 16, 39, 40)] == [1, 3, 3, 5]
