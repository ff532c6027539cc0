"""The report section "What is not known": the differences over the draws, what drives them
(tornado charts) and what to measure next.

Only a comparison with an uncertainty analysis has it. It reads uncertainty.csv, drivers.csv and
the priors used (their meanings and sources), all stored by `lcsim compare --uncertainty N`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from lcsim.comparison.result import Comparison
from lcsim.reports.assumed import num, prior_words, shipped_priors, used_priors
from lcsim.reports.figures import embed_png, tornado_name
from lcsim.reports.format import SHOW, fmt_share, title
from lcsim.reports.tornado import (
    ALPHA,
    COMMON,
    COMMON_LABEL,
    DRIVING,
    PANELS,
    label,
    standing_out,
    top_drivers,
)
from lcsim.reports.uncertainty import has_uncertainty, settings, uncertainty_table

MEASURE_METRICS = ("graduated_4yr", "attrition", "helped_within_30d")
MEASURE_TOP = 5  # assumptions listed under "what to measure next"
CANDIDATES = 3  # listed (as possibly chance) when none stands out
CAPTION_TOP = 3  # largest shares named in a tornado's caption


@dataclass
class Priority:
    """An assumption worth measuring: the differences it drives, (proposal, metric, share)."""

    name: str
    drives: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def top(self) -> float:
        """Its largest share of any difference."""
        return max(s for *_, s in self.drives)


def _group(rows: pd.DataFrame) -> list[Priority]:
    found: dict[str, Priority] = {}
    for r in rows.itertuples():
        found.setdefault(str(r.assumption), Priority(str(r.assumption))).drives.append(
            (str(r.proposal), str(r.metric), float(r.share)))
    return sorted(found.values(), key=lambda p: (-p.top, p.name))


def priorities(drivers: pd.DataFrame) -> tuple[list[Priority], bool]:
    """The assumptions to measure next and whether they stand out from chance: those whose share
    of a key difference (graduation, attrition, help within 30 days) has Holm p < ALPHA,
    largest share first; if none does, the largest shares, which may be chance."""
    key = drivers[drivers["metric"].isin(MEASURE_METRICS) & drivers["status"].isin(DRIVING)
                  & (drivers["share"] > 0)]
    strong = key[key["p_holm"] < ALPHA]
    if not strong.empty:
        return _group(strong)[:MEASURE_TOP], True
    firsts = key.sort_values("share", ascending=False)
    return _group(firsts.head(CANDIDATES * 2))[:CANDIDATES], False


def possessive(name: str) -> str:
    """'Coached LC' -> "Coached LC's", 'Advisory colleges' -> "Advisory colleges'"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _drives_words(p: Priority) -> str:
    parts = [f"{possessive(title(prop))} difference in {SHOW[m].label.split(' (')[0].lower()} "
             f"({fmt_share(share)})" for prop, m, share in sorted(p.drives, key=lambda d: -d[2])]
    return "Share of the spread it explains: " + "; ".join(parts) + "."


def _common_item(p: Priority, cmp: Comparison) -> str:
    """The list item of the effects of support's common factor (no prior of its own)."""
    rho = settings(cmp).get("effects_of_support_correlation", "?")
    return (f"<li><b>{html.escape(COMMON_LABEL)}</b>: whether support changes what happens to "
            "students at all, the part the twelve effects of support share (they are drawn with "
            f"correlation {rho}, <code>effects_of_support_correlation</code>). "
            f"{html.escape(_drives_words(p))}<br><span class='small'><i>Evidence today:</i> "
            "randomised trials of support programmes outside medical school find 0-15% less "
            "leaving, or nothing; no study measures learning communities' effect on retention "
            "in medical school (effects-evidence.md section 2). A comparison of students in and "
            "out of a community, or before and after one starts, would measure it.</span></li>")


def measure_next(cmp: Comparison) -> str:
    """HTML: the short list of assumptions that matter most, with what each means, the evidence
    it rests on today (its source in the priors used) and the differences it drives."""
    if cmp.drivers is None or cmp.drivers.empty:
        return ""
    found, strong = priorities(cmp.drivers)
    n = settings(cmp).get("draws", "?")
    if not found:
        return ("<p>No assumption explains any part of the key differences' spread over the "
                "draws.</p>")
    priors = used_priors(cmp) or shipped_priors()
    items = []
    for p in found:
        if p.name == COMMON:
            items.append(_common_item(p, cmp))
            continue
        e = priors.entries[p.name]
        items.append(
            f"<li><b><code>{html.escape(p.name)}</code></b>: {html.escape(e.meaning)}. "
            f"{html.escape(_drives_words(p))}<br><span class='small'>Now: central "
            f"{num(e.central)} ({html.escape(e.unit)}), prior {html.escape(prior_words(e))}. "
            f"<i>Evidence today:</i> {html.escape(e.source)}</span></li>")
    if strong:
        intro = ("<p>The assumptions whose share of a key difference (4-year graduation, "
                 "attrition, episodes helped within 30 days) stands out from chance (Holm-"
                 "adjusted p &lt; 0.05), largest share first. Measuring them would narrow the "
                 "uncertainty intervals most:</p>")
    else:
        intro = (f"<p>With {n} draws, no single assumption's share of a key difference (4-year "
                 "graduation, attrition, episodes helped within 30 days) stands out from chance. "
                 "The largest shares are listed as candidates only; more draws "
                 "(<code>--uncertainty</code>) would tell a driver from noise:</p>")
    return f"{intro}<ol class='measure'>{''.join(items)}</ol>"


