"""The committee report of a comparison: one self-contained `report.html` from stored results.

`write_report(DIR)` reads only what `lcsim compare` stored (comparison.csv/json,
compare.json, and each scenario's runs.csv, students.parquet, episodes.parquet,
scenario.resolved.yaml and manifest.json); it never runs the model. Figures are embedded as
base64 PNG data URIs (also saved under DIR/figures/), styles are inline, and there are no
external links to fetch, so the file opens offline in any browser and can be e-mailed.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from pydantic import BaseModel

import lcsim
from lcsim import plots
from lcsim.analysis import km_curve, mean_ci, paired_difference
from lcsim.compare import Comparison, load
from lcsim.metrics import ON_TIME_SLACK, SUBGROUP_PREFIX
from lcsim.scenario import Scenario
from lcsim.store import atomic_write_text

__all__ = ["Change", "changes", "headline", "km_data", "subgroup_rates", "title",
           "write_report"]

KM_HORIZON = 365.0  # days shown in the time-to-intervention figure


@dataclass(frozen=True)
class Show:
    """How a metric reads in the report: plain label and kind of unit."""

    label: str
    kind: str  # "share" (% and points), "days", "ratio", "number", "score"


SHOW: dict[str, Show] = {
    "graduated_4yr": Show("4-year graduation", "share"),
    "graduated_6yr": Show("6-year graduation", "share"),
    "attrition": Show("Attrition (left without graduating)", "share"),
    "attrition_academic": Show("Academic dismissal", "share"),
    "attrition_nonacademic": Show("Withdrawal", "share"),
    "leave_of_absence": Show("Took a leave of absence", "share"),
    "episodes_per_100": Show("Difficulty episodes per 100 students", "number"),
    "time_to_detection_median_days": Show("Median time to being noticed", "days"),
    "time_to_intervention_median_days": Show("Median time to intervention", "days"),
    "time_to_intervention_p90_days": Show("Time to intervention, slowest 10%", "days"),
    "unhelped_share": Show("Episodes that never reached help", "share"),
    "faculty_load_ratio": Show("Faculty load (hours needed / protected)", "ratio"),
    "queue_wait_median_days": Show("Median wait from referral to help", "days"),
    "belonging_mean": Show("Belonging at end of year 2 (0-1)", "score"),
    "peer_ties_mean": Show("Peer ties at end of year 2", "number"),
    "faculty_connected_share": Show("Students with a faculty connection in year 1", "share"),
    "identity_mean": Show("Professional identity at end of year 2 (0-1)", "score"),
    "clinical_skills_mean": Show("Clinical skills at end of year 2 (0-1)", "score"),
}
KEY_METRICS = ("graduated_4yr", "graduated_6yr", "attrition", "attrition_academic",
               "attrition_nonacademic", "leave_of_absence", "episodes_per_100",
               "time_to_detection_median_days", "time_to_intervention_median_days",
               "time_to_intervention_p90_days", "unhelped_share", "queue_wait_median_days",
               "faculty_load_ratio", "faculty_connected_share", "belonging_mean")
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
SUBGROUP_LABELS = {"urim": "URiM", "low_income": "Low income", "none": "Other students"}
SUBGROUP_WORDS = {"urim": "URiM", "low_income": "low-income"}
MINUS = "\u2212"


# --------------------------------------------------------------------------- words & numbers


def title(name: str) -> str:
    """A scenario name for readers: 'small-group-lc' -> 'Small group LC'."""
    words = name.replace("_", " ").replace("-", " ").split()
    words = [w.upper() if w.lower() in {"lc", "lcs", "urim"} else w for w in words]
    text = " ".join(words) or name
    return text[0].upper() + text[1:]


def _finite(*xs: Any) -> bool:
    return all(x is not None and isinstance(x, (int, float)) and math.isfinite(x) for x in xs)


def _signed(x: float, digits: int = 1) -> str:
    text = f"{x:+.{digits}f}"
    if float(text) == 0:
        text = f"{0:.{digits}f}"
    return text.replace("-", MINUS)


def _plain(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}".replace("-", MINUS)


def _pts_digits(*xs: float) -> int:
    """One decimal for points, two when the values are tiny."""
    return 2 if all(abs(x) < 0.1 for x in xs if _finite(x)) else 1


def _day_digits(*xs: float) -> int:
    return 1 if all(abs(x) < 10 for x in xs if _finite(x)) else 0


def fmt_value(metric: str, x: float) -> str:
    """A metric's mean in report units (% for shares, days for times)."""
    if not _finite(x):
        return "n/a"
    kind = SHOW.get(metric, Show(metric, "share" if metric.startswith(SUBGROUP_PREFIX)
                                 else "number")).kind
    if kind == "share":
        return f"{100 * x:.1f}%"
    if kind == "days":
        return f"{x:.0f} days"
    if kind in ("ratio", "score"):
        return f"{x:.2f}" if kind == "ratio" else f"{x:.3f}"
    return f"{x:.1f}"


