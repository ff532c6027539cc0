"""Shared fixtures for the model tests: small scenarios and paired-seed replications.

`small_scenario(**changes)` builds a valid Scenario of a small school (80 students a class, 2
cohorts) with dotted-key changes, so each test states only the knobs it is about. `replicate`
runs replications with the seeds `lcsim run` uses (`experiment.replication_seed`), so
replication r of two scenarios shares its random numbers (common random numbers, paired seeds).
Results are cached for the session: knob tests compare many variants against the same bases.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lcsim.config.scenario import Scenario
from lcsim.experiment.provenance import scenario_hash
from lcsim.experiment.replications import replication_seed
from lcsim.model.results import RunResult
from lcsim.model.simulation import Model
from lcsim.outcomes.compute import compute
from lcsim.stats.differences import paired_difference

SMALL_CLASS = 80
SMALL_COHORTS = 2
SEED = 20240611  # one fixed base seed for every paired comparison

# A complete learning community: every structural section present, so each knob can be
# varied from a base where its mechanism is switched on.
FULL_LC: dict[str, Any] = {
    "community": {"count": 4, "vertical": True, "peer_contacts_per_week": 3.0},
    "small_groups": {"size": 8, "sessions_per_month": 4.0},
    "coaching": {"students_per_coach": 20, "meetings_per_year": 3.0},
    "peer_mentoring": {"mentees_per_mentor": 4, "mentor_year": 2, "mentee_years": [1]},
    "space": {"assigned": True},
}


def write_small_scenario(directory: Path, name: str, base: str) -> Path:
    """A scenario file extending `base` with a small population (fast CLI tests)."""
    path = directory / f"{name}.yaml"
    path.write_text(f"extends: {base}\nname: {name}\n"
                    "population: {class_size: 60, cohorts: 2}\n", encoding="utf-8")
    return path


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set `data["a"]["b"] = value` for key "a.b", creating missing sections."""
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        if node.get(part) is None:
            node[part] = {}
        node = node[part]
    node[leaf] = value


def build_scenario(changes: Mapping[str, Any] | None = None, *, base: Mapping[str, Any] | None
                   = None, name: str = "test", class_size: int = SMALL_CLASS,
                   cohorts: int = SMALL_COHORTS) -> Scenario:
    """A validated small Scenario: model defaults, then `base` sections, then dotted `changes`."""
    data: dict[str, Any] = Scenario(name=name).model_dump(mode="json")
    data["population"].update(class_size=class_size, cohorts=cohorts)
    for key, value in (base or {}).items():
        data[key] = copy.deepcopy(value)
    for key, value in (changes or {}).items():
        set_dotted(data, key, copy.deepcopy(value))
    return Scenario.model_validate(data)


def extra_metrics(result: RunResult) -> dict[str, float]:
    """Metrics the knob tests need beyond `metrics.compute`, from the same tables."""
    st, ep = result.students, result.episodes
    n = len(st)
    urim = st["subgroup"] == "urim"
    urim_ids = set(st.loc[urim, "student"])
    detected = ep["channel"].notna()
    return {
        "academic_episodes_per_100": 100.0 * float((ep["type"] == "academic").sum()) / n,
        "urim_episodes_per_100": 100.0 * float(ep["student"].isin(urim_ids).sum())
        / max(1, int(urim.sum())),
        "detected_by_mentor": float((ep.loc[detected, "channel"] == "mentor").mean())
        if detected.any() else 0.0,
        "detected_by_coach": float((ep.loc[detected, "channel"] == "coach").mean())
        if detected.any() else 0.0,
        "detected_by_facilitator": float((ep.loc[detected, "channel"] == "facilitator").mean())
        if detected.any() else 0.0,
        "detected_by_advisor": float((ep.loc[detected, "channel"] == "advisor").mean())
        if detected.any() else 0.0,
        "mean_referral_delay_days": float((ep["referred_at"] - ep["detected_at"]).mean()),
        "mean_queue_wait_days": float((ep["intervention_start"] - ep["referred_at"]).mean()),
        "interventions": float(ep["intervention_start"].notna().sum()),
        "resolved_share": float((ep["outcome"] == "resolved").sum()
                                / max(1, int(ep["intervention_start"].notna().sum()))),
    }


def run_metrics(scenario: Scenario, rep: int, seed: int = SEED) -> dict[str, float]:
    """All metrics (issue-2 set plus `extra_metrics`) of replication `rep` of `scenario`."""
    result = Model(scenario, replication_seed(seed, rep)).run()
    return {"replication": rep, **compute(result), **extra_metrics(result)}


@pytest.fixture(scope="session")
def small_scenario() -> Callable[..., Scenario]:
    """Factory: `small_scenario({"coaching.meetings_per_year": 8}, base=FULL_LC)`."""
    return build_scenario


@pytest.fixture(scope="session")
def replicate() -> Callable[..., pd.DataFrame]:
    """Factory: `replicate(scenario, n)` -> metrics of replications 0..n-1 (a row each).

    Cached by (scenario hash, seed, n) for the session, so a base scenario shared by many
    paired comparisons is simulated once.
    """
    cache: dict[tuple[str, int, int], pd.DataFrame] = {}

    def run(scenario: Scenario, n: int, seed: int = SEED) -> pd.DataFrame:
        key = (scenario_hash(scenario.model_copy(update={"name": "x", "description": ""})),
               seed, n)
        if key not in cache:
            cache[key] = pd.DataFrame([run_metrics(scenario, r, seed) for r in range(n)])
        return cache[key]

    return run


def paired(reference: pd.DataFrame, proposal: pd.DataFrame, metric: str) -> dict[str, float]:
    """Paired difference proposal - reference of one metric over shared replications."""
    a = reference[metric].to_numpy(dtype=float)
    b = proposal[metric].to_numpy(dtype=float)
    out = paired_difference(a, b)
    return {k: float(v) for k, v in out.items()}


def assert_direction(reference: pd.DataFrame, proposal: pd.DataFrame, metric: str,
                     sign: int) -> None:
    """The paired difference has the expected sign and its 95% CI excludes zero."""
    d = paired(reference, proposal, metric)
    where = f"{metric}: diff {d['diff']:.4g}, CI [{d['ci_low']:.4g}, {d['ci_high']:.4g}]"
    assert not math.isnan(d["diff"]), where
    if sign > 0:
        assert d["ci_low"] > 0, where
    else:
        assert d["ci_high"] < 0, where


def first_divergence(result: RunResult) -> pd.Series:
    """Per student: the first time its path may depend on the scenario (LOA or exit)."""
    st, ep = result.students.set_index("student"), result.episodes
    loa = ep[ep["outcome"] == "loa"].groupby("student")["ended_at"].min()
    exit_time = st["exit_time"].astype(float)
    return np.fmin(exit_time, loa.reindex(st.index).astype(float))
