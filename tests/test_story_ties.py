"""Ties formed and lost in a student's story: each told in a quiet year, summed up in a busy
one, none after the student left."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lcsim import api
from lcsim.reports.story_ties import tie_lines
from test_story import _hand_built

TIES = [(7, 400.0, "tie_formed", 412, "community"), (7, 520.0, "tie_lost", 412, "community"),
        (7, 740.0, "tie_formed", 9, "community"), (7, 760.0, "tie_formed", 10, "class"),
        (7, 761.0, "tie_formed", 11, "community"), (7, 800.0, "tie_lost", 9, "community"),
        (7, 900.0, "tie_formed", 700, "vertical"), (7, 1100.0, "tie_formed", 12, "class"),
        (7, 1300.0, "tie_lost", 10, "class")]  # the last after the withdrawal (day 1165)


def _with_ties(directory: Path) -> Path:
    run = _hand_built(directory)
    events = pd.read_parquet(run / "events.parquet")
    ties = pd.DataFrame(TIES, columns=["student", "day", "kind", "other", "detail"])
    ties = ties.assign(replication=0, episode=-1, value=1.0)[events.columns]
    pd.concat([events, ties]).to_parquet(run / "events.parquet", index=False)
    return run


def test_ties_are_told_one_by_one_or_summed_up_by_school_year(tmp_path: Path) -> None:
    text = api.story(_with_ties(tmp_path / "run"), student=7).text()
    lines = [line.strip() for line in text.splitlines()]
    assert "year 1, week 6     became friends with student 412 (community)" in lines
    assert "year 1, week 23    lost touch with student 412 (community)" in lines
    assert ("year 2, week 2     formed 4 ties in year 2: 2 community, 1 class, 1 vertical; "
            "lost 1: 1 community") in lines
    assert "year 3, week 1     became friends with student 12 (class)" in lines
    assert "student 10 (class)" not in text and "lost touch with student 9" not in text
    assert text.index("student 412 (community)") < text.index("an academic setback")


def test_a_year_of_only_lost_ties_says_so() -> None:
    events = pd.DataFrame({"kind": ["tie_lost"] * 4, "day": [10.0, 20.0, 30.0, 40.0],
                           "other": [1, 2, 3, 4], "detail": ["class"] * 3 + ["mentor"]})
    assert tie_lines(events, 0.0, float("nan"), 365.0) == [
        (10.0, "lost in year 1 4: 3 class, 1 mentor")]
    assert tie_lines(events.iloc[:0], 0.0, float("nan"), 365.0) == []


def test_a_traced_run_tells_ties(tmp_path: Path) -> None:
    scenarios = Path(__file__).resolve().parents[1] / "scenarios"
    spec = tmp_path / "lc.yaml"
    spec.write_text(f"extends: {scenarios / 'equity-lc'}.yaml\nname: lc\n"
                    "population: {class_size: 40, cohorts: 2}\n")
    out = tmp_path / "run"
    api.run(spec, out=out, replications=1, seed=3, workers=1, progress=False, trace="all")
    events = pd.read_parquet(out / "events.parquet")
    sid = int(events.loc[events["kind"] == "tie_formed", "student"].iloc[0])
    text = api.story(out, student=sid).text()
    assert "formed" in text or "became friends with student" in text
