"""How the report says what is not known: uncertainty intervals and chances in plain words.

An uncertainty analysis (`lcsim compare --uncertainty N`) stores, per proposal and metric, the
spread of the paired difference over N assumption sets drawn from the priors (uncertainty.csv).
This module turns those rows into the headline phrase ("allowing for what is not known, -0.8 to
+7.0 points, better in 91% of plausible cases"), the method note and the table "Differences
allowing for what is not known". Everything is read from the stored tables of a `Comparison`.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from lcsim.comparison.result import Comparison
from lcsim.reports.format import (
    SHOW,
    change_parts,
    finite,
    fmt_change,
    fmt_change_range,
    fmt_share,
    fmt_threshold,
    fmt_value,
    title,
    verdict_of,
)

NAN = float("nan")
MONTE_CARLO_NOTE = 0.5  # above this share of the spread from simulation noise, say so
TABLE_METRICS = ("graduated_4yr", "attrition", "helped_within_30d",
                 "time_to_intervention_median_days", "faculty_load_ratio")


def has_uncertainty(cmp: Comparison) -> bool:
    """Whether the comparison has an uncertainty analysis (uncertainty.csv)."""
    return cmp.uncertainty is not None and not cmp.uncertainty.empty


def settings(cmp: Comparison) -> dict[str, Any]:
    """The uncertainty analysis' settings from comparison.json (draws, replications, ...)."""
    return dict(cmp.info.get("uncertainty") or {})


def unc_rows(cmp: Comparison, proposal: str, metric: str) -> pd.DataFrame:
    """The uncertainty.csv rows of one proposal and metric (one per threshold, else one)."""
    t = cmp.uncertainty
    if t is None:
        return pd.DataFrame()
    return t[(t["proposal"] == proposal) & (t["metric"] == metric)]


def unc_row(cmp: Comparison, proposal: str, metric: str) -> pd.Series | None:
    """The proposal's summary over the draws for a metric, or None when there is none (the
    threshold rows repeat everything but the threshold columns, so the first one serves)."""
    rows = unc_rows(cmp, proposal, metric)
    if rows.empty or not finite(float(rows.iloc[0]["ui95_low"]), float(rows.iloc[0]["ui95_high"])):
        return None
    return rows.iloc[0]


def _has_direction(row: pd.Series) -> bool:
    return row["higher_is_better"] is not None and finite(row["prob_better"])


def chance_words(row: pd.Series) -> str:
    """Better / worse / no change over the draws, the most frequent first: 'better in 91% of
    plausible cases (worse in 5%, no change in 4%)'. Empty for a metric without a direction."""
    if not _has_direction(row):
        return ""
    better, worse = float(row["prob_better"]), float(row["prob_worse"])
    parts = [("better", better), ("worse", worse), ("no change", max(0.0, 1.0 - better - worse))]
    parts = sorted((p for p in parts if p[1] > 0), key=lambda p: -p[1])
    if not parts:
        return ""
    first = f"{parts[0][0]} in <b>{fmt_share(parts[0][1])}</b> of plausible cases"
    rest = ", ".join(f"{what} in {fmt_share(p)}" for what, p in parts[1:])
    return f"{first} ({rest})" if rest else first


def monte_carlo_note(row: pd.Series) -> str:
    """A short note (HTML) when most of the spread over the draws is simulation noise."""
    share = row["share_monte_carlo"]
    if not finite(share) or share <= MONTE_CARLO_NOTE or not float(row["sd"]) > 0:
        return ""
    much = ("Nearly all of this spread is" if share >= 0.95
            else f"Most of this spread ({fmt_share(share)}) is")
    return (f" <span class='muted small'>{much} simulation noise: more replications per "
            "draw would narrow it.</span>")


def ui_words(cmp: Comparison, proposal: str, metric: str) -> str:
    """HTML: '; allowing for what is not known, A to B, better in P% of plausible cases', or
    '' when the metric has no uncertainty summary (`monte_carlo_note` says more, apart)."""
    row = unc_row(cmp, proposal, metric)
    if row is None:
        return ""
    spread = html.escape(fmt_change_range(metric, row["ui95_low"], row["ui95_high"]))
    if row["ui95_low"] == row["ui95_high"]:
        low = float(row["ui95_low"])
        same = "no change" if low == 0 else html.escape(fmt_change(metric, low, NAN, NAN))
        return f"; allowing for what is not known, {same} in every plausible case"
    chances = chance_words(row)
    return f"; allowing for what is not known, {spread}{', ' + chances if chances else ''}"


def central_html(cmp: Comparison, proposal: str, metric: str) -> str:
    """HTML: '+2.3 points if the central assumptions hold (95% CI +0.9 to +3.7)', the change
    coloured by its verdict as in the plain report."""
    row = cmp.row(proposal, metric)
    d, low, high = row["diff"], row["diff_ci_low"], row["diff_ci_high"]
    if finite(d, low, high) and d == low == high == 0:
        return "no change if the central assumptions hold (identical in every replication)"
    verdict = verdict_of(row)
    text, ci = change_parts(metric, d, low, high)
    note = "; no clear difference" if verdict == "unclear" and ci else ""
    ci_text = f" (95% CI {html.escape(ci)}{note})" if ci else ""
    return (f"<span class='{verdict}'>{html.escape(text)}</span> if the central assumptions "
            f"hold{ci_text}")


