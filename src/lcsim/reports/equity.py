"""The 'for whom' section of the committee report: outcomes by student subgroup.

Unlike the other sections it does not read comparison.csv: it takes attrition, 4-year
graduation and the share of isolated students (at most one friend after year 1) per subgroup
and replication from each scenario's students.parquet
(`lcsim.outcomes.students.group_rates`, the formulas of the metrics) and pairs proposals with
the reference replication by replication.
"""

from __future__ import annotations

import html

import pandas as pd
import pyarrow.parquet as pq

from lcsim.comparison.result import Comparison
from lcsim.outcomes.students import group_rates
from lcsim.reports.format import change_html, fmt_interval, fmt_value, plain_words, title
from lcsim.stats.differences import paired_difference
from lcsim.stats.intervals import mean_ci

SUBGROUP_LABELS = {"urim": "URiM", "low_income": "Low income", "none": "Other students"}
SUBGROUP_WORDS = {"urim": "URiM", "low_income": "low-income"}
MEASURES = (("attrition", "Attrition (left without graduating)"),
            ("graduated_4yr", "Graduated within 4 years"),
           ("isolated_share", "At most one friend at the end of year 1 (students enrolled then)"))
STUDENT_COLUMNS = ["replication", "subgroup", "status", "years_to_graduate", "loa_count",
                   "ties_year1"]


def subgroup_label(group: str) -> str:
    """A subgroup's name for readers: 'urim' -> 'URiM', 'none' -> 'Other students'."""
    return SUBGROUP_LABELS.get(group, title(group))


def _by_replication(rates: pd.DataFrame, group: str, measure: str) -> pd.Series:
    return rates[rates["subgroup"] == group].set_index("replication")[measure]


def _cell(rates: dict[str, pd.DataFrame], cmp: Comparison, name: str, group: str,
          measure: str) -> str:
    """One table cell: mean (95% CI) and, for a proposal, the paired change from the reference."""
    mine = _by_replication(rates[name], group, measure)
    m, lo, hi = mean_ci(mine.to_numpy())
    cell = (f"{fmt_value('attrition', m)} <span class='muted small'>"
            f"({fmt_interval('attrition', lo, hi)})</span>")
    if name != cmp.reference:
        base = _by_replication(rates[cmp.reference], group, measure)
        both = pd.concat([base, mine], axis=1, keys=["b", "m"])
        d = paired_difference(both["b"].to_numpy(), both["m"].to_numpy())
        row = pd.Series({"diff": d["diff"], "diff_ci_low": d["ci_low"],
                         "diff_ci_high": d["ci_high"],
                         "higher_is_better": measure == "graduated_4yr"})
        cell += f"<div class='small'>{change_html(row, 'attrition')}</div>"
    return f"<td>{cell}</td>"


def _table(rates: dict[str, pd.DataFrame], cmp: Comparison, groups: list[str], measure: str,
           words: str) -> str:
    head = "".join(f"<th>{html.escape(subgroup_label(g))}</th>" for g in groups)
    body = []
    for name in cmp.names:
        cells = ("".join(_cell(rates, cmp, name, g, measure) for g in groups)
                 if name in rates else "<td>n/a</td>" * len(groups))
        body.append(f"<tr><th class='row'>{html.escape(title(name))}</th>{cells}</tr>")
    return (f"<h3>{words}</h3><table class='grid'><tr><th>Scenario</th>{head}</tr>"
            f"{''.join(body)}</table>")


def _gap(ref_rates: pd.Series, groups: list[str], reference: str) -> str:
    """A sentence on the reference's attrition of named subgroups against other students."""
    named = [g for g in groups if g != "none" and g in ref_rates]
    if not named or "none" not in ref_rates:
        return ""
    said = " and ".join(f"{fmt_value('attrition', ref_rates[g])} of "
                        f"{SUBGROUP_WORDS.get(g, plain_words(g))} students" for g in named)
    return (f"<p>In {html.escape(title(reference))}, {html.escape(said)} leave without "
            f"graduating, against {fmt_value('attrition', ref_rates['none'])} of other "
            "students.</p>")


def equity(cmp: Comparison) -> str:
    """HTML of the subgroup section: attrition and 4-year graduation tables, student mix."""
    rates = {}
    for name in cmp.names:
        path = cmp.directory / name / "students.parquet"
        if path.is_file():
            have = set(pq.read_schema(path).names)  # older tables have no ties_year1
            rates[name] = group_rates(pd.read_parquet(
                path, columns=[c for c in STUDENT_COLUMNS if c in have]))
    if cmp.reference not in rates:
        return "<p class='muted'>No student table stored.</p>"
    groups = sorted({g for r in rates.values() for g in r["subgroup"]},
                    key=lambda g: (g == "none", g))
    tables = [_table(rates, cmp, groups, measure, words) for measure, words in MEASURES
              if rates[cmp.reference][measure].notna().any()]
    ref = rates[cmp.reference]
    share = ref.groupby("subgroup")["students"].sum()
    share = share / share.sum()
    mix = ", ".join(f"{subgroup_label(g)} {100 * share.get(g, 0):.0f}%" for g in groups)
    gap = _gap(ref.groupby("subgroup")["attrition"].mean(), groups, cmp.reference)
    return gap + (f"<p>Student mix: {html.escape(mix)}. Each cell: mean over replications (95% CI);"
            f" below it, the change from {html.escape(title(cmp.reference))} in percentage "
            "points, paired by replication.</p>" + "".join(tables))
