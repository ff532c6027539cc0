"""helped_within_30d / _90d: the episode table read as competing risks, against a direct count,
against lifelines' Aalen-Johansen fitter and on real simulated tables."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from conftest import FULL_LC, SEED, build_scenario
from lcsim.experiment.replications import replication_seed
from lcsim.model.simulation import Model
from lcsim.outcomes.compute import compute
from lcsim.outcomes.episodes import ENDED_OTHERWISE, HELPED, durations, help_causes
from lcsim.stats.competing import CENSORED

NAN = np.nan
# A hand-built replication: (onset, intervention_start, ended_at, outcome) and, by hand, the
# time from onset to the first end and which end it was. Times are distinct (lifelines jitters
# ties). The open episode (no end, no outcome) is censored at the last time seen, 400.
CASES = [
    (0.0, 12.0, 40.0, "resolved", 12.0, HELPED),
    (10.0, 35.0, 80.0, "mitigated", 25.0, HELPED),
    (0.0, NAN, 7.0, "recovered", 7.0, ENDED_OTHERWISE),
    (5.0, NAN, 50.0, "loa", 45.0, ENDED_OTHERWISE),
    (20.0, 100.0, 150.0, "resolved", 80.0, HELPED),
    (0.0, NAN, 60.0, "censored", 60.0, CENSORED),  # follow-up ended while still enrolled
    (30.0, NAN, NAN, None, 370.0, CENSORED),  # still open when the run stopped
    (0.0, 95.0, 200.0, "loa", 95.0, HELPED),  # helped, later a leave: help counts
    (0.0, NAN, 18.0, "censored", 18.0, CENSORED),
    (0.0, NAN, 33.0, "withdrew", 33.0, ENDED_OTHERWISE),
    (0.0, 3.0, 20.0, "resolved", 3.0, HELPED),
    (100.0, NAN, 400.0, "graduated", 300.0, ENDED_OTHERWISE),
    (0.0, 55.0, NAN, None, 55.0, HELPED),  # helped, still open at the end of the run
    (40.0, NAN, 101.0, "dismissed", 61.0, ENDED_OTHERWISE),
    (0.0, 88.0, 300.0, "resolved", 88.0, HELPED),
    (0.0, 29.5, 250.0, "graduated", 29.5, HELPED),
    (50.0, NAN, 81.0, "exit", 31.0, ENDED_OTHERWISE),
]


def _episodes(cases: list[tuple]) -> pd.DataFrame:
    onset, start, ended, outcome = (list(c) for c in zip(*[x[:4] for x in cases], strict=True))
    return pd.DataFrame({"onset": onset, "detected_at": start, "channel": "peer",
                         "referred_at": start, "intervention_start": start, "resolved_at": NAN,
                         "ended_at": ended, "outcome": pd.Series(outcome, dtype=object)})


def _replication(episodes: pd.DataFrame) -> SimpleNamespace:
    """A replication with these episodes and two graduates (what `compute` reads)."""
    students = pd.DataFrame({"subgroup": ["none", "none"], "status": ["graduated"] * 2,
                             "years_to_graduate": [4.0, 4.0], "loa_count": [0, 0],
                             "belonging": 0.5, "peer_ties": 2.0, "faculty_connected": True,
                             "identity": 0.5, "clinical_skills": 0.5})
    return SimpleNamespace(students=students, episodes=episodes,
                           totals={"faculty_hours_demanded": 1.0, "faculty_hours_protected": 2.0})


def _aalen_johansen(times: np.ndarray, causes: np.ndarray, at: list[float]) -> list[float]:
    """lifelines' cumulative incidence of help at each time of ``at``."""
    lifelines = pytest.importorskip("lifelines")
    assert len(np.unique(times)) == len(times)  # lifelines would jitter ties
    fitter = lifelines.AalenJohansenFitter(calculate_variance=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter.fit(times, causes, event_of_interest=HELPED)
    curve = fitter.cumulative_density_
    return [float(curve[curve.index <= t].iloc[-1, 0]) for t in at]


def test_episode_table_is_read_as_competing_risks() -> None:
    times, causes = help_causes(_episodes(CASES))
    assert times.tolist() == [c[4] for c in CASES]
    assert causes.tolist() == [c[5] for c in CASES]
    # The same clock as the Kaplan-Meier median: help observed exactly where `durations` sees it.
    km_times, helped = durations(_episodes(CASES), "onset", "intervention_start")
    assert km_times.tolist() == times.tolist() and helped.tolist() == (causes == HELPED).tolist()


def test_open_episodes_are_censored_at_their_replication_s_last_time() -> None:
    two = pd.concat([_episodes(CASES).assign(replication=0),
                     _episodes(CASES[:6]).assign(replication=1)], ignore_index=True)
    times, causes = help_causes(two, by="replication")
    assert times[6] == 370.0  # replication 0 was last seen at 400
    assert times[len(CASES):].tolist() == [c[4] for c in CASES[:6]]
    assert (causes[len(CASES):] == [c[5] for c in CASES[:6]]).all()


def test_without_censoring_the_metric_is_a_direct_count() -> None:
    rng = np.random.default_rng(5)
    n = 400
    onset = rng.uniform(0, 1000, n)
    delay = rng.exponential(60.0, n)
    other = rng.exponential(80.0, n)
    helped = delay < other
    delay[:3] = [30.0, 90.0, 30.0 + 1e-9]  # the bounds are inclusive
    helped[:3] = True
    ended = onset + np.where(helped, delay + rng.exponential(30.0, n), other)
    outcome = np.where(helped, "resolved",
                       rng.choice(["recovered", "loa", "withdrew", "graduated"], n))
    ep = pd.DataFrame({"onset": onset, "detected_at": NAN, "channel": None, "referred_at": NAN,
                       "intervention_start": np.where(helped, onset + delay, NAN),
                       "resolved_at": NAN, "ended_at": ended, "outcome": outcome})
    row = compute(_replication(ep))
    for days in (30, 90):
        direct = float(np.mean(helped & (delay <= days)))
        assert row[f"helped_within_{days}d"] == pytest.approx(direct, abs=1e-12)
    assert 0 < row["helped_within_30d"] < row["helped_within_90d"] < 1 - row["unhelped_share"]


def test_with_censoring_the_metric_is_lifelines_aalen_johansen() -> None:
    row = compute(_replication(_episodes(CASES)))
    times = np.array([c[4] for c in CASES])
    causes = np.array([c[5] for c in CASES])
    expected = _aalen_johansen(times, causes, [30.0, 90.0])
    assert [row["helped_within_30d"], row["helped_within_90d"]] == pytest.approx(expected,
                                                                              abs=1e-12)
    # By hand at 30 days: 17 at risk; 3 helped (1/17), 7 recovered, 12 helped (1/15), 18
    # censored, 25 helped (1/13), 29.5 helped (1/12) with S dropping by each end before.
    s, cif = 1.0, 0.0
    for at_risk, helped_now in ((17, 1), (16, 0), (15, 1), (13, 1), (12, 1)):
        cif += s * helped_now / at_risk
        s *= 1 - 1 / at_risk
    assert row["helped_within_30d"] == pytest.approx(cif, abs=1e-12)
    # Treating the competing ends as censoring (Kaplan-Meier) would claim more help.
    km_30 = 1 - (1 - 1 / 17) * (1 - 1 / 15) * (1 - 1 / 13) * (1 - 1 / 12)
    assert row["helped_within_30d"] < km_30


def test_without_episodes_the_metric_is_nan() -> None:
    row = compute(_replication(_episodes(CASES).iloc[:0]))
    assert np.isnan(row["helped_within_30d"]) and np.isnan(row["helped_within_90d"])


def _simulated(changes: dict[str, object], rep: int) -> pd.DataFrame:
    scenario = build_scenario(changes, base=FULL_LC)
    return Model(scenario, replication_seed(SEED, rep)).run().episodes


@pytest.mark.parametrize("rep", [0, 1])
def test_on_a_simulated_school(rep: int) -> None:
    ep = _simulated({}, rep)
    assert len(ep) > 30 and ep["ended_at"].notna().all()
    assert not (ep["outcome"] == "censored").any()  # every episode ended: nothing censored
    row = compute(_replication(ep))
    ever_helped = float(ep["intervention_start"].notna().mean())
    assert 0 < row["helped_within_30d"] <= row["helped_within_90d"] <= ever_helped
    assert ever_helped == pytest.approx(1 - row["unhelped_share"], abs=1e-12)
    delay = (ep["intervention_start"] - ep["onset"]).to_numpy()
    for days in (30, 90):
        assert row[f"helped_within_{days}d"] == pytest.approx(np.mean(delay <= days), abs=1e-12)


def test_on_a_simulated_school_with_censoring_agrees_with_lifelines() -> None:
    """Stop following each simulated episode at a random time after its onset: an episode
    still open then (not helped, not ended) is censored there."""
    ep = _simulated({}, 0)
    stop = ep["onset"] + np.random.default_rng(3).uniform(0, 120, len(ep))
    for column in ("detected_at", "referred_at", "intervention_start", "resolved_at"):
        ep.loc[ep[column] > stop, column] = NAN  # not seen: after the follow-up stopped
    still_open = ep["ended_at"] > stop
    ep.loc[still_open, "ended_at"] = stop[still_open]
    ep.loc[still_open, "outcome"] = "censored"
    times, causes = help_causes(ep)
    counts = np.bincount(causes, minlength=3)
    assert (counts >= 10).all(), counts  # censored, helped and ended otherwise all occur
    row = compute(_replication(ep))
    expected = _aalen_johansen(times, causes, [30.0, 90.0])
    assert [row["helped_within_30d"], row["helped_within_90d"]] == pytest.approx(expected,
                                                                              abs=1e-12)
