"""Model-level checks of the couplings behind common random numbers (docs/model.md 6.4, 6.7).

Two things must hold together: each decision keeps the distribution its knobs say (so pairing
never changes what a scenario means), and a richer structure, run on the same random numbers,
moves each episode in one direction (so paired differences have small variance).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conftest import FULL_LC, build_scenario
from lcsim.experiment.replications import replication_seed
from lcsim.model.simulation import Model

INTERVENTION_DAYS = 30.0


def help_outcomes(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes whose help ran to its end, with the outcome it gave (loa, resolved, mitigated).

    Help that ran to its end closes the episode at that moment (leave, resolved) or lets it run
    on (mitigated, ending later); help cut short by the student's exit ends before it.
    """
    ep = episodes[episodes["intervention_start"].notna()].copy()
    done = ep["intervention_start"] + INTERVENTION_DAYS
    ep = ep[ep["ended_at"] >= done - 1e-6]
    at_end = np.isclose(ep["ended_at"], ep["intervention_start"] + INTERVENTION_DAYS)
    ep["result"] = np.where(at_end, ep["outcome"], "mitigated")
    return ep


def test_help_outcomes_keep_the_probabilities_of_their_knobs() -> None:
    """The leave and resolve chances of finished help are `support.loa_prob` (x 1/3 for
    moderate, 0 for mild) and `support.resolve_prob`, although the uniform behind them is the
    balance of leaving and recovery at the start of help. A uniform that ignored the conditioning
    on "neither has happened yet" would be biased by the time help took (about 0.1 or more at
    these settings). Counts: ~2,000 finished helps, ~300 severe; 4 binomial SEs."""
    sc = build_scenario({"support.loa_prob": 0.6, "support.resolve_prob": 0.5,
                         "support.intervention_days": INTERVENTION_DAYS,
                         "support.faculty": 6}, base=FULL_LC, class_size=150, cohorts=4)
    eps = pd.concat([Model(sc, replication_seed(7, r)).run().episodes for r in range(12)])
    out = help_outcomes(eps)
    assert (out["result"].isin(["loa", "resolved", "mitigated"])).all()
    for severity, p in ((1, 0.0), (2, 0.2), (3, 0.6)):
        grp = out[out["severity"] == severity]
        assert len(grp) > 200, severity
        share = float((grp["result"] == "loa").mean())
        assert abs(share - p) <= 4 * math.sqrt(p * (1 - p) / len(grp)) + 1e-12, (severity, share)
    rest = out[out["result"] != "loa"]
    share = float((rest["result"] == "resolved").mean())
    assert abs(share - 0.5) <= 4 * math.sqrt(0.25 / len(rest)), share


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