def fmt_interval(metric: str, low: float, high: float) -> str:
    """A CI of a mean in report units."""
    if not _finite(low, high):
        return ""
    a, b = fmt_value(metric, low), fmt_value(metric, high)
    return f"{a.removesuffix(' days')} to {b}"


def fmt_change(metric: str, d: float, low: float, high: float, ci_words: bool = True) -> str:
    """A difference in plain words: '+1.2 points (95% CI +0.6 to +1.8)', '23 days shorter ...'."""
    kind = SHOW.get(metric, Show(metric, "share" if metric.startswith(SUBGROUP_PREFIX)
                                 else "number")).kind
    if not _finite(d):
        return "not available"
    prefix = "95% CI " if ci_words else ""
    has_ci = _finite(low, high)
    if has_ci and d == 0 and low == 0 and high == 0:
        return "no change (identical in every replication)"
    if kind == "days":
        k = _day_digits(d, low, high)
        word = "shorter" if d < 0 else "longer"
        text = f"{_plain(abs(d), k)} days {word}"
        if not has_ci:
            return text
        if high < 0:
            ci = f"{_plain(abs(high), k)} to {_plain(abs(low), k)}"
        elif low > 0:
            ci = f"{_plain(low, k)} to {_plain(high, k)}"
        else:
            ci = f"{_plain(abs(low), k)} shorter to {_plain(high, k)} longer"
        return f"{text} ({prefix}{ci})"
    if kind == "share":
        k = _pts_digits(100 * d, 100 * low, 100 * high)
        text = f"{_signed(100 * d, k)} points"
        ci = f"{_signed(100 * low, k)} to {_signed(100 * high, k)}" if has_ci else ""
    else:
        k = {"score": 3, "ratio": 2}.get(kind, 1)
        text = _signed(d, k)
        ci = f"{_signed(low, k)} to {_signed(high, k)}" if has_ci else ""
    return f"{text} ({prefix}{ci})" if has_ci else text


def _verdict(row: pd.Series) -> str:
    """'better', 'worse', 'unclear' (CI spans 0) or 'none' (no preferred direction)."""
    lo, hi, d = row["diff_ci_low"], row["diff_ci_high"], row["diff"]
    if not _finite(lo, hi, d) or lo <= 0 <= hi:
        return "unclear"
    hib = row["higher_is_better"]
    if hib is None or (isinstance(hib, float) and math.isnan(hib)):
        return "none"
    return "better" if (d > 0) == bool(hib) else "worse"


def _change_html(row: pd.Series, metric: str) -> str:
    verdict = _verdict(row)
    text = html.escape(fmt_change(metric, row["diff"], row["diff_ci_low"],
                                  row["diff_ci_high"]))
    note = ""
    if verdict == "unclear" and not (row["diff"] == 0 and row["diff_ci_low"] == 0
                                     and row["diff_ci_high"] == 0):
        note = " <span class='muted'>(no clear difference)</span>"
    return f"<span class='{verdict}'>{text}</span>{note}"


