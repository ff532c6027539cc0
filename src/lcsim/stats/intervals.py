"""Summaries of simulation replications: the mean and its Student-t interval, per metric.

Everything in `lcsim.stats` is a pure function of numpy arrays / pandas DataFrames: no I/O, no
plotting, no global random state. The functions are silent (no RuntimeWarning) on the degenerate
inputs that replications routinely produce: NaNs, a single replication, zero variance (e.g. a
metric that is identical under common random numbers). This module also holds the small checks
and the t quantile that `lcsim.stats.differences` shares.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["as_floats", "check_level", "mean_ci", "may_average", "summarise", "t_quantile"]

_NAN = float("nan")


def check_level(level: float) -> None:
    """Reject confidence levels outside the open interval (0, 1)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")


def as_floats(x: ArrayLike) -> NDArray[np.float64]:
    """Convert to a flat float64 array (a scalar becomes length 1)."""
    arr = np.asarray(x, dtype=np.float64)
    return arr.reshape(-1)


def t_quantile(level: float, df: float) -> float:
    """Two-sided Student-t critical value for confidence ``level`` with ``df`` dof."""
    from scipy import stats  # imported here: it costs ~0.5 s in every worker process

    return float(stats.t.ppf(0.5 + level / 2.0, df))


def mean_ci(x: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval across replications.

    Replications are independent, so the t interval on their means is the standard
    output-analysis summary. NaNs (failed or undefined replications) are ignored.
    Returns ``(mean, ci_low, ci_high)``; ``n == 1`` gives ``(x, nan, nan)``, ``n == 0``
    gives all-NaN and zero variance gives ``(m, m, m)``.
    """
    check_level(level)
    arr = as_floats(x)
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
    half = t_quantile(level, n - 1) * sd / np.sqrt(n)
    return m, m - half, m + half



def may_average(metrics: Sequence[str], present: ArrayLike, replications: ArrayLike,
                complete: Collection[str]) -> NDArray[np.bool_]:
    """Where a mean over replications may be given: True unless the metric is in ``complete``
    and fewer than all its ``replications`` have a value (``present``).

    ``complete`` holds the censored quantiles (`lcsim.outcomes.registry.BEYOND_FOLLOW_UP`): a
    replication without a value lies beyond follow-up, and a mean of only the others would be
    biased low. ``present`` has the metrics on its last axis and broadcasts against
    ``replications`` (e.g. points x metrics against points x 1; a failed replication counts in
    neither).
    """
    needs_all = np.array([m in complete for m in metrics], dtype=bool)
    return ~needs_all | (np.asarray(present) >= np.asarray(replications))


def summarise(runs: pd.DataFrame, metrics: Sequence[str], level: float = 0.95,
              complete: Collection[str] = ()) -> pd.DataFrame:
    """Tidy table of ``mean_ci`` per metric, one row per metric in the order given.

    ``runs`` has one row per replication; ``n`` is the number of non-NaN values used. Metrics in
    ``complete`` are summarised only when no replication lacks a value (`may_average`);
    otherwise their mean and CI are NaN and ``n`` tells how many replications had one.
    """
    check_level(level)
    missing = [m for m in metrics if m not in runs.columns]
    if missing:
        raise KeyError(f"metrics not found in runs: {missing}")
    values = [pd.to_numeric(runs[m], errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
              for m in metrics]
    present = [int(np.count_nonzero(~np.isnan(v))) for v in values]
    allowed = may_average(metrics, present, len(runs), complete)
    rows: list[dict[str, Any]] = []
    for metric, v, n, ok in zip(metrics, values, present, allowed, strict=True):
        mean, low, high = mean_ci(v, level) if ok else (_NAN, _NAN, _NAN)
        rows.append({"metric": metric, "mean": mean, "ci_low": low, "ci_high": high, "n": n})
    out = pd.DataFrame(rows, columns=["metric", "mean", "ci_low", "ci_high", "n"])
    return out.astype({"mean": float, "ci_low": float, "ci_high": float, "n": np.int64})
