"""Assumption sets drawn from the priors, and the scenario each draw gives.

An uncertainty analysis draws N assumption sets: a scrambled Sobol' sequence (quasi-random, so
N draws cover the priors more evenly than N random ones) on the unit cube of the assumptions
whose prior is not fixed, each coordinate mapped through its prior's inverse CDF. The sequence
is seeded from the comparison's seed on a stream of its own, so the same seed gives the same
draws, and the first N draws of a larger N are the same (Sobol' points are balanced when N is a
power of two).

The effects of support (`effect_of_support: true`) are correlated when the priors file sets
``effects_of_support_correlation``: a Gaussian copula with one common factor (an extra
coordinate of the design, stored as ``effects_of_support_common``), so each effect keeps its
prior while whether support works at all varies from draw to draw.

An assumption that a scenario itself sets (a value other than the shipped default) is that
scenario's claim: it keeps its value in every draw, and the report lists it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lcsim.comparison.checks import CompareError
from lcsim.config.assumptions import Assumptions
from lcsim.config.priors import Priors
from lcsim.config.scenario import Scenario

_DRAW_KEY = (0x5EED, 0xA55, 0x0)  # spawn key of the draws (replications use (rep,))
_EDGE = 1e-10  # keep quantiles off 0 and 1, where unbounded priors have no value
COMMON = "effects_of_support_common"  # design column of the common factor of the effects


@dataclass(frozen=True)
class Draws:
    """N assumption sets: ``unit`` (draw x varied assumption, prior quantiles 0-1) and
    ``values`` (draw x every assumption, the values used unless a scenario sets its own)."""

    unit: pd.DataFrame
    values: pd.DataFrame

    @property
    def varied(self) -> list[str]:
        """The assumptions whose prior is not fixed."""
        return [c for c in self.unit.columns if c not in ("draw", COMMON)]

    def __len__(self) -> int:
        return len(self.values)


def _is_int(name: str) -> bool:
    return Assumptions.model_fields[name].annotation is int


def draw_assumptions(priors: Priors, n: int, seed: int) -> Draws:
    """``n`` draws from ``priors`` (scrambled Sobol' from ``seed``); every draw is checked to
    be a valid assumption set before anything runs (`CompareError` names the first bad one)."""
    if n < 2:
        raise CompareError(f"--uncertainty needs at least 2 draws, found {n}")
    varied = [name for name, e in priors.entries.items() if not e.fixed]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=_DRAW_KEY))
    effects = [i for i, name in enumerate(varied) if priors.entries[name].effect_of_support]
    rho = priors.effects_of_support_correlation if effects else 0.0
    dims = len(varied) + (1 if rho > 0 else 0)
    if dims:
        from scipy.stats import qmc

        with warnings.catch_warnings():  # balance warning when n is not a power of two
            warnings.simplefilter("ignore")
            cube = qmc.Sobol(d=dims, scramble=True, rng=rng).random(n)
        cube = np.clip(_decorrelate(cube), _EDGE, 1.0 - _EDGE)
    else:
        cube = np.empty((n, 0))
    draw = np.arange(n, dtype=np.int64)
    columns_u = list(varied)
    if rho > 0:
        # a high common factor means stronger effects: a quantile towards the far side of
        # each effect's null (an effect below its null, such as a hazard ratio, turns round)
        signs = np.array([1.0 if _stronger_above(priors, varied[i]) else -1.0 for i in effects])
        cube[:, effects] = _correlate(cube[:, effects], cube[:, -1], rho, signs)
        columns_u.append(COMMON)
    unit = pd.DataFrame(cube, columns=columns_u).assign(draw=draw)[["draw", *columns_u]]
    columns: dict[str, Any] = {"draw": draw}
    for name, entry in priors.entries.items():
        values = (entry.prior.ppf_many(cube[:, varied.index(name)]) if name in varied
                  else np.full(n, entry.prior.ppf(0.5)))
        columns[name] = np.rint(values).astype(np.int64) if _is_int(name) else values
    values = pd.DataFrame(columns)
    _check(values, priors)
    return Draws(unit, values)


def _decorrelate(cube: np.ndarray) -> np.ndarray:
    """Rearrange each column so that no two are correlated by the design (Iman & Conover 1982,
    target: no correlation), keeping every column's values: each coordinate stays a
    permutation of its Sobol' points, so its balance is kept.

    Sobol' points in many dimensions have pairs of coordinates that move together at a few
    hundred points (rank correlations up to 0.7 among 80 coordinates at 256 points), and a
    share estimated one assumption at a time would credit one assumption with another's
    effect. With fewer points than coordinates no arrangement removes every correlation; the
    design's correlation is then halved towards none before it is removed, which lowers them.
    """
    n, d = cube.shape
    if d < 2 or n < 4:
        return cube
    from scipy.stats import norm, rankdata

    scores = norm.ppf(np.arange(1, n + 1) / (n + 1))
    ranks = np.column_stack([rankdata(cube[:, j], method="ordinal") - 1 for j in range(d)])
    m = scores[ranks]  # van der Waerden scores in the design's order
    corr = np.corrcoef(m, rowvar=False)
    if n <= d + 1:  # singular: shrink towards no correlation so that it can be inverted
        corr = 0.5 * corr + 0.5 * np.eye(d)
    chol = np.linalg.cholesky(corr)
    target = m @ np.linalg.inv(chol).T  # uncorrelated scores
    out = np.empty_like(cube)
    for j in range(d):
        order = np.argsort(np.argsort(target[:, j], kind="stable"), kind="stable")
        out[:, j] = np.sort(cube[:, j])[order]
    return out


def _stronger_above(priors: Priors, name: str) -> bool:
    """Whether a larger value of an effect of support is a stronger effect (central above its
    null), as for a slope; False for a ratio below 1 such as a hazard ratio."""
    entry = priors.entries[name]
    return entry.null is None or entry.central >= entry.null


def _correlate(u: np.ndarray, common: np.ndarray, rho: float,
               signs: np.ndarray) -> np.ndarray:
    """Gaussian copula with one common factor: each column keeps a uniform margin, and every
    pair of columns has normal-scale correlation ``rho`` times the product of their signs
    (so that the common factor strengthens every effect)."""
    from scipy.stats import norm

    z = (np.sqrt(rho) * norm.ppf(common)[:, None] * signs[None, :]
         + np.sqrt(1.0 - rho) * norm.ppf(u))
    return np.clip(norm.cdf(z), _EDGE, 1.0 - _EDGE)


def _check(values: pd.DataFrame, priors: Priors) -> None:
    """Every draw is a valid `Assumptions` (a prior may reach beyond an assumption's range)."""
    from pydantic import ValidationError

    for row in values.drop(columns="draw").to_dict("records"):
        try:
            Assumptions(**row)
        except ValidationError as err:
            e = err.errors(include_url=False)[0]
            name = str(e["loc"][0]) if e["loc"] else "the assumptions"
            value = row.get(name, math.nan)
            raise CompareError(
                f"the priors draw {name} = {value:g}, which is not a valid value ("
                f"{e['msg']}); give {name} a prior inside its valid range") from None


def overrides(scenario: Scenario) -> dict[str, Any]:
    """The assumptions a scenario sets to other values than the shipped defaults."""
    defaults = Assumptions()
    return {name: getattr(scenario.assumptions, name) for name in Assumptions.model_fields
            if getattr(scenario.assumptions, name) != getattr(defaults, name)}


def scenario_for(scenario: Scenario, draw: Mapping[str, Any]) -> Scenario:
    """``scenario`` with the draw's assumptions, except those it sets itself."""
    own = overrides(scenario)
    values = {k: (v.item() if hasattr(v, "item") else v) for k, v in draw.items() if k != "draw"}
    data = scenario.model_dump()
    data["assumptions"] = {**values, **own}
    return Scenario.model_validate(data)
