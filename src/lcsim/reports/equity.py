"""The 'for whom' section of the committee report: outcomes by student subgroup.

Unlike the other sections it does not read comparison.csv: it recomputes attrition and
4-year graduation per subgroup and replication from each scenario's students.parquet and
pairs proposals with the reference replication by replication.
"""

from __future__ import annotations

import html

import pandas as pd

from lcsim.comparison.result import Comparison
from lcsim.outcomes.registry import ON_TIME_SLACK
from lcsim.reports.format import change_html, fmt_interval, fmt_value, plain_words, title
from lcsim.stats.analysis import mean_ci, paired_difference

SUBGROUP_LABELS = {"urim": "URiM", "low_income": "Low income", "none": "Other students"}
SUBGROUP_WORDS = {"urim": "URiM", "low_income": "low-income"}


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


def equity(cmp: Comparison) -> str:
    """HTML of the subgroup section: attrition and 4-year graduation tables, student mix."""
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
                    cell += f"<div class='small'>{change_html(row, 'attrition')}</div>"
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
                            f"{SUBGROUP_WORDS.get(g, plain_words(g))} students" for g in named)
        gap = (f"<p>In {html.escape(title(cmp.reference))}, {html.escape(said)} leave without "
               f"graduating, against {fmt_value('attrition', ref_rates['none'])} of other "
               "students.</p>")
    return gap + (f"<p>Student mix: {html.escape(mix)}. Each cell: mean over replications (95% CI);"
            f" below it, the change from {html.escape(title(cmp.reference))} in percentage "
            "points, paired by replication.</p>" + "".join(tables))
