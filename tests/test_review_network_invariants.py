"""Invariants of the peer network checked all through a replication (review of issue 11).

Every few days of a run: `in_difficulty` is exactly "has an open episode" (set at onset,
cleared when the last one closes, including leaves and exits); the booked degrees are the tie
pairs' ends; and the exact count `ties_now` (tie XOR a due change) equals what booking every
due change at that moment gives.
"""

from __future__ import annotations

import copy
from collections.abc import Generator
from typing import Any

import numpy as np
import pytest

from conftest import FULL_LC, build_scenario
from lcsim.model.schedule import to_teaching
from lcsim.model.simulation import Model

EVERY = 17.3  # calendar days between checks: not a multiple of the booking interval


def _checker(model: Model, bad: list[tuple[Any, ...]]) -> Generator[Any, Any, None]:
    env, school = model.env, model.network
    while school.kept is None:
        yield env.timeout(EVERY)
        if school.kept is not None:
            return
        net, now = school.net, to_teaching(env.now, school.teaching)
        busy = np.array([bool(s.active) for s in model.students])
        if (net.in_difficulty[:busy.size] != busy).any() or net.in_difficulty[busy.size:].any():
            bad.append(("in_difficulty", env.now))
        ends = np.concatenate((net.pi[net.tie], net.pj[net.tie]))
        if (np.bincount(ends, minlength=net.n) != net.degree).any():
            bad.append(("degree", env.now))
        booked = copy.deepcopy(net)
        booked.booked = None
        booked.step(now)
        exact = np.array([net.ties_now(s, now) for s in range(net.n)])
        if (exact != booked.degree).any():
            bad.append(("ties_now", env.now))


@pytest.mark.parametrize("base", [FULL_LC, {}], ids=["full-lc", "no-lc"])
def test_network_state_stays_consistent_through_a_run(base: dict[str, Any]) -> None:
    model = Model(build_scenario(base=base, class_size=60, cohorts=2), 3)
    bad: list[tuple[Any, ...]] = []
    model.env.process(_checker(model, bad))
    result = model.run()
    assert (result.students["loa_count"] > 0).any()  # leaves happened
    assert result.students["status"].isin(["withdrawn", "dismissed"]).any()  # and exits
    assert bad == []
