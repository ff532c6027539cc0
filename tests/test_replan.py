"""Support that stops during an episode re-plans its detection (design step 6b; docs/model.md
§6.4): a friend who leaves or goes on leave stops noticing, and so does a near-peer mentor who
leaves, goes on leave or has an episode of their own."""

from __future__ import annotations

import math

import numpy as np
import numpy.random as npr
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FULL_LC, build_scenario
from lcsim.model.detection import Contacts, Flow, Plan
from lcsim.model.episodes import EpisodeCourse
from lcsim.model.simulation import Model
from lcsim.model.trace import Trace
from lcsim.outcomes.tables import DISMISSED, WITHDRAWN

# Many setbacks and leaves, so that friends and mentors often stop during an open episode.
BUSY = {"setbacks.personal_per_year": 3.0, "assumptions.hazard_mult_mild": 4.0,
        "assumptions.hazard_mult_moderate": 6.0, "assumptions.hazard_mult_severe": 8.0}


def _run(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    sc = build_scenario(BUSY, base=FULL_LC, class_size=150, cohorts=4)
    result = Model(sc, seed, trace=Trace(1.0, npr.SeedSequence(seed))).run()
    return result.students, result.episodes, result.events


def _stopped_noticers(students: pd.DataFrame, episodes: pd.DataFrame,
                      events: pd.DataFrame) -> tuple[int, int, int]:
    """Detections by a friend or mentor who had stopped by then: (peer, mentor, checked).

    A friend stops when they leave (withdrawn or dismissed) or go on leave; a mentor also
    when an episode of their own overlaps the mentee's, from its onset on."""
    gone = students.set_index("student")
    gone = gone.loc[gone["status"].isin([WITHDRAWN, DISMISSED]), "exit_time"]
    leaves = events[events["kind"] == "leave"]
    away = {s: list(zip(g["day"], g["value"], strict=True)) for s, g in leaves.groupby("student")}
    own = {s: list(zip(g["onset"], g["ended_at"].fillna(math.inf), strict=True))
           for s, g in episodes.groupby("student")}
    peer = mentor = checked = 0
    for ep in episodes.itertuples():
        who, at, onset = int(ep.noticed_by), ep.detected_at, ep.onset
        if ep.channel not in ("peer", "mentor") or who < 0 or who not in students.index:
            continue
        checked += 1
        stopped = who in gone.index and gone[who] < at
        stopped |= any(start < at and back > onset for start, back in away.get(who, []))
        if ep.channel == "mentor":
            stopped |= any(start < at and end > onset for start, end in own.get(who, []))
            mentor += stopped
        else:
            peer += stopped
    return peer, mentor, checked


def test_nobody_notices_after_they_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    """No episode is noticed by a friend who had left or gone on leave, or by a mentor who
    had stopped mentoring, by the time of detection. The check is not vacuous: with
    re-planning switched off (detection fixed at onset), such detections happen."""
    seeds = (3, 4, 5)
    for seed in seeds:
        peer, mentor, checked = _stopped_noticers(*_run(seed))
        assert checked > 50 and (peer, mentor) == (0, 0), seed
    monkeypatch.setattr(EpisodeCourse, "support_stops", lambda self, sid, now, friends: None)
    fixed = [_stopped_noticers(*_run(seed)) for seed in seeds]
    assert sum(f[0] for f in fixed) > 0 and sum(f[1] for f in fixed) > 0  # friends, mentors


def _plan(threshold: float, self_rate: float, weights: list[float], mentor: float,
          meetings: list[float], limit: float = 400.0) -> Plan:
    friends = np.arange(len(weights))
    w = np.asarray(weights, np.float32)
    flows = [Flow("self", self_rate), Flow("peer", 0.01 * float(w.sum())),
             Flow("mentor", mentor, 200.0)]
    return Plan(threshold, flows, [Contacts("coach", 0.3, meetings)], limit, 0.5, 0.01,
                friends, w)


@settings(max_examples=300, deadline=None)
@given(threshold=st.floats(0.01, 3.0), self_rate=st.floats(0.0, 0.02),
       weights=st.lists(st.floats(0.0, 2.0), min_size=1, max_size=6),
       mentor=st.floats(0.0, 0.05), gaps=st.lists(st.floats(1.0, 60.0), max_size=8),
       when=st.floats(0.0, 1.0), drop=st.integers(0, 5), mentor_stops=st.booleans())
def test_stopped_support_only_delays_detection(threshold: float, self_rate: float,
                                               weights: list[float], mentor: float,
                                               gaps: list[float], when: float, drop: int,
                                               mentor_stops: bool) -> None:
    """A re-plan at day d before the planned detection never brings it forward and never
    puts it before d; dropping a friend who does not count changes nothing."""
    plan = _plan(threshold, self_rate, weights, mentor, list(np.cumsum(gaps)))
    before = plan.days
    day = when * (400.0 if math.isinf(before) else before)
    changed = plan.drop_friend(drop, day)
    changed |= mentor_stops and plan.stop("mentor", day)
    plan.solve()
    assert plan.days >= before or math.isclose(plan.days, before, rel_tol=1e-12)
    if not changed:
        assert plan.days == before
    if drop >= len(weights) or weights[drop] == 0.0:
        assert not plan.drop_friend(drop, day)


def test_a_friend_who_stops_is_not_picked_after_the_day_they_stopped() -> None:
    """The friend who noticed is picked from the friends behind the peer flow on the day of
    detection: one dropped before it cannot be picked, whatever slot 7 says."""
    plan = _plan(0.5, 0.0, [1.0, 1.0], 0.0, [])
    assert plan.channel == "peer" and plan.days == pytest.approx(25.0)  # 0.5 / 0.02
    assert plan.drop_friend(0, 10.0)
    plan.solve()
    assert plan.days == pytest.approx(10.0 + (0.5 - 0.2) / 0.01)  # the rest at half the rate
    friends, weights = plan.peers_at(plan.days)
    assert weights[friends == 0].item() == 0.0
    early_friends, early_weights = plan.peers_at(5.0)
    assert early_weights.tolist() == [1.0, 1.0]
    assert not plan.drop_friend(0, 12.0)  # already dropped


def test_a_mentor_who_stops_ends_the_mentor_flow_there() -> None:
    plan = _plan(0.5, 0.0, [0.0], 0.01, [])
    assert plan.channel == "mentor" and plan.days == pytest.approx(50.0)
    assert plan.stop("mentor", 20.0)
    plan.solve()
    assert math.isinf(plan.days) and plan.channel is None  # no other channel is left
    assert not plan.stop("mentor", 30.0)
