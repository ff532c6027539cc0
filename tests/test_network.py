"""Unit tests of the peer network on hand-built networks (docs/design/peer-network.md §2, §7).

Tie times are exact between structural events, ties dissolve a keyed memory after contact
stops, a repeater loses class contact but keeps a vertical community's, and a context without
contact makes no rows (so it changes nothing, exactly).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from lcsim.model import network as network_module
from lcsim.model import network_rows
from lcsim.model.network import CLASS, LC, Context, PeerNetwork, factor_table
from lcsim.model.streams import Streams


def draw(seed: int = 1):
    return partial(Streams(seed).keyed_uniforms, "net-tie")


def network(n: int, contexts: list[Context], table: np.ndarray | None = None,
            subgroup: np.ndarray | None = None, homophily: float = 1.0,
            orientation: tuple[np.ndarray, np.ndarray] | None = None) -> PeerNetwork:
    if table is None:
        table = factor_table()
        for y in range(1, 5):
            table[CLASS, y, y] = 1.0
    return PeerNetwork(np.zeros(n, np.int8) if subgroup is None else subgroup,
                       np.zeros(n, np.int16), contexts, table, draw(), contacts_to_tie=20.0,
                       tie_memory_days=180.0, homophily=homophily, orientation=orientation)


def hazard(net: PeerNetwork, s: int, notice: float, difficulty_factor: float) -> float:
    """Hazard a teaching day that a friend of `s` notices an episode beginning at the clock:
    `notice` x the friends' weighted contact rates (as `Rules.detection` sums them)."""
    return notice * float(net.friend_rates(s, net.clock, difficulty_factor)[1].sum())


def pair(rate: float, code: int = CLASS) -> Context:
    return Context(code, np.array([0]), np.array([1]), rate, spread=False)


def test_a_tie_forms_exactly_when_contacts_reach_the_keyed_threshold() -> None:
    net = network(2, [pair(0.5)])
    net.year_start(0.0, np.array([1, 1]))
    need = float(net.need[0])
    u0, u1 = (Streams(1).keyed_uniforms("net-tie", np.array([0]), np.array([1]), s)[0]
              for s in (0, 1))
    assert need == pytest.approx(-np.log(u0 * u1) * 10.0, rel=1e-3)  # float16 storage
    at = need / 0.5
    assert net.change_at[0] == pytest.approx(at, rel=1e-6)
    net.step(at - 0.01)
    assert net.degree.tolist() == [0, 0]
    net.step(at + 0.01)
    assert net.degree.tolist() == [1, 1] and net.friends(0).tolist() == [1]


def test_a_rate_change_keeps_the_contacts_so_far() -> None:
    table = factor_table()
    table[CLASS, 1, 1], table[CLASS, 2, 2] = 1.0, 3.0
    net = network(2, [pair(0.5)], table)
    net.year_start(0.0, np.array([1, 1]))
    need = float(net.need[0])
    t1 = need / 0.5 / 2  # half the threshold reached, then three times the contact
    net.year_start(t1, np.array([2, 2]))
    assert net.change_at[0] == pytest.approx(t1 + (need - 0.5 * t1) / 1.5, rel=1e-5)


def test_a_tie_dissolves_its_memory_after_contact_stops_unless_contact_resumes() -> None:
    net = network(3, [pair(0.5), Context(CLASS, np.array([1]), np.array([2]), 0.5, False)])
    net.year_start(0.0, np.array([1, 1, 1]))
    net.step(1000.0)
    assert net.degree.tolist() == [1, 2, 1]
    net.away(1, 1000.0)  # leaves: both ties lose their contact at once
    assert net.rate.tolist() == [0.0, 0.0]
    end = 1000.0 + net.memory(np.arange(net.pairs)).astype(np.float32)
    np.testing.assert_allclose(net.change_at, end, rtol=1e-6)
    assert hazard(net, 0, 1.0, 1.0) == 0.0  # an away friend gives no support
    first = int(np.argmin(end))
    net.year_start(float(end[first]) - 0.01, np.array([1, 1, 1]))  # back before the first ends
    assert net.degree.tolist() == [1, 2, 1] and np.isinf(net.change_at).all()
    t = net.clock + 10.0
    net.away(2, t)
    net.step(t + float(net.memory(np.array([1]))[0]) - 0.01)
    assert net.degree.tolist() == [1, 2, 1]
    net.step(t + float(net.memory(np.array([1]))[0]) + 0.01)
    assert net.degree.tolist() == [1, 1, 0]
    assert net.c0[1] == 0.0  # a lost tie starts again from no contact


