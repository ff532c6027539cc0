"""A self-contained HTML report of a sweep directory, built from its stored tables only.

Figures are PNGs embedded as base64 (no network, no scripts): main-effect plots with CI bands
for the headline metrics, a heatmap for each pair of factors when the design is a grid, and
bar charts of the sensitivity indices (tornado of SRC; Sobol' S1/ST; Morris mu*/sigma).
`lcsim report DIR` rebuilds it by calling `write_report(DIR)`.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lcsim.experiment.store import atomic_write_text
from lcsim.outcomes.registry import METRICS
from lcsim.stats.intervals import mean_ci
from lcsim.sweeps.sensitivity import MODEL_ROW, analyse, read_manifest, top_indices

HEADLINE = ("attrition", "graduated_4yr", "time_to_intervention_median_days", "unhelped_share",
            "faculty_load_ratio", "belonging_mean")
MAX_FACTORS = 8  # main-effect columns; more factors are listed, not plotted
MAX_PAIRS = 12  # heatmaps per metric
MAX_LEVELS = 12  # factors with more distinct values are binned
BINS = 8
DPI = 90
DESCRIPTIONS = {m.name: m.description for m in METRICS}


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


def _main_effects(points: pd.DataFrame, wide: pd.DataFrame, metrics: list[str],
                  factors: dict[str, dict[str, Any]]) -> str:
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


def _heatmaps(points: pd.DataFrame, wide: pd.DataFrame, metrics: list[str],
              factors: dict[str, dict[str, Any]]) -> str:
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


def _bars(sens: pd.DataFrame, metrics: list[str], method: str) -> str:
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


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, border=0, classes="t", float_format=lambda v: f"{v:.4g}",
                      na_rep="-")


def _e(text: Any) -> str:
    return html.escape(str(text))


CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;
color:#222}h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}
table.t{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}
table.t td,table.t th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}
table.t th{background:#f4f4f4}img{max-width:100%}.note{color:#555;font-size:0.9em}"""


def write_report(directory: Path) -> Path:
    """Build ``report.html`` in a sweep directory from its stored tables; return its path.

    Missing analysis tables (point_summary.csv, sensitivity.csv) are computed first.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    if not ((directory / "point_summary.csv").exists()
            and (directory / "sensitivity.csv").exists()):
        analyse(directory)
    points = pd.read_parquet(directory / "points.parquet")
    summary = pd.read_csv(directory / "point_summary.csv", usecols=["point", "metric", "mean"],
                          dtype={"point": "int64", "metric": str, "mean": "float64"})
    sens = pd.read_csv(directory / "sensitivity.csv")
    factors: dict[str, dict[str, Any]] = manifest["factors"]
    all_metrics = list(dict.fromkeys(summary["metric"]))
    metrics = [m for m in HEADLINE if m in all_metrics] or all_metrics[:4]
    summary = summary[summary["metric"].isin(metrics)]
    wide = (summary.pivot(index="point", columns="metric", values="mean")
            .reindex(index=points["point"], columns=metrics).reset_index(drop=True))
    design = manifest["design"]

    info = pd.DataFrame([
        ("sweep", manifest.get("name")), ("file", manifest.get("file")),
        ("base scenario", manifest.get("base")), ("design", design),
        ("points", manifest.get("points")), ("replications", manifest.get("replications")),
        ("runs stored", manifest.get("runs")), ("seed", manifest.get("seed")),
        ("failed tasks", len(manifest.get("failed_tasks", []))),
        ("status", manifest.get("status")), ("lcsim", manifest.get("lcsim_version")),
    ], columns=["", "value"])
    ftab = pd.DataFrame([{"factor": k, "type": v.get("type"),
                          "values / range": v.get("values") or v.get("range"),
                          "log": v.get("log")} for k, v in factors.items()])
    body = [f"<h1>Sweep report: {_e(manifest.get('name'))}</h1>", _table(info), _table(ftab)]
    body.append("<h2>Main effects</h2><p class='note'>Mean of the per-point means at each "
                "value of a factor (binned for continuous designs), averaged over the other "
                "factors; the band is a 95% t interval across those points. Grey dots are "
                "single points.</p>")
    missing = {m: int(wide[m].isna().sum()) for m in metrics if wide[m].isna().any()}
    if missing:
        body.append("<p class='note'>Points without a mean are left out: "
                    + "; ".join(f"{_e(m)}: {k} of {len(wide)}" for m, k in missing.items())
                    + " (a Kaplan-Meier time beyond follow-up in some replication, or failed "
                    "runs). No sensitivity index is given for such a time.</p>")
    body.append(_main_effects(points, wide, metrics, factors))
    if design == "grid":
        body.append("<h2>Pairs of factors (grid)</h2><p class='note'>Mean of the metric at "
                    "each pair of values, averaged over the other factors.</p>")
        body.append(_heatmaps(points, wide, metrics, factors))
    body.append("<h2>Sensitivity</h2>")
    if design in ("sobol", "morris"):
        what = ("first-order (S1) and total (ST) Sobol' indices" if design == "sobol" else
                "Morris mu* (mean absolute elementary effect) and sigma (its spread: "
                "non-linearity or interactions)")
        body.append(f"<p class='note'>{what}, with 95% bootstrap intervals.</p>")
        body.append(_bars(sens, metrics, design))
    body.append("<p class='note'>Standardized regression coefficients (SRC): change in the "
                "metric, in standard deviations, per standard deviation of the factor, "
                "from a linear model of the per-point means (red: negative). R&sup2; of the "
                "model in the table below; a low R&sup2; means the linear ranking is "
                "unreliable.</p>")
    body.append(_bars(sens, metrics, "src"))
    top = top_indices(sens, design)
    r2 = sens[(sens["factor"] == MODEL_ROW) & (sens["index"] == "r2")].set_index("metric")
    rows = [{"metric": m, "factor": t["factor"], "index": f"{t['method']} {t['index']}",
             "value": t["value"], "ci_low": t["ci_low"], "ci_high": t["ci_high"],
             "src R2": r2["value"].get(m, np.nan)} for m, ts in top.items() for t in ts]
    body.append("<h3>Most influential factors per metric</h3>")
    body.append(_table(pd.DataFrame(rows)) if rows else "<p>No metric varied.</p>")
    if len(points) <= 60:
        body.append("<h2>Points</h2><p class='note'>Mean over replications; CIs per point "
                    "are in point_summary.csv.</p>")
        body.append(_table(pd.concat([points, wide], axis=1)))
    body.append("<h2>Metrics</h2><ul>" + "".join(
        f"<li><b>{_e(m)}</b>: {_e(DESCRIPTIONS.get(m, ''))}</li>" for m in metrics) + "</ul>")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Sweep "
            f"{_e(manifest.get('name'))}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")
    out = directory / "report.html"
    atomic_write_text(out, page)
    return out