def headline_lines(cmp: Comparison, proposal: str) -> list[str]:
    """The headline's sentences on 4-year graduation, attrition and time to help, each with
    the result under the central assumptions and then allowing for what is not known."""
    ref = cmp.reference
    h30 = cmp.row(proposal, "helped_within_30d")
    levels = (f"{fmt_value('helped_within_30d', cmp.row(ref, 'helped_within_30d')['mean'])} "
              f"\u2192 {fmt_value('helped_within_30d', h30['mean'])}")
    lines = [
        f"4-year graduation vs {html.escape(title(ref))}: "
        f"{central_html(cmp, proposal, 'graduated_4yr')}",
        f"Attrition: {central_html(cmp, proposal, 'attrition')}",
        f"Episodes helped within 30 days of onset: {levels}, "
        f"{central_html(cmp, proposal, 'helped_within_30d')}",
    ]
    out = []
    for line, metric in zip(lines, ("graduated_4yr", "attrition", "helped_within_30d"),
                            strict=True):
        row = unc_row(cmp, proposal, metric)
        note = monte_carlo_note(row) if row is not None else ""
        out.append(f"{line}{ui_words(cmp, proposal, metric)}.{note}")
    return out


def method_words(cmp: Comparison) -> str:
    """The method note's sentences on the draws, the uncertainty interval, 'plausible cases'
    and the split of the spread between the assumptions and simulation noise."""
    s = settings(cmp)
    n, r = s.get("draws", "?"), s.get("replications_per_draw", 1)
    varied = len(s.get("varied") or [])
    source = ("the shipped priors" if not s.get("priors_file")
              else f"the priors file <code>{html.escape(str(s['priors_file']))}</code>")
    reps = "one replication" if r == 1 else f"{r} replications"
    return (f"<p><b>What is not known.</b> The model's {varied} uncertain assumptions were drawn "
            f"{n} times from {source} (a quasi-random design that covers each prior evenly), "
            f"and every scenario was simulated on each of these {n} assumption sets, {reps} "
            "each, with the same replication seeds in every scenario, so each draw pairs the "
            "proposal with the reference as the central comparison does. A 95% uncertainty "
            "interval (\u201callowing for what is not known\u201d) holds the middle 95% of the "
            f"{n} paired differences; a \u201cplausible case\u201d is one draw, so \u201cbetter "
            "in 87% of plausible cases\u201d means the proposal beat the reference in 87% of the "
            "draws. That spread has two sources, the assumptions and the simulation noise of "
            f"{reps} per draw; the share from the assumptions is the part of its variance that "
            "the simulation noise does not explain. Assumptions a scenario sets itself are held "
            "at its value in every draw.</p>")


def _threshold_cell(cmp: Comparison, proposal: str, metric: str) -> str:
    rows = unc_rows(cmp, proposal, metric).dropna(subset=["threshold"])
    parts = []
    for _, r in rows.iterrows():
        if not finite(r["prob_better_by_threshold"]):
            continue
        what = ("at least as good" if r["threshold"] == 0
                else f"better by {fmt_threshold(metric, r['threshold'])} or more")
        parts.append(f"{what}: {fmt_share(r['prob_better_by_threshold'])}")
    return "<br>".join(html.escape(p) for p in parts)


def _table_row(cmp: Comparison, proposal: str, metric: str, thresholds: bool) -> str:
    central = cmp.row(proposal, metric)
    row = unc_row(cmp, proposal, metric)
    if row is None:
        return ""
    ci = fmt_change(metric, central["diff"], central["diff_ci_low"], central["diff_ci_high"],
                    ci_words=False)
    better = fmt_share(row["prob_better"]) if _has_direction(row) else "\u2013"
    worse = fmt_share(row["prob_worse"]) if _has_direction(row) else "\u2013"
    share = (fmt_share(row["share_assumptions"]) if finite(row["share_assumptions"])
             and float(row["sd"]) > 0 else "\u2013")
    cells = [html.escape(SHOW[metric].label if metric in SHOW else metric), html.escape(ci),
             html.escape(fmt_change_range(metric, row["ui95_low"], row["ui95_high"])),
             better, worse, share]
    if thresholds:
        cells.append(_threshold_cell(cmp, proposal, metric))
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def uncertainty_table(cmp: Comparison) -> str:
    """HTML table: per proposal and key metric, the central difference with its 95% CI, the
    95% uncertainty interval, the chances of better and worse, the share of the spread from
    the assumptions and, with --threshold, the chance of being better by each threshold."""
    thresholds = bool(settings(cmp).get("thresholds"))
    head = ["Outcome", "If the central assumptions hold (95% CI)",
            "Allowing for what is not known (95% UI)", "Better in", "Worse in",
            "Share of the spread from the assumptions"]
    if thresholds:
        head.append("Better by at least a threshold (--threshold)")
    parts = ["<table class='grid small'><tr>" + "".join(f"<th>{h}</th>" for h in head)
             + "</tr>"]
    for proposal in cmp.proposals:
        rows = [_table_row(cmp, proposal, m, thresholds) for m in TABLE_METRICS
                if m in set(cmp.table["metric"])]
        rows = [r for r in rows if r]
        if rows:
            parts.append(f"<tr><th colspan='{len(head)}'>{html.escape(title(proposal))} vs "
                         f"{html.escape(title(cmp.reference))}</th></tr>")
            parts += rows
    parts.append("</table>")
    n = settings(cmp).get("draws", "?")
    return ("".join(parts) + f"<p class='small muted'>Better in / worse in: share of the {n} "
            "plausible cases (draws of the assumptions) in which the proposal did better or "
            "worse than the reference; the rest are ties. The share of the spread not from the "
            "assumptions is simulation noise. Shares in percentage points, times in days; a "
            "median time missing from the table was beyond follow-up in some draw.</p>")
