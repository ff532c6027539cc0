"""With every effect of support at no effect (the `null` assumptions), structure cannot change
who stays: every shipped structure gives the baseline's retention, exactly, on common random
numbers, while who notices and how soon help comes may still differ (issue 9, section 4)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lcsim.config.loader import load_model
from lcsim.config.scenario import Scenario
from lcsim.experiment.replications import replication_seed
from lcsim.model.simulation import Model
from lcsim.outcomes.compute import compute

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("advisory-colleges", "small-group-lc", "coached-lc", "peer-augmented-lc",
           "equity-lc")
NULL = {"belonging_conversion_slope": 0.0, "belonging_leaving_slope": 0.0,
        "mentor_prevent": 1.0, "connected_prevent": 1.0, "activities_protection": 0.0,
        "skills_prevent": 0.0, "identity_leaving_slope": 0.0, "help_leaving_hr": 1.0,
        "help_recovery_hr": 1.0, "help_fail_ratio": 1.0, "help_loa_prob": 0.0,
        "training_recovery": 1.0}
RETENTION = ("graduated_4yr", "graduated_6yr", "attrition", "attrition_academic",
             "attrition_nonacademic", "leave_of_absence")
STUDENTS = ["student", "status", "exit_time", "graduated_at", "loa_count", "fails"]
REPS = 3


def runs(name: str, assumptions: dict[str, float]) -> list:
    overrides = [f"assumptions.{k}={v}" for k, v in assumptions.items()]
    scenario = load_model(ROOT / "scenarios" / f"{name}.yaml", Scenario, overrides)
    return [Model(scenario, replication_seed(1, r)).run() for r in range(REPS)]


@pytest.fixture(scope="module")
def baseline_null() -> list:
    return runs("baseline", NULL)


@pytest.mark.parametrize("name", SHIPPED)
def test_null_assumptions_give_the_baselines_retention_exactly(baseline_null: list,
                                                               name: str) -> None:
    for base, lc in zip(baseline_null, runs(name, NULL), strict=True):
        pd.testing.assert_frame_equal(base.students[STUDENTS], lc.students[STUDENTS])
        got, want = compute(lc), compute(base)
        for metric in (*RETENTION, *(m for m in want if m.startswith("attrition_sub_"))):
            assert got[metric] == want[metric], metric
        # ... while detection still differs: the structure is not switched off, only its effect
        assert got["time_to_detection_median_days"] != want["time_to_detection_median_days"]


def test_central_assumptions_do_change_retention(baseline_null: list) -> None:
    """The test above is not vacuous: with the central assumptions the richest structure keeps
    different students than the baseline does."""
    base, lc = runs("baseline", {})[0], runs("equity-lc", {})[0]
    assert not base.students[STUDENTS].equals(lc.students[STUDENTS])


def test_every_assumption_defaults_to_its_priors_central_value() -> None:
    """The scenario default of each assumption is the central value of its shipped prior (for
    the twelve effects of support, the value anchored to the trials; priors.yaml, top)."""
    from lcsim.config.assumptions import Assumptions
    from lcsim.config.priors import load_priors

    priors, defaults = load_priors(), Assumptions()
    assert set(priors.entries) == set(Assumptions.model_fields)
    for name, entry in priors.entries.items():
        assert getattr(defaults, name) == pytest.approx(entry.central, abs=1e-12), name


def test_null_set_is_the_priors_no_effect_values() -> None:
    from lcsim.config.priors import null_assumptions

    null = null_assumptions()
    assert {k: getattr(null, k) for k in NULL} == NULL
