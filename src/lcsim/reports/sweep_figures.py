"""The figures of a sweep report: main effects, heatmaps of pairs, bars of sensitivity indices.

Each function takes the stored per-point tables and returns HTML: the figure as an <img> with
a base64 PNG (no network, no scripts), or a sentence when there is nothing to draw.
"""

from __future__ import annotations

import base64
import io
import itertools
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lcsim.stats.intervals import mean_ci
from lcsim.sweeps.sensitivity import MODEL_ROW

MAX_FACTORS = 8  # main-effect columns; more factors are listed, not plotted
MAX_PAIRS = 12  # heatmaps per metric
MAX_LEVELS = 12  # factors with more distinct values are binned
BINS = 8
DPI = 90


def _png(fig: Figure) -> str:
    """The figure as an <img> with a base64 PNG (self-contained)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{data}">'


def _grid(n: int, ncols: int, w: float, h: float) -> tuple[Figure, list[Any]]:
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    fig = Figure(figsize=(w * ncols, h * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).reshape(-1)
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


def main_effect(x: pd.Series, y: pd.Series, log: bool) -> pd.DataFrame:
    """Mean of the point means of y at each level of x (or in quantile bins of x), with a
    t interval across the points in that level (it includes the spread of other factors)."""
    df = pd.DataFrame({"x": x, "y": y.to_numpy()}).reset_index(drop=True)
    numeric = _numeric(df["x"])
    if numeric and df["x"].nunique() > MAX_LEVELS:
        bins = pd.qcut(df["x"].rank(method="first"), BINS, labels=False)
        xs = np.log(df["x"]) if log else df["x"]
        centre = xs.groupby(bins).mean()
        df["key"] = bins.map(np.exp(centre) if log else centre)
    else:
        df["key"] = df["x"].astype(object).where(df["x"].notna(), "null")
    rows = []
    for key, grp in df.groupby("key", sort=numeric, dropna=False):
        m, lo, hi = mean_ci(grp["y"].to_numpy(dtype=float))
        rows.append({"x": key, "mean": m, "ci_low": lo, "ci_high": hi, "n": len(grp)})
    return pd.DataFrame(rows)


def main_effects(points: pd.DataFrame, wide: pd.DataFrame, metrics: list[str],
                 factors: dict[str, dict[str, Any]]) -> str:
    """A grid of main-effect plots: one row a metric, one column a varying factor."""
    names = [f for f in factors if points[f].nunique(dropna=False) > 1][:MAX_FACTORS]
    if not names or not metrics:
        return "<p>No factor varies across points: no main effects to show.</p>"
    import seaborn as sns

    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=(2.7 * len(names), 2.2 * len(metrics)))
        axes = fig.subplots(len(metrics), len(names), squeeze=False)
        for (i, metric), (j, name) in itertools.product(enumerate(metrics), enumerate(names)):
            ax = axes[i, j]
            eff = main_effect(points[name], wide[metric], bool(factors[name].get("log")))
            numeric = _numeric(points[name])
            xs = eff["x"].to_numpy(dtype=float) if numeric else np.arange(len(eff))
            ax.fill_between(xs, eff["ci_low"], eff["ci_high"], alpha=0.25, color="C0", lw=0)
            ax.plot(xs, eff["mean"], marker="o", ms=3, color="C0")
            if numeric and len(points) > len(eff):
                ax.scatter(points[name], wide[metric], s=4, alpha=0.25, color="C7")
            if not numeric:
                ax.set_xticks(xs, [str(v) for v in eff["x"]], fontsize=7)
            if numeric and factors[name].get("log"):
                ax.set_xscale("log")
            ax.tick_params(labelsize=7)
            if i == len(metrics) - 1:
                ax.set_xlabel(name, fontsize=8)
            if j == 0:
                ax.set_ylabel(metric, fontsize=8)
        fig.subplots_adjust(wspace=0.3, hspace=0.25)
    note = ""
    if len([f for f in factors if points[f].nunique(dropna=False) > 1]) > MAX_FACTORS:
        note = f"<p>Only the first {MAX_FACTORS} varying factors are plotted.</p>"
    return _png(fig) + note


def heatmaps(points: pd.DataFrame, wide: pd.DataFrame, metrics: list[str],
             factors: dict[str, dict[str, Any]]) -> str:
    """Per metric, a heatmap of its mean over each pair of varying factors (grid designs)."""
    names = [f for f in factors if points[f].nunique(dropna=False) > 1]
    pairs = list(itertools.combinations(names, 2))[:MAX_PAIRS]
    if not pairs:
        return "<p>Fewer than two factors vary: no pairs to show.</p>"
    import seaborn as sns

    parts = []
    for metric in metrics:
        fig, axes = _grid(len(pairs), 3, 3.6, 3.0)
        for ax, (a, b) in zip(axes, pairs, strict=True):
            df = pd.DataFrame({a: points[a].astype(str) if not _numeric(points[a])
                               else points[a], b: points[b].astype(str)
                               if not _numeric(points[b]) else points[b], "y": wide[metric]})
            table = df.pivot_table(index=a, columns=b, values="y", aggfunc="mean")
            sns.heatmap(table, ax=ax, cmap="viridis", annot=table.size <= 36, fmt=".3g",
                        annot_kws={"fontsize": 7}, cbar_kws={"shrink": 0.8})
            ax.set_title(metric, fontsize=8)
            ax.tick_params(labelsize=7)
        fig.subplots_adjust(wspace=0.45, hspace=0.45)
        parts.append(_png(fig))
    return "".join(parts)


def _numeric(col: pd.Series) -> bool:
    """Plotted on a number axis: numbers without nulls (booleans and nulls are categories)."""
    return (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
            and not col.isna().any())


def bars(sens: pd.DataFrame, metrics: list[str], method: str) -> str:
    """Tornado (SRC), S1/ST (Sobol') or mu*/sigma (Morris) bars per metric, with CIs."""
    shown = [m for m in metrics if ((sens["metric"] == m) & (sens["method"] == method)).any()]
    if not shown:
        return f"<p>No {method} indices (no metric varied across points).</p>"
    import seaborn as sns

    indices = {"src": ["src"], "sobol": ["S1", "ST"], "morris": ["mu_star", "sigma"]}[method]
    with sns.axes_style("whitegrid"):
        fig, axes = _grid(len(shown), 3, 4.0, 2.8)
        for ax, metric in zip(axes, shown, strict=True):
            sel = sens[(sens["metric"] == metric) & (sens["method"] == method)
                       & (sens["factor"] != MODEL_ROW)]
            key = "ST" if method == "sobol" else indices[0]  # bars sorted by this index
            first = sel[sel["index"] == key].assign(size=lambda d: d["value"].abs())
            order = first.sort_values("size")["factor"].tolist()
            height = 0.8 / len(indices)
            for k, index in enumerate(indices):
                rows = sel[sel["index"] == index].set_index("factor").reindex(order)
                pos = np.arange(len(order)) + (k - (len(indices) - 1) / 2) * height
                err = np.vstack([rows["value"] - rows["ci_low"], rows["ci_high"] - rows["value"]])
                err = np.where(np.isfinite(err), np.abs(err), 0.0)
                colors = (["C3" if v < 0 else "C0" for v in rows["value"]] if method == "src"
                          else f"C{k}")
                ax.barh(pos, rows["value"], height=height, xerr=err, color=colors,
                        label=index, error_kw={"lw": 0.8, "capsize": 2})
            ax.set_yticks(np.arange(len(order)), order, fontsize=7)
            ax.axvline(0, color="k", lw=0.6)
            ax.set_title(metric, fontsize=8)
            ax.tick_params(axis="x", labelsize=7)
            if len(indices) > 1:
                ax.legend(fontsize=7)
        fig.subplots_adjust(wspace=1.0, hspace=0.35)
    return _png(fig)
