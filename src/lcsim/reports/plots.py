"""Figures of a comparison, drawn with seaborn/matplotlib from stored tables only.

Every function takes tidy DataFrames (already read from a results directory) and returns a
matplotlib `Figure` rendered by the Agg canvas, so nothing here touches pyplot's global
figure state or the user's backend (safe in notebooks and on headless servers). `png()`
turns a figure into PNG bytes; the report embeds them and also saves them as files.
Scenario colours are fixed by their order (`palette`), so a scenario keeps its colour in
every figure.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "Panel",
    "channels",
    "forest",
    "help_curves",
    "new_figure",
    "palette",
    "png",
    "point_ranges",
    "save_png",
    "style",
    "ties_ecdf",
]

REFERENCE_COLOR = "#6b6b6b"
BETTER, WORSE, UNCLEAR = "#1b7837", "#b2182b", "#7f7f7f"
WIDTH = 10.5  # inches; at DPI this fills the report's column
DPI = 110


@dataclass(frozen=True)
class Panel:
    """One metric in a multi-panel figure: ``scale`` converts to the unit shown in ``unit``."""

    metric: str
    title: str
    unit: str
    scale: float = 1.0


@contextmanager
def style() -> Iterator[None]:
    """The report's figure style (white grid, small type), for a `with` block."""
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A figure on its own Agg canvas (no pyplot state), laid out by constrained layout."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def palette(order: Sequence[str]) -> dict[str, tuple[float, ...] | str]:
    """Colour per scenario: grey for the reference (first), colour-blind-safe hues for the rest."""
    hues = sns.color_palette("colorblind", max(len(order) - 1, 1))
    colours: dict[str, tuple[float, ...] | str] = {order[0]: REFERENCE_COLOR} if order else {}
    for name, hue in zip(order[1:], hues, strict=False):
        colours[name] = tuple(hue)
    return colours


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (deterministic: no timestamp metadata)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def save_png(fig: Figure, path: str | Path) -> bytes:
    """Write the figure as a PNG file and return its bytes."""
    data = png(fig)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)
    return data


def _verdict_colour(diff: float, low: float, high: float, higher_is_better: object) -> str:
    """Green if the CI excludes 0 on the better side, red on the worse side, else grey."""
    if not (np.isfinite(low) and np.isfinite(high)) or low <= 0 <= high:
        return UNCLEAR
    if higher_is_better is None or (isinstance(higher_is_better, float)
                                    and np.isnan(higher_is_better)):
        return UNCLEAR
    better = diff > 0 if bool(higher_is_better) else diff < 0
    return BETTER if better else WORSE


