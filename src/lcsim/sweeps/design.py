"""The sweep file and its design: factors, their kinds, and the points to run.

`SweepSpec` is the validated sweep file; `FactorInfo` is a factor with the kind of the
scenario field it sets (`lcsim.sweeps.fields`); `unit_design` draws the design on the unit cube
with scipy.stats.qmc or SALib and `design_values` maps it onto each factor's values or range.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

DEFAULT_LEVELS = 4
MAX_POINTS = 1_000_000  # point ids are zero-padded to 6 digits in task keys
MAX_RUNS = 100_000_000
_DESIGN_KEY = (0x5EED, 0xDE51, 0x6E)  # spawn key of the design stream (replications use (rep,))

Scalar = bool | int | float | str | None


# --------------------------------------------------------------------------------------------
# The sweep file


class Factor(BaseModel):
    """One swept scenario key: a list of ``values`` or a numeric ``range`` (optionally log)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    values: tuple[Scalar, ...] | None = Field(None, min_length=1, max_length=10_000)
    range: tuple[float, float] | None = Field(None, description="[low, high]")
    log: bool = Field(False, description="sample the range uniformly on a log scale")

    @field_validator("values", mode="before")
    @classmethod
    def _plain(cls, v: Any) -> Any:
        if isinstance(v, list | tuple) and any(isinstance(x, list | tuple | dict) for x in v):
            raise ValueError("values must be a list of plain values (numbers, true/false, "
                             "text or null)")
        return v

    @field_validator("range", mode="before")
    @classmethod
    def _pair(cls, v: Any) -> Any:
        if v is not None and not (isinstance(v, list | tuple) and len(v) == 2):
            raise ValueError("a range is two numbers, [low, high]")
        return v

    @model_validator(mode="after")
    def _check(self) -> Factor:
        if (self.values is None) == (self.range is None):
            raise ValueError("give either values: [...] or range: [low, high]")
        if self.range is not None:
            lo, hi = self.range
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ValueError("range must be [low, high] with finite low < high")
            if self.log and lo <= 0:
                raise ValueError("log: true needs a range with low > 0")
        elif self.log:
            raise ValueError("log applies to a range, not to values")
        return self


