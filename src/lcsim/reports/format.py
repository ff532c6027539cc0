"""How the committee report says numbers and names: plain labels, units and signed changes.

Every section of `report.html` writes metrics the same way (shares in %, changes in
percentage points, times in days, 'no clear difference' when a CI spans 0); keeping those
rules in one module keeps the headline, tables and subgroup section consistent.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lcsim.outcomes.registry import subgroup_family


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
    "helped_within_30d": Show("Episodes helped within 30 days of onset", "share"),
    "helped_within_90d": Show("Episodes helped within 90 days of onset", "share"),
    "unhelped_share": Show("Episodes that never reached help", "share"),
    "faculty_load_ratio": Show("Faculty load (hours needed / protected)", "ratio"),
    "queue_wait_median_days": Show("Median wait from referral to help", "days"),
    "belonging_mean": Show("Belonging at end of year 2 (0-1)", "score"),
    "peer_ties_mean": Show("Peer ties at end of year 2", "number"),
    "faculty_connected_share": Show("Students with a faculty connection in year 1", "share"),
    "identity_mean": Show("Professional identity at end of year 2 (0-1)", "score"),
    "clinical_skills_mean": Show("Clinical skills at end of year 2 (0-1)", "score"),
    "isolated_share": Show("Students with at most one friend after year 1", "share"),
    "ties_p10_year1": Show("Friends after year 1, lowest 10%", "number"),
    "friend_exit_attrition": Show("Attrition of students who lost a friend who left", "share"),
    "no_friend_exit_attrition": Show("Attrition of students who lost no friend who left",
                                     "share"),
    "unmatched_mentee_share": Show("Mentee-years without a peer mentor", "share"),
    "mentor_lost_share": Show("Mentee-years whose peer mentor stopped", "share"),
}
MINUS = "\u2212"


def title(name: str) -> str:
    """A scenario name for readers: 'small-group-lc' -> 'Small group LC'."""
    words = name.replace("_", " ").replace("-", " ").split()
    words = [w.upper() if w.lower() in {"lc", "lcs", "urim"} else w for w in words]
    text = " ".join(words) or name
    return text[0].upper() + text[1:]


def finite(*xs: Any) -> bool:
    """Whether every value is a finite number (not None, NaN or infinite)."""
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
    return 2 if all(abs(x) < 0.1 for x in xs if finite(x)) else 1


def _day_digits(*xs: float) -> int:
    return 1 if all(abs(x) < 10 for x in xs if finite(x)) else 0


def _kind(metric: str) -> str:
    """How a metric reads: share, days, ratio, score or number (a per-subgroup metric: as the
    metric it splits)."""
    return SHOW.get(subgroup_family(metric) or metric, Show(metric, "number")).kind


def fmt_value(metric: str, x: float) -> str:
    """A metric's mean in report units (% for shares, days for times)."""
    if not finite(x):
        return "n/a"
    kind = _kind(metric)
    if kind == "share":
        return f"{100 * x:.1f}%"
    if kind == "days":
        return f"{x:.0f} days"
    if kind in ("ratio", "score"):
        return f"{x:.2f}" if kind == "ratio" else f"{x:.3f}"
    return f"{x:.1f}"


def fmt_interval(metric: str, low: float, high: float) -> str:
    """A CI of a mean in report units. A share's mean lies in [0, 1], so its t interval is shown
    cut to that range (which can only raise its coverage); the stored tables keep it whole."""
    if not finite(low, high):
        return ""
    if _kind(metric) == "share":
        low, high = max(low, 0.0), min(high, 1.0)
    a, b = fmt_value(metric, low), fmt_value(metric, high)
    return f"{a.removesuffix(' days')} to {b}"


def _change_parts(kind: str, d: float, low: float, high: float) -> tuple[str, str]:
    """A finite difference and its CI (``""`` without one) in the words of its kind of unit."""
    has_ci = finite(low, high)
    if kind == "days":
        k = _day_digits(d, low, high)
        text = f"{_plain(abs(d), k)} days {'shorter' if d < 0 else 'longer'}"
        if not has_ci:
            return text, ""
        if high < 0:
            return text, f"{_plain(abs(high), k)} to {_plain(abs(low), k)}"
        if low > 0:
            return text, f"{_plain(low, k)} to {_plain(high, k)}"
        return text, f"{_plain(abs(low), k)} shorter to {_plain(high, k)} longer"
    if kind == "share":
        k = _pts_digits(100 * d, 100 * low, 100 * high)
        ci = f"{_signed(100 * low, k)} to {_signed(100 * high, k)}" if has_ci else ""
        return f"{_signed(100 * d, k)} points", ci
    k = {"score": 3, "ratio": 2}.get(kind, 1)
    return _signed(d, k), f"{_signed(low, k)} to {_signed(high, k)}" if has_ci else ""