def _caption(cmp: Comparison, proposal: str) -> str:
    """Per panel, the largest shares and which stand out from chance (the figure in words)."""
    assert cmp.drivers is not None
    n = settings(cmp).get("draws", "?")
    sentences, any_out = [], False
    for panel in PANELS:
        top = top_drivers(cmp.drivers, proposal, panel.metric, CAPTION_TOP)
        if top.empty:
            continue
        largest = ", ".join(f"{label(str(r.assumption))} ({fmt_share(r.share)})"
                            for r in top.itertuples())
        out = standing_out(cmp.drivers, proposal, panel.metric)
        any_out = any_out or not out.empty
        verdict = ("none stands out from chance" if out.empty else
                   "standing out from chance (Holm-adjusted p < 0.05): "
                   + ", ".join(f"{label(str(r.assumption))} ({fmt_share(r.share)})"
                               for r in out.itertuples()))
        sentences.append(f"{panel.title}: largest shares {largest}; {verdict}.")
    if not any_out:
        sentences.append(f"With {n} draws no single assumption stands out from chance (all "
                         "Holm-adjusted p \u2265 0.05): the grey bars are the largest shares, "
                         "which chance alone could give; more draws would tell a driver from "
                         "noise.")
    else:
        sentences.append("Grey bars could be chance.")
    return html.escape(" ".join(sentences))


def _tornados(cmp: Comparison, figures: Mapping[str, bytes]) -> str:
    parts = []
    for proposal in cmp.proposals:
        data = figures.get(tornado_name(proposal))
        if data is None:
            continue
        caption = _caption(cmp, proposal)
        parts.append(f"<figure>{embed_png(data, f'What drives {title(proposal)}')}"
                     f"<figcaption>{caption}</figcaption></figure>")
    if not parts:
        return ""
    s = settings(cmp)
    return ("<h3>What drives each difference</h3><p>Each bar shows how a proposal's difference "
            "moves as one assumption goes from the 10th to the 90th percentile of its prior, "
            "the others varying as drawn (a regression spline fitted to the draws): the bar "
            "spans the lowest to the highest fitted difference, the open dot marks it at the "
            "10th percentile and the filled dot at the 90th. The label gives the share of the "
            "difference's spread over the draws that this assumption explains on its own (a "
            "short bar can still carry a sizeable share when the assumption also acts beyond "
            "the 10th and 90th percentiles). With "
            f"{s.get('draws', '?')} draws and "
            f"{len(s.get('varied') or [])} uncertain assumptions some get sizeable shares by "
            "chance; only the blue bars stand out from it." + _together(s) + "</p>"
            + "".join(parts))


def _together(s: Mapping[str, object]) -> str:
    """A sentence on the correlated effects of support, when the draws correlate them."""
    rho = s.get("effects_of_support_correlation") or 0
    if not isinstance(rho, int | float) or rho <= 0:
        return ""
    return (f" The twelve effects of support are drawn together (correlation {rho:g}: whether "
            "support helps at all is largely one unknown), so each one's share includes what "
            f"it shares with the others, and the shares add up to more than the whole; their "
            f"common part is the bar “{COMMON_LABEL}”.")


def unknown_section(cmp: Comparison, figures: Mapping[str, bytes]) -> str:
    """HTML of the section "What is not known" ('' without an uncertainty analysis)."""
    if not has_uncertainty(cmp):
        return ""
    n = settings(cmp).get("draws", "?")
    return (
        "<h2>What is not known</h2>"
        "<p>The differences above assume every uncertain number of the model is at its central "
        "value. Here the same comparison is repeated over "
        f"{n} plausible sets of those numbers, drawn from their priors: how far each "
        "difference could move, which assumptions move it, and which to measure first.</p>"
        "<h3>Differences allowing for what is not known</h3>" + uncertainty_table(cmp)
        + _tornados(cmp, figures) + "<h3>What to measure next</h3>" + measure_next(cmp))