def headline(cmp: Comparison, proposal: str) -> str:
    """HTML of a proposal's headline: graduation, time to intervention, attrition, load."""
    ref = title(cmp.reference)
    parts = []
    for metric, words in (("graduated_4yr", "4-year graduation"),
                          ("time_to_intervention_median_days", "median time to intervention")):
        row = cmp.row(proposal, metric)
        parts.append(f"{words} {_change_html(row, metric)}")
    first = f"{parts[0]} vs {html.escape(ref)}; {parts[1]}."
    att = cmp.row(proposal, "attrition")
    load_p = cmp.row(proposal, "faculty_load_ratio")["mean"]
    load_r = cmp.row(cmp.reference, "faculty_load_ratio")["mean"]
    second = (f"Attrition {_change_html(att, 'attrition')}. Faculty load "
              f"{fmt_value('faculty_load_ratio', load_p)} of protected hours "
              f"({html.escape(ref)} {fmt_value('faculty_load_ratio', load_r)}).")
    return (f"<div class='headline'><h3>{html.escape(title(proposal))}</h3>"
            f"<p class='lead'>{first[0].upper()}{first[1:]}</p><p>{second}</p></div>")


# --------------------------------------------------------------------------- scenario cards


@dataclass(frozen=True)
class Change:
    """One setting that differs from the reference, in words."""

    label: str
    help: str
    reference: str
    value: str


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation like ``Coaching | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found:
                return found
    return None


def _words(name: str) -> str:
    return " ".join("chance" if w == "prob" else w for w in name.split("_"))


def _show_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{_words(k)} {_show_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, dict) for v in value):
            return "; ".join(
                f"{v.get('name', '?')} ("
                + ", ".join(f"{_words(k)} {_show_value(x)}" for k, x in v.items() if k != "name")
                + ")" for v in value)
        return ", ".join(_show_value(v) for v in value) or "none"
    return str(value)


def _walk(cls: type[BaseModel], a: Mapping[str, Any], b: Mapping[str, Any],
          path: tuple[str, ...]) -> list[Change]:
    out: list[Change] = []
    for name, info in cls.model_fields.items():
        if not path and name in ("name", "description"):
            continue
        va, vb = a.get(name), b.get(name)
        if va == vb:
            continue
        sub = _model_of(info.annotation)
        if sub is not None and isinstance(va, dict) and isinstance(vb, dict):
            out += _walk(sub, va, vb, (*path, name))
            continue
        label = " \u203a ".join(_words(p).capitalize() if i == 0 else _words(p)
                                for i, p in enumerate((*path, name)))
        section = sub is not None and (va is None or vb is None)
        helptext = (sub.__doc__ if section and sub is not None else info.description) or ""
        if sub is not None and va is None:
            value = "added:\n" + "\n".join(f"{_words(k)} {_show_value(v)}"
                                            for k, v in vb.items())
            ref = "none"
        elif sub is not None and vb is None:
            value, ref = "none", _show_value(va)
        else:
            value, ref = _show_value(vb), _show_value(va)
        out.append(Change(label, helptext.strip().splitlines()[0] if helptext else "", ref,
                          value))
    return out


def changes(reference: Scenario, scenario: Scenario) -> list[Change]:
    """Settings of ``scenario`` that differ from ``reference`` (diff of their model_dump)."""
    return _walk(Scenario, reference.model_dump(mode="json"), scenario.model_dump(mode="json"),
                 ())


def _card(cmp: Comparison, sc: Scenario) -> str:
    name = html.escape(title(sc.name))
    desc = html.escape(" ".join(sc.description.split())) or "<i>no description</i>"
    if sc.name == cmp.reference:
        return (f"<div class='card ref'><h3>{name} <span class='tag'>reference</span></h3>"
                f"<p>{desc}</p><p class='muted'>Every other scenario is compared with this "
                "one.</p></div>")
    diffs = changes(cmp.scenarios[0], sc)
    ref = html.escape(title(cmp.reference))
    if diffs:
        rows = "".join(
            f"<tr><td>{html.escape(c.label)}<div class='muted small'>{html.escape(c.help)}"
            f"</div></td><td>{html.escape(c.value).replace(chr(10), '<br>')}</td>"
            "<td class='muted'>"
            f"{html.escape(c.reference)}</td></tr>" for c in diffs)
        body = (f"<table class='changes'><colgroup><col style='width:38%'><col "
                "style='width:46%'><col style='width:16%'></colgroup><tr><th>Setting</th>"
                "<th>This scenario</th>"
                f"<th>{ref}</th></tr>{rows}</table>")
    else:
        body = f"<p><b>No setting differs from {ref}.</b></p>"
    return (f"<div class='card'><h3>{name}</h3><p>{desc}</p>"
            f"<p class='small'>What differs from {ref}:</p>{body}</div>")


