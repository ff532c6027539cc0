"""Model-level checks of the couplings behind common random numbers (docs/model.md 6.4, 6.7).

Two things must hold together: each decision keeps the distribution its knobs say (so pairing
never changes what a scenario means), and a richer structure, run on the same random numbers,
moves each episode in one direction (so paired differences have small variance).
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import FULL_LC, build_scenario
from lcsim.experiment.replications import replication_seed
from lcsim.model.simulation import Model

NO_COACH_LC = {k: v for k, v in FULL_LC.items() if k != "coaching"}  # no coach case slots
NO_HELP_EFFECT = {"assumptions.help_leaving_hr": 1.0, "assumptions.help_recovery_hr": 1.0,
                  "assumptions.help_fail_ratio": 1.0, "assumptions.help_loa_prob": 0.0}
STUDENT_KEYS = ["student", "status", "exit_time", "loa_count", "fails"]


def test_help_without_effect_leaves_every_student_as_no_help_would() -> None:
    """With every help assumption at no effect, helping changes nothing in any student's life:
    the episodes keep their own times to recovery and to leaving (the help ratios act on the
    episode's remaining Exp(1) draws), so a school with ample case slots and one with none give
    the same students table, exactly. The helped episodes differ only in who noticed them."""
    runs = {}
    for faculty in (0, 8):
        sc = build_scenario({**NO_HELP_EFFECT, "support.faculty": faculty},
                            base=NO_COACH_LC, class_size=120, cohorts=3)
        runs[faculty] = [Model(sc, replication_seed(5, r)).run() for r in range(3)]
    for none, ample in zip(runs[0], runs[8], strict=True):
        helped = ample.episodes["intervention_start"].notna().sum()
        assert none.episodes["intervention_start"].notna().sum() < helped  # help happened
        pd.testing.assert_frame_equal(none.students[STUDENT_KEYS], ample.students[STUDENT_KEYS])


def test_help_speeds_recovery_and_protects_from_leaving() -> None:
    """Central help (recovery ratio > 1, leaving ratio < 1) against help without effect, on the
    same random numbers: helped episodes end sooner after help starts in every replication, and,
    pooled over ~600 helped episodes, fewer of them end in the student withdrawing."""
    shorter, withdrew = [], {"null": 0, "central": 0}
    for r in range(4):
        after = {}
        for name, changes in (("null", NO_HELP_EFFECT), ("central", {})):
            sc = build_scenario({**changes, "support.faculty": 8}, base=FULL_LC,
                                class_size=120, cohorts=3)
            ep = Model(sc, replication_seed(9, r)).run().episodes
            ep = ep[ep["intervention_start"].notna()]
            after[name] = float((ep["ended_at"] - ep["intervention_start"]).mean())
            withdrew[name] += int((ep["outcome"] == "withdrew").sum())
        shorter.append(after["central"] < after["null"])
    assert all(shorter)
    assert withdrew["central"] < withdrew["null"], withdrew


@pytest.mark.parametrize("richer", [
    {"assumptions.coach_notice": 0.9},
    {"assumptions.facilitator_notice": 0.9},
    {"assumptions.mentor_notice": 0.6},
    {"community.peer_contacts_per_week": 6.0},
    {"coaching.meetings_per_year": 6.0},  # twice as frequent: every old meeting is kept
    {"small_groups.sessions_per_month": 8.0},
])
def test_a_richer_structure_never_notices_the_same_episode_later(richer: dict) -> None:
    """First-year first episodes, matched by student and onset across two scenarios on the same
    seed: the richer one notices each no later, unless its episode had already ended (recovery
    comes at the same time in both, so that means another cause ended it earlier).

    Each change here raises a hazard at every moment: more notice, more contact, or meetings
    k times as frequent (k whole), which keep every old meeting day (docs/model.md section 5).
    Other frequencies move the meeting days, so a given episode may meet its coach later; only
    the distribution of detection times improves, which `test_model` checks."""
    base = build_scenario(base=FULL_LC, class_size=150, cohorts=2)
    rich = build_scenario(richer, base=FULL_LC, class_size=150, cohorts=2)
    checked = 0
    for rep in range(8):
        tables = [Model(sc, replication_seed(3, rep)).run() for sc in (base, rich)]
        first = []
        for result in tables:
            ep = result.episodes.merge(result.students[["student", "entry"]], on="student")
            ep = ep[ep["onset"] < ep["entry"] + 300.0]
            first.append(ep.sort_values("onset").groupby("student").head(1))
        m = first[0].merge(first[1], on=["student", "onset"], suffixes=("_a", "_b"))
        seen = m[m["detected_at_a"].notna()]
        later = seen["detected_at_b"].isna() | (
            seen["detected_at_b"] > seen["detected_at_a"] + 1e-9)
        ended_before = seen["ended_at_b"] < seen["detected_at_a"]
        assert not (later & ~ended_before).any(), seen[later & ~ended_before]
        checked += len(seen)
    assert checked > 100
