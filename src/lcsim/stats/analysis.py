"""Statistical summaries of simulation replications and scenario comparisons.

Everything here is a pure function of numpy arrays / pandas DataFrames: no I/O, no plotting,
no global random state. The functions are written to be silent (no RuntimeWarning) on the
degenerate inputs that replications routinely produce: NaNs, a single replication, zero
variance (e.g. a metric that is identical under common random numbers).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "erlang_c_wait",
    "holm",
    "km_curve",
    "km_quantile",
    "mean_ci",
    "paired_difference",
    "prob_best",
    "summarise",
    "unpaired_difference",
]

_NAN = float("nan")

# Upper bound on the number of elements of the bootstrap weight matrix held at once.
_BOOT_CHUNK_ELEMENTS = 4_000_000


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _check_level(level: float) -> None:
    """Reject confidence levels outside the open interval (0, 1)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")


def _as_1d_float(x: ArrayLike) -> NDArray[np.float64]:
    """Convert to a flat float64 array (a scalar becomes length 1)."""
    arr = np.asarray(x, dtype=np.float64)
    return arr.reshape(-1)


def _t_quantile(level: float, df: float) -> float:
    """Two-sided Student-t critical value for confidence ``level`` with ``df`` dof."""
    from scipy import stats  # imported here: it costs ~0.5 s in every worker process

    return float(stats.t.ppf(0.5 + level / 2.0, df))


def _t_test_result(diff: float, se: float, df: float, level: float) -> tuple[float, float, float]:
    """CI bounds and two-sided p-value for a t statistic ``diff / se`` (``se > 0``)."""
    half = _t_quantile(level, df) * se
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


def _km_table(
    times: ArrayLike, observed: ArrayLike
) -> tuple[
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
]:
    """Kaplan-Meier building blocks at each distinct time, sorting the data once.

    Returns ``(unique_times, at_risk, events, censored, survival)``. Subjects censored at time
    ``t`` are still at risk for events at ``t`` (events-before-censorings convention).
    """
    t = _as_1d_float(times)
    obs_raw = np.asarray(observed).reshape(-1)
    if obs_raw.shape != t.shape:
        raise ValueError(
            f"times and observed must have the same length ({t.size} != {obs_raw.size})"
        )
    if np.isnan(t).any():
        raise ValueError("times must not contain NaN (encode unfinished follow-up as censored)")
    if (t < 0).any():
        raise ValueError("times must be non-negative")
    obs = obs_raw.astype(bool)
    n = t.size
    if n == 0:
        empty_f = np.empty(0, dtype=np.float64)
        empty_i = np.empty(0, dtype=np.int64)
        return empty_f, empty_i, empty_i, empty_i, empty_f

    order = np.argsort(t, kind="stable")
    t_sorted = t[order]
    obs_sorted = obs[order].astype(np.int64)
    uniq, first_idx = np.unique(t_sorted, return_index=True)
    events = np.add.reduceat(obs_sorted, first_idx)
    group_sizes = np.diff(np.append(first_idx, n))
    censored = group_sizes - events
    at_risk = n - first_idx
    survival = np.cumprod(1.0 - events / at_risk)
    return uniq, at_risk.astype(np.int64), events, censored, survival


# --------------------------------------------------------------------------------------------
# Replication summaries
# --------------------------------------------------------------------------------------------


