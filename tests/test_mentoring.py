"""Near-peer mentors who are students of the mentor class (design §4, §5.3, §7 test 4).

Matching is keyed and fixed once per replication by cohort (`contexts.mentor_matches`), one
mentor class shared by the mentee years it serves; availability (an episode, a leave, an exit)
is checked when it matters (`mentoring.Mentoring`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import FULL_LC, build_scenario
from lcsim.cli.main import main
from lcsim.model.agents import Episode, Student
from lcsim.model.contexts import Roster, SchoolNetwork, mentor_matches
from lcsim.model.mentoring import LOST, MENTEE, UNMATCHED, Mentoring
from lcsim.model.population import build_students
from lcsim.model.rules import Rules
from lcsim.model.simulation import Model
from lcsim.model.streams import Streams
from lcsim.model.structure import Structure
from lcsim.outcomes.compute import compute
from lcsim.outcomes.students import mentee_shares

SHARED = {"mentor_year": 3, "mentee_years": [1, 2], "mentees_per_mentor": 1}


def mentors(changes: dict[str, Any], class_size: int = 8, cohorts: int = 4,
            ) -> tuple[Structure, list[Student], Roster, Streams]:
    sc = build_scenario({"peer_mentoring": {**FULL_LC["peer_mentoring"], **changes}},
                        base=FULL_LC, class_size=class_size, cohorts=cohorts)
    structure, streams = Structure.from_scenario(sc), Streams(7)
    students, _ = build_students(structure, streams)
    return structure, students, Roster(structure, students, streams), streams


# -- the matching: capacity shared by the mentee years ---------------------------------------

def test_one_mentor_class_serves_mentee_years_one_then_two() -> None:
    """Mentor year 3 for years 1 and 2 at one mentee a mentor: cohort c's year-1 mentees take
    all of cohort c - 2's places, so cohort c's year-2 mentees (mentors c - 1) have none, unless
    no cohort c + 1 needs cohort c - 1 for year 1 (the last cohort). Same community."""
    structure, students, r, streams = mentors(SHARED)
    mentee, mentor, which = mentor_matches(structure.network, r, streams)
    c = r.cohort
    assert (c[mentor] == c[mentee] + np.array([1, 2])[which] - 3).all()
    assert (r.community[mentor] == r.community[mentee]).all()
    assert np.bincount(mentor).max() == 1  # the caseload, over both mentee years
    year1 = set(mentee[which == 0].tolist())
    assert year1 == set(range(len(students)))  # every class has its year-1 mentors
    last = 3 * 8
    assert set(mentee[which == 1].tolist()) == set(range(last, 4 * 8))  # only the last cohort

    structure, students, r, streams = mentors({**SHARED, "mentees_per_mentor": 2})
    mentee, mentor, which = mentor_matches(structure.network, r, streams)
    assert len(mentee) == 2 * len(students)  # room for both years
    assert np.bincount(mentor).max() == 2


def test_matching_any_never_leaves_more_mentees_without_a_mentor() -> None:
    """Uneven communities: community 0 has 1 mentor for 3 mentees, community 1 has 3 mentors
    for 1. Within the community 2 mentees get a mentor at one a mentor, across the class 4."""
    structure, _, _, streams = mentors({"mentor_year": 2, "mentee_years": [1],
                                        "mentees_per_mentor": 1})
    r = Roster.__new__(Roster)
    r.real, r.class_size = 8, 4
    r.cohort = np.array([0, 0, 0, 0, 1, 1, 1, 1, -1, -1, -1, -1, -2, -2, -2, -2], np.int16)
    r.community = np.array([0, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1])
    got = {}
    for any_ in (False, True):
        mentee, mentor, _ = mentor_matches(replace(structure.network, match_any=any_), r,
                                           streams)
        got[any_] = len(mentee)
        assert np.bincount(mentor).max() == 1
    assert got == {False: 2 + 2, True: 4 + 4}  # per mentee cohort: 1 + 1 against 4


# -- availability: a mentor in an episode, on leave or gone stops -----------------------------

def test_a_mentor_in_an_episode_on_leave_or_gone_stops_mentoring() -> None:
    structure, students, r, streams = mentors({"mentor_year": 2, "mentee_years": [1]},
                                              cohorts=2)
    mentoring = Mentoring(structure, students, r, streams)
    network = SchoolNetwork(structure, students, streams)
    rules = Rules(structure, np.zeros((len(students), 3)), network, mentoring)
    for s in students[:8]:
        s.year = 2  # calendar year 1: cohort 0 mentors cohort 1
    mentoring.year_start(1, 365.0, students)
    s = students[8]
    m = students[int(mentoring.mentor_of[s.id])]
    assert m.cohort == 0 and (mentoring.counts[8:, MENTEE] == 1).all()
    assert (mentoring.counts[:, UNMATCHED] == 0).all()
    ep = Episode(0, s, "wellbeing", 1, 400.0)

    def channels() -> set[str]:
        return {f.channel for f in rules._flows(s, ep, 1.0, 0.0)}

    with_mentor = rules.belonging(s, 400.0)
    assert mentoring.active(s) and "mentor" in channels()
    m.active = (Episode(1, m, "academic", 2, 390.0),)
    assert not rules.mentored(s) and "mentor" not in channels()
    assert rules.belonging(s, 400.0) == pytest.approx(
        with_mentor - structure.development.belonging_mentor)
    m.active = ()
    assert rules.mentored(s)  # back after the episode
    m.leave_until = 730.0
    assert not rules.mentored(s)
    m.leave_until = None
    m.exit_time = 500.0
    assert not rules.mentored(s)
    mentoring.close(730.0)  # the year ends: one of cohort 1's mentors left during it
    lost = mentoring.counts[:, LOST]
    mine = [t.id for t in students[8:] if mentoring.assigned[0, t.id] == m.id]
    assert lost.sum() == len(mine) and (lost[mine] == 1).all()
    assert not mentoring.had_mentor(s, 1)
    assert all(mentoring.had_mentor(t, 1) for t in students[8:] if t.id not in mine)
    assert not mentoring.active(s) and (mentoring.mentor_of == -1).all()
    assert mentoring.mentees_of(m.id) == []  # and the year's mentees-by-mentor go


def test_mentees_of_lists_this_years_mentees_of_each_mentor() -> None:
    """The reverse of `mentor_of`, for the re-plan when a mentor stops (only model students
    as mentors: the senior classes of day 0 never stop)."""
    structure, students, r, streams = mentors({"mentor_year": 2, "mentee_years": [1]},
                                              cohorts=2)
    mentoring = Mentoring(structure, students, r, streams)
    for s in students[:8]:
        s.year = 2
    mentoring.year_start(1, 365.0, students)
    pairs = {(int(mentoring.mentor_of[t.id]), t.id) for t in students
             if mentoring.mentor_of[t.id] >= 0}
    assert pairs and pairs == {(m, t) for m in range(len(students))
                               for t in mentoring.mentees_of(m)}


def test_a_mentor_who_left_or_is_on_leave_at_the_year_start_leaves_mentees_unmatched() -> None:
    structure, students, r, streams = mentors({"mentor_year": 2, "mentee_years": [1]},
                                              cohorts=2)
    mentoring = Mentoring(structure, students, r, streams)
    for s in students[:8]:
        s.year = 2
    students[0].exit_time, students[1].leave_until = 300.0, 730.0
    students[2].year = 1  # repeats year 1: not in the mentor class
    mentoring.year_start(1, 365.0, students)
    away = {0, 1, 2}
    expect = [int(mentoring.assigned[0, t.id]) in away for t in students[8:]]
    assert mentoring.counts[8:, UNMATCHED].tolist() == expect and any(expect)
    # the repeater is a mentee again, but their cohort's mentors have moved on to year 3
    assert mentoring.counts[:8, MENTEE].tolist() == [0, 0, 1, 0, 0, 0, 0, 0]
    assert mentoring.counts[2, UNMATCHED] == 1


# -- metamorphic test 4 (design §7): a mentor class too small leaves mentees unmatched --------

def on_track(st: pd.DataFrame, year_start: pd.Series) -> pd.Series:
    """Students never failed, never on leave, and still enrolled at `year_start`."""
    return (st["fails"] == 0) & (st["loa_count"] == 0) & ~(st["exit_time"] <= year_start)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_mentor_class_too_small_leaves_mentees_unmatched(seed: int) -> None:
    """At one mentee a mentor for years 1 and 2, every cohort but the last has no mentor in
    year 2 (the mentor class is full with year 1): for students and mentors on the normal track
    the students table shows exactly that; at four a mentor nobody on track is unmatched, and
    every unmatched mentee-year is a student or mentor off the track."""
    cohorts = 3
    rows = {}
    for per in (1, 4):
        sc = build_scenario({"peer_mentoring": {**SHARED, "mentees_per_mentor": per}},
                            base=FULL_LC, class_size=120, cohorts=cohorts)
        model = Model(sc, seed)
        st = model.run().students.set_index("student")
        real = len(st)
        entry = st["entry"]
        mentee = on_track(st, entry + 365.0)
        ok = mentee.copy()
        for y in (0, 1):  # the mentors for year 1 (2), in year 3 two (one) cohorts up
            m = model.mentoring.assigned[y]
            senior_or_none = m >= real
            idx = np.where(m >= 0, np.minimum(m, real - 1), 0)
            mentor_ok = on_track(st.iloc[idx].reset_index(drop=True),
                                 entry.iloc[idx].reset_index(drop=True) + 730.0).to_numpy()
            ok &= senior_or_none | (m < 0) | mentor_ok
        assert ok.sum() > real / 2  # (on track: over the whole career, so conservative)
        predicted = (st["cohort"] + 1 < cohorts).astype(int) if per == 1 else 0 * st["cohort"]
        pd.testing.assert_series_equal(st.loc[ok, "mentee_years"], 0 * predicted[ok] + 2,
                                       check_names=False)
        pd.testing.assert_series_equal(st.loc[ok, "unmatched_years"], predicted[ok],
                                       check_names=False)
        if per == 4:
            assert (st.loc[st["unmatched_years"] > 0].index.isin(st.index[~ok])).all()
        rows[per] = mentee_shares(st)
        assert (st["unmatched_years"] + st["mentor_lost_years"] <= st["mentee_years"]).all()
    # Two of the three year-2 classes lack mentors: a third of mentee-years, plus the few off
    # the track (about 4%); about 0.5 only with many cohorts.
    assert 1 / 3 <= rows[1]["unmatched_mentee_share"] <= 1 / 3 + 0.1
    assert rows[4]["unmatched_mentee_share"] <= 0.1
    assert 0 < rows[4]["mentor_lost_share"] <= 0.15


def test_matching_any_gives_the_same_capacity_on_a_real_roster() -> None:
    """Communities of a class are the same size in every class, so pooling the class adds no
    place at full strength: the static matches are as many (what differs is who)."""
    counts = {}
    for how in ("community", "any"):
        structure, _, r, streams = mentors({**SHARED, "matching": how}, class_size=30)
        mentee, mentor, _ = mentor_matches(structure.network, r, streams)
        counts[how] = (len(mentee), set(zip(mentee.tolist(), mentor.tolist(), strict=True)))
    assert counts["community"][0] == counts["any"][0]
    assert counts["community"][1] != counts["any"][1]


# -- records and metrics ----------------------------------------------------------------------

def test_mentor_rows_are_students_and_carry_what_they_noticed() -> None:
    sc = build_scenario({"peer_mentoring.contacts_per_month": 8.0}, base=FULL_LC,
                        class_size=80, cohorts=2)
    result = Model(sc, 3).run()
    fac, st, ep = result.faculty, result.students, result.episodes
    rows = fac[fac["role"] == "mentor"]
    assert len(rows) > 0 and (rows[["slots", "protected_hours_per_week", "cases"]] == 0).all(
        axis=None)
    assert rows["member"].is_unique and rows["students"].sum() == (
        st["mentee_years"] - st["unmatched_years"]).sum()
    assert rows["students"].max() <= 4  # mentor year 2 serves one mentee year at 4 a mentor
    assert rows["noticed"].sum() == (ep["channel"] == "mentor").sum() > 0
    real = rows["member"] < len(st)  # mentors of cohort 1 are cohort 0; cohort 0's are seniors
    assert set(st.set_index("student").loc[rows.loc[real, "member"], "cohort"]) == {0}
    assert set(fac["role"]) == {"support", "coach", "mentor"}


def test_without_peer_mentoring_the_mentor_metrics_are_nan() -> None:
    result = Model(build_scenario({"peer_mentoring": None}, base=FULL_LC, class_size=40), 1).run()
    st = result.students
    assert (st[["mentee_years", "unmatched_years", "mentor_lost_years"]] == 0).all(axis=None)
    row = compute(result)
    assert np.isnan(row["unmatched_mentee_share"]) and np.isnan(row["mentor_lost_share"])
    assert "mentor" not in set(result.faculty["role"])
    assert not (result.episodes["channel"] == "mentor").any()


def test_mentee_shares_are_over_mentee_years() -> None:
    st = pd.DataFrame({"mentee_years": [2, 2, 1, 0], "unmatched_years": [1, 0, 1, 0],
                       "mentor_lost_years": [0, 1, 0, 0]})
    assert mentee_shares(st) == {"unmatched_mentee_share": 2 / 5, "mentor_lost_share": 1 / 5}
    assert all(np.isnan(v) for v in mentee_shares(st.drop(columns="mentee_years")).values())


def test_validate_warns_when_the_mentor_class_cannot_cover_its_mentees(
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: s\npeer_mentoring: {mentor_year: 3, mentee_years: [1, 2], "
                    "mentees_per_mentor: 1}\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warn" in err and "cannot cover every mentee" in err
    path.write_text("name: s\npeer_mentoring: {mentor_year: 3, mentee_years: [1, 2], "
                    "mentees_per_mentor: 2}\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert "warn" not in capsys.readouterr().err
