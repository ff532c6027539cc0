"""Ties formed and lost, in a student's story (the ``tie_formed`` / ``tie_lost`` events).

A school year with few tie events tells each ("became friends with student 412 (community)");
a busier one is summed up in one line at its first tie event ("formed 6 ties in year 1:
4 community, 2 class; lost 1: 1 vertical"). Tie events after the student left (their ties
fading once contact stopped) are left out. `story.chronology` places the lines.
"""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd

TIE_KINDS = ("tie_formed", "tie_lost")
TIE_LIST = 3  # a school year with more tie events than this is summed up in one line
TIE_WORDS = {"tie_formed": "became friends with student {other} ({detail})",
             "tie_lost": "lost touch with student {other} ({detail})"}


def _counts(group: pd.DataFrame) -> str:
    """'4 community, 2 class': each context's count, the largest first."""
    counts = Counter(group["detail"]).most_common()
    return ", ".join(f"{n} {name}" for name, n in sorted(counts, key=lambda c: (-c[1], c[0])))


def _summary(year: int, group: pd.DataFrame) -> str:
    formed = group[group["kind"] == "tie_formed"]
    lost = group[group["kind"] == "tie_lost"]
    parts = []
    if len(formed):
        parts.append(f"formed {len(formed)} tie{'s' * (len(formed) != 1)} in year {year}: "
                     f"{_counts(formed)}")
    if len(lost):
        parts.append(f"{'lost' if parts else f'lost in year {year}'} {len(lost)}: "
                     f"{_counts(lost)}")
    return "; ".join(parts)


def tie_lines(events: pd.DataFrame, entry: float, left: float,
              year_days: float) -> list[tuple[float, str]]:
    """(day, text) of the student's tie events up to the day they `left` (NaN: never)."""
    ties = events[events["kind"].isin(TIE_KINDS)]
    if not math.isnan(left):
        ties = ties[ties["day"] <= left]
    if ties.empty:
        return []
    ties = ties.sort_values("day", kind="stable")
    since = ties["day"] - entry
    whole = (since // year_days).astype(int)
    at_end = (whole > 0) & (since - whole * year_days < 1e-6)  # "end of year N", as `when`
    year = whole.where(at_end, whole + 1)
    lines: list[tuple[float, str]] = []
    for y, group in ties.groupby(year, sort=True):
        if len(group) > TIE_LIST:
            lines.append((float(group["day"].iloc[0]), _summary(int(y), group)))
            continue
        lines.extend((float(ev.day), TIE_WORDS[ev.kind].format(other=int(ev.other),
                                                               detail=ev.detail))
                     for ev in group.itertuples())
    return lines