def _grid(n: int, ncols: int, height: float) -> tuple[Figure, list[Axes]]:
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig = new_figure(WIDTH, height * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _point(ax: Axes, x: float, y: float, low: float, high: float, colour: Any) -> None:
    """A point with its 95% CI as error bars, or the bare point when the CI is undefined."""
    if np.isfinite(low) and np.isfinite(high):
        ax.errorbar(x, y, xerr=[[x - low], [high - x]], fmt="o", color=colour, capsize=3,
                    markersize=5, linewidth=1.6)
    else:
        ax.plot(x, y, "o", color=colour, markersize=5)


def _points(ax: Axes, table: pd.DataFrame, panel: Panel, names: Sequence[str], y: np.ndarray,
            columns: tuple[str, str, str], colour: Callable[[str, pd.Series, float, float, float],
                                                          Any]) -> pd.DataFrame:
    """Draw each named scenario's value and CI (``columns``) for one panel, top to bottom;
    return the panel's rows (indexed by scenario)."""
    rows = table[table["metric"] == panel.metric].set_index("scenario")
    for yi, name in zip(y, names, strict=True):
        if name not in rows.index:
            continue
        r = rows.loc[name]
        v, lo, hi = (float(r[c]) * panel.scale for c in columns)
        _point(ax, v, yi, lo, hi, colour(name, r, v, lo, hi))
    return rows


def _frame(ax: Axes, y: np.ndarray, names: Sequence[str], panel: Panel, xlabel: str) -> None:
    """Scenario names on the y axis, the panel's title and the x label."""
    ax.set_yticks(y, names)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.set_title(panel.title, fontsize=9.5)
    ax.set_xlabel(xlabel, fontsize=8.5)
    ax.margins(x=0.15)


def _names_on_first_column(axes: Sequence[Axes]) -> None:
    for ax in axes:
        spec = ax.get_subplotspec()
        if spec is not None and spec.colspan.start != 0:
            ax.set_yticklabels([])


def forest(table: pd.DataFrame, panels: Sequence[Panel], proposals: Sequence[str],
           reference: str, ncols: int = 4) -> Figure:
    """Paired differences from the reference (point and 95% CI) per proposal, one panel a metric.

    ``table`` has the comparison.csv columns (``scenario`` holding display names).
    """
    def verdict(name: str, r: pd.Series, d: float, lo: float, hi: float) -> str:
        return _verdict_colour(d, lo, hi, r["higher_is_better"])

    with style():
        fig, axes = _grid(len(panels), ncols, 0.45 * len(proposals) + 1.3)
        y = np.arange(len(proposals))[::-1]
        for ax, panel in zip(axes, panels, strict=True):
            _points(ax, table, panel, proposals, y, ("diff", "diff_ci_low", "diff_ci_high"),
                    verdict)
            ax.axvline(0, color="black", linewidth=0.8)
            _frame(ax, y, proposals, panel, f"difference ({panel.unit})")
        _names_on_first_column(axes)
        fig.suptitle(f"Difference from {reference} (95% CI). Green: better, red: worse, "
                     "grey: not distinguishable from no change", fontsize=10)
    return fig


def help_curves(curves: pd.DataFrame, order: Sequence[str], horizon: float = 365.0,
                within_30: Mapping[str, float] | None = None) -> Figure:
    """Share of difficulty episodes in which help had started, by days since onset.

    ``curves`` has columns ``scenario``, ``time`` (days) and ``helped`` (cumulative incidence,
    a share); ``within_30`` gives each scenario's mean share helped within 30 days, for the
    legend.
    """
    colours = palette(order)
    with style():
        fig = new_figure(WIDTH, 4.6)
        ax = fig.subplots()
        data = curves[curves["time"] <= horizon].assign(reached=lambda d: 100.0 * d["helped"])
        for name in order:
            part = data[data["scenario"] == name]
            if part.empty:
                continue
            label = name
            if within_30 and np.isfinite(within_30.get(name, np.nan)):
                label = f"{name} ({100 * within_30[name]:.0f}% within 30 days)"
            sns.lineplot(data=part, x="time", y="reached", ax=ax, drawstyle="steps-post",
                         color=colours[name], label=label, linewidth=2.2 if name == order[0]
                         else 1.6, linestyle="--" if name == order[0] else "-",
                         estimator=None, errorbar=None)
        ax.axvline(30, color="black", linewidth=0.7, linestyle=":")
        ax.set_xlim(0, horizon)
        ax.set_ylim(0, max(10.0, 10 * np.ceil(data["reached"].max() / 10 + 0.5)))
        ax.set_xlabel("days since the difficulty began")
        ax.set_ylabel("% of episodes in which help had started")
        ax.legend(loc="lower right", fontsize=8.5, frameon=True)
    return fig


def point_ranges(table: pd.DataFrame, panels: Sequence[Panel], order: Sequence[str],
                 ncols: int = 3, refline: Mapping[str, float] | None = None) -> Figure:
    """Mean and 95% CI per scenario, one panel a metric (e.g. retention, faculty load).

    ``refline`` draws a dashed vertical line per metric (e.g. 1.0 for the load ratio).
    """
    colours = palette(order)
    with style():
        fig, axes = _grid(len(panels), ncols, 0.42 * len(order) + 1.3)
        y = np.arange(len(order))[::-1]
        for ax, panel in zip(axes, panels, strict=True):
            rows = _points(ax, table, panel, order, y, ("mean", "ci_low", "ci_high"),
                           lambda name, *_: colours[name])
            if refline and panel.metric in refline:
                ax.axvline(refline[panel.metric], color="black", linewidth=0.8, linestyle="--")
            ref = rows["mean"].get(order[0], np.nan) * panel.scale if len(rows) else np.nan
            if np.isfinite(ref):
                ax.axvline(ref, color=REFERENCE_COLOR, linewidth=0.8, linestyle=":")
            _frame(ax, y, order, panel, panel.unit)
        _names_on_first_column(axes)
    return fig


def channels(shares: pd.DataFrame, order: Sequence[str], channel_order: Sequence[str],
             labels: Mapping[str, str]) -> Figure:
    """Stacked bars: who noticed the difficulty episodes, as % of noticed episodes.

    ``shares`` has columns ``scenario``, ``channel``, ``share`` (0-1).
    """
    colours = dict(zip(channel_order, sns.color_palette("Set2", len(channel_order)),
                       strict=True))
    with style():
        fig = new_figure(WIDTH, 0.45 * len(order) + 1.4)
        ax = fig.subplots()
        y = np.arange(len(order))[::-1]
        left = np.zeros(len(order))
        wide = shares.pivot_table(index="scenario", columns="channel", values="share",
                                  aggfunc="first").reindex(order)
        for ch in channel_order:
            vals = 100.0 * wide.get(ch, pd.Series(np.nan, index=wide.index)).fillna(0.0)
            vals = vals.to_numpy()
            ax.barh(y, vals, left=left, color=colours[ch], label=labels.get(ch, ch),
                    edgecolor="white", height=0.7)
            for yi, lft, v in zip(y, left, vals, strict=True):
                if v >= 6:
                    ax.text(lft + v / 2, yi, f"{v:.0f}%", ha="center", va="center",
                            fontsize=8)
            left += vals
        ax.set_yticks(y, order)
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of noticed difficulty episodes")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(channel_order),
                  fontsize=8.5, frameon=False)
        ax.grid(axis="y", visible=False)
    return fig