# --------------------------------------------------------------------------- stored tables


def km_data(episodes: pd.DataFrame, horizon: float = KM_HORIZON) -> pd.DataFrame:
    """Pooled Kaplan–Meier curve of days from onset to intervention, on a daily grid.

    As in `lcsim.metrics`: episodes without an intervention are censored at ``ended_at``,
    or, if still open, at the last time seen in their replication. Columns ``time``,
    ``survival`` (share still without help).
    """
    eps = episodes[episodes["onset"].notna()]
    if eps.empty:
        return pd.DataFrame({"time": [0.0], "survival": [1.0]})
    observed = eps["intervention_start"].notna().to_numpy()
    end = eps["intervention_start"].where(observed, eps["ended_at"])
    begin = eps["onset"]
    last = pd.concat([end, begin], axis=1).max(axis=1)
    horizon_rep = last.groupby(eps["replication"]).transform("max")
    end = end.fillna(horizon_rep).to_numpy(dtype=float)
    curve = km_curve(end - begin.to_numpy(dtype=float), observed)
    grid = np.arange(0.0, horizon + 1.0)
    idx = np.searchsorted(curve["time"].to_numpy(), grid, side="right") - 1
    return pd.DataFrame({"time": grid, "survival": curve["survival"].to_numpy()[idx]})


def subgroup_rates(students: pd.DataFrame) -> pd.DataFrame:
    """Per replication and subgroup: students, attrition, 4-year graduation, leave of absence."""
    left = students["status"].isin(["dismissed", "withdrawn"])
    df = pd.DataFrame({
        "replication": students["replication"], "subgroup": students["subgroup"],
        "attrition": left.astype(float),
        "graduated_4yr": (students["years_to_graduate"] <= 4 + ON_TIME_SLACK).astype(float),
        "leave_of_absence": (students["loa_count"] > 0).astype(float),
    })
    g = df.groupby(["replication", "subgroup"], sort=True)
    out = g[["attrition", "graduated_4yr", "leave_of_absence"]].mean()
    out["students"] = g.size()
    return out.reset_index()


def _equity(cmp: Comparison) -> str:
    cols = ["replication", "subgroup", "status", "years_to_graduate", "loa_count"]
    rates = {}
    for name in cmp.names:
        path = cmp.directory / name / "students.parquet"
        if path.is_file():
            rates[name] = subgroup_rates(pd.read_parquet(path, columns=cols))
    if cmp.reference not in rates:
        return "<p class='muted'>No student table stored.</p>"
    groups = sorted({g for r in rates.values() for g in r["subgroup"]},
                    key=lambda g: (g == "none", g))
    tables = []
    for measure, words in (("attrition", "Attrition (left without graduating)"),
                           ("graduated_4yr", "Graduated within 4 years")):
        head = "".join(f"<th>{html.escape(SUBGROUP_LABELS.get(g, title(g)))}</th>"
                       for g in groups)
        body = []
        ref = rates[cmp.reference]
        for name in cmp.names:
            cells = []
            r = rates.get(name)
            for g in groups:
                if r is None:
                    cells.append("<td>n/a</td>")
                    continue
                mine = r[r["subgroup"] == g].set_index("replication")[measure]
                base = ref[ref["subgroup"] == g].set_index("replication")[measure]
                m, lo, hi = mean_ci(mine.to_numpy())
                cell = (f"{fmt_value('attrition', m)} <span class='muted small'>"
                        f"({fmt_interval('attrition', lo, hi)})</span>")
                if name != cmp.reference:
                    both = pd.concat([base, mine], axis=1, keys=["b", "m"])
                    d = paired_difference(both["b"].to_numpy(), both["m"].to_numpy())
                    row = pd.Series({"diff": d["diff"], "diff_ci_low": d["ci_low"],
                                     "diff_ci_high": d["ci_high"],
                                     "higher_is_better": measure == "graduated_4yr"})
                    cell += f"<div class='small'>{_change_html(row, 'attrition')}</div>"
                cells.append(f"<td>{cell}</td>")
            body.append(f"<tr><th class='row'>{html.escape(title(name))}</th>"
                        f"{''.join(cells)}</tr>")
        tables.append(f"<h3>{words}</h3><table class='grid'><tr><th>Scenario</th>{head}</tr>"
                      f"{''.join(body)}</table>")
    share = rates[cmp.reference].groupby("subgroup")["students"].sum()
    share = share / share.sum()
    mix = ", ".join(f"{SUBGROUP_LABELS.get(g, title(g))} {100 * share.get(g, 0):.0f}%"
                    for g in groups)
    ref_rates = rates[cmp.reference].groupby("subgroup")["attrition"].mean()
    named = [g for g in groups if g != "none" and g in ref_rates]
    gap = ""
    if named and "none" in ref_rates:
        said = " and ".join(f"{fmt_value('attrition', ref_rates[g])} of "
                            f"{SUBGROUP_WORDS.get(g, _words(g))} students" for g in named)
        gap = (f"<p>In {html.escape(title(cmp.reference))}, {html.escape(said)} leave without "
               f"graduating, against {fmt_value('attrition', ref_rates['none'])} of other "
               "students.</p>")
    return gap + (f"<p>Student mix: {html.escape(mix)}. Each cell: mean over replications (95% CI);"
            f" below it, the change from {html.escape(title(cmp.reference))} in percentage "
            "points, paired by replication.</p>" + "".join(tables))


