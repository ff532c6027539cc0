"""The committee report of a comparison: one self-contained `report.html` from stored results.

`write_report(DIR)` reads only what `lcsim compare` stored (comparison.csv/json,
compare.json, and each scenario's runs.csv, students.parquet, episodes.parquet,
scenario.resolved.yaml and manifest.json); it never runs the model. Figures are embedded as
base64 PNG data URIs (also saved under DIR/figures/), styles are inline, and there are no
external links to fetch, so the file opens offline in any browser and can be e-mailed.

This module assembles the page; its parts live in `lcsim.reports.format` (numbers and names in
words), `.sections` (text sections), `.cards` (what each proposal changes), `.equity`
(subgroups), `.stories` (paired stories of traced students), `.figures` (figures), `.provenance` and, with an uncertainty analysis
(`--uncertainty N`), `.uncertainty` (intervals and chances in words), `.unknown` (the section
"What is not known"), `.tornado` (what drives each difference) and `.assumed` (the assumptions a
scenario or a priors file changed, listed in every report).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import lcsim
from lcsim.comparison.result import Comparison, load
from lcsim.experiment.atomic import atomic_write_text
from lcsim.reports.cards import card
from lcsim.reports.equity import equity
from lcsim.reports.figures import draw_figures, embed_png
from lcsim.reports.format import title
from lcsim.reports.provenance import provenance
from lcsim.reports.sections import (
    assumptions,
    glance,
    headline,
    key_table,
    method,
    same_everywhere,
)
from lcsim.reports.stories import stories
from lcsim.reports.unknown import unknown_section

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
ol.measure li{margin:0 0 8px}
pre.story{font-size:12px;line-height:1.35;background:#fafafa;border:1px solid #e3e3e3;
padding:8px 10px;overflow-x:auto}h4{font-size:14.5px;margin:12px 0 4px}
"""


def render(cmp: Comparison, figures: Mapping[str, bytes]) -> str:
    """The report as one HTML string."""
    ref = html.escape(title(cmp.reference))
    names = ", ".join(html.escape(title(n)) for n in cmp.proposals)

    def fig(name: str, caption: str) -> str:
        if name not in figures:
            return ""
        return (f"<figure>{embed_png(figures[name], caption)}<figcaption>{caption}</figcaption>"
                "</figure>")

    sections = [
        f"<h1>Learning-community proposals compared with {ref}</h1>",
        f"<p class='muted'>Proposals: {names}. Simulated with lcsim "
        f"{html.escape(lcsim.__version__)}.</p>",
        "<h2>Headlines</h2>",
        *(headline(cmp, p) for p in cmp.proposals),
        glance(cmp),
        method(cmp),
        unknown_section(cmp, figures),
        "<h2>What each proposal changes</h2><div class='cards'>",
        *(card(cmp, sc) for sc in cmp.scenarios), "</div>",
        "<h2>Differences from the reference</h2>",
        fig("forest", f"Change from {ref} with 95% CI, paired by replication. Shares in "
            "percentage points, times in days."),
        "<h2>Time to intervention</h2>",
        fig("time_to_intervention", "Share of difficulty episodes in which help (an "
            "intervention) had started, by days since the difficulty began (cumulative "
            "incidence, all replications pooled: an episode that ends first in recovery, a "
            "leave or leaving school counts as not helped). Higher is better; the dotted line "
            "marks 30 days, and the legend gives the share helped within 30 days (mean over "
            "replications)."),
        "<h2>Retention and key figures</h2>",
        fig("retention", "Mean and 95% CI over replications; the dotted line marks "
            f"{ref}."),
        key_table(cmp),
        "<h2>Who notices students in difficulty</h2>",
        fig("detection_channels", "Share of noticed difficulty episodes by who noticed them "
            "first (mean over replications)."),
        "<h2>Faculty load</h2>",
        fig("faculty_load", "Mean and 95% CI. Faculty load: faculty hours the structure "
            "demands (meetings, small-group sessions, cases) divided by the hours protected "
            "for them; the dashed line at 1 means demand equals protected time."),
        same_everywhere(cmp),
        "<h2>For whom: subgroups</h2>", equity(cmp),
        "<h3>Friends at the end of year 1</h3>" if "ties_year1" in figures else "",
        fig("ties_year1", "Share of students with at most a given number of friends in the "
            "simulated peer network at the end of their first year (students enrolled then, "
            "all replications pooled); lower curves mean more friends, and the dotted line "
            "marks one friend (at most: isolated). These ties come from assumptions (contacts "
            "needed to make a friend, the class and community pools, contact rates), not from "
            "data, so read the differences between scenarios, not the levels."),
        stories(cmp),
        "<h2>Assumptions and limits</h2>", assumptions(cmp),
        "<h2>Provenance</h2>", provenance(cmp),
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
    figures = draw_figures(cmp)
    path = directory / "report.html"
    atomic_write_text(path, render(cmp, figures))
    return path
