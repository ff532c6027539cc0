"""A self-contained HTML report of a sweep directory, built from its stored tables only.

Figures are PNGs embedded as base64 (no network, no scripts), drawn by
`lcsim.reports.sweep_figures`: main-effect plots with CI bands for the headline metrics, a
heatmap for each pair of factors when the design is a grid, and bar charts of the sensitivity
indices (tornado of SRC; Sobol' S1/ST; Morris mu*/sigma). `lcsim report DIR` rebuilds it by
calling `write_report(DIR)`.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lcsim.experiment.atomic import atomic_write_text
from lcsim.outcomes.registry import METRICS
from lcsim.reports.sweep_figures import bars, heatmaps, main_effects
from lcsim.sweeps.sensitivity import MODEL_ROW, analyse, read_manifest, top_indices

HEADLINE = ("attrition", "graduated_4yr", "helped_within_30d", "time_to_intervention_median_days",
            "unhelped_share", "faculty_load_ratio", "belonging_mean")
DESCRIPTIONS = {m.name: m.description for m in METRICS}


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


def _overview(manifest: dict[str, Any]) -> list[str]:
    """Title, the sweep's settings and its factors."""
    info = pd.DataFrame([
        ("sweep", manifest.get("name")), ("file", manifest.get("file")),
        ("base scenario", manifest.get("base")), ("design", manifest["design"]),
        ("points", manifest.get("points")), ("replications", manifest.get("replications")),
        ("runs stored", manifest.get("runs")), ("seed", manifest.get("seed")),
        ("failed tasks", len(manifest.get("failed_tasks", []))),
        ("status", manifest.get("status")), ("lcsim", manifest.get("lcsim_version")),
    ], columns=["", "value"])
    ftab = pd.DataFrame([{"factor": k, "type": v.get("type"),
                          "values / range": v.get("values") or v.get("range"),
                          "log": v.get("log")} for k, v in manifest["factors"].items()])
    return [f"<h1>Sweep report: {_e(manifest.get('name'))}</h1>", _table(info), _table(ftab)]


def _effects(points: pd.DataFrame, wide: pd.DataFrame, metrics: list[str],
             manifest: dict[str, Any]) -> list[str]:
    """Main effects of every factor and, for a grid, the pairs of factors."""
    factors: dict[str, dict[str, Any]] = manifest["factors"]
    body = ["<h2>Main effects</h2><p class='note'>Mean of the per-point means at each "
            "value of a factor (binned for continuous designs), averaged over the other "
            "factors; the band is a 95% t interval across those points. Grey dots are "
            "single points.</p>"]
    missing = {m: int(wide[m].isna().sum()) for m in metrics if wide[m].isna().any()}
    if missing:
        body.append("<p class='note'>Points without a mean are left out: "
                    + "; ".join(f"{_e(m)}: {k} of {len(wide)}" for m, k in missing.items())
                    + " (a Kaplan-Meier time beyond follow-up in some replication, or failed "
                    "runs). No sensitivity index is given for such a time.</p>")
    body.append(main_effects(points, wide, metrics, factors))
    if manifest["design"] == "grid":
        body.append("<h2>Pairs of factors (grid)</h2><p class='note'>Mean of the metric at "
                    "each pair of values, averaged over the other factors.</p>")
        body.append(heatmaps(points, wide, metrics, factors))
    return body


def _sensitivity(sens: pd.DataFrame, metrics: list[str], design: str) -> list[str]:
    """Bars of the design's indices and of the SRC, and the most influential factors."""
    body = ["<h2>Sensitivity</h2>"]
    if design in ("sobol", "morris"):
        what = ("first-order (S1) and total (ST) Sobol' indices" if design == "sobol" else
                "Morris mu* (mean absolute elementary effect) and sigma (its spread: "
                "non-linearity or interactions)")
        body.append(f"<p class='note'>{what}, with 95% bootstrap intervals.</p>")
        body.append(bars(sens, metrics, design))
    body.append("<p class='note'>Standardized regression coefficients (SRC): change in the "
                "metric, in standard deviations, per standard deviation of the factor, "
                "from a linear model of the per-point means (red: negative). R&sup2; of the "
                "model in the table below; a low R&sup2; means the linear ranking is "
                "unreliable.</p>")
    body.append(bars(sens, metrics, "src"))
    top = top_indices(sens, design)
    r2 = sens[(sens["factor"] == MODEL_ROW) & (sens["index"] == "r2")].set_index("metric")
    rows = [{"metric": m, "factor": t["factor"], "index": f"{t['method']} {t['index']}",
             "value": t["value"], "ci_low": t["ci_low"], "ci_high": t["ci_high"],
             "src R2": r2["value"].get(m, np.nan)} for m, ts in top.items() for t in ts]
    body.append("<h3>Most influential factors per metric</h3>")
    body.append(_table(pd.DataFrame(rows)) if rows else "<p>No metric varied.</p>")
    return body


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
    all_metrics = list(dict.fromkeys(summary["metric"]))
    metrics = [m for m in HEADLINE if m in all_metrics] or all_metrics[:4]
    summary = summary[summary["metric"].isin(metrics)]
    wide = (summary.pivot(index="point", columns="metric", values="mean")
            .reindex(index=points["point"], columns=metrics).reset_index(drop=True))
    body = [*_overview(manifest), *_effects(points, wide, metrics, manifest),
            *_sensitivity(sens, metrics, manifest["design"])]
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
