"""Ties formed and lost in the event log (issue 11 item 5): they add up to the network's
degrees, name real pairs and their first context, and are logged at the exact change time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import FULL_LC, build_scenario
from lcsim.model.network import CLASS, GROUP, LC, MENTOR, MENTOR_REV, VERTICAL, PeerNetwork
from lcsim.model.schedule import from_teaching
from lcsim.model.simulation import Model
from lcsim.model.tie_events import TieLog, calendar_days, context_name
from lcsim.model.trace import EventLog, Trace
from test_network import network, pair

SEED = 5


def traced_run(share: float) -> tuple[Model, PeerNetwork, pd.DataFrame]:
    """A small learning community traced at `share`; the network as it ended (the run
    releases it from the model before the tables)."""
    seed = np.random.SeedSequence(SEED, spawn_key=(0,))
    model = Model(build_scenario({"community": {"orientation_ties": 2}}, base=FULL_LC,
                                 class_size=50), seed, trace=Trace(share, seed))
    net = model.network.net
    events = model.run().events
    assert events is not None
    return model, net, events


@pytest.fixture(scope="module")
def full() -> tuple[Model, PeerNetwork, pd.DataFrame]:
    return traced_run(1.0)


def test_ties_formed_minus_lost_are_each_students_friends_at_the_end(full) -> None:
    model, net, events = full
    ties = events[events["kind"].isin(["tie_formed", "tie_lost"])]
    n = len(model.students)
    sign = np.where(ties["kind"] == "tie_formed", 1, -1)
    count = np.bincount(ties["student"], sign, minlength=n).astype(int)
    # (at the end most friendships have faded: the students have left)
    assert (count == net.degree[:n]).all() and (sign > 0).sum() > 100
    assert (ties.groupby("kind").size() > 0).all()  # some ties were lost too
    last = ties.sort_values("day", kind="stable").groupby("student")["value"].last()
    assert (last.to_numpy() == net.degree[last.index]).all()  # friends after each change


def test_tie_events_name_a_real_pair_its_first_context_and_a_day_in_follow_up(full) -> None:
    model, net, events = full
    ties = events[events["kind"].isin(["tie_formed", "tie_lost"])]
    k = net.find(ties["student"].to_numpy(), ties["other"].to_numpy())
    assert (k >= 0).all()
    start = np.cumsum(net.row_len, dtype=np.int64) - net.row_len
    names = [context_name(int(c)) for c in net.code[start[k]]]
    assert ties["detail"].tolist() == names
    assert {"class", "community", "vertical", "mentor", "small group"} <= set(names)
    horizon = model.structure.calendar.horizon
    assert ties["day"].between(0.0, horizon).all()
    # both ends traced (not a senior class): each change appears once for each, the same day
    pairs = ties[ties["other"] < len(model.students)].assign(lo=np.minimum(ties["student"], ties["other"]),
                        hi=np.maximum(ties["student"], ties["other"]))
    assert (pairs.groupby(["lo", "hi", "kind", "day"]).size() == 2).all()


def test_orientation_ties_form_at_the_first_year_start() -> None:
    _, net, events = traced_run(1.0)
    formed = events[(events["kind"] == "tie_formed") & (events["day"] == 0.0)]
    assert len(formed) > 0 and set(formed["detail"]) <= {"class", "community"}  # 1st row


def test_a_tie_is_logged_at_its_exact_change_time() -> None:
    """A hand-built pair: the logged day is the teaching time of the tie, in calendar days."""
    net = network(2, [pair(0.05)])
    log = EventLog(np.array([True, False]))
    net.booked = TieLog(log, net, teaching=100.0)
    net.year_start(0.0, np.array([1, 1]))
    at = float(net.change_at[0])
    net.step(at + 300.0)
    table = log.table()
    assert table["kind"].tolist() == ["tie_formed"] and table["other"].tolist() == [1]
    assert table["day"].iloc[0] == from_teaching(at, 100.0) > 365.0 > at
    assert table["detail"].tolist() == ["class"]


def test_only_traced_students_get_tie_events() -> None:
    model, _, events = traced_run(0.3)
    ties = events[events["kind"].isin(["tie_formed", "tie_lost"])]
    traced = set(events.loc[events["kind"] == "entry", "student"])
    assert set(ties["student"]) <= traced and len(ties) > 0
    assert len(traced) < len(model.students)


def test_context_names() -> None:
    assert [context_name(c) for c in (CLASS, LC, VERTICAL, MENTOR, MENTOR_REV, GROUP,
                                      GROUP + 1)] == ["class", "community", "vertical",
                                                      "mentor", "mentor", "small group",
                                                      "small group"]


def test_calendar_days_are_schedules_from_teaching_exactly() -> None:
    teaching = 323.0
    tau = np.concatenate((np.random.default_rng(0).uniform(0.0, 3000.0, 2000),
                          np.arange(10) * teaching, np.arange(1, 10) * teaching - 1e-12,
                          [0.0, 0.5, teaching - 0.5]))
    np.testing.assert_array_equal(calendar_days(tau.copy(), teaching),
                                  [from_teaching(t, teaching) for t in tau.tolist()])


def test_the_events_table_is_the_same_when_made_twice() -> None:
    """Tie rows are worked out when the table is made (`TieLog.rows`); a second table is the
    same, in the same order, with the tie rows among the other events where they happened."""
    import numpy.random as npr

    from conftest import FULL_LC, build_scenario
    from lcsim.model.simulation import Model
    from lcsim.model.trace import Trace

    model = Model(build_scenario(base=FULL_LC, class_size=60, cohorts=2), 3,
                  trace=Trace(1.0, npr.SeedSequence(3)))
    first = model.run().events
    again = model.log.table()
    assert first.equals(again)
    ties = first["kind"].isin(["tie_formed", "tie_lost"])
    assert ties.any() and (~ties).any()
    assert (first["day"].diff().dropna() >= -1e-9).mean() > 0.99  # mostly in time order
