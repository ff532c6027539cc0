"""The text sections of the committee report, each an HTML fragment built from a Comparison.

Headlines, the at-a-glance list, the key-figures table, the method note and the assumptions
and limits, in the words of `lcsim.reports.format` (with an uncertainty analysis, also of
`lcsim.reports.uncertainty`). `lcsim.reports.comparison` puts them in page order between the
figures, the scenario cards and the subgroup section.
"""

from __future__ import annotations

import html
import math
import os
from pathlib import Path

import lcsim
from lcsim.comparison.result import Comparison
from lcsim.reports.assumed import changed_assumptions
from lcsim.reports.figures import LOAD, constant_value
from lcsim.reports.format import (
    SHOW,
    Show,
    change_html,
    finite,
    fmt_change,
    fmt_interval,
    fmt_value,
    level_change_html,
    title,
    verdict_of,
)
from lcsim.reports.uncertainty import has_uncertainty, headline_lines, method_words

KEY_METRICS = ("graduated_4yr", "graduated_6yr", "attrition", "attrition_academic",
               "attrition_nonacademic", "leave_of_absence", "episodes_per_100",
               "time_to_detection_median_days", "time_to_intervention_median_days",
               "time_to_intervention_p90_days", "helped_within_30d", "helped_within_90d",
               "unhelped_share", "queue_wait_median_days",
               "faculty_load_ratio", "faculty_connected_share", "belonging_mean")
GLANCE = (("graduated_4yr", "4-year graduation"), ("attrition", "attrition"),
          ("helped_within_30d", "episodes helped within 30 days of onset"),
          ("time_to_intervention_median_days", "time to intervention"),
          ("faculty_load_ratio", "faculty load"))


def _help_words(cmp: Comparison, proposal: str, first: bool = True) -> str:
    """Time to help: the shares helped within 30 and 90 days (both levels) and the KM median;
    without ``first``, from 90 days on (the headline then gave the 30 days with what is not
    known)."""
    within = []
    for metric, words in (("helped_within_30d", "Episodes helped within 30 days of onset"),
                          ("helped_within_90d", "within 90 days")):
        if metric == "helped_within_30d" and not first:
            continue
        ref_mean = cmp.row(cmp.reference, metric)["mean"]
        words = words if first else "Episodes helped within 90 days"
        within.append(f"{words}: {level_change_html(cmp.row(proposal, metric), metric, ref_mean)}")
    median = cmp.row(proposal, "time_to_intervention_median_days")
    return (f"{'; '.join(within)}; median time to intervention "
            f"{change_html(median, 'time_to_intervention_median_days')}.")


def headline(cmp: Comparison, proposal: str) -> str:
    """HTML of a proposal's headline: graduation and attrition, time to help, faculty load;
    with an uncertainty analysis, each of the first three also allowing for what is not
    known."""
    ref = title(cmp.reference)
    load_p = cmp.row(proposal, "faculty_load_ratio")["mean"]
    load_r = cmp.row(cmp.reference, "faculty_load_ratio")["mean"]
    load = (f"Faculty load {fmt_value('faculty_load_ratio', load_p)} of protected hours "
            f"({html.escape(ref)} {fmt_value('faculty_load_ratio', load_r)}).")
    if has_uncertainty(cmp):
        lead, *rest = headline_lines(cmp, proposal)
        body = (f"<p class='lead'>{lead}</p>" + "".join(f"<p>{line}</p>" for line in rest)
                + f"<p>{_help_words(cmp, proposal, first=False)}</p>")
    else:
        grad = cmp.row(proposal, "graduated_4yr")
        att = cmp.row(proposal, "attrition")
        first = (f"4-year graduation {change_html(grad, 'graduated_4yr')} vs "
                 f"{html.escape(ref)}; attrition {change_html(att, 'attrition')}.")
        body = f"<p class='lead'>{first}</p><p>{_help_words(cmp, proposal)}</p>"
    return (f"<div class='headline'><h3>{html.escape(title(proposal))}</h3>{body}"
            f"<p>{load}</p></div>")


def glance(cmp: Comparison) -> str:
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


