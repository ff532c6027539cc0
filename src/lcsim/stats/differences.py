"""Comparisons of scenarios: differences of means, Holm's adjustment, probability of being best.

Pure functions of per-replication values (see `lcsim.stats.intervals` for the conventions on
NaNs and degenerate inputs). Replication ``i`` of every scenario shares a seed under common
random numbers, so paired statistics difference or resample whole replications.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lcsim.stats.intervals import as_floats, check_level, t_quantile

__all__ = ["holm", "paired_difference", "prob_best", "unpaired_difference"]

_NAN = float("nan")
# Upper bound on the number of elements of the bootstrap weight matrix held at once.
_BOOT_CHUNK_ELEMENTS = 4_000_000


def _t_test_result(diff: float, se: float, df: float, level: float) -> tuple[float, float, float]:
    """CI bounds and two-sided p-value for a t statistic ``diff / se`` (``se > 0``)."""
    half = t_quantile(level, df) * se
    t_stat = diff / se
    from scipy import stats

    p_value = float(min(1.0, 2.0 * stats.t.sf(abs(t_stat), df)))
    return diff - half, diff + half, p_value


def _degenerate_result(diff: float) -> tuple[float, float, float]:
    """CI and p-value when the standard error is exactly zero.

    A zero difference is "no evidence of a difference" (p = 1); a non-zero difference with no
    sampling variability at all is a deterministic shift (CI collapses to it, p = 0).
    """
    if diff == 0.0:
        return 0.0, 0.0, 1.0
    return diff, diff, 0.0


def paired_difference(
    reference: ArrayLike, proposal: ArrayLike, level: float = 0.95
) -> dict[str, float | int]:
    """Paired comparison of ``proposal - reference`` across common-random-number replications.

    Replication ``i`` of both scenarios shares a seed, so differencing within pairs removes
    shared noise. Pairs with a NaN on either side are dropped. Returns ``diff`` (mean
    difference), ``ci_low``/``ci_high`` (t interval), ``p_value`` (two-sided paired t-test)
    and ``n`` (pairs used; ``n_reference``/``n_proposal`` repeat it for parity with
    ``unpaired_difference``). All-zero differences give CI 0/0 and p = 1; a constant non-zero
    difference gives a CI collapsed on it and p = 0; ``n < 2`` gives NaN CI and p.
    """
    check_level(level)
    ref = as_floats(reference)
    prop = as_floats(proposal)
    if ref.shape != prop.shape:
        raise ValueError(
            f"reference and proposal must have the same length ({ref.size} != {prop.size})"
        )
    keep = ~(np.isnan(ref) | np.isnan(prop))
    d = prop[keep] - ref[keep]
    n = int(d.size)
    result: dict[str, float | int] = {
        "diff": _NAN,
        "ci_low": _NAN,
        "ci_high": _NAN,
        "p_value": _NAN,
        "n": n,
        "n_reference": n,
        "n_proposal": n,
    }
    if n == 0:
        return result
    diff = float(d.mean())
    result["diff"] = diff
    if n < 2:
        return result
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        low, high, p = _degenerate_result(diff)
    else:
        low, high, p = _t_test_result(diff, sd / np.sqrt(n), n - 1, level)
    result.update(ci_low=low, ci_high=high, p_value=p)
    return result


def unpaired_difference(
    reference: ArrayLike, proposal: ArrayLike, level: float = 0.95
) -> dict[str, float | int]:
    """Welch comparison of ``mean(proposal) - mean(reference)`` for independent samples.

    Used when common random numbers are off, so replications are not paired; Welch's test
    does not assume equal variances. NaNs are dropped from each sample independently.
    Same keys as ``paired_difference``; ``n`` is the smaller sample size and
    ``n_reference``/``n_proposal`` give both. Identical constant samples give diff 0,
    CI 0/0, p = 1; either sample with fewer than 2 values gives NaN CI and p.
    """
    check_level(level)
    ref = as_floats(reference)
    prop = as_floats(proposal)
    ref = ref[~np.isnan(ref)]
    prop = prop[~np.isnan(prop)]
    n_r, n_p = int(ref.size), int(prop.size)
    result: dict[str, float | int] = {
        "diff": _NAN,
        "ci_low": _NAN,
        "ci_high": _NAN,
        "p_value": _NAN,
        "n": min(n_r, n_p),
        "n_reference": n_r,
        "n_proposal": n_p,
    }
    if n_r == 0 or n_p == 0:
        return result
    diff = float(prop.mean() - ref.mean())
    result["diff"] = diff
    if n_r < 2 or n_p < 2:
        return result
    v_r = float(ref.var(ddof=1)) / n_r
    v_p = float(prop.var(ddof=1)) / n_p
    se2 = v_r + v_p
    if se2 == 0.0:
        low, high, p = _degenerate_result(diff)
    else:
        # Welch-Satterthwaite degrees of freedom (denominator > 0 because se2 > 0).
        df = se2**2 / (v_r**2 / (n_r - 1) + v_p**2 / (n_p - 1))
        low, high, p = _t_test_result(diff, float(np.sqrt(se2)), df, level)
    result.update(ci_low=low, ci_high=high, p_value=p)
    return result


def holm(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm-Bonferroni step-down adjusted p-values (family-wise error control).

    Used when one reference scenario is compared with several proposals on several metrics.
    Adjusted values are monotone in the raw order and capped at 1. NaNs are passed through
    and do not count towards the number of tests ``m``. Output has the input's shape.
    """
    p = np.asarray(p_values, dtype=np.float64)
    shape = p.shape
    flat = p.reshape(-1)
    finite = ~np.isnan(flat)
    vals = flat[finite]
    if ((vals < 0.0) | (vals > 1.0)).any():
        raise ValueError("p-values must lie in [0, 1]")
    out = np.full(flat.shape, np.nan)
    m = vals.size
    if m:
        order = np.argsort(vals, kind="stable")
        multipliers = m - np.arange(m)
        adjusted_sorted = np.minimum(1.0, np.maximum.accumulate(multipliers * vals[order]))
        adjusted = np.empty(m)
        adjusted[order] = adjusted_sorted
        out[finite] = adjusted
    return out.reshape(shape)