def test_a_tie_whose_contact_stops_at_a_year_start_dissolves_after_its_memory() -> None:
    """A year start that ends a tie's contact (one student repeats, graduates or takes a
    research year) starts its memory, as a leave does (year starts set rates in bulk)."""
    net = network(2, [pair(0.5)])
    net.year_start(0.0, np.array([1, 1]))
    net.step(1000.0)
    assert net.degree.tolist() == [1, 1]
    net.year_start(1000.0, np.array([1, 2]))  # no class contact across class years
    memory = float(net.memory(np.array([0]))[0])
    assert net.rate[0] == 0.0 and net.change_at[0] == pytest.approx(1000.0 + memory, rel=1e-6)
    net.step(1000.0 + memory + 0.01)
    assert net.degree.tolist() == [0, 0]


def test_a_repeater_loses_class_contact_and_keeps_a_vertical_communitys() -> None:
    """2 classes x 8 students, 1 community; student 3 repeats year 1 (design §7, test 5)."""
    ids = np.arange(16)
    cls = ids // 8
    i, j = np.triu_indices(16, 1)
    same = cls[i] == cls[j]
    contexts = [Context(CLASS, i[same], j[same], 0.1, spread=False),
                Context(LC, i[same], j[same], 0.2, spread=False)]
    for keep in (0.5, 0.0):  # a vertical community keeps this share of contact across years
        table = factor_table()
        for y in range(1, 5):
            table[CLASS, y, y] = table[LC, y, y] = 1.0
            table[LC, y, 1:] = np.where(np.arange(1, 5) == y, 1.0, keep)
        net = network(16, contexts, table)
        net.year_start(0.0, np.where(cls == 0, 2, 1))
        np.testing.assert_allclose(net.rate, np.float32(np.float16(0.1)) +
                                   np.float32(np.float16(0.2)))
        years = np.where(cls == 0, 3, 2)
        years[3] = 1  # repeats year 1: classmates of class 0 are now in year 2
        net.year_start(300.0, years)
        mates = net.pairs_of(3)
        mates = mates[cls[net.pi[mates] + net.pj[mates] - 3] == 0]
        assert mates.size == 7
        assert net.rate[mates] == pytest.approx(np.float32(np.float16(0.2)) * keep)
        others = np.setdiff1d(np.arange(net.pairs), mates)
        assert (net.rate[others] > 0).all()


def test_a_context_without_contact_makes_no_rows_and_changes_nothing() -> None:
    i, j = np.triu_indices(12, 1)
    base = [Context(CLASS, i, j, 0.3, spread=True)]
    quiet = [*base, Context(LC, i[::2], j[::2], 0.0, spread=False),
             Context(LC + 1, np.array([], int), np.array([], int), 0.5, spread=False)]
    nets = [network(12, c) for c in (base, quiet)]
    for net in nets:
        net.year_start(0.0, np.ones(12, int))
        net.step(500.0)
    a, b = nets
    assert a.code.size == b.code.size == i.size
    for name in ("pi", "pj", "need", "rate", "c0", "change_at", "tie", "degree"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), name)
    every = np.arange(a.pairs)
    np.testing.assert_array_equal(a.memory(every), b.memory(every))
    assert a.degree.sum() > 0


def test_a_pairs_draws_do_not_depend_on_other_pairs() -> None:
    small = network(4, [pair(0.5)])
    i, j = np.triu_indices(4, 1)
    large = network(4, [Context(CLASS, i, j, 0.5, False)])
    k = int(large.find(np.array([0]), np.array([1]))[0])
    assert (large.need[k], large.memory(np.array([k]))[0]) == (small.need[0],
                                                              small.memory(np.array([0]))[0])
    assert large.find(np.array([3, 2]), np.array([0, 2])).tolist() == [2, -1]