class SweepSpec(BaseModel):
    """The validated sweep file (unknown keys are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\- ]+$")
    description: str = Field("", max_length=4000)
    base: str = Field(min_length=1, description="base scenario file, relative to this file")
    design: Literal["grid", "random", "lhs", "sobol", "morris"]
    samples: int | None = Field(None, ge=1, le=MAX_POINTS, validate_default=True)
    replications: int = Field(ge=1, le=100_000)
    seed: int = Field(1, ge=0, le=2**63 - 1)
    levels: int | None = Field(None, ge=2, le=1000, validate_default=True)
    factors: dict[str, Factor] = Field(max_length=100)

    @field_validator("samples")
    @classmethod
    def _samples(cls, v: int | None, info: ValidationInfo) -> int | None:
        design = info.data.get("design")
        if design == "grid" and v is not None:
            raise ValueError("not used by design grid (it has one point per combination of "
                             "factor values): remove it")
        if design in ("random", "lhs", "sobol", "morris") and v is None:
            what = "trajectories" if design == "morris" else "design points"
            raise ValueError(f"samples is missing: design {design} needs samples (the number "
                             f"of {what})")
        if design == "sobol" and v is not None and v & (v - 1):
            low = 1 << (v.bit_length() - 1)
            raise ValueError(f"a power of 2 for design sobol (Sobol' points are balanced only "
                             f"then), e.g. {low} or {2 * low}")
        return v

    @field_validator("levels")
    @classmethod
    def _levels(cls, v: int | None, info: ValidationInfo) -> int | None:
        design = info.data.get("design")
        if v is not None and design in ("random", "lhs", "sobol"):
            raise ValueError("not used by this design (levels applies to design morris and "
                             "to range factors of design grid): remove it")
        if design == "morris" and v is not None and v % 2:
            raise ValueError("an even number of levels for design morris (odd levels bias the "
                             "sample)")
        return v

    @field_validator("factors")
    @classmethod
    def _some(cls, v: dict[str, Factor]) -> dict[str, Factor]:
        if not v:
            raise ValueError("at least one factor is needed (a dotted scenario key with values "
                             "or a range)")
        return v

    @property
    def n_levels(self) -> int:
        return self.levels or DEFAULT_LEVELS


# --------------------------------------------------------------------------------------------
# Designs: unit-cube samples from scipy / SALib, mapped to factor values


@dataclass(frozen=True)
class FactorInfo:
    """A factor with the kind of the scenario field it sets."""

    path: str
    spec: Factor
    kind: str | None  # field_kind(path); None: not a scenario field

    @property
    def integer(self) -> bool:
        return self.kind == "int"

    def grid(self, levels: int) -> list[Any]:
        """Values of this factor on a grid (a range gives `levels` evenly spaced values)."""
        if self.spec.values is not None:
            return list(self.spec.values)
        lo, hi = self.spec.range  # type: ignore[misc]
        raw = np.geomspace(lo, hi, levels) if self.spec.log else np.linspace(lo, hi, levels)
        raw[0], raw[-1] = lo, hi
        if self.integer:
            return list(dict.fromkeys(int(round(x)) for x in raw))
        return [float(x) for x in raw]

    def from_unit(self, u: float) -> Any:
        """Map a unit-interval coordinate to a value (equal mass per value or integer)."""
        if self.spec.values is not None:
            k = len(self.spec.values)
            return self.spec.values[min(int(u * k), k - 1)]
        lo, hi = self.spec.range  # type: ignore[misc]
        if self.integer and not self.spec.log:
            ilo, ihi = int(lo), int(hi)
            return ilo + min(int(u * (ihi - ilo + 1)), ihi - ilo)
        x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if self.spec.log \
            else lo + u * (hi - lo)
        x = min(max(x, lo), hi)
        return int(round(x)) if self.integer else float(x)


def design_seed(seed: int) -> np.random.SeedSequence:
    """Seed of the design generator: a stream apart from every replication seed."""
    return np.random.SeedSequence(seed, spawn_key=_DESIGN_KEY)


def salib_problem(names: Sequence[str]) -> dict[str, Any]:
    """SALib problem on the unit cube (factor values are mapped from it)."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def n_points(spec: SweepSpec, factors: Sequence[FactorInfo]) -> int:
    """Number of design points the spec generates."""
    d = len(factors)
    if spec.design == "grid":
        return math.prod(len(f.grid(spec.n_levels)) for f in factors)
    n = spec.samples or 0
    return {"sobol": n * (d + 2), "morris": n * (d + 1)}.get(spec.design, n)


def unit_design(spec: SweepSpec, factors: Sequence[FactorInfo]) -> np.ndarray:
    """Design points in [0, 1]^d (points x factors); grid coordinates are index / (k - 1)."""
    d = len(factors)
    ss = design_seed(spec.seed)
    seed_int = int(ss.generate_state(1)[0])
    if spec.design == "grid":
        sizes = [len(f.grid(spec.n_levels)) for f in factors]
        idx = np.array(list(itertools.product(*(range(k) for k in sizes))), dtype=float)
        return idx / np.maximum(np.array(sizes, dtype=float) - 1, 1)
    n = int(spec.samples or 0)
    if spec.design == "random":
        return np.random.default_rng(ss).random((n, d))
    if spec.design == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(ss)).random(n)
    problem = salib_problem([f.path for f in factors])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.design == "sobol":
            from SALib.sample import sobol

            return sobol.sample(problem, n, calc_second_order=False, scramble=True,
                                seed=seed_int)
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=spec.n_levels, seed=seed_int)


def design_values(spec: SweepSpec, factors: Sequence[FactorInfo],
                  unit: np.ndarray) -> list[tuple[Any, ...]]:
    """Factor values of every point (Python ints for integer fields)."""
    if spec.design == "grid":
        grids = [f.grid(spec.n_levels) for f in factors]
        return list(itertools.product(*grids))
    return [tuple(f.from_unit(float(u)) for f, u in zip(factors, row, strict=True))
            for row in unit]