def _resample_means(rng: np.random.Generator, b: int, filled: NDArray[np.float64],
                    present: NDArray[np.float64]) -> NDArray[np.float64]:
    """Column means of ``b`` paired bootstrap resamples of the rows (NaN where a column has no
    value in a resample); ``filled`` holds the values with 0 for NaN, ``present`` 1 or 0."""
    n_rows, n_cols = filled.shape
    idx = rng.integers(0, n_rows, size=(b, n_rows))
    # Multiplicity of each original row in each resample: weights (b x n_rows).
    flat = (idx + n_rows * np.arange(b)[:, None]).ravel()
    weights = np.bincount(flat, minlength=b * n_rows).reshape(b, n_rows).astype(np.float64)
    means = np.empty((b, n_cols))
    # One matrix-vector product per column: identical columns give bit-identical means,
    # so exact ties are detected reliably.
    for k in range(n_cols):
        sums = weights @ filled[:, k]
        cnt = weights @ present[:, k]
        with np.errstate(invalid="ignore", divide="ignore"):
            means[:, k] = np.where(cnt > 0, sums / cnt, np.nan)
    return means


def prob_best(
    values: np.ndarray, higher_is_better: bool, n_boot: int = 2000, seed: int = 0
) -> np.ndarray:
    """Bootstrap probability that each scenario has the best mean.

    ``values`` is (replications x scenarios) with rows paired by replication seed, so whole
    rows are resampled (a paired bootstrap keeps the common-random-number correlation).
    Column means per resample ignore NaNs; a column with no values in a resample cannot win
    it, resamples where no column has a value are discarded, and exact ties share the win
    equally (so identical columns get identical shares). Returns shares summing to 1, or
    all-NaN if no resample had a finite mean.
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"values must be 2-D (replications x scenarios), got ndim={arr.ndim}")
    if n_boot < 1:
        raise ValueError("n_boot must be >= 1")
    n_rows, n_cols = arr.shape
    nan_result = np.full(n_cols, np.nan)
    if n_rows == 0 or n_cols == 0 or np.isnan(arr).all():
        return nan_result

    present = ~np.isnan(arr)
    filled = np.where(present, arr, 0.0)
    counts_present = present.astype(np.float64)
    sign = 1.0 if higher_is_better else -1.0

    rng = np.random.default_rng(seed)
    wins = np.zeros(n_cols)
    valid_draws = 0
    chunk = max(1, _BOOT_CHUNK_ELEMENTS // n_rows)
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        done += b
        means = _resample_means(rng, b, filled, counts_present)
        scored = np.where(np.isnan(means), -np.inf, sign * means)
        best = scored.max(axis=1)
        ok = np.isfinite(best)
        if not ok.any():
            continue
        winners = scored[ok] == best[ok, None]
        wins += (winners / winners.sum(axis=1, keepdims=True)).sum(axis=0)
        valid_draws += int(ok.sum())
    if valid_draws == 0:
        return nan_result
    return wins / valid_draws