def mean_ci(x: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval across replications.

    Replications are independent, so the t interval on their means is the standard
    output-analysis summary. NaNs (failed or undefined replications) are ignored.
    Returns ``(mean, ci_low, ci_high)``; ``n == 1`` gives ``(x, nan, nan)``, ``n == 0``
    gives all-NaN and zero variance gives ``(m, m, m)``.
    """
    _check_level(level)
    arr = _as_1d_float(x)
    arr = arr[~np.isnan(arr)]
    n = arr.size
    if n == 0:
        return _NAN, _NAN, _NAN
    m = float(arr.mean())
    if n == 1:
        return m, _NAN, _NAN
    sd = float(arr.std(ddof=1))
    if sd == 0.0:
        return m, m, m
    if not np.isfinite(sd):  # infinite values: no meaningful interval
        return m, _NAN, _NAN
    half = _t_quantile(level, n - 1) * sd / np.sqrt(n)
    return m, m - half, m + half


def summarise(runs: pd.DataFrame, metrics: Sequence[str], level: float = 0.95,
              complete: Collection[str] = ()) -> pd.DataFrame:
    """Tidy table of ``mean_ci`` per metric, one row per metric in the order given.

    ``runs`` has one row per replication; ``n`` is the number of non-NaN values used. Metrics in
    ``complete`` are summarised only when no replication lacks a value (for a censored quantile,
    a missing value lies beyond follow-up, and dropping it would bias the mean); otherwise their
    mean and CI are NaN and ``n`` tells how many replications had one.
    """
    _check_level(level)
    missing = [m for m in metrics if m not in runs.columns]
    if missing:
        raise KeyError(f"metrics not found in runs: {missing}")
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        values = pd.to_numeric(runs[metric], errors="raise").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        mean, low, high = (mean_ci(values, level) if metric not in complete
                           or not np.isnan(values).any() else (_NAN, _NAN, _NAN))
        rows.append(
            {
                "metric": metric,
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "n": int(np.count_nonzero(~np.isnan(values))),
            }
        )
    out = pd.DataFrame(rows, columns=["metric", "mean", "ci_low", "ci_high", "n"])
    return out.astype({"mean": float, "ci_low": float, "ci_high": float, "n": np.int64})


# --------------------------------------------------------------------------------------------
# Survival (time to intervention, time to attrition) under right censoring
# --------------------------------------------------------------------------------------------


def km_curve(times: ArrayLike, observed: ArrayLike) -> pd.DataFrame:
    """Kaplan-Meier product-limit survival curve under right censoring.

    Needed because students still enrolled (or not yet flagged) when the horizon ends are
    censored; treating their times as events biases every summary low. ``observed=False``
    means censored at that time; at tied times events are counted before censorings.
    Columns: ``time``, ``survival`` (S just after ``time``), ``at_risk`` (number at risk just
    before ``time``), ``events``. The first row is ``time=0, survival=1`` with the full
    cohort at risk; every distinct observed or censored time then gets a row (censoring-only
    rows leave survival unchanged), so an event at exactly 0 gives a second row at 0.
    """
    uniq, at_risk, events, _censored, survival = _km_table(times, observed)
    n = int(at_risk[0]) if at_risk.size else 0
    return pd.DataFrame(
        {
            "time": np.concatenate([[0.0], uniq]),
            "survival": np.concatenate([[1.0], survival]),
            "at_risk": np.concatenate([[n], at_risk]).astype(np.int64),
            "events": np.concatenate([[0], events]).astype(np.int64),
        }
    )


def km_quantile(times: ArrayLike, observed: ArrayLike, q: float) -> float:
    """Smallest time at which the KM estimate of the CDF, ``1 - S(t)``, reaches ``q``.

    ``q=0.5`` is the KM median, ``q=0.9`` the p90. Returns NaN if the curve never reaches
    ``q`` (too much censoring to identify that quantile) or the input is empty. Vectorised:
    one sort, so it is cheap on 10^5 observations. The comparison tolerates accumulated
    rounding in the cumulative product (a few ulps per factor), far below the smallest
    possible KM jump (1/n), so without censoring it equals the ``inverted_cdf`` quantile.
    """
    if not 0.0 < q <= 1.0:
        raise ValueError(f"q must be in (0, 1], got {q!r}")
    uniq, _at_risk, _events, _censored, survival = _km_table(times, observed)
    if uniq.size == 0:
        return _NAN
    cdf = 1.0 - survival
    tol = 4.0 * np.finfo(np.float64).eps * uniq.size
    hit = np.flatnonzero(cdf >= q - tol)
    if hit.size == 0:
        return _NAN
    return float(uniq[hit[0]])


# --------------------------------------------------------------------------------------------
# Scenario comparisons
# --------------------------------------------------------------------------------------------


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
    _check_level(level)
    ref = _as_1d_float(reference)
    prop = _as_1d_float(proposal)
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
    _check_level(level)
    ref = _as_1d_float(reference)
    prop = _as_1d_float(proposal)
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
        idx = rng.integers(0, n_rows, size=(b, n_rows))
        # Multiplicity of each original row in each resample: weights (b x n_rows).
        flat = (idx + n_rows * np.arange(b)[:, None]).ravel()
        weights = np.bincount(flat, minlength=b * n_rows).reshape(b, n_rows).astype(np.float64)
        means = np.empty((b, n_cols))
        # One matrix-vector product per column: identical columns give bit-identical means,
        # so exact ties are detected reliably.
        for k in range(n_cols):
            sums = weights @ filled[:, k]
            cnt = weights @ counts_present[:, k]
            with np.errstate(invalid="ignore", divide="ignore"):
                means[:, k] = np.where(cnt > 0, sums / cnt, np.nan)
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


# --------------------------------------------------------------------------------------------
# Queueing reference values
# --------------------------------------------------------------------------------------------


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean queueing delay ``Wq`` of an M/M/c queue (Erlang C); ``inf`` if utilisation >= 1.

    An analytic benchmark for validating the simulator's advisor/counsellor queues. Uses
    the Erlang B recursion ``B_k = a B_{k-1} / (k + a B_{k-1})`` (all terms in [0, 1]) and
    ``C = c B / (c - a (1 - B))``, which is stable for hundreds of servers, unlike the
    factorial/power form.
    """
    if servers < 1 or int(servers) != servers:
        raise ValueError(f"servers must be a positive integer, got {servers!r}")
    if not service_rate > 0.0:
        raise ValueError(f"service_rate must be > 0, got {service_rate!r}")
    if not arrival_rate >= 0.0:
        raise ValueError(f"arrival_rate must be >= 0, got {arrival_rate!r}")
    c = int(servers)
    a = arrival_rate / service_rate  # offered load in Erlangs
    if a >= c:
        return float("inf")
    if a == 0.0:
        return 0.0
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    prob_wait = c * b / (c - a * (1.0 - b))
    return float(prob_wait / (c * service_rate - arrival_rate))
