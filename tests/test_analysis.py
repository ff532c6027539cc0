"""Tests for lcsim.stats (intervals, differences, survival) and the tests' Erlang C reference:
hand-worked textbook values, independent references, properties.

Every statistical check uses a fixed seed and a tolerance justified by the sample size, so the
tests are deterministic but would fail for a real defect (wrong formula, wrong tie handling,
unpaired resampling, ...). RuntimeWarnings are promoted to errors: the module promises to be
silent on NaN / zero-variance input.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from lcsim.stats.differences import holm, paired_difference, prob_best, unpaired_difference
from lcsim.stats.intervals import mean_ci, summarise
from lcsim.stats.survival import km_curve, km_quantile
from queueing import erlang_c_wait

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

# Small integer times create many ties, which is where KM conventions matter.
km_data = st.integers(min_value=1, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(min_value=0, max_value=8), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


# --------------------------------------------------------------------------------------------
# mean_ci
# --------------------------------------------------------------------------------------------


def test_mean_ci_matches_scipy_t_interval() -> None:
    x = np.random.default_rng(1).normal(3.0, 2.0, size=12)
    m, lo, hi = mean_ci(x, level=0.9)
    ref_lo, ref_hi = stats.t.interval(0.9, df=11, loc=x.mean(), scale=stats.sem(x))
    assert m == pytest.approx(x.mean())
    assert lo == pytest.approx(ref_lo)
    assert hi == pytest.approx(ref_hi)


def test_mean_ci_ignores_nan() -> None:
    x = np.array([1.0, np.nan, 2.0, 4.0, np.nan])
    assert mean_ci(x) == pytest.approx(mean_ci([1.0, 2.0, 4.0]))


def test_mean_ci_degenerate_cases() -> None:
    empty = mean_ci([])
    assert all(math.isnan(v) for v in empty)
    all_nan = mean_ci([np.nan, np.nan])
    assert all(math.isnan(v) for v in all_nan)
    m, lo, hi = mean_ci([np.nan, 7.5])
    assert m == 7.5 and math.isnan(lo) and math.isnan(hi)
    assert mean_ci([2.5, 2.5, 2.5]) == (2.5, 2.5, 2.5)


def test_mean_ci_rejects_bad_level() -> None:
    with pytest.raises(ValueError):
        mean_ci([1.0, 2.0], level=1.0)


def test_mean_ci_coverage_is_nominal() -> None:
    # 4000 samples of n=8 from N(5, 1): coverage count ~ Binomial(4000, 0.95), whose SE is
    # sqrt(0.95 * 0.05 / 4000) = 0.0034; allow 4 SE. A z interval (no t correction) would
    # cover only ~0.92 at n=8, and a wrong ddof or level would also fall outside.
    rng = np.random.default_rng(2024)
    reps, n, mu = 4000, 8, 5.0
    samples = rng.normal(mu, 1.0, size=(reps, n))
    covered = 0
    for row in samples:
        _, lo, hi = mean_ci(row)
        covered += lo <= mu <= hi
    se = math.sqrt(0.95 * 0.05 / reps)
    assert abs(covered / reps - 0.95) < 4 * se


# --------------------------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------------------------


def test_km_curve_textbook_example() -> None:
    # times 1, 2, 2, 3, 4, 5 with the second "2" and the "4" censored.
    # Events before censorings at t=2, so the censored subject is still at risk at t=2.
    #   t=1: n=6, d=1 -> S = 5/6
    #   t=2: n=5, d=1 -> S = 5/6 * 4/5 = 2/3      (1 censored at 2 leaves after)
    #   t=3: n=3, d=1 -> S = 2/3 * 2/3 = 4/9
    #   t=4: n=2, d=0 -> S = 4/9                  (censored only)
    #   t=5: n=1, d=1 -> S = 0
    times = [1, 2, 2, 3, 4, 5]
    observed = [True, True, False, True, False, True]
    curve = km_curve(times, observed)
    assert list(curve.columns) == ["time", "survival", "at_risk", "events"]
    np.testing.assert_allclose(curve["time"], [0, 1, 2, 3, 4, 5])
    np.testing.assert_allclose(curve["survival"], [1, 5 / 6, 2 / 3, 4 / 9, 4 / 9, 0])
    np.testing.assert_array_equal(curve["at_risk"], [6, 6, 5, 3, 2, 1])
    np.testing.assert_array_equal(curve["events"], [0, 1, 1, 1, 0, 1])


def test_km_curve_order_of_input_is_irrelevant() -> None:
    times = np.array([5, 2, 4, 1, 3, 2])
    observed = np.array([1, 0, 0, 1, 1, 1])
    curve = km_curve(times, observed)
    # Same data as the textbook example, shuffled.
    np.testing.assert_allclose(curve["survival"], [1, 5 / 6, 2 / 3, 4 / 9, 4 / 9, 0])


def test_km_curve_empty_and_invalid() -> None:
    curve = km_curve([], [])
    assert len(curve) == 1 and curve["survival"].iloc[0] == 1.0 and curve["at_risk"].iloc[0] == 0
    with pytest.raises(ValueError):
        km_curve([1.0, 2.0], [True])
    with pytest.raises(ValueError):
        km_curve([1.0, np.nan], [True, True])
    with pytest.raises(ValueError):
        km_curve([-1.0], [True])


@settings(max_examples=200, deadline=None)
@given(km_data)
def test_km_curve_invariants(data: tuple[list[int], list[bool]]) -> None:
    times, observed = data
    curve = km_curve(times, observed)
    surv = curve["survival"].to_numpy()
    assert surv[0] == 1.0 and curve["time"].iloc[0] == 0.0
    assert np.all(np.diff(surv) <= 1e-15)
    assert np.all((surv >= 0) & (surv <= 1))
    assert curve["events"].sum() == sum(observed)
    assert curve["at_risk"].iloc[0] == len(times)
    # at_risk just before each distinct time = number of subjects with time >= that time.
    t_arr = np.asarray(times)
    for t, r in zip(curve["time"].iloc[1:], curve["at_risk"].iloc[1:], strict=True):
        assert r == np.count_nonzero(t_arr >= t)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=50))
def test_km_without_censoring_is_empirical_survival(times: list[int]) -> None:
    curve = km_curve(times, [True] * len(times))
    t_arr = np.asarray(times)
    for t, s in zip(curve["time"].iloc[1:], curve["survival"].iloc[1:], strict=True):
        assert s == pytest.approx(np.mean(t_arr > t), abs=1e-12)


def test_km_quantile_textbook_example() -> None:
    # CDF from the hand-worked curve above: 1/6 at t=1, 1/3 at t=2, 5/9 at t=3, 1 at t=5.
    times = [1, 2, 2, 3, 4, 5]
    observed = [True, True, False, True, False, True]
    assert km_quantile(times, observed, 0.5) == 3.0
    assert km_quantile(times, observed, 1 / 3) == 2.0  # reached exactly at t=2
    assert km_quantile(times, observed, 0.56) == 5.0
    assert km_quantile(times, observed, 1.0) == 5.0


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=60),
    st.floats(min_value=0.001, max_value=1.0),
)
def test_km_quantile_without_censoring_is_inverted_cdf(times: list[int], q: float) -> None:
    expected = np.quantile(np.asarray(times, dtype=float), q, method="inverted_cdf")
    assert km_quantile(times, np.ones(len(times), dtype=bool), q) == expected


@pytest.mark.parametrize("q", [0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
def test_km_quantile_large_array_matches_inverted_cdf(q: float) -> None:
    # Large n with ties and exact grid quantiles (n*q integral) stresses float round-off in
    # the cumulative product: the result must still equal the empirical lower quantile.
    rng = np.random.default_rng(7)
    times = rng.integers(0, 5000, size=100_000).astype(float)
    expected = np.quantile(times, q, method="inverted_cdf")
    assert km_quantile(times, np.ones(times.size, dtype=bool), q) == expected
    cont = rng.exponential(1.0, size=100_000)
    expected_cont = np.quantile(cont, q, method="inverted_cdf")
    assert km_quantile(cont, np.ones(cont.size, dtype=bool), q) == expected_cont


@settings(max_examples=200, deadline=None)
@given(km_data, st.floats(min_value=0.01, max_value=1.0))
def test_km_quantile_agrees_with_curve(data: tuple[list[int], list[bool]], q: float) -> None:
    times, observed = data
    curve = km_curve(times, observed)
    reached = curve[(1.0 - curve["survival"]) >= q - 1e-12]
    result = km_quantile(times, observed, q)
    if reached.empty:
        assert math.isnan(result)
    else:
        assert result == reached["time"].iloc[0]


def test_km_median_nan_under_heavy_censoring_and_empty() -> None:
    # Ten subjects, only the first observed: CDF tops out at 1/10, far below 0.5.
    times = np.arange(1.0, 11.0)
    observed = np.zeros(10, dtype=bool)
    observed[0] = True
    assert math.isnan(km_quantile(times, observed, 0.5))
    assert km_quantile(times, observed, 0.1) == 1.0
    assert math.isnan(km_quantile([], [], 0.5))
    with pytest.raises(ValueError):
        km_quantile(times, observed, 0.0)


def _km_quantile_se(q: float, event_rate: float, censor_rate: float, n: int) -> float:
    """Asymptotic SE of the KM q-quantile for exponential events and exponential censoring.

    Greenwood/delta method: Var S(t) ~ S^2/n * int_0^t lam / P(at risk at s) ds with
    P(at risk) = exp(-(lam+mu) s), and Var(t_q) = Var S(t_q) / f(t_q)^2 with f = lam S.
    """
    lam, mu = event_rate, censor_rate
    t_q = -math.log1p(-q) / lam
    var_s_over_s2 = lam / (lam + mu) * math.expm1((lam + mu) * t_q) / n
    return math.sqrt(var_s_over_s2) / lam


def _censored_exponential_sample(
    n: int, event_rate: float, censor_rate: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    event = rng.exponential(1.0 / event_rate, size=n)
    censor = rng.exponential(1.0 / censor_rate, size=n)
    return np.minimum(event, censor), event <= censor


@pytest.mark.parametrize("q", [0.5, 0.9])
def test_km_quantile_recovers_exponential_quantile_under_censoring(q: float) -> None:
    # Event rate 1, independent censoring rate 0.5 (a third of subjects censored), n=20000.
    # Asymptotic SE of the KM median is ~0.0078 and of the p90 ~0.032; allow 4 SE.
    n, lam, mu = 20_000, 1.0, 0.5
    times, observed = _censored_exponential_sample(n, lam, mu, seed=11)
    true_q = -math.log1p(-q) / lam  # ln 2 for the median
    tol = 4 * _km_quantile_se(q, lam, mu, n)
    assert abs(km_quantile(times, observed, q) - true_q) < tol


def test_naive_median_is_biased_low_under_censoring() -> None:
    # Same setting: ignoring censoring, min(T, C) ~ Exp(1.5) whose median ln2/1.5 = 0.46 is far
    # below the true ln2 = 0.69 (about 30 KM standard errors), which is why KM is needed.
    n, lam, mu = 20_000, 1.0, 0.5
    times, observed = _censored_exponential_sample(n, lam, mu, seed=11)
    se = _km_quantile_se(0.5, lam, mu, n)
    naive_all = float(np.median(times))
    naive_events = float(np.median(times[observed]))
    km = km_quantile(times, observed, 0.5)
    assert naive_all < math.log(2) - 10 * se
    assert naive_events < math.log(2) - 10 * se
    assert abs(km - math.log(2)) < 4 * se


# --------------------------------------------------------------------------------------------
# Paired and unpaired differences
# --------------------------------------------------------------------------------------------


def test_paired_identical_arrays_exactly_zero() -> None:
    x = np.random.default_rng(3).normal(size=30)
    res = paired_difference(x, x.copy())
    assert res["diff"] == 0.0
    assert res["ci_low"] == 0.0 and res["ci_high"] == 0.0
    assert res["p_value"] == 1.0
    assert res["n"] == 30


def test_paired_matches_scipy_ttest_rel() -> None:
    rng = np.random.default_rng(4)
    ref = rng.normal(10, 2, size=25)
    prop = ref + rng.normal(0.5, 1.0, size=25)
    res = paired_difference(ref, prop, level=0.9)
    ref_test = stats.ttest_rel(prop, ref)
    d = prop - ref
    lo, hi = stats.t.interval(0.9, df=24, loc=d.mean(), scale=stats.sem(d))
    assert res["diff"] == pytest.approx(d.mean())
    assert res["p_value"] == pytest.approx(ref_test.pvalue)
    assert res["ci_low"] == pytest.approx(lo) and res["ci_high"] == pytest.approx(hi)
    assert res["n"] == 25


def test_paired_drops_nan_pairs() -> None:
    ref = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    prop = np.array([1.5, np.nan, 3.0, 4.1, 6.0])
    res = paired_difference(ref, prop)
    expected = paired_difference([1.0, 4.0, 5.0], [1.5, 4.1, 6.0])
    assert res["n"] == 3
    for key in ("diff", "ci_low", "ci_high", "p_value"):
        assert res[key] == pytest.approx(expected[key])


def test_paired_small_and_constant_shift() -> None:
    one = paired_difference([1.0, np.nan], [3.0, 2.0])
    assert one["n"] == 1 and one["diff"] == 2.0
    assert math.isnan(one["ci_low"]) and math.isnan(one["p_value"])
    none = paired_difference([np.nan], [1.0])
    assert none["n"] == 0 and math.isnan(none["diff"])
    # A constant non-zero shift has no sampling noise: CI collapses on it.
    shift = paired_difference([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])
    assert shift["diff"] == 1.0 and shift["ci_low"] == 1.0 and shift["ci_high"] == 1.0
    assert shift["p_value"] == 0.0
    with pytest.raises(ValueError):
        paired_difference([1.0, 2.0], [1.0])


def test_paired_ci_narrower_than_unpaired_for_correlated_pairs() -> None:
    # Common random numbers: a shared replication effect (sd 3) plus small scenario noise
    # (sd 0.5). Pairing removes the shared effect, so the paired CI must be much narrower.
    rng = np.random.default_rng(5)
    shared = rng.normal(0, 3, size=40)
    ref = 10 + shared + rng.normal(0, 0.5, size=40)
    prop = 10.4 + shared + rng.normal(0, 0.5, size=40)
    paired = paired_difference(ref, prop)
    unpaired = unpaired_difference(ref, prop)
    assert paired["diff"] == pytest.approx(unpaired["diff"])
    paired_width = paired["ci_high"] - paired["ci_low"]
    unpaired_width = unpaired["ci_high"] - unpaired["ci_low"]
    assert paired_width < 0.5 * unpaired_width
    assert paired["p_value"] < unpaired["p_value"]


def test_unpaired_matches_scipy_welch() -> None:
    rng = np.random.default_rng(6)
    ref = rng.normal(0, 1, size=15)
    prop = rng.normal(1, 3, size=30)
    res = unpaired_difference(ref, np.append(prop, np.nan), level=0.95)
    welch = stats.ttest_ind(prop, ref, equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert res["diff"] == pytest.approx(prop.mean() - ref.mean())
    assert res["p_value"] == pytest.approx(welch.pvalue)
    assert res["ci_low"] == pytest.approx(ci.low) and res["ci_high"] == pytest.approx(ci.high)
    assert res["n_reference"] == 15 and res["n_proposal"] == 30 and res["n"] == 15


def test_unpaired_identical_constants_and_small_samples() -> None:
    res = unpaired_difference([2.0, 2.0, 2.0], [2.0, 2.0])
    assert (res["diff"], res["ci_low"], res["ci_high"], res["p_value"]) == (0.0, 0.0, 0.0, 1.0)
    small = unpaired_difference([1.0], [2.0, 3.0])
    assert small["diff"] == 1.5 and math.isnan(small["ci_low"]) and math.isnan(small["p_value"])


# --------------------------------------------------------------------------------------------
# Holm
# --------------------------------------------------------------------------------------------


def test_holm_hand_worked_example() -> None:
    # p = [0.01, 0.04, 0.03, 0.005], m = 4. Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03,
    # 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06. Back in input order:
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])


def test_holm_nan_passthrough_and_cap() -> None:
    # NaN not counted: m = 2 -> 0.01*2 = 0.02, 0.04*1 = 0.04.
    out = holm([0.01, np.nan, 0.04])
    assert math.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2]], [0.02, 0.04])
    # 0.5*2 = 1.0 (cap), then running max keeps 1.0 for 0.6.
    np.testing.assert_allclose(holm([0.6, 0.5]), [1.0, 1.0])
    assert holm([]).shape == (0,)
    assert np.isnan(holm([np.nan, np.nan])).all()
    with pytest.raises(ValueError):
        holm([0.5, 1.5])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(min_value=0.0, max_value=1.0), st.just(float("nan"))),
        min_size=1,
        max_size=30,
    )
)
def test_holm_properties(raw: list[float]) -> None:
    p = np.asarray(raw)
    adj = holm(p)
    fin = ~np.isnan(p)
    np.testing.assert_array_equal(np.isnan(adj), ~fin)
    pf, af = p[fin], adj[fin]
    m = pf.size
    assert np.all(af >= pf)
    assert np.all(af <= 1.0)
    assert np.all(af <= np.minimum(1.0, m * pf) + 1e-15)  # never worse than Bonferroni
    order = np.argsort(pf, kind="stable")
    assert np.all(np.diff(af[order]) >= 0)  # monotone in the raw order
    if m:  # the smallest p-value is multiplied by exactly m
        assert af[order[0]] == pytest.approx(min(1.0, m * pf[order[0]]))


# --------------------------------------------------------------------------------------------
# prob_best
# --------------------------------------------------------------------------------------------


def test_prob_best_clear_winner_and_direction() -> None:
    rng = np.random.default_rng(8)
    values = rng.normal(0, 1, size=(30, 3))
    values[:, 2] += 10.0
    hi = prob_best(values, higher_is_better=True)
    assert hi.sum() == pytest.approx(1.0)
    assert hi[2] > 0.999
    lo = prob_best(values, higher_is_better=False)
    assert lo.sum() == pytest.approx(1.0)
    assert lo[2] < 0.001


def test_prob_best_identical_columns_share_equally() -> None:
    col = np.random.default_rng(9).normal(size=20)
    values = np.column_stack([col, col, col, col - 5.0])
    out = prob_best(values, higher_is_better=True, n_boot=500)
    np.testing.assert_allclose(out, [1 / 3, 1 / 3, 1 / 3, 0.0])


def test_prob_best_uses_paired_rows() -> None:
    # Large shared replication effect (sd 10) and a small consistent advantage for column 1
    # (0.1 with within-pair sd 0.05 over 200 rows: z ~ 28). A paired bootstrap is ~certain;
    # resampling columns independently would give only ~0.5-0.6.
    rng = np.random.default_rng(10)
    shared = rng.normal(0, 10, size=200)
    values = np.column_stack([shared, shared + 0.1 + rng.normal(0, 0.05, size=200)])
    assert prob_best(values, higher_is_better=True)[1] > 0.99


def test_prob_best_matches_normal_approximation() -> None:
    # Paired normal differences with z = mean(d) / se(d) ~ 1: bootstrap P(column 1 best) should
    # be ~ Phi(z). Monte Carlo SE with 4000 resamples is ~0.006; bootstrap-vs-normal error
    # at n=200 rows is O(0.01). Allow 0.03.
    rng = np.random.default_rng(12)
    n = 200
    base = rng.normal(0, 5, size=n)
    other = base + rng.normal(0.1, math.sqrt(2.0), size=n)
    values = np.column_stack([base, other])
    d = other - base
    z = d.mean() / (d.std(ddof=1) / math.sqrt(n))
    out = prob_best(values, higher_is_better=True, n_boot=4000, seed=3)
    assert out[1] == pytest.approx(stats.norm.cdf(z), abs=0.03)


def test_prob_best_permutation_equivariant_and_seeded() -> None:
    values = np.random.default_rng(13).normal(size=(25, 4))
    out = prob_best(values, higher_is_better=True, seed=5)
    perm = [2, 0, 3, 1]
    np.testing.assert_array_equal(prob_best(values[:, perm], True, seed=5), out[perm])
    np.testing.assert_array_equal(prob_best(values, True, seed=5), out)


def test_prob_best_nan_handling() -> None:
    values = np.array([[1.0, 5.0, np.nan], [2.0, np.nan, np.nan], [1.5, 6.0, np.nan]])
    out = prob_best(values, higher_is_better=True, n_boot=300)
    # Column 1 (nanmean 5-6) beats column 0 (<= 2) whenever it has a value in the resample;
    # it is absent only if row 1 is drawn three times (prob 1/27). Column 2 never competes.
    assert out.sum() == pytest.approx(1.0)
    assert out[2] == 0.0
    assert out[1] == pytest.approx(26 / 27, abs=0.05)
    assert np.isnan(prob_best(np.full((4, 3), np.nan), True)).all()
    with pytest.raises(ValueError):
        prob_best(np.ones(3), True)


# --------------------------------------------------------------------------------------------
# Erlang C
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lam", "mu"), [(0.5, 1.0), (3.0, 4.0), (0.9, 1.0)])
def test_erlang_c_mm1_closed_form(lam: float, mu: float) -> None:
    # M/M/1: Wq = rho / (mu - lambda), rho = lambda / mu.
    assert erlang_c_wait(lam, mu, 1) == pytest.approx((lam / mu) / (mu - lam))


def test_erlang_c_mm2_hand_value() -> None:
    # lambda=1, mu=1, c=2: a=1, rho=1/2. P0 = 1 / (1 + a + a^2 / (2! (1 - rho))) = 1/3,
    # P(wait) = a^2 / (2! (1 - rho)) * P0 = 1/3, Wq = P(wait) / (c mu - lambda) = 1/3.
    assert erlang_c_wait(1.0, 1.0, 2) == pytest.approx(1 / 3)


def test_erlang_c_unstable_and_idle() -> None:
    assert erlang_c_wait(2.0, 1.0, 2) == math.inf
    assert erlang_c_wait(5.0, 1.0, 2) == math.inf
    assert erlang_c_wait(0.0, 1.0, 3) == 0.0
    with pytest.raises(ValueError):
        erlang_c_wait(1.0, 1.0, 0)


@pytest.mark.parametrize(("servers", "rho"), [(5, 0.8), (50, 0.9), (200, 0.95), (200, 0.5)])
def test_erlang_c_many_servers_matches_log_space_reference(servers: int, rho: float) -> None:
    # Independent reference: P(wait) = T_c / (sum_{k<c} a^k/k! + T_c), T_c = a^c/(c!(1-rho)),
    # evaluated with logsumexp so a^c / c! does not overflow at c=200.
    mu = 1.0
    lam = rho * servers * mu
    a = lam / mu
    k = np.arange(servers)
    log_terms = k * math.log(a) - special.gammaln(k + 1)
    log_tail = servers * math.log(a) - special.gammaln(servers + 1) - math.log1p(-rho)
    log_pw = log_tail - special.logsumexp(np.append(log_terms, log_tail))
    expected = math.exp(log_pw) / (servers * mu - lam)
    got = erlang_c_wait(lam, mu, servers)
    assert math.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-9)


def test_erlang_c_decreases_with_servers() -> None:
    waits = [erlang_c_wait(10.0, 1.0, c) for c in range(11, 40)]
    assert all(b < a for a, b in zip(waits, waits[1:], strict=False))


# --------------------------------------------------------------------------------------------
# summarise
# --------------------------------------------------------------------------------------------


def test_summarise_shape_order_and_values() -> None:
    rng = np.random.default_rng(14)
    runs = pd.DataFrame(
        {
            "retention": rng.uniform(0.8, 0.95, size=10),
            "wait": rng.exponential(3.0, size=10),
            "constant": np.full(10, 4.0),
            "unused": np.arange(10.0),
        }
    )
    runs.loc[[1, 4], "wait"] = np.nan
    metrics = ["wait", "retention", "constant"]
    table = summarise(runs, metrics, level=0.9)
    assert list(table.columns) == ["metric", "mean", "ci_low", "ci_high", "n"]
    assert list(table["metric"]) == metrics
    assert list(table["n"]) == [8, 10, 10]
    for _, row in table.iterrows():
        m, lo, hi = mean_ci(runs[row["metric"]].to_numpy(), level=0.9)
        assert row["mean"] == pytest.approx(m)
        assert row["ci_low"] == pytest.approx(lo) and row["ci_high"] == pytest.approx(hi)
    assert table.loc[2, "ci_low"] == table.loc[2, "ci_high"] == 4.0
    with pytest.raises(KeyError):
        summarise(runs, ["missing"])


def test_summarise_needs_every_replication_for_complete_metrics() -> None:
    """A metric listed in `complete` (a censored quantile) with a missing replication gets no
    mean or CI, and `n` counts the replications that have it; other metrics drop NaNs."""
    runs = pd.DataFrame({"q": [10.0, np.nan, 14.0], "x": [1.0, np.nan, 3.0]})
    s = summarise(runs, ["q", "x"], complete={"q"}).set_index("metric")
    assert np.isnan(s.loc["q", "mean"]) and np.isnan(s.loc["q", "ci_high"])
    assert s.loc["q", "n"] == 2
    assert s.loc["x", "mean"] == pytest.approx(2.0) and s.loc["x", "n"] == 2
    whole = summarise(runs.dropna(), ["q"], complete={"q"}).set_index("metric")
    assert whole.loc["q", "mean"] == pytest.approx(12.0)