def ties_ecdf(ties: pd.DataFrame, order: Sequence[str], groups: Sequence[tuple[str, str]],
              isolated: int) -> Figure:
    """Share of students with at most x friends, one line per scenario, one panel per subgroup.

    ``ties`` has columns ``scenario`` (display name), ``subgroup`` and ``ties`` (friends at the
    end of year 1, students enrolled then, all replications pooled); ``groups`` gives each
    panel's subgroup and title; a dotted line marks ``isolated`` friends (at most: isolated).
    """
    colours = palette(order)
    with style():
        fig, axes = _grid(len(groups), 3, 3.4)
        top = float(ties["ties"].quantile(0.99)) if len(ties) else 1.0
        for ax, (group, name) in zip(axes, groups, strict=True):
            mine = ties[ties["subgroup"] == group]
            for scenario in order:
                x = np.sort(mine.loc[mine["scenario"] == scenario, "ties"].to_numpy(float))
                if not x.size:
                    continue
                ax.step(np.concatenate(([0.0], x)), 100.0 * np.arange(x.size + 1) / x.size,
                        where="post", color=colours[scenario], label=scenario,
                        linewidth=2.2 if scenario == order[0] else 1.6,
                        linestyle="--" if scenario == order[0] else "-")
            ax.axvline(isolated, color="black", linewidth=0.7, linestyle=":")
            ax.set_xlim(0, max(top, isolated + 1.0))
            ax.set_ylim(0, 101)
            ax.set_title(name, fontsize=9.5)
            ax.set_xlabel("friends at the end of year 1", fontsize=8.5)
        axes[0].set_ylabel("% of students with at most this many", fontsize=8.5)
        axes[0].legend(loc="lower right", fontsize=8, frameon=True)
    return fig