def change_parts(metric: str, d: float, low: float, high: float) -> tuple[str, str]:
    """A difference and its CI apart, in report units: ('+1.2 points', '+0.6 to +1.8'),
    ('23 days shorter', '17 to 30'); ('not available', '') without a value, and the CI ''
    without one."""
    if not finite(d):
        return "not available", ""
    return _change_parts(_kind(metric), d, low, high)


def fmt_change(metric: str, d: float, low: float, high: float, ci_words: bool = True,
               inline: bool = False) -> str:
    """A difference in plain words: '+1.2 points (95% CI +0.6 to +1.8)', '23 days shorter ...'.

    ``inline`` joins the CI with a comma ('+1.2 points, 95% CI +0.6 to +1.8'), for text that is
    itself in parentheses.
    """
    if not finite(d):
        return "not available"
    if finite(low, high) and d == 0 and low == 0 and high == 0:
        return ("no change: identical in every replication" if inline
                else "no change (identical in every replication)")
    text, ci = _change_parts(_kind(metric), d, low, high)
    prefix = "95% CI " if ci_words else ""
    if not ci:
        return text
    return f"{text}, {prefix}{ci}" if inline else f"{text} ({prefix}{ci})"


def verdict_of(row: pd.Series) -> str:
    """'better', 'worse', 'unclear' (CI spans 0) or 'none' (no preferred direction)."""
    lo, hi, d = row["diff_ci_low"], row["diff_ci_high"], row["diff"]
    if not finite(lo, hi, d) or lo <= 0 <= hi:
        return "unclear"
    hib = row["higher_is_better"]
    if hib is None or (isinstance(hib, float) and math.isnan(hib)):
        return "none"
    return "better" if (d > 0) == bool(hib) else "worse"


def change_html(row: pd.Series, metric: str) -> str:
    """A comparison row's change as HTML, coloured by verdict (better/worse/unclear)."""
    verdict = verdict_of(row)
    text = html.escape(fmt_change(metric, row["diff"], row["diff_ci_low"],
                                  row["diff_ci_high"]))
    note = " <span class='muted'>(no clear difference)</span>" if _unclear(row, verdict) else ""
    return f"<span class='{verdict}'>{text}</span>{note}"


def _unclear(row: pd.Series, verdict: str) -> bool:
    """Whether to say 'no clear difference': the CI spans 0 and the change is not exactly 0
    (nor missing: 'not available' says it)."""
    return verdict == "unclear" and finite(row["diff"]) and not (
        row["diff"] == 0 and row["diff_ci_low"] == 0 and row["diff_ci_high"] == 0)


def level_change_html(row: pd.Series, metric: str, reference_mean: float) -> str:
    """Both levels and the change: '6.7% \u2192 32.1% (+25.4 points, 95% CI +23.6 to +27.3)',
    the change coloured by verdict as in `change_html`."""
    verdict = verdict_of(row)
    levels = f"{fmt_value(metric, reference_mean)} \u2192 {fmt_value(metric, row['mean'])}"
    text = html.escape(fmt_change(metric, row["diff"], row["diff_ci_low"], row["diff_ci_high"],
                                  inline=True))
    note = "; <span class='muted'>no clear difference</span>" if _unclear(row, verdict) else ""
    return f"{levels} (<span class='{verdict}'>{text}</span>{note})"


def plain_words(name: str) -> str:
    """A setting name in words: 'notice_prob' -> 'notice chance'."""
    return " ".join("chance" if w == "prob" else w for w in name.split("_"))


def fmt_change_range(metric: str, low: float, high: float) -> str:
    """A range of differences in report units: '\u22120.8 to +7.0 points', '3 to 9 days
    shorter', '5 days shorter to 2 longer' (an uncertainty interval, without a central value)."""
    if not finite(low, high):
        return "not available"
    kind = _kind(metric)
    _, ci = _change_parts(kind, (low + high) / 2, low, high)
    if kind == "share":
        return f"{ci} points"
    if kind == "days":
        if high < 0:
            return f"{ci} days shorter"
        if low > 0:
            return f"{ci} days longer"
        return ci.replace(" shorter", " days shorter", 1)
    return ci


def fmt_share(p: float) -> str:
    """A probability in whole percent that never rounds a 'some' to 'none' or 'all':
    0.996 -> '>99%', 0.004 -> '<1%', 1.0 -> '100%'."""
    if not finite(p):
        return "n/a"
    pct = 100 * p
    if 0 < pct < 0.5:
        return "<1%"
    if 99.5 <= pct < 100:
        return ">99%"
    return f"{pct:.0f}%"


def fmt_threshold(metric: str, threshold: float) -> str:
    """A --threshold in report units: 0.01 of a share -> '1.0 point', 7 (days) -> '7 days'."""
    kind = _kind(metric)
    if kind == "share":
        pts = 100 * abs(threshold)
        return f"{pts:.{_pts_digits(pts)}f} point{'' if pts == 1 else 's'}"
    if kind == "days":
        return f"{abs(threshold):g} days"
    return f"{abs(threshold):g}"
