"""The tables of an uncertainty analysis, from the runs on the draws (nothing is run here).

`draw_differences` pairs each proposal with the reference within every draw; `uncertainty_table`
summarises the differences over the draws (``uncertainty.csv``) and `drivers_table` says how much
of each difference's variance every assumption explains (``drivers.csv``). The statistics are
those of `lcsim.stats.uncertainty`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lcsim.comparison.draws import COMMON
from lcsim.comparison.table import higher_is_better
from lcsim.outcomes.registry import BEYOND_FOLLOW_UP, METRIC_NAMES, subgroup_metrics
from lcsim.stats.differences import holm
from lcsim.stats.uncertainty import first_order, summarise_draws, variance_shares

UNCERTAINTY_COLUMNS = (
    "proposal", "metric", "higher_is_better", "n_draws", "replications_per_draw", "mean", "sd",
    "ui90_low", "ui90_high", "ui95_low", "ui95_high", "prob_better", "prob_worse", "threshold",
    "prob_better_by_threshold", "var_total", "var_monte_carlo", "share_assumptions",
    "share_monte_carlo", "monte_carlo_from")
DRIVER_COLUMNS = ("proposal", "metric", "assumption", "status", "share", "p_value", "p_holm",
                  "diff_at_p10", "diff_at_p90", "diff_min", "diff_max", "rank")
DRIVER_METRICS = ("graduated_4yr", "graduated_6yr", "attrition", "helped_within_30d",
                  "helped_within_90d")


def metrics_of(runs: pd.DataFrame) -> list[str]:
    """Metric columns of a runs table: registry order, then the per-subgroup metrics."""
    cols = set(runs.columns)
    return [m for m in METRIC_NAMES if m in cols] + subgroup_metrics(cols)


def _rep_differences(runs: pd.DataFrame, ref: str, prop: str, metric: str) -> pd.DataFrame:
    """Replication-level paired differences: draw, replication, diff (pairs with both runs)."""
    keys = ["draw", "replication"]
    a = runs.loc[runs["scenario"] == ref, [*keys, metric]] if metric in runs else None
    b = runs.loc[runs["scenario"] == prop, [*keys, metric]] if metric in runs else None
    if a is None or b is None:
        return pd.DataFrame({"draw": [], "replication": [], "diff": []})
    both = a.merge(b, on=keys, suffixes=("_ref", "_prop"))
    diff = (pd.to_numeric(both[f"{metric}_prop"], errors="coerce")
            - pd.to_numeric(both[f"{metric}_ref"], errors="coerce"))
    return both[keys].assign(diff=diff.astype(float))


def draw_differences(runs: pd.DataFrame, names: Sequence[str], replications: int) -> pd.DataFrame:
    """proposal, draw, metric, diff, within_var: each draw's mean paired difference over its
    replications (NaN unless all ``replications`` pairs are there and, for a censored
    quantile, all have a value) and the variance of the replication differences within it."""
    rows = []
    ref = names[0]
    for prop in names[1:]:
        for metric in metrics_of(runs):
            reps = _rep_differences(runs, ref, prop, metric)
            for draw, g in reps.groupby("draw", sort=True):
                d = g["diff"].to_numpy(dtype=float)
                present = d[~np.isnan(d)]
                complete = len(g) == replications and (
                    metric not in BEYOND_FOLLOW_UP or present.size == replications)
                rows.append({"proposal": prop, "draw": int(draw), "metric": metric,
                             "diff": float(present.mean()) if complete and present.size
                             else np.nan,
                             "within_var": float(present.var(ddof=1)) if complete
                             and present.size > 1 else np.nan})
    return pd.DataFrame(rows, columns=["proposal", "draw", "metric", "diff", "within_var"])


def _central_var(central: Mapping[str, pd.DataFrame], ref: str, prop: str,
                 metric: str) -> float:
    """Variance of the replication-level paired differences of the central comparison."""
    a, b = central.get(ref), central.get(prop)
    if a is None or b is None or metric not in a or metric not in b:
        return np.nan
    both = a[["replication", metric]].merge(b[["replication", metric]], on="replication")
    d = (pd.to_numeric(both[f"{metric}_y"], errors="coerce")
         - pd.to_numeric(both[f"{metric}_x"], errors="coerce")).to_numpy(dtype=float)
    if metric in BEYOND_FOLLOW_UP and np.isnan(d).any():
        return np.nan
    d = d[~np.isnan(d)]
    return float(d.var(ddof=1)) if d.size > 1 else np.nan


def uncertainty_table(diffs: pd.DataFrame, names: Sequence[str], replications: int,
                      central: Mapping[str, pd.DataFrame],
                      thresholds: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """The rows of ``uncertainty.csv`` (columns `UNCERTAINTY_COLUMNS`), one per proposal x
    metric, or one per threshold of a metric given ``--threshold``.

    Monte Carlo variance of a draw's difference: the variance of the replication differences
    within draws over R (R >= 2), else that of the central comparison's replications (the
    noise at the central assumptions stands for the noise at every draw). A censored quantile
    is summarised only when every draw has a value.
    """
    rows: list[dict[str, Any]] = []
    ref = names[0]
    for (prop, metric), g in diffs.groupby(["proposal", "metric"], sort=False):
        d = g["diff"].to_numpy(dtype=float)
        usable = d[~np.isnan(d)]
        if metric in BEYOND_FOLLOW_UP and usable.size < d.size:
            usable = usable[:0]  # beyond follow-up in some draws: no summary
        direction = higher_is_better(str(metric))
        if replications >= 2:
            var_mc = float(np.nanmean(g["within_var"])) / replications \
                if g["within_var"].notna().any() else np.nan
            source = "within draws"
        else:
            var_mc = _central_var(central, ref, str(prop), str(metric))
            source = "central replications"
        var_total = float(usable.var(ddof=1)) if usable.size > 1 else np.nan
        share_a, share_mc = variance_shares(var_total, var_mc)
        base = {"proposal": prop, "metric": metric, "higher_is_better": direction,
                "n_draws": int(np.count_nonzero(~np.isnan(d))),
                "replications_per_draw": replications, "var_total": var_total,
                "var_monte_carlo": var_mc, "share_assumptions": share_a,
                "share_monte_carlo": share_mc, "monte_carlo_from": source}
        levels: list[float | None] = [*thresholds.get(str(metric), ())] or [None]
        for threshold in levels:
            stats = summarise_draws(usable, direction, threshold)
            rows.append({**base, **stats,
                         "threshold": np.nan if threshold is None else float(threshold)})
    table = pd.DataFrame(rows, columns=list(UNCERTAINTY_COLUMNS))
    table["higher_is_better"] = table["higher_is_better"].astype(object)
    return table


def drivers_table(diffs: pd.DataFrame, design: pd.DataFrame, names: Sequence[str],
                  assumptions: Sequence[str], held: Mapping[str, Mapping[str, Any]],
                  metrics: Sequence[str] = DRIVER_METRICS) -> pd.DataFrame:
    """The rows of ``drivers.csv`` (columns `DRIVER_COLUMNS`): for each proposal, metric and
    assumption, the first-order share of the difference's variance (`first_order` on the
    assumption's prior quantiles in ``design``). ``status`` is "varied", "fixed prior" (share
    0: nothing was drawn), "held by both scenarios" (share 0: both set their own value) or
    "common factor" (the row ``effects_of_support_common``: the share that whether support
    works at all explains, when the priors correlate the effects of support).
    ``p_holm`` is the F test's p-value Holm-adjusted over the varied assumptions of the
    proposal and metric: with many assumptions some get a sizeable share by chance, and only
    those with a small ``p_holm`` stand out from it. ``rank`` orders the assumptions by share
    within a proposal and metric (1 = largest)."""
    rows: list[dict[str, Any]] = []
    ref = names[0]
    u = design.set_index("draw")
    for prop in names[1:]:
        for metric in metrics:
            g = diffs[(diffs["proposal"] == prop) & (diffs["metric"] == metric)]
            if g.empty:
                continue
            d = g.set_index("draw")["diff"]
            block: list[dict[str, Any]] = []
            for name in assumptions:
                mean = float(np.nanmean(d)) if d.notna().any() else np.nan
                if name not in u.columns:
                    status = "fixed prior"
                elif name == COMMON:
                    status = "common factor"
                elif name in held.get(ref, {}) and name in held.get(prop, {}):
                    status = "held by both scenarios"
                else:
                    status = "varied"
                if status in ("varied", "common factor"):
                    fit = first_order(u.loc[d.index, name].to_numpy(), d.to_numpy())
                else:
                    fit = {"share": 0.0, "p_value": np.nan, "diff_at_p10": mean,
                           "diff_at_p90": mean, "diff_min": mean, "diff_max": mean}
                fit["p_holm"] = np.nan
                block.append({"proposal": prop, "metric": metric, "assumption": name,
                              "status": status, **fit})
            p_raw = np.array([float(b["p_value"]) for b in block])
            for b, p in zip(block, holm(p_raw), strict=True):
                b["p_holm"] = float(p)
            share = np.nan_to_num(np.array([float(b["share"]) for b in block]), nan=-1.0)
            order = sorted(range(len(block)), key=lambda i: (-share[i], i))
            for rank, i in enumerate(order, start=1):
                block[i]["rank"] = rank
            rows += block
    return pd.DataFrame(rows, columns=list(DRIVER_COLUMNS))
