"""`lcsim story --pick`: choose an example student reproducibly among the traced ones.

A run's picks (the reference's, in a comparison): ``left`` (withdrew or dismissed), ``late``
(an episode helped more than 90 days after onset), ``unhelped`` (an episode that ended in a
leave or a withdrawal without help), ``helped-late`` (helped, but later than the median help of
the replication). A comparison's picks: ``saved`` (left under the reference, graduated under a
proposal) and ``earlier`` (an episode with the same onset, helped at least 60 days earlier
under a proposal). Among the candidates the one with the smallest keyed hash of (seed, pick,
replication, student) is chosen, so a pick does not depend on the order of the tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lcsim.reports.story import StoryError, events_path, scenario_dirs

RUN_PICKS = ("left", "late", "unhelped", "helped-late")
PAIRED_PICKS = ("saved", "earlier")
PICKS = RUN_PICKS + PAIRED_PICKS
LATE_DAYS = 90.0
EARLIER_DAYS = 60.0
LEFT = ("withdrawn", "dismissed")


def pick_key(seed: int, pick: str, replication: int, student: int) -> int:
    """A stable 64-bit key (not Python's salted hash) of one candidate."""
    text = f"{seed}/{pick}/{replication}/{student}".encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def traced_students(directory: Path, replication: int) -> set[int]:
    """The students of ``replication`` with events in ``directory``."""
    events = pd.read_parquet(events_path(directory), columns=["student"],
                             filters=[("replication", "==", replication)])
    return set(events["student"].unique().tolist())


PICK_COLUMNS = {"students": ("replication", "student", "status"),
                "episodes": ("replication", "student", "onset", "intervention_start",
                             "ended_at", "outcome")}


def _table(directory: Path, name: str, replication: int) -> pd.DataFrame:
    return pd.read_parquet(directory / f"{name}.parquet",
                           filters=[("replication", "==", replication)])


def run_candidates(pick: str, students: pd.DataFrame, episodes: pd.DataFrame) -> set[int]:
    """The students of one replication's tables that fit a run's pick."""
    if pick == "left":
        return set(students.loc[students["status"].isin(LEFT), "student"].tolist())
    delay = episodes["intervention_start"] - episodes["onset"]
    if pick == "late":
        chosen = episodes[delay > LATE_DAYS]
    elif pick == "unhelped":
        chosen = episodes[episodes["intervention_start"].isna()
                          & episodes["outcome"].isin(["loa", "withdrew"])]
    elif pick == "helped-late":
        median = float(delay.median()) if delay.notna().any() else np.inf
        chosen = episodes[delay > median]
    else:
        raise StoryError(f"--pick {pick} is not a pick of a run (choose from "
                         f"{', '.join(RUN_PICKS)})")
    return set(chosen["student"].tolist())


def paired_candidates(pick: str, ref: dict[str, pd.DataFrame],
                      proposal: dict[str, pd.DataFrame]) -> set[int]:
    """The students that fit a comparison's pick, reference against one proposal."""
    if pick == "saved":
        both = ref["students"].merge(proposal["students"], on="student", suffixes=("", "_p"))
        chosen = both[both["status"].isin(LEFT) & (both["status_p"] == "graduated")]
        return set(chosen["student"].tolist())
    if pick != "earlier":
        raise StoryError(f"--pick {pick} is not a pick of a comparison (choose from "
                         f"{', '.join(PICKS)})")
    cols = ["student", "onset", "intervention_start", "ended_at"]
    a, b = ref["episodes"][cols].copy(), proposal["episodes"][cols].copy()
    a["day"], b["day"] = a["onset"].round(6), b["onset"].round(6)
    both = a.merge(b, on=["student", "day"], suffixes=("", "_p"))
    reference_help = both["intervention_start"].fillna(both["ended_at"])
    helped = both["intervention_start_p"].notna()
    chosen = both[helped & (reference_help - both["intervention_start_p"] >= EARLIER_DAYS)]
    return set(chosen["student"].tolist())


def _found(pick: str, names: list[str], tables: dict[str, dict[str, pd.DataFrame]],
           proposals: Sequence[str] | None) -> set[int]:
    """The candidates of one replication (``tables``: each scenario's students, episodes)."""
    ref = tables[names[0]]
    if pick in RUN_PICKS:
        return run_candidates(pick, ref["students"], ref["episodes"])
    wanted = [n for n in names[1:] if proposals is None or n in proposals]
    return set().union(*(paired_candidates(pick, ref, tables[n]) for n in wanted))


def _check(directory: Path, pick: str) -> list[tuple[str, Path]]:
    dirs = scenario_dirs(directory)
    if pick not in PICKS:
        raise StoryError(f"unknown pick {pick!r} (choose from {', '.join(PICKS)})")
    if pick in PAIRED_PICKS and len(dirs) < 2:
        raise StoryError(f"--pick {pick} compares scenarios: {directory} is a run, not a "
                         "comparison")
    return dirs


def _choose(found: set[int], seed: int, pick: str, replication: int) -> int | None:
    return min(found, key=lambda s: pick_key(seed, pick, replication, s)) if found else None


def pick_student(directory: Path, replication: int, pick: str, seed: int = 0,
                 proposals: Sequence[str] | None = None) -> int | None:
    """The picked traced student of ``replication`` (None if no traced student qualifies).

    ``proposals`` limits a comparison's picks to those proposals (default: any of them).
    """
    dirs = _check(directory, pick)
    tables = {name: {t: _table(path, t, replication) for t in ("students", "episodes")}
              for name, path in dirs}
    found = _found(pick, [n for n, _ in dirs], tables, proposals)
    return _choose(found & traced_students(dirs[0][1], replication), seed, pick, replication)


def first_pick(directory: Path, pick: str, seed: int = 0,
               proposals: Sequence[str] | None = None) -> tuple[int, int] | None:
    """(replication, student) of the first replication with a traced candidate (None if none).

    Reads each table once, only the columns the picks use, and only the reference and
    ``proposals`` (the report's stories search every replication of each proposal: reading
    whole tables of every scenario took the report's memory to ~500 MB at 100 replications).
    """
    dirs = _check(directory, pick)
    dirs = [dirs[0], *((n, p) for n, p in dirs[1:] if proposals is None or n in proposals)]
    names = [n for n, _ in dirs]
    full = {name: {t: pd.read_parquet(path / f"{t}.parquet", columns=list(PICK_COLUMNS[t]))
                   for t in PICK_COLUMNS}
            for name, path in dirs}
    events = pd.read_parquet(events_path(dirs[0][1]), columns=["replication", "student"])
    traced = events.drop_duplicates().groupby("replication")["student"].agg(set)
    for rep, students in traced.items():
        tables = {n: {t: df[df["replication"] == rep] for t, df in full[n].items()}
                  for n in names}
        chosen = _choose(_found(pick, names, tables, proposals) & students, seed, pick,
                         int(rep))
        if chosen is not None:
            return int(rep), chosen
    return None