def test_chunked_work_gives_the_same_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building, year starts and leaves in chunks of 5 pairs (pairs with several rows cut
    across chunks; a memory drawn in a chunk) give the arrays of the unchunked work, exactly."""
    i, j = np.triu_indices(14, 1)
    sub = (np.arange(14) % 3 == 0).astype(np.int8)
    contexts = [Context(LC, i[::3], j[::3], 0.3, spread=True),
                Context(CLASS, j, i, 0.2, spread=True),  # given high end first
                Context(LC + 1, i[::4], j[::4], 0.05, spread=False)]
    table = _class_table()
    table[LC, 1:, 1:] = 1.0
    table[LC + 1, 1, 1] = 1.0

    def run() -> PeerNetwork:
        net = network(14, contexts, table, subgroup=sub, homophily=2.5,
                      orientation=(np.array([0, 5]), np.array([3, 9])))
        net.year_start(0.0, np.ones(14, int))
        net.step(200.0)
        net.away(4, 210.0)
        net.year_start(300.0, np.where(np.arange(14) < 7, 2, 0))
        net.step(400.0)
        return net

    whole = run()
    monkeypatch.setattr(network_module, "CHUNK", 5)
    monkeypatch.setattr(network_rows, "CHUNK", 5)
    cut = run()
    assert whole.row_len.max() == 3 and whole.tie.any() and np.isfinite(whole.change_at).any()
    for name in ("code", "rrate", "row_len", "pi", "pj", "hi_pairs", "hi_ptr", "lo_ptr",
                 "need", "c0", "rate", "change_at", "tie", "degree"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(cut, name), name)
    every = np.arange(whole.pairs)
    assert (whole.find(whole.pj, whole.pi) == every).all()


def test_spread_contact_with_homophily() -> None:
    """Student 0 meets 1 (same subgroup) and 2 (other): each spreads 1.0 over partners with
    weight 2 for the same subgroup, so a pair's rate is the sum of both ends' shares."""
    sub = np.array([0, 0, 1], np.int8)
    net = network(3, [Context(CLASS, np.array([0, 0]), np.array([1, 2]), 1.0, True)],
                  subgroup=sub, homophily=2.0)
    net.year_start(0.0, np.ones(3, int))
    np.testing.assert_allclose(net.rate, [2 / 3 + 1.0, 1 / 3 + 1.0], rtol=1e-3)


def test_friends_notice_by_contact_and_less_when_in_difficulty() -> None:
    i, j = np.array([0, 0, 1]), np.array([1, 2, 2])
    net = network(4, [Context(CLASS, i, j, 0.25, False)])
    net.year_start(0.0, np.ones(4, int))
    assert hazard(net, 0, 0.1, 0.5) == 0.0  # no ties yet
    net.step(10_000.0)
    assert hazard(net, 3, 0.1, 0.5) == 0.0  # a student without pairs
    assert hazard(net, 0, 0.1, 0.5) == pytest.approx(0.1 * 0.5)
    net.in_difficulty[2] = True
    assert hazard(net, 0, 0.1, 0.5) == pytest.approx(0.1 * (0.25 + 0.125))


def test_orientation_ties_form_at_entry_and_live_by_contact() -> None:
    net = network(3, [Context(CLASS, np.array([0, 0]), np.array([1, 2]), 0.01, False)],
                  orientation=(np.array([1, 2]), np.array([0, 1])))  # (1, 2) never meet
    net.year_start(0.0, np.array([1, 1, 1]))
    assert net.tie.tolist() == [True, False] and net.degree.tolist() == [1, 1, 0]


def test_degrees_at_the_end_of_years_one_and_two() -> None:
    net = PeerNetwork(np.zeros(2, np.int8), np.array([0, 0]), [pair(5.0)], _class_table(),
                      draw(), 20.0, 180.0)
    net.year_start(0.0, np.array([1, 1]), entering=0)
    net.year_start(323.0, np.array([2, 2]), entering=1)
    net.year_start(646.0, np.array([3, 3]), entering=2)
    assert net.ties_at.tolist() == [[1, 1], [1, 1]]


def _class_table() -> np.ndarray:
    table = factor_table()
    for y in range(1, 5):
        table[CLASS, y, y] = 1.0
    return table
