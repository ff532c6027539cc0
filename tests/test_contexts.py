"""The peer network inside a replication: contexts, senior classes, levers (design §2.2, §5.1,
§7). Until build step 5 nothing reads the network, so its levers change no table."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from conftest import FULL_LC, build_scenario
from lcsim.model.contexts import SchoolNetwork
from lcsim.model.network import CLASS, GROUP, LC, MENTOR, MENTOR_REV, VERTICAL
from lcsim.model.population import build_students
from lcsim.model.simulation import Model
from lcsim.model.streams import Streams
from lcsim.model.structure import Structure

ONLY_CLASS = {"community.peer_contacts_per_week": 0.0, "small_groups.sessions_per_month": 0.0,
              "assumptions.vertical_contacts_per_week": 0.0, "peer_mentoring": None,
              "community.orientation_ties": 0}


def school(changes: dict[str, Any] | None = None, class_size: int = 120,
           cohorts: int = 2) -> SchoolNetwork:
    sc = build_scenario(changes, base=FULL_LC, class_size=class_size, cohorts=cohorts)
    structure = Structure.from_scenario(sc)
    streams = Streams(5)
    students, _ = build_students(structure, streams)
    return SchoolNetwork(structure, students, streams)


def ends(net: SchoolNetwork, codes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs with a row of one of `codes`."""
    n = net.net
    row_pair = np.repeat(np.arange(n.pairs), n.row_len)
    k = np.unique(row_pair[np.isin(n.code, codes)])
    return n.pi[k], n.pj[k]


def test_without_contact_outside_the_class_only_class_pairs_remain() -> None:
    net = school(ONLY_CLASS)
    assert set(np.unique(net.net.code)) == {CLASS}
    cohort = net.roster.cohort
    assert (cohort[net.net.pi] == cohort[net.net.pj]).all()
    assert net.net.pairs == 2 * 120 * 12 // 2  # a ring of 12 neighbours in each class
    full = school()
    assert {LC, VERTICAL, GROUP, MENTOR, MENTOR_REV} <= set(np.unique(full.net.code))


def test_the_senior_classes_give_the_first_cohort_vertical_partners_and_mentors() -> None:
    net = school()
    r = net.roster
    assert r.n == 5 * 120 and (r.cohort[240:] < 0).all()
    i, j = ends(net, (VERTICAL,))
    hi = np.maximum(i, j)
    assert (r.cohort[hi] == -1).sum() > 0  # cohort 0 with the class one year up
    assert (r.community[i] == r.community[j]).all()
    mi, mj = ends(net, (MENTOR, MENTOR_REV))  # mentor year 2: cohort 0's mentors are cohort -1
    mentee, mentor = np.minimum(mi, mj), np.maximum(mi, mj)
    assert set(r.cohort[mentee[mentor >= 240]]) == {0}
    per_mentor = np.bincount(np.concatenate((mentor[mentor >= 240], mentee[mentor < 240])))
    assert per_mentor.max() <= 4  # the caseload
    assert mentee.size == 240  # a class of mentors at 4 each has room for every mentee


def test_small_groups_are_redrawn_every_kept_years() -> None:
    yearly, kept = school(), school({"small_groups.kept_years": 2})
    assert set(np.unique(yearly.net.code)) & {GROUP, GROUP + 1} == {GROUP, GROUP + 1}
    assert GROUP + 1 not in set(np.unique(kept.net.code))
    assert kept.net.pairs < yearly.net.pairs


def test_with_no_small_group_contact_stability_changes_nothing_exactly() -> None:
    """Design §7 test 3, on the network: sessions run, but no pair meets in them."""
    quiet = {"assumptions.session_pair_contact": 0.0}
    nets = [school({**quiet, "small_groups.kept_years": k}) for k in (1, 4)]
    for net in nets:
        net.year_start(0, 0.0, [])
    for name in ("pi", "pj", "code", "rrate", "need", "rate", "change_at"):
        np.testing.assert_array_equal(getattr(nets[0].net, name), getattr(nets[1].net, name))


def test_community_mixing_moves_contact_to_the_class() -> None:
    sc = build_scenario(base=FULL_LC)
    mixed = build_scenario({"community.mixing": 0.5}, base=FULL_LC)
    a, b = Structure.from_scenario(sc), Structure.from_scenario(mixed)
    assert b.network.class_rate > a.network.class_rate
    assert b.network.community_rate == a.network.community_rate / 2
    assert replace(a, network=b.network) == b  # a network-only lever (until step 5)


def test_orientation_ties_form_at_entry() -> None:
    net = school({"community.orientation_ties": 3})
    net.year_start(0, 0.0, [])  # nobody enrolled: no real student is in school
    assert net.net.degree[:120].sum() == 0
    model = Model(build_scenario({"community.orientation_ties": 3}, base=FULL_LC,
                                 class_size=120, cohorts=2), 5)
    model.env.run(until=1.0)  # the first year start has booked them
    assert (model.network.net.degree[:120] >= 4).all()  # 2 ring neighbours on each side


def test_the_network_is_released_after_the_run_and_its_ties_matter() -> None:
    """The network's arrays go before the tables are built (ties_at kept); since build step 5
    friends give belonging and notice, so a very different network changes the episodes."""
    base = build_scenario(base=FULL_LC, class_size=60, cohorts=2)
    other = build_scenario({"assumptions.contacts_to_tie": 2.0, "community.mixing": 0.7,
                            "small_groups.kept_years": 4},
                           base=FULL_LC, class_size=60, cohorts=2)
    a, b = Model(base, 3), Model(other, 3)
    net_a, net_b = a.network.net, b.network.net  # a finished run releases them from the model
    ra, rb = a.run(), b.run()
    assert not hasattr(a.network, "net")  # released before the tables are built
    assert net_a.degree.sum() != net_b.degree.sum()
    assert (net_a.ties_at[:60] >= 0).all()  # cohort 0's first two years were seen
    assert (a.network.ties_at() == net_a.ties_at[:a.network.roster.real]).all()
    assert not ra.students["ties_year1"].equals(rb.students["ties_year1"])
    assert not ra.episodes["friends_at_onset"].equals(rb.episodes["friends_at_onset"])