# --------------------------------------------------------------------------- figures


def _display(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(scenario=table["scenario"].map(title))


def _figures(cmp: Comparison) -> dict[str, bytes]:
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
                                                 "ended_at"])
            curves.append(km_data(eps).assign(scenario=title(name)))
    if curves:
        medians = {title(n): cmp.row(n, "time_to_intervention_median_days")["mean"]
                   for n in cmp.names}
        keep("time_to_intervention", plots.km_curves(pd.concat(curves), order, KM_HORIZON,
                                                     medians))
    keep("retention", plots.point_ranges(table, RETENTION, order))
    load_panels = [p for p in LOAD if p.metric in set(table["metric"])
                   and _constant(cmp.table, p.metric) is None]
    if load_panels:
        keep("faculty_load", plots.point_ranges(table, load_panels, order,
                                                refline={"faculty_load_ratio": 1.0}))
    shares = table[table["metric"].isin(CHANNELS)][["scenario", "metric", "mean"]]
    shares = shares.rename(columns={"metric": "channel", "mean": "share"})
    keep("detection_channels", plots.channels(shares, order, CHANNELS, CHANNEL_LABELS))
    return out


def _constant(table: pd.DataFrame, metric: str) -> float | None:
    """The value of a metric that is the same (mean and CI) in every scenario, else None."""
    rows = table[table["metric"] == metric][["mean", "ci_low", "ci_high"]].to_numpy(float)
    if rows.size and np.isfinite(rows).all() and (rows == rows[0, 0]).all():
        return float(rows[0, 0])
    return None