def key_table(cmp: Comparison) -> str:
    """HTML table of the key outcomes: mean, CI and change from the reference per scenario."""
    head = "".join(f"<th>{html.escape(title(n))}</th>" for n in cmp.names)
    rows = []
    present = set(cmp.table["metric"])
    runs = cmp.table.groupby("scenario")["n"].max()  # replications per scenario
    for metric in KEY_METRICS:
        if metric not in present:
            continue
        cells = []
        for name in cmp.names:
            r = cmp.row(name, metric)
            cell = (f"{fmt_value(metric, r['mean'])}<div class='muted small'>"
                    f"{fmt_interval(metric, r['ci_low'], r['ci_high'])}</div>")
            total = int(runs[name])
            if not finite(r["mean"]) and 0 < r["n"] < total:  # a quantile beyond follow-up
                cell = (f"no mean<div class='muted small'>reached in {int(r['n'])} of {total} "
                        "replications; beyond follow-up (or no episodes) in the others</div>")
            if name != cmp.reference:
                short = fmt_change(metric, r["diff"], r["diff_ci_low"], r["diff_ci_high"])
                cell += (f"<div class='small {verdict_of(r)}'>"
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


def method(cmp: Comparison) -> str:
    """HTML note on how the scenarios were simulated: pairing, stopping rule, failures."""
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
            f"{_target_words(m, max((w for w in by.values() if finite(w)), default=math.nan))}"
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
    if has_uncertainty(cmp):
        return (f"<p>{pairing}{extra} Ranges marked \u201c95% CI\u201d are confidence "
                "intervals of the simulation with every assumption at its central value: they "
                "show chance variation between replications. Shares are in percent; changes "
                f"in percentage points.</p>{method_words(cmp)}{fails}")
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


def _interval_limits(cmp: Comparison) -> str:
    """What the ranges of the report cover."""
    if not has_uncertainty(cmp):
        return "<li>Confidence intervals cover chance variation between replications only.</li>"
    fixed = len(cmp.drivers[cmp.drivers["status"] == "fixed prior"]["assumption"].unique()) \
        if cmp.drivers is not None else 0
    return ("<li>Confidence intervals cover chance variation between replications only. The "
            "uncertainty intervals add what the priors say is not known about the assumptions; "
            "they do not cover doubts about the model's structure, assumptions a scenario sets "
            f"itself, or the {fixed} assumptions whose prior is fixed (scales and bounds).</li>")


def assumptions(cmp: Comparison) -> str:
    """HTML list of the model's assumptions and limits, and the assumptions the scenarios (or
    a priors file) changed."""
    pop = cmp.scenarios[0].population
    return (
        "<ul>"
        "<li>This is a simulation model. Its numbers compare structures under the same "
        "assumptions; they are not forecasts for a particular school.</li>"
        "<li>Many effects of learning-community features (how often a coach or a peer notices "
        "a struggling student, how belonging protects) have no published estimate; they are "
        f"marked as assumptions in {_model_doc_link(cmp.directory)}, which documents the "
        "model, its sources and calibration. Differences between proposals depend on them.</li>"
        "<li>No study measures what learning communities do to retention in medical school; "
        "trials of support programmes elsewhere find 0-15% less leaving. The model's effects "
        "of support are anchored to that range, not measured: with no effect of support at all "
        "every structure keeps the same students, and only who notices and how soon help comes "
        "differ.</li>"
        f"{_interval_limits(cmp)}"
        f"{changed_assumptions(cmp)}"
        f"<li>Simulated school: {pop.cohorts} entering classes of {pop.class_size}, each "
        f"followed for {pop.follow_up_years} years.</li>"
        "<li>Times to being noticed and to intervention are Kaplan–Meier estimates: episodes "
        "that end before help (recovery, leaving, end of follow-up) count as censored, not as "
        "fast or slow help. The shares helped within 30 and 90 days of onset are of all "
        "episodes: one that ends first in recovery, a leave or leaving school counts as not "
        "helped (a cumulative incidence with competing risks, Aalen–Johansen); only episodes "
        "still open at the end of follow-up are censored.</li>"
        "<li>Faculty load counts the hours the structure asks of faculty (meetings, small-group "
        "sessions, cases) against the hours it protects; a value above 1 means the plan needs "
        "more time than it protects.</li>"
        "</ul>")


def same_everywhere(cmp: Comparison) -> str:
    """Say in words what is not plotted because it is identical everywhere."""
    notes = []
    for panel in LOAD:
        value = constant_value(cmp.table, panel.metric)
        if value is None:
            continue
        note = (f"{SHOW[panel.metric].label} is {fmt_value(panel.metric, value)} in every "
                "scenario and replication")
        if panel.metric == "queue_wait_median_days" and value == 0:
            note += " (referred students never waited for a free faculty member)"
        notes.append(note + ", so it is not plotted.")
    return f"<p>{html.escape(' '.join(notes))}</p>" if notes else ""
