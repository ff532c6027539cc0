"""Times of difficulty episodes under right censoring: the inputs of every time-to-help figure.

An episode that ends (recovery, exit, end of follow-up) before being noticed or helped is
censored at ``ended_at``; one still open when the run stops is censored at the last time seen in
its replication. `lcsim.outcomes.compute` takes its KM quantiles from `durations`.

`help_causes` reads the same times as competing risks: an episode that ended in something
other than help (recovery, a leave, leaving school, graduation) is a competing end, not a
censoring; only episodes still open at the end of follow-up are censored. Its times are those of
`durations` from onset to help, so the KM median and the cumulative incidence share one clock.
The committee report draws `help_curve`, the cumulative incidence by day, so its figure shows
what the `helped_within_*` metrics report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lcsim.outcomes.tables import STILL_OPEN
from lcsim.stats.competing import CENSORED, cumulative_incidence

HELPED, ENDED_OTHERWISE = 1, 2  # the cause codes of `help_causes` (CENSORED is 0)


def durations(episodes: pd.DataFrame, start: str, event: str,
              by: str | None = None) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Days from ``start`` to ``event`` (or to censoring) and whether ``event`` was observed.

    Only episodes with a ``start`` count. ``by`` names the column that tells replications apart
    (``"replication"`` in a stored table); ``None`` takes the table as one replication.
    """
    eps = episodes[episodes[start].notna()]
    observed = eps[event].notna().to_numpy()
    end = eps[event].where(observed, eps["ended_at"]).to_numpy(dtype=float)
    begin = eps[start].to_numpy(dtype=float)
    if not len(eps):
        return end - begin, observed
    last = np.fmax(end, begin)  # the last time each episode was seen
    if by is None:
        horizon: NDArray[np.float64] | float = last.max()
    else:
        horizon = pd.Series(last).groupby(eps[by].to_numpy()).transform("max").to_numpy()
    end = np.where(np.isnan(end), horizon, end)  # still open at the end of the run
    return end - begin, observed


def help_causes(episodes: pd.DataFrame,
                by: str | None = None) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Days from onset to the first end of each episode, and which end it was.

    The cause is ``HELPED`` when help started (at ``intervention_start``), ``CENSORED`` when the
    episode was still open at the end of follow-up (outcome ``"censored"`` or no ``ended_at``;
    times as in `durations`), else ``ENDED_OTHERWISE`` (at ``ended_at``): the input of
    `lcsim.stats.competing.cumulative_incidence`. ``by`` as in `durations`.
    """
    times, helped = durations(episodes, "onset", "intervention_start", by=by)
    eps = episodes[episodes["onset"].notna()]
    still_open = ((eps["outcome"] == STILL_OPEN) | eps["ended_at"].isna()).to_numpy()
    causes = np.where(helped, HELPED, np.where(still_open, CENSORED, ENDED_OTHERWISE))
    return times, causes.astype(np.int64)


def help_curve(episodes: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """Pooled share of episodes in which help had started, by day since onset, on a daily grid.

    The Aalen-Johansen cumulative incidence of `help_causes` (an episode that ends first in
    recovery, a leave or leaving school counts as not helped), so the curve at 30 and 90 days
    is what `helped_within_30d` and `helped_within_90d` report. ``episodes`` is a stored table
    (replications told apart by ``replication``). Columns ``time`` (0 to ``horizon`` days) and
    ``helped`` (a share).
    """
    times, causes = help_causes(episodes, by="replication")
    if not times.size:
        return pd.DataFrame({"time": [0.0], "helped": [0.0]})
    grid = np.arange(0.0, horizon + 1.0)
    return pd.DataFrame({"time": grid,
                         "helped": cumulative_incidence(times, causes, HELPED, grid)})