def _img(data: bytes, alt: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{b64}'>"


# --------------------------------------------------------------------------- sections


GLANCE = (("graduated_4yr", "4-year graduation"), ("attrition", "attrition"),
          ("time_to_intervention_median_days", "time to intervention"),
          ("faculty_load_ratio", "faculty load"))


def _glance(cmp: Comparison) -> str:
    """Which scenario is most likely best on the key outcomes (bootstrap prob_best)."""
    items = []
    for metric, words in GLANCE:
        rows = cmp.table[cmp.table["metric"] == metric].dropna(subset=["prob_best"])
        if rows.empty:
            continue
        top = rows.loc[rows["prob_best"].idxmax()]
        items.append(f"<li>{html.escape(words.capitalize())}: <b>{html.escape(title(top.scenario))}"
                     f"</b> ({fmt_value(metric, top['mean'])}; best in "
                     f"{100 * top['prob_best']:.0f}% of resamples)</li>")
    if not items:
        return ""
    return ("<h3>At a glance: the scenario most likely to be best</h3><ul>" + "".join(items)
            + "</ul><p class='small muted'>Share of 2,000 bootstrap resamples of the "
            "replications in which the scenario had the best mean (ties shared).</p>")


def _key_table(cmp: Comparison) -> str:
    head = "".join(f"<th>{html.escape(title(n))}</th>" for n in cmp.names)
    rows = []
    for metric in KEY_METRICS:
        if metric not in set(cmp.table["metric"]):
            continue
        cells = []
        for name in cmp.names:
            r = cmp.row(name, metric)
            cell = (f"{fmt_value(metric, r['mean'])}<div class='muted small'>"
                    f"{fmt_interval(metric, r['ci_low'], r['ci_high'])}</div>")
            if name != cmp.reference:
                short = fmt_change(metric, r["diff"], r["diff_ci_low"], r["diff_ci_high"])
                cell += (f"<div class='small {_verdict(r)}'>"
                         f"{html.escape(short.split(' (')[0])}</div>")
            cells.append(f"<td>{cell}</td>")
        rows.append(f"<tr><th class='row'>{html.escape(SHOW[metric].label)}</th>"
                    f"{''.join(cells)}</tr>")
    return (f"<table class='grid'><tr><th>Outcome</th>{head}</tr>{''.join(rows)}</table>"
            f"<p class='small muted'>Mean over replications; below, the 95% CI and, for "
            f"proposals, the change from {html.escape(title(cmp.reference))} (green: better, "
            "red: worse, grey: not distinguishable from no change).</p>")


def _target_words(metric: str, width: float) -> str:
    kind = SHOW.get(metric, Show(metric, "share")).kind
    if kind == "share":
        return f"\u00b1{100 * width:.2g} points"
    if kind == "days":
        return f"\u00b1{width:.3g} days"
    return f"\u00b1{width:.3g}"


def _method(cmp: Comparison) -> str:
    info = cmp.info
    n = info["replications"]
    ref = html.escape(title(cmp.reference))
    if info["crn"]:
        pairing = (f"Every scenario was simulated on the same {n} replications (the same "
                   "simulated students and the same chance events: common random numbers), so "
                   f"each proposal is compared with {ref} replication by replication.")
    else:
        pairing = (f"Each scenario was simulated {n} times on its own random numbers "
                   "(no pairing), so differences carry more chance variation.")
    stop = info["stopping"]
    extra = ""
    if stop["rule"] == "target_ci":
        targets = ", ".join(f"{html.escape(SHOW.get(m, Show(m, '')).label or m)} "
                            f"{_target_words(m, w)}" for m, w in stop["targets"].items())
        last = stop["rounds"][-1]["half_widths"] if stop["rounds"] else {}
        achieved = ", ".join(
            f"{html.escape(SHOW.get(m, Show(m, '')).label or m)} "
            f"{_target_words(m, max((w for w in by.values() if _finite(w)), default=math.nan))}"
            for m, by in last.items())
        if stop["outcome"] == "target_reached":
            extra = (f" Replications were added in rounds until every proposal's 95% CI was "
                     f"at least as narrow as the target ({targets}); <b>the target was reached"
                     f" with {n} replications</b> (widest: {achieved}).")
        elif stop["outcome"] == "max_replications":
            extra = (f" Replications were added in rounds to narrow every proposal's 95% CI "
                     f"to {targets}; <b>the target was not reached by the maximum of "
                     f"{stop['max_replications']} replications</b> (widest: {achieved}).")
        else:
            extra = " Adding replications stopped because some replications failed."
    fails = ""
    if cmp.failures:
        items = ", ".join(f"{html.escape(k)}: {len(v)} batch(es)" for k, v in
                          cmp.failures.items())
        fails = (f"<p class='warn'>Some replications failed ({items}); the figures use the "
                 "replications that finished. Tracebacks are in each scenario's failures/ "
                 "folder.</p>")
    return (f"<p>{pairing}{extra} Ranges are 95% confidence intervals of the simulation "
            "(they show chance variation between replications, not uncertainty in the "
            f"model's assumptions). Shares are in percent; changes in percentage points.</p>"
            f"{fails}")


def _model_doc_link(directory: Path) -> str:
    doc = Path(lcsim.__file__).resolve().parents[2] / "docs" / "model.md"
    if doc.is_file():
        try:
            href = Path(os.path.relpath(doc, directory.resolve())).as_posix()
        except ValueError:  # another drive (Windows)
            href = doc.as_uri()
        return f"<a href='{html.escape(href)}'>docs/model.md</a>"
    return "<code>docs/model.md</code>"


def _assumptions(cmp: Comparison) -> str:
    pop = cmp.scenarios[0].population
    return (
        "<ul>"
        "<li>This is a simulation model. Its numbers compare structures under the same "
        "assumptions; they are not forecasts for a particular school.</li>"
        "<li>Many effects of learning-community features (how often a coach or a peer notices "
        "a struggling student, how belonging protects) have no published estimate; they are "
        f"marked as assumptions in {_model_doc_link(cmp.directory)}, which documents the "
        "model, its sources and calibration. Differences between proposals depend on them.</li>"
        "<li>Confidence intervals cover chance variation between replications only.</li>"
        f"<li>Simulated school: {pop.cohorts} entering classes of {pop.class_size}, each "
        f"followed for {pop.follow_up_years} years.</li>"
        "<li>Times to being noticed and to intervention are Kaplan–Meier estimates: episodes "
        "that end before help (recovery, leaving, end of follow-up) count as censored, not as "
        "fast or slow help.</li>"
        "<li>Faculty load counts the hours the structure asks of faculty (meetings, small-group "
        "sessions, cases) against the hours it protects; a value above 1 means the plan needs "
        "more time than it protects.</li>"
        "</ul>")


def _provenance(cmp: Comparison) -> str:
    meta = json.loads((cmp.directory / "compare.json").read_text(encoding="utf-8"))
    files = {s["name"]: s.get("file") for s in meta.get("scenarios", [])}
    rows = []
    first: dict[str, Any] = {}
    for name in cmp.names:
        path = cmp.directory / name / "manifest.json"
        man = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        first = first or man
        h = man.get("scenario_hash", "")
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(str(files.get(name) or ''))}"
            f"</td><td><code title='{html.escape(h)}'>{html.escape(h[:12])}</code></td>"
            f"<td>{man.get('replications', '')}</td><td>{man.get('stream', '')}</td>"
            f"<td>{html.escape(str(man.get('status', '')))}</td></tr>")
    versions = {
        "lcsim": meta.get("lcsim_version"), "git commit": meta.get("git_commit"),
        "python": first.get("python"), "numpy": first.get("numpy"),
        "pandas": first.get("pandas"), "simpy": first.get("simpy"),
        "matplotlib": matplotlib.__version__, "seaborn": sns.__version__,
    }
    info = cmp.info
    settings = {
        "seed": info["seed"], "replications per scenario": info["replications"],
        "common random numbers": "yes" if info["crn"] else "no (--no-crn)",
        "stopping": {"fixed": "fixed number of replications",
                     "target_reached": "precision target reached",
                     "max_replications": "maximum replications reached before the target",
                     "failures": "stopped by failed replications"}.get(
                         info["stopping"]["outcome"], info["stopping"]["outcome"]),
        "started": meta.get("started"), "finished": meta.get("finished"),
        "workers": meta.get("workers"),
    }
    kv = "".join(f"<tr><th class='row'>{html.escape(k)}</th><td>{html.escape(str(v))}</td>"
                 "</tr>" for k, v in {**settings, **versions}.items())
    return (f"<table class='kv'>{kv}</table><table class='grid small'><tr><th>Scenario</th>"
            "<th>File</th><th>Hash (SHA-256 of resolved settings)</th><th>Replications</th>"
            f"<th>Random stream</th><th>Status</th></tr>{''.join(rows)}</table>"
            "<p class='small muted'>Each scenario's folder holds runs.csv, students.parquet, "
            "episodes.parquet, manifest.json and scenario.resolved.yaml; comparison.csv holds "
            "every number in this report.</p>")


CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#222;margin:0;
background:#f6f6f4;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 32px;background:#fff}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:20px;margin:34px 0 8px;
border-bottom:2px solid #e3e3e3;padding-bottom:4px}h3{font-size:16px;margin:14px 0 6px}
p{margin:6px 0}.muted{color:#666}.small{font-size:12.5px}
.better{color:#1b7837;font-weight:600}.worse{color:#b2182b;font-weight:600}
.unclear,.none{color:#555}
.headline{border-left:5px solid #4a78b5;background:#f3f7fc;padding:8px 14px;margin:10px 0}
.headline h3{margin:2px 0}.lead{font-size:16.5px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px}.card.ref{background:#fafafa}
.tag{font-size:11px;background:#777;color:#fff;border-radius:3px;padding:1px 6px}
table{border-collapse:collapse;margin:8px 0}td,th{padding:4px 8px;vertical-align:top;
text-align:left}table.grid td,table.grid th{border:1px solid #ddd}
table.grid th{background:#f1f1f1}th.row{background:#fafafa;font-weight:600}
table.changes{width:100%}table.changes td,table.changes th{border-bottom:1px solid #eee;
font-size:13.5px}
table.kv th,table.kv td{font-size:13px;padding:1px 18px 1px 4px}
img{max-width:100%;display:block;margin:6px 0}.warn{background:#fff3cd;padding:6px 10px}
figure{margin:8px 0}figcaption{font-size:12.5px;color:#555}
"""


def _same_everywhere(cmp: Comparison) -> str:
    """Say in words what is not plotted because it is identical everywhere."""
    notes = []
    for panel in LOAD:
        value = _constant(cmp.table, panel.metric)
        if value is None:
            continue
        note = (f"{SHOW[panel.metric].label} is {fmt_value(panel.metric, value)} in every "
                "scenario and replication")
        if panel.metric == "queue_wait_median_days" and value == 0:
            note += " (referred students never waited for a free faculty member)"
        notes.append(note + ", so it is not plotted.")
    return f"<p>{html.escape(' '.join(notes))}</p>" if notes else ""


def render(cmp: Comparison, figures: Mapping[str, bytes]) -> str:
    """The report as one HTML string."""
    ref = html.escape(title(cmp.reference))
    names = ", ".join(html.escape(title(n)) for n in cmp.proposals)

    def fig(name: str, caption: str) -> str:
        if name not in figures:
            return ""
        return (f"<figure>{_img(figures[name], caption)}<figcaption>{caption}</figcaption>"
                "</figure>")

    sections = [
        f"<h1>Learning-community proposals compared with {ref}</h1>",
        f"<p class='muted'>Proposals: {names}. Simulated with lcsim "
        f"{html.escape(lcsim.__version__)}.</p>",
        "<h2>Headlines</h2>",
        *(headline(cmp, p) for p in cmp.proposals),
        _glance(cmp),
        _method(cmp),
        "<h2>What each proposal changes</h2><div class='cards'>",
        *(_card(cmp, sc) for sc in cmp.scenarios), "</div>",
        "<h2>Differences from the reference</h2>",
        fig("forest", f"Change from {ref} with 95% CI, paired by replication. Shares in "
            "percentage points, times in days."),
        "<h2>Time to intervention</h2>",
        fig("time_to_intervention", "Share of difficulty episodes in which help (an "
            "intervention) had started, by days since the difficulty began (Kaplan–Meier, "
            "all replications pooled; episodes that ended without help are censored). "
            "Higher and further left is better; the dotted line marks half of the episodes."
            " Medians in the legend are averages over replications."),
        "<h2>Retention and key figures</h2>",
        fig("retention", "Mean and 95% CI over replications; the dotted line marks "
            f"{ref}."),
        _key_table(cmp),
        "<h2>Who notices students in difficulty</h2>",
        fig("detection_channels", "Share of noticed difficulty episodes by who noticed them "
            "first (mean over replications)."),
        "<h2>Faculty load</h2>",
        fig("faculty_load", "Mean and 95% CI. Faculty load: faculty hours the structure "
            "demands (meetings, small-group sessions, cases) divided by the hours protected "
            "for them; the dashed line at 1 means demand equals protected time."),
        _same_everywhere(cmp),
        "<h2>For whom: subgroups</h2>", _equity(cmp),
        "<h2>Assumptions and limits</h2>", _assumptions(cmp),
        "<h2>Provenance</h2>", _provenance(cmp),
    ]
    body = "\n".join(s for s in sections if s)
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>lcsim comparison: {names} vs {ref}</title><style>{CSS}</style></head>"
            f"<body><main>\n{body}\n</main></body></html>\n")


def write_report(directory: str | Path) -> Path:
    """Rebuild DIR/report.html and DIR/figures/*.png from the stored results; return the path."""
    directory = Path(directory)
    cmp = load(directory)
    figures = _figures(cmp)
    path = directory / "report.html"
    atomic_write_text(path, render(cmp, figures))
    return path
