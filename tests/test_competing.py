"""The Aalen-Johansen cumulative incidence against lifelines and against a direct count."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lcsim.stats.competing import CENSORED, cumulative_incidence

HELP, OTHER = 1, 2


def _data(seed: int, n: int, censor_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Continuous times (no ties) with causes help / other / censored."""
    rng = np.random.default_rng(seed)
    help_t = rng.exponential(60.0, n)
    other_t = rng.exponential(90.0, n)
    cens_t = np.where(rng.random(n) < censor_share, rng.uniform(0, 60, n), np.inf)
    t = np.minimum(np.minimum(help_t, other_t), cens_t)
    cause = np.where(t == cens_t, CENSORED, np.where(t == help_t, HELP, OTHER))
    return t, cause


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_lifelines_aalen_johansen(seed: int) -> None:
    lifelines = pytest.importorskip("lifelines")
    t, cause = _data(seed, 400, 0.4)
    assert (cause == CENSORED).sum() > 50  # the censoring branch is exercised
    fitter = lifelines.AalenJohansenFitter(calculate_variance=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter.fit(t, cause, event_of_interest=HELP)
    curve = fitter.cumulative_density_
    points = np.array([5.0, 30.0, 90.0, 150.0])
    theirs = np.array([curve[curve.index <= p].iloc[-1, 0] for p in points])
    ours = cumulative_incidence(t, cause, HELP, points)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_equals_direct_count_without_censoring() -> None:
    t, cause = _data(7, 1000, 0.0)
    assert (cause == CENSORED).sum() == 0
    points = np.array([0.0, 10.0, 30.0, 90.0, 1e6])
    direct = [np.mean((t <= p) & (cause == HELP)) for p in points]
    np.testing.assert_allclose(cumulative_incidence(t, cause, HELP, points), direct,
                               rtol=0, atol=1e-12)


def test_ties_count_events_before_censorings() -> None:
    # Two episodes end at day 10: one helped, one censored. The censored one is still at risk
    # at day 10, so the helped share at 10 is 1/3, and the survivor at 20 takes the rest.
    t = np.array([10.0, 10.0, 20.0])
    cause = np.array([HELP, CENSORED, HELP])
    np.testing.assert_allclose(cumulative_incidence(t, cause, HELP, [9.0, 10.0, 20.0]),
                               [0.0, 1 / 3, 1.0], atol=1e-12)


def test_competing_ends_are_not_censoring() -> None:
    # Half recover on day 1, half are helped on day 2: KM would say 100% helped by day 2;
    # the cumulative incidence says 50%.
    t = np.array([1.0, 1.0, 2.0, 2.0])
    cause = np.array([OTHER, OTHER, HELP, HELP])
    assert cumulative_incidence(t, cause, HELP, [2.0])[0] == pytest.approx(0.5)


def test_empty_and_bad_input() -> None:
    assert np.isnan(cumulative_incidence([], [], HELP, [30.0])).all()
    with pytest.raises(ValueError, match="same length"):
        cumulative_incidence([1.0, 2.0], [HELP], HELP, [1.0])
    with pytest.raises(ValueError, match="non-negative"):
        cumulative_incidence([-1.0], [HELP], HELP, [1.0])
