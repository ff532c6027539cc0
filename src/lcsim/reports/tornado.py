"""Tornado charts: the assumptions that drive a proposal's difference from the reference.

From drivers.csv (one row per proposal, metric and assumption: the share of the difference's
spread over the draws that the assumption explains, and the fitted difference with the
assumption at its prior's 10th and 90th percentiles), one figure per proposal with a panel for
4-year graduation and one for episodes helped within 30 days. Each bar spans the two fitted
differences; the assumptions whose share stands out from chance (Holm-adjusted p < 0.05) are
coloured, the others grey, so a reader can tell a driver from noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from lcsim.reports import plots

TOP = 8  # assumptions shown per panel
DRIVING = ("varied", "common factor")  # statuses of drivers.csv rows that can drive a difference
COMMON = "effects_of_support_common"  # the row of the effects of support's common factor
COMMON_LABEL = "effects of support, together"
ALPHA = 0.05  # Holm-adjusted p below which a share stands out from chance
STANDS_OUT, CHANCE, MEAN = "#4a78b5", "#c9c9c9", "#b2182b"


@dataclass(frozen=True)
class TornadoPanel:
    """One metric of a tornado figure; ``scale`` converts to the unit shown in ``unit``."""

    metric: str
    title: str
    unit: str
    scale: float = 1.0


PANELS = (TornadoPanel("graduated_4yr", "4-year graduation", "points", 100),
          TornadoPanel("helped_within_30d", "Episodes helped within 30 days of onset", "points",
                       100))


def label(assumption: str) -> str:
    """How a driver is named in figures and lists."""
    return COMMON_LABEL if assumption == COMMON else assumption


def top_drivers(drivers: pd.DataFrame, proposal: str, metric: str, k: int = TOP) -> pd.DataFrame:
    """The ``k`` varied assumptions (or the effects' common factor) with the largest positive shares of one proposal's
    difference in ``metric``, largest first, with a column ``stands_out`` (p_holm < ALPHA)."""
    rows = drivers[(drivers["proposal"] == proposal) & (drivers["metric"] == metric)
                   & drivers["status"].isin(DRIVING) & (drivers["share"] > 0)]
    rows = rows.sort_values(["share", "assumption"], ascending=[False, True]).head(k)
    return rows.assign(stands_out=rows["p_holm"] < ALPHA)


def standing_out(drivers: pd.DataFrame, proposal: str, metric: str) -> pd.DataFrame:
    """Every varied assumption whose share of the difference stands out from chance."""
    rows = drivers[(drivers["proposal"] == proposal) & (drivers["metric"] == metric)
                   & drivers["status"].isin(DRIVING) & (drivers["p_holm"] < ALPHA)]
    return rows.sort_values("share", ascending=False)


def _bars(ax: Axes, rows: pd.DataFrame, panel: TornadoPanel) -> None:
    """One bar per assumption over the range of its fitted difference between the prior's 10th
    and 90th percentiles (older tables without diff_min/diff_max: between the two ends); an
    open dot marks the difference at the 10th percentile, a filled dot at the 90th."""
    y = np.arange(len(rows))[::-1]
    for yi, (_, r) in zip(y, rows.iterrows(), strict=True):
        lo, hi = r["diff_at_p10"] * panel.scale, r["diff_at_p90"] * panel.scale
        low = r.get("diff_min", min(lo, hi)) * panel.scale
        high = r.get("diff_max", max(lo, hi)) * panel.scale
        colour = STANDS_OUT if r["stands_out"] else CHANCE
        ax.barh(yi, max(high - low, 1e-9), left=low, height=0.55, color=colour,
                edgecolor="none", zorder=2)
        ax.plot(lo, yi, "o", markersize=5, markerfacecolor="white", markeredgecolor="#333",
                zorder=3)
        ax.plot(hi, yi, "o", markersize=5, color="#333", zorder=3)
    labels = [f"{label(str(r.assumption))} ({100 * r.share:.0f}%)" for r in rows.itertuples()]
    ax.set_yticks(y, labels, fontsize=8.5)
    ax.set_ylim(-0.7, len(rows) - 0.3)


def _panel(ax: Axes, rows: pd.DataFrame, panel: TornadoPanel, mean: float,
           reference: str) -> None:
    ax.set_title(panel.title, fontsize=9.5)
    ax.axvline(0, color="black", linewidth=0.9, zorder=1)
    if rows.empty:
        ax.text(0.5, 0.5, "no assumption explains any\nof this difference's spread",
                ha="center", va="center", transform=ax.transAxes, fontsize=9, color="#555")
        ax.set_yticks([])
    else:
        _bars(ax, rows, panel)
    if np.isfinite(mean):
        ax.axvline(mean * panel.scale, color=MEAN, linewidth=1.2, linestyle="--", zorder=1)
    ax.set_xlabel(f"difference from {reference} ({panel.unit})", fontsize=8.5)
    ax.margins(x=0.12)
    ax.grid(axis="y", visible=False)


def tornado(drivers: pd.DataFrame, proposal: str, proposal_title: str, reference: str,
            means: Mapping[str, float], panels: Sequence[TornadoPanel] = PANELS) -> Figure:
    """A proposal's tornado figure, one panel per metric in ``panels`` (``means``: the mean
    difference over the draws per metric, drawn as a dashed line)."""
    tops = [top_drivers(drivers, proposal, p.metric) for p in panels]
    height = 0.34 * max([len(t) for t in tops] + [3]) + 1.5
    with plots.style():
        fig = plots.new_figure(plots.WIDTH, height)
        axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)).ravel()
        for ax, panel, rows in zip(axes, panels, tops, strict=True):
            _panel(ax, rows, panel, means.get(panel.metric, np.nan), reference)
        handles = [Patch(color=STANDS_OUT, label="stands out from chance (Holm p < 0.05)"),
                   Patch(color=CHANCE, label="could be chance"),
                   Line2D([], [], marker="o", linestyle="none", markerfacecolor="white",
                          markeredgecolor="#333", label="assumption at its 10th percentile"),
                   Line2D([], [], marker="o", linestyle="none", color="#333",
                          label="at its 90th percentile"),
                   Line2D([], [], color=MEAN, linestyle="--", label="mean difference")]
        fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=8,
                   frameon=False)
        fig.suptitle(f"{proposal_title}: what drives the difference from {reference} "
                     "(share of its spread over the draws)", fontsize=10)
    return fig


def has_drivers(drivers: pd.DataFrame | None, proposal: str,
                panels: Sequence[TornadoPanel] = PANELS) -> bool:
    """Whether drivers.csv has rows for any panel of the proposal."""
    if drivers is None:
        return False
    rows = drivers[(drivers["proposal"] == proposal)
                   & drivers["metric"].isin([p.metric for p in panels])]
    return not rows.empty
