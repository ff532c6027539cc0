"""Uncertainty over assumption draws: intervals, probabilities, variance shares and drivers.

Pure functions of the per-draw paired differences of a probabilistic sensitivity analysis
(`lcsim compare --uncertainty`): each draw is one set of assumptions drawn from the priors,
simulated for R replications under common random numbers, giving one difference
proposal - reference. Their spread mixes two things: what the assumptions do, and Monte Carlo
noise (R replications are few). `summarise_draws` gives the empirical uncertainty intervals
and the probability of being better; `variance_shares` splits the variance between the
assumptions and the noise; `first_order` estimates the share one assumption explains, from a
regression spline of the difference on the assumption's prior quantile (a metamodel: the
variance of E[difference | assumption] over the total variance, adjusted for the spline's
degrees of freedom so that an assumption with no effect gets about zero).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from lcsim.stats.intervals import as_floats

__all__ = ["first_order", "spline_df", "summarise_draws", "variance_shares"]

_NAN = float("nan")
KNOTS = (1.0 / 3.0, 2.0 / 3.0)  # interior knots of the cubic regression spline (on 0-1)
GRID = np.linspace(0.1, 0.9, 33)  # where the fitted curve's lowest and highest values are sought


def summarise_draws(diffs: ArrayLike, higher_is_better: bool | None,
                    threshold: float | None = None) -> dict[str, float]:
    """Mean, sd, 90% and 95% uncertainty intervals (empirical quantiles, numpy's linear rule)
    and, when a direction is better, the shares of draws strictly better and strictly worse
    and, with ``threshold``, the share better by at least it (a difference >= threshold
    when higher is better, <= -threshold when lower is). NaNs must be removed by the caller
    (whether a draw without a value may be left out depends on the metric)."""
    d = as_floats(diffs)
    out = {"mean": _NAN, "sd": _NAN, "ui90_low": _NAN, "ui90_high": _NAN, "ui95_low": _NAN,
           "ui95_high": _NAN, "prob_better": _NAN, "prob_worse": _NAN,
           "prob_better_by_threshold": _NAN}
    if d.size == 0 or np.isnan(d).any():
        return out
    q = np.quantile(d, [0.05, 0.95, 0.025, 0.975])
    out.update(mean=float(d.mean()), sd=float(d.std(ddof=1)) if d.size > 1 else _NAN,
               ui90_low=float(q[0]), ui90_high=float(q[1]), ui95_low=float(q[2]),
               ui95_high=float(q[3]))
    if higher_is_better is None:
        return out
    sign = 1.0 if higher_is_better else -1.0
    out["prob_better"] = float(np.mean(sign * d > 0))
    out["prob_worse"] = float(np.mean(sign * d < 0))
    if threshold is not None:
        out["prob_better_by_threshold"] = float(np.mean(sign * d >= threshold))
    return out


def variance_shares(var_total: float, var_monte_carlo: float) -> tuple[float, float]:
    """(share from the assumptions, share from Monte Carlo noise) of the variance of the
    per-draw differences: var_total = Var(E[D | assumptions]) + E[Var(D | assumptions)], and
    the second term is the Monte Carlo variance. Both shares are clipped to 0-1 (the two
    variances are estimates); NaN when either variance is unknown, and (0, 1) when nothing
    varies at all."""
    if not (math.isfinite(var_total) and math.isfinite(var_monte_carlo)):
        return _NAN, _NAN
    if var_total <= 0.0:
        return 0.0, 1.0
    mc = min(max(var_monte_carlo / var_total, 0.0), 1.0)
    return 1.0 - mc, mc


def spline_df(n: int) -> int:
    """Degrees of freedom (besides the intercept) of the spline for ``n`` draws: a cubic with
    two interior knots from 40 draws, a cubic from 16, a line below (so at least four draws a
    degree of freedom)."""
    return 5 if n >= 40 else 3 if n >= 16 else 1


def _basis(u: np.ndarray, df: int) -> np.ndarray:
    """Intercept plus a truncated-power cubic spline basis of ``u`` (centred, for conditioning)."""
    x = u - 0.5
    cols = [np.ones_like(x), x]
    if df >= 3:
        cols += [x**2, x**3]
    if df >= 5:
        cols += [np.clip(u - k, 0.0, None) ** 3 for k in KNOTS]
    return np.column_stack(cols)


def first_order(u: ArrayLike, diffs: ArrayLike) -> dict[str, float]:
    """The share of the variance of ``diffs`` that one assumption explains, from a regression
    spline of the differences on the assumption's prior quantile ``u`` (0-1).

    ``share`` is the adjusted R^2 clipped at 0 (a plain R^2 would credit every assumption with
    about df/n of the variance by chance); ``p_value`` is the F test of the spline against a
    constant; ``diff_at_p10``/``diff_at_p90`` are the fitted mean differences with the
    assumption at its prior's 10th and 90th percentiles, and ``diff_min``/``diff_max`` the
    lowest and highest fitted difference between them (a curve that bends in the middle moves
    the difference more than its two ends show: the bar of a tornado chart). With
    differences that do not vary the share is 0 and the p-value NaN.
    """
    x = as_floats(u)
    d = as_floats(diffs)
    if x.shape != d.shape:
        raise ValueError(f"u and diffs must have the same length ({x.size} != {d.size})")
    keep = ~(np.isnan(x) | np.isnan(d))
    x, d = x[keep], d[keep]
    n = d.size
    out = {"share": _NAN, "p_value": _NAN, "diff_at_p10": _NAN, "diff_at_p90": _NAN,
           "diff_min": _NAN, "diff_max": _NAN}
    if n < 4:
        return out
    mean = float(d.mean())
    tss = float(np.sum((d - mean) ** 2))
    if tss <= 0.0 or np.ptp(x) == 0.0:
        out.update(share=0.0, diff_at_p10=mean, diff_at_p90=mean, diff_min=mean, diff_max=mean)
        return out
    df = spline_df(n)
    design = _basis(x, df)
    coef, *_ = np.linalg.lstsq(design, d, rcond=None)
    rss = float(np.sum((d - design @ coef) ** 2))
    r2 = 1.0 - rss / tss
    adjusted = 1.0 - (1.0 - r2) * (n - 1) / (n - df - 1)
    from scipy import stats

    f_stat = ((tss - rss) / df) / (rss / (n - df - 1)) if rss > 0 else math.inf
    fitted = _basis(np.array([0.1, 0.9]), df) @ coef
    curve = _basis(GRID, df) @ coef
    out.update(share=max(adjusted, 0.0), p_value=float(stats.f.sf(f_stat, df, n - df - 1)),
               diff_at_p10=float(fitted[0]), diff_at_p90=float(fitted[1]),
               diff_min=float(curve.min()), diff_max=float(curve.max()))
    return out
