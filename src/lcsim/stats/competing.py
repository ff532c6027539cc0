"""Cumulative incidence under competing risks: the Aalen-Johansen estimator.

An episode can end in help, or first in something else that stops help from ever coming
(recovery, a leave, leaving school, graduation), or be cut off by the end of follow-up. The
Kaplan-Meier "1 - S" of time to help treats the competing ends as censoring, which answers a
question about a world where nobody recovers. The cumulative incidence function answers the
question a committee asks: of the episodes that started, what share had been helped within
t days? It is

    CIF_k(t) = sum over event times s <= t of  S(s-) * d_k(s) / n(s),

with S the Kaplan-Meier survival of "no end of any kind yet", d_k the ends of cause k at s and
n the number still at risk just before s. Without censoring it is the plain share of episodes
that ended in cause k by t. At tied times, events count before censorings.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

CENSORED = 0  # the cause code of an observation cut off by the end of follow-up


def cumulative_incidence(times: ArrayLike, causes: ArrayLike, cause: int,
                         at: ArrayLike) -> NDArray[np.float64]:
    """Aalen-Johansen cumulative incidence of ``cause`` at each time in ``at``.

    ``times`` are non-negative durations; ``causes`` holds, for each, the integer code of the
    end that was observed (``CENSORED``, 0, when follow-up ended first). Returns NaN at every
    point when there are no observations.
    """
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    c = np.asarray(causes).reshape(-1)
    points = np.asarray(at, dtype=np.float64).reshape(-1)
    if t.shape != c.shape:
        raise ValueError(f"times and causes must have the same length ({t.size} != {c.size})")
    if np.isnan(t).any() or (t < 0).any():
        raise ValueError("times must be non-negative numbers (encode open follow-up as censored)")
    if t.size == 0:
        return np.full(points.shape, np.nan)
    uniq, inverse = np.unique(t, return_inverse=True)
    ended = np.bincount(inverse, weights=(c != CENSORED), minlength=uniq.size)
    of_cause = np.bincount(inverse, weights=(c == cause), minlength=uniq.size)
    leaving = np.bincount(inverse, minlength=uniq.size)
    at_risk = t.size - np.concatenate([[0], np.cumsum(leaving)[:-1]])
    survival = np.cumprod(1.0 - ended / at_risk)
    before = np.concatenate([[1.0], survival[:-1]])  # S(s-)
    incidence = np.cumsum(before * of_cause / at_risk)
    index = np.searchsorted(uniq, points, side="right") - 1
    return np.where(index >= 0, incidence[np.maximum(index, 0)], 0.0)
