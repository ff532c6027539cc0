"""The figures of the committee report and how they are embedded in the page.

`draw_figures` draws them with `lcsim.reports.plots` from the stored tables (the Kaplan–Meier
curves from each scenario's episodes.parquet, censored as the metrics are by
`lcsim.outcomes.episodes.help_curve`), saves them under DIR/figures/ and returns the PNG bytes,
which `embed_png` puts into the page as data URIs so report.html stands alone.
"""

from __future__ import annotations

import base64
import html
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from lcsim.comparison.result import Comparison
from lcsim.outcomes.episodes import help_curve
from lcsim.outcomes.students import ISOLATED_TIES
from lcsim.reports import plots, tornado
from lcsim.reports.equity import subgroup_label
from lcsim.reports.format import title

HELP_HORIZON = 365.0  # days shown in the time-to-intervention figure
FOREST = (
    plots.Panel("graduated_4yr", "4-year graduation", "points", 100),
    plots.Panel("graduated_6yr", "6-year graduation", "points", 100),
    plots.Panel("attrition", "Attrition", "points", 100),
    plots.Panel("leave_of_absence", "Leave of absence", "points", 100),
    plots.Panel("time_to_detection_median_days", "Median days to being noticed", "days"),
    plots.Panel("time_to_intervention_median_days", "Median days to intervention", "days"),
    plots.Panel("unhelped_share", "Episodes never helped", "points", 100),
    plots.Panel("faculty_load_ratio", "Faculty load ratio", "ratio"),
)
RETENTION = (
    plots.Panel("graduated_4yr", "4-year graduation", "%", 100),
    plots.Panel("graduated_6yr", "6-year graduation", "%", 100),
    plots.Panel("attrition", "Attrition", "%", 100),
)
LOAD = (
    plots.Panel("faculty_load_ratio", "Faculty hours needed / hours protected", "ratio"),
    plots.Panel("queue_wait_median_days", "Median wait from referral to help", "days"),
    plots.Panel("faculty_connected_share", "Students with a faculty connection", "%", 100),
)
CHANNELS = ("detected_by_self", "detected_by_peer", "detected_by_faculty",
            "detected_by_institution")
CHANNEL_LABELS = {"detected_by_self": "the student asked for help",
                  "detected_by_peer": "peers or peer mentors",
                  "detected_by_faculty": "coaches, facilitators or advisors",
                  "detected_by_institution": "grades"}


def _display(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(scenario=table["scenario"].map(title))


def draw_figures(cmp: Comparison) -> dict[str, bytes]:
    """Draw the report's figures, save them under DIR/figures/; return name -> PNG bytes."""
    order = [title(n) for n in cmp.names]
    proposals = order[1:]
    table = _display(cmp.table)
    out: dict[str, bytes] = {}
    figdir = cmp.directory / "figures"

    def keep(name: str, fig: Any) -> None:
        out[name] = plots.save_png(fig, figdir / f"{name}.png")

    forest_panels = [p for p in FOREST if p.metric in set(table["metric"])]
    keep("forest", plots.forest(table, forest_panels, proposals, order[0]))
    curves = []
    for name in cmp.names:
        path = cmp.directory / name / "episodes.parquet"
        if path.is_file():
            eps = pd.read_parquet(path, columns=["replication", "onset", "intervention_start",
                                                 "ended_at", "outcome"])
            curves.append(help_curve(eps, HELP_HORIZON).assign(scenario=title(name)))
    if curves:
        within_30 = {title(n): cmp.row(n, "helped_within_30d")["mean"] for n in cmp.names}
        keep("time_to_intervention", plots.help_curves(pd.concat(curves), order, HELP_HORIZON,
                                                       within_30))
    keep("retention", plots.point_ranges(table, RETENTION, order))
    load_panels = [p for p in LOAD if p.metric in set(table["metric"])
                   and constant_value(cmp.table, p.metric) is None]
    if load_panels:
        keep("faculty_load", plots.point_ranges(table, load_panels, order,
                                                refline={"faculty_load_ratio": 1.0}))
    shares = table[table["metric"].isin(CHANNELS)][["scenario", "metric", "mean"]]
    shares = shares.rename(columns={"metric": "channel", "mean": "share"})
    keep("detection_channels", plots.channels(shares, order, CHANNELS, CHANNEL_LABELS))
    ties = _ties_year1(cmp)
    if len(ties):
        groups = sorted(set(ties["subgroup"]), key=lambda g: (g == "none", g))
        keep("ties_year1", plots.ties_ecdf(ties, order, [(g, subgroup_label(g)) for g in groups],
                                           ISOLATED_TIES))
    for name in cmp.proposals:
        if cmp.drivers is not None and tornado.has_drivers(cmp.drivers, name):
            keep(tornado_name(name), tornado.tornado(cmp.drivers, name, title(name), order[0],
                                                     _draw_means(cmp, name)))
    return out


def _ties_year1(cmp: Comparison) -> pd.DataFrame:
    """scenario (display name), subgroup, ties: friends at the end of year 1 of the students
    enrolled then, every replication, from each students.parquet that has them."""
    parts = []
    for name in cmp.names:
        path = cmp.directory / name / "students.parquet"
        if path.is_file() and "ties_year1" in pq.read_schema(path).names:
            st = pd.read_parquet(path, columns=["subgroup", "ties_year1"]).dropna()
            parts.append(pd.DataFrame({"scenario": title(name), "subgroup": st["subgroup"],
                                       "ties": st["ties_year1"]}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["scenario", "subgroup", "ties"])


def tornado_name(proposal: str) -> str:
    """The name (and file stem under figures/) of a proposal's tornado figure."""
    return f"tornado_{proposal}"


def _draw_means(cmp: Comparison, proposal: str) -> dict[str, float]:
    """The mean difference over the draws per metric (uncertainty.csv), for the tornado."""
    if cmp.uncertainty is None:
        return {}
    rows = cmp.uncertainty[cmp.uncertainty["proposal"] == proposal]
    return {str(m): float(v) for m, v in rows.groupby("metric")["mean"].first().items()}


def constant_value(table: pd.DataFrame, metric: str) -> float | None:
    """The value of a metric that is the same (mean and CI) in every scenario, else None."""
    rows = table[table["metric"] == metric][["mean", "ci_low", "ci_high"]].to_numpy(float)
    if rows.size and np.isfinite(rows).all() and (rows == rows[0, 0]).all():
        return float(rows[0, 0])
    return None


def embed_png(data: bytes, alt: str) -> str:
    """An <img> tag holding the PNG as a base64 data URI (no file to fetch)."""
    b64 = base64.b64encode(data).decode("ascii")
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{b64}'>"
