"""The comparison table of `lcsim compare` and its JSON form.

Pure statistics on the per-scenario ``runs`` tables (replication x metric, reference first):
`comparison_table` gives the tidy rows of ``comparison.csv`` (columns `COLUMNS`: means and
CIs, differences from the reference, Holm-adjusted p-values, probability of being best),
`half_widths` the difference CI half-widths that ``--target-ci`` stops on, and
`comparison_json` the JSON-safe object of ``comparison.json``. Nothing here runs the model or
touches files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lcsim.outcomes.json_values import json_clean, json_scalar
from lcsim.outcomes.registry import (
    BEYOND_FOLLOW_UP,
    METRIC_NAMES,
    direction,
    subgroup_metrics,
)
from lcsim.stats.differences import holm, paired_difference, prob_best, unpaired_difference
from lcsim.stats.intervals import may_average, mean_ci

LEVEL = 0.95
N_BOOT = 2000
COLUMNS = ("scenario", "role", "metric", "higher_is_better", "n", "mean", "ci_low", "ci_high",
           "n_pairs", "diff", "diff_ci_low", "diff_ci_high", "p_value", "p_holm", "prob_best")


def higher_is_better(metric: str) -> bool | None:
    """Preferred direction of a metric; a per-subgroup metric has that of the metric it splits."""
    return direction(metric)


def _metrics(runs: Mapping[str, pd.DataFrame]) -> list[str]:
    """Metric columns present in any scenario: registry order, then the per-subgroup metrics."""
    cols = {c for df in runs.values() for c in df.columns if c != "replication"}
    return [m for m in METRIC_NAMES if m in cols] + subgroup_metrics(cols)


def _wide(runs: Mapping[str, pd.DataFrame], metric: str) -> pd.DataFrame:
    """Replications x scenarios for one metric, aligned on the replication number."""
    cols = {}
    for name, df in runs.items():
        if metric in df.columns and len(df):
            cols[name] = pd.to_numeric(df.set_index("replication")[metric], errors="coerce")
        else:
            cols[name] = pd.Series(dtype=float)
    wide = pd.DataFrame(cols, columns=list(runs)).sort_index()
    return wide.astype(float)


def _difference(ref: np.ndarray, prop: np.ndarray, crn: bool) -> dict[str, float | int]:
    return paired_difference(ref, prop, LEVEL) if crn else unpaired_difference(ref, prop, LEVEL)


def _complete(runs: Mapping[str, pd.DataFrame], metric: str) -> np.ndarray:
    """Per scenario: may `metric` be averaged (`lcsim.stats.intervals.may_average`)? A failed
    replication has no row and does not count against it; a scenario without the column has
    nothing missing."""
    present = [df[metric].notna().sum() if metric in df.columns else len(df)
               for df in runs.values()]
    rows = [len(df) for df in runs.values()]
    return may_average([metric], np.array(present)[:, None], np.array(rows)[:, None],
                       BEYOND_FOLLOW_UP)[:, 0]


def comparison_table(runs: Mapping[str, pd.DataFrame], crn: bool = True) -> pd.DataFrame:
    """The tidy comparison table (columns ``COLUMNS``); the first scenario is the reference."""
    names = list(runs)
    if not names:
        raise ValueError("no scenarios")
    rows: list[dict[str, Any]] = []
    for metric in _metrics(runs):
        wide = _wide(runs, metric)
        values = wide.to_numpy()
        hib = higher_is_better(metric)
        whole = _complete(runs, metric)
        best = (prob_best(values, hib, n_boot=N_BOOT, seed=0)
                if hib is not None and len(wide) and whole.all()
                else np.full(len(names), np.nan))
        block = []
        for k, name in enumerate(names):
            mean, low, high = mean_ci(values[:, k], LEVEL) if whole[k] else (np.nan,) * 3
            row: dict[str, Any] = {
                "scenario": name, "role": "reference" if k == 0 else "proposal",
                "metric": metric, "higher_is_better": hib,
                "n": int(np.count_nonzero(~np.isnan(values[:, k]))),
                "mean": mean, "ci_low": low, "ci_high": high, "n_pairs": None,
                "diff": np.nan, "diff_ci_low": np.nan, "diff_ci_high": np.nan,
                "p_value": np.nan, "p_holm": np.nan, "prob_best": float(best[k]),
            }
            same = np.array_equal(values[:, 0], values[:, k], equal_nan=True)
            if k > 0 and (whole[0] and whole[k] or same):  # identical runs differ by 0 exactly
                d = _difference(values[:, 0], values[:, k], crn)
                row.update(n_pairs=int(d["n"]), diff=d["diff"], diff_ci_low=d["ci_low"],
                           diff_ci_high=d["ci_high"], p_value=d["p_value"])
            block.append(row)
        adjusted: Sequence[float] | np.ndarray = []
        if len(block) > 1:
            adjusted = holm([r["p_value"] for r in block[1:]])
        for r, p in zip(block[1:], adjusted, strict=True):
            r["p_holm"] = float(p)
        rows.extend(block)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["n_pairs"] = table["n_pairs"].astype("Int64")
    table["higher_is_better"] = table["higher_is_better"].astype(object)
    return table


def half_widths(runs: Mapping[str, pd.DataFrame], metrics: Sequence[str],
                crn: bool = True) -> dict[str, dict[str, float]]:
    """CI half-width of the difference from the reference: {metric: {proposal: width}}."""
    names = list(runs)
    out: dict[str, dict[str, float]] = {}
    for metric in metrics:
        values = _wide(runs, metric).to_numpy()
        whole = _complete(runs, metric)
        out[metric] = {}
        for k, name in enumerate(names[1:], start=1):
            if not (whole[0] and whole[k]):  # no difference to estimate: never on target
                out[metric][name] = math.inf
                continue
            d = _difference(values[:, 0], values[:, k], crn)
            out[metric][name] = (float(d["ci_high"]) - float(d["ci_low"])) / 2.0
    return out


# --------------------------------------------------------------------------- JSON form


def comparison_json(info: Mapping[str, Any], table: pd.DataFrame) -> dict[str, Any]:
    """``info`` plus the table's rows under ``"comparison"``, JSON-safe (NaN as null)."""
    rows = [{c: json_scalar(v) for c, v in zip(table.columns, rec, strict=True)}
            for rec in table.itertuples(index=False, name=None)]
    return json_clean({**info, "comparison": rows})
