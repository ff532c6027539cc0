"""Distributions of the priors: each with its support, its inverse CDF and a description.

Seven forms (`Prior`, discriminated by ``dist``): fixed, uniform, triangular, beta (on 0-1 or on
``low``-``high``), lognormal, gamma, truncated normal. scipy is imported on first use, so a
priors file can be checked without it. `describe` puts one in words for the docs and the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Dist(BaseModel):
    """A distribution of one assumption: its support and its inverse CDF."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def support(self) -> tuple[float, float]:
        """The closed range every draw lies in (inf for an unbounded side)."""
        raise NotImplementedError

    def ppf(self, u: float) -> float:
        """The value below which a share `u` (0-1) of the distribution lies."""
        return float(self._frozen().ppf(u))

    def ppf_many(self, u: Any) -> Any:
        """`ppf` of every element of an array of shares (one scipy call, not one per draw)."""
        import numpy as np

        return np.asarray(self._frozen().ppf(np.asarray(u, dtype=float)), dtype=float)

    def _frozen(self) -> Any:
        raise NotImplementedError


class Fixed(_Dist):
    """No uncertainty: always `value` (normalisations, bounds, scale anchors)."""

    dist: Literal["fixed"]
    value: float

    def support(self) -> tuple[float, float]:
        return self.value, self.value

    def ppf(self, u: float) -> float:
        return self.value

    def ppf_many(self, u: Any) -> Any:
        import numpy as np

        return np.full(np.shape(u), self.value, dtype=float)


class Uniform(_Dist):
    """Every value between `low` and `high` equally likely."""

    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError("low must be below high")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: float) -> float:
        return self.low + u * (self.high - self.low)

    def ppf_many(self, u: Any) -> Any:
        import numpy as np

        return self.low + np.asarray(u, dtype=float) * (self.high - self.low)


class Triangular(_Dist):
    """Most likely at `mode`, falling linearly to zero at `low` and `high`."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError("needs low <= mode <= high and low < high")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def _frozen(self) -> Any:
        from scipy import stats

        width = self.high - self.low
        return stats.triang((self.mode - self.low) / width, loc=self.low, scale=width)


class Beta(_Dist):
    """A Beta(a, b) distribution on `low`-`high` (default 0-1: probabilities and shares)."""

    dist: Literal["beta"]
    a: float = Field(gt=0.0)
    b: float = Field(gt=0.0)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _check(self) -> Beta:
        if not self.low < self.high:
            raise ValueError("low must be below high")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def _frozen(self) -> Any:
        from scipy import stats

        return stats.beta(self.a, self.b, loc=self.low, scale=self.high - self.low)


class LogNormal(_Dist):
    """log(x) is normal: median `median`, standard deviation of log(x) `sigma`."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0.0)
    sigma: float = Field(gt=0.0)

    def support(self) -> tuple[float, float]:
        return 0.0, math.inf

    def _frozen(self) -> Any:
        from scipy import stats

        return stats.lognorm(self.sigma, scale=self.median)


class Gamma(_Dist):
    """A gamma distribution with `shape` and `scale` (mean shape x scale)."""

    dist: Literal["gamma"]
    shape: float = Field(gt=0.0)
    scale: float = Field(gt=0.0)

    def support(self) -> tuple[float, float]:
        return 0.0, math.inf

    def _frozen(self) -> Any:
        from scipy import stats

        return stats.gamma(self.shape, scale=self.scale)


class TruncNormal(_Dist):
    """A normal distribution (`mean`, `sd`) cut to `low`-`high`."""

    dist: Literal["truncnormal"]
    mean: float
    sd: float = Field(gt=0.0)
    low: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> TruncNormal:
        if not self.low < self.high:
            raise ValueError("low must be below high")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def _frozen(self) -> Any:
        from scipy import stats

        return stats.truncnorm((self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd,
                               loc=self.mean, scale=self.sd)


Prior = Annotated[Fixed | Uniform | Triangular | Beta | LogNormal | Gamma | TruncNormal,
                  Field(discriminator="dist")]


def describe(prior: Fixed | Uniform | Triangular | Beta | LogNormal | Gamma | TruncNormal,
             num: Callable[[float], str]) -> str:
    """A prior in words, numbers written with ``num``: 'triangular 0 to 1, mode 0.2',
    'beta(1, 8.89) on 0 to 2' (a 0-1 beta leaves out its range), 'fixed at 2'."""
    if isinstance(prior, Fixed):
        return f"fixed at {num(prior.value)}"
    if isinstance(prior, Uniform):
        return f"uniform {num(prior.low)} to {num(prior.high)}"
    if isinstance(prior, Triangular):
        return f"triangular {num(prior.low)} to {num(prior.high)}, mode {num(prior.mode)}"
    if isinstance(prior, Beta):
        text = f"beta({num(prior.a)}, {num(prior.b)})"
        return text + ("" if (prior.low, prior.high) == (0.0, 1.0)
                       else f" on {num(prior.low)} to {num(prior.high)}")
    if isinstance(prior, LogNormal):
        return f"lognormal, median {num(prior.median)}, sigma {num(prior.sigma)}"
    params = {k: v for k, v in prior.model_dump().items() if k != "dist"}
    return f"{prior.dist}(" + ", ".join(f"{k} {num(v)}" for k, v in params.items()) + ")"
