"""Priors of the assumptions: for each one a distribution, a central value, a null and a source.

The shipped file is `priors.yaml` next to this module (docs/assumptions.md is generated from
it); a user may write their own. Either is read like a scenario (safe YAML, `extends`, one
`ConfigError` naming file and line per problem) and checked: every assumption of `Assumptions`
has exactly one prior; its central value is inside the prior's support and a valid value of the
assumption; an effect of support has a `null` (its no-effect value) inside the support. Each
prior's `ppf(u)` (inverse CDF, scipy imported on first use) lets an uncertainty analysis draw
from it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)

from lcsim.config.assumptions import Assumptions
from lcsim.config.errors import ConfigError, show_value
from lcsim.config.loader import load_mapping, validate_mapping

SHIPPED = Path(__file__).with_name("priors.yaml")
Group = Literal["ties_belonging", "identity_skills", "prevention", "episodes", "detection",
                "help", "load"]
GROUPS: tuple[str, ...] = get_args(Group)
CORRELATION = ("correlation of every pair of effects of support in an uncertainty analysis "
               "(a Gaussian copula with one common factor; 0: drawn independently)")


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


def _inside(x: float, support: tuple[float, float]) -> bool:
    low, high = support
    return low <= x <= high if math.isfinite(high) else low < x


class PriorEntry(BaseModel):
    """One assumption's prior: what it means, its central value, distribution, null, source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group: Group
    meaning: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    central: float
    prior: Prior
    effect_of_support: bool
    null: float | None = Field(None, description="no-effect value of an effect of support")
    source: str = Field(min_length=1)

    def problems(self) -> list[tuple[str, str]]:
        """(key, message) of each inconsistency: a central value or null outside the support,
        an effect of support without its null. A fixed prior may leave out the null: fixing
        an effect (at no effect or any other value) is a deliberate choice not to vary it."""
        support = self.prior.support()
        shown = f"{support[0]:g} to {support[1]:g}"
        found = []
        if not _inside(self.central, support):
            found.append(("central", f"central {self.central:g} is outside the prior's support "
                                     f"({shown})"))
        if self.effect_of_support and self.null is None:
            found.append(("effect_of_support",
                          'an effect of support needs its "null" (its no-effect value)'))
        elif (self.effect_of_support and self.null is not None and not self.fixed
              and not _inside(self.null, support)):
            found.append(("null", f'"null" {self.null:g} is outside the prior\'s support '
                                  f"({shown}): the prior must include no effect"))
        return found

    def ppf(self, u: float) -> float:
        """The prior's inverse CDF at `u`."""
        return self.prior.ppf(u)

    @property
    def fixed(self) -> bool:
        """Whether the prior is a single value (nothing to draw)."""
        return isinstance(self.prior, Fixed)


class Priors(BaseModel):
    """A validated priors file: one `PriorEntry` per assumption (in the order of
    `Assumptions`)."""

    model_config = ConfigDict(frozen=True)

    description: str = ""
    entries: dict[str, PriorEntry]
    effects_of_support_correlation: float = Field(0.0, ge=0.0, le=0.95)

    def centrals(self) -> dict[str, float]:
        """Every assumption at its central value."""
        return {name: entry.central for name, entry in self.entries.items()}

    def null_values(self) -> dict[str, float]:
        """Every effect of support at its no-effect value."""
        return {name: e.null for name, e in self.entries.items()
                if e.effect_of_support and e.null is not None}


@functools.cache
def _file_schema() -> type[BaseModel]:
    """The schema of a priors file: a required entry for each field of `Assumptions`."""
    part = ConfigDict(extra="forbid", frozen=True)
    names = {name: (PriorEntry, ...) for name in Assumptions.model_fields}
    entries = create_model("AssumptionPriors", __config__=part, **names)  # type: ignore[call-overload]
    return create_model("PriorsFile", __config__=part, description=(str, ""),
                        effects_of_support_correlation=(
                            Annotated[float, Field(ge=0.0, le=0.95, description=CORRELATION)],
                            0.0),
                        assumptions=(entries, ...))


def _check_entries(entries: dict[str, PriorEntry], origins: dict[str, tuple[str, int]],
                   file: str) -> None:
    """Each entry is consistent, and its central value (and each bounded prior's whole
    support) is a valid value of its assumption."""
    problems = []
    for name, entry in entries.items():
        for key, message in entry.problems():
            where = origins.get(f"assumptions.{name}.{key}", (file, 0))
            problems.append(ConfigError(message, file=where[0], key=f"assumptions.{name}",
                                        line=where[1] or None))
        info = Assumptions.model_fields[name]
        field: TypeAdapter[Any] = TypeAdapter(Annotated[(info.annotation, *info.metadata)])  # type: ignore[arg-type]
        checks = [("central", "central", entry.central)]
        if not isinstance(entry.prior, LogNormal | Gamma):  # bounded: both ends can be drawn
            low, high = entry.prior.support()
            checks += [("the prior's lowest value", "prior", low),
                       ("the prior's highest value", "prior", high)]
        for what, key, value in checks:
            try:
                field.validate_python(value)
            except ValidationError as err:
                reason = err.errors(include_url=False)[0]["msg"].removeprefix("Input should be ")
                where = origins.get(f"assumptions.{name}.{key}", (file, 0))
                problems.append(ConfigError(
                    f"{what} {show_value(value)} is not a valid {name}: it should be {reason}",
                    file=where[0], key=f"assumptions.{name}", line=where[1] or None))
                break
    if problems:
        problems.sort(key=lambda p: (p.file != file, p.line or 0))
        raise ConfigError(str(problems[0]), file=problems[0].file, key=problems[0].key,
                          line=problems[0].line, problems=[p.problems[0] for p in problems])


def load_priors(path: str | Path = SHIPPED) -> Priors:
    """Read and check a priors file (default: the shipped one); problems are one ConfigError."""
    data, origins = load_mapping(path, whole=frozenset({"prior"}))
    model = validate_mapping(data, _file_schema(), origins, path)
    entries = dict(model.assumptions)  # type: ignore[attr-defined]
    _check_entries(entries, origins, str(path))
    return Priors(description=model.description, entries=entries,  # type: ignore[attr-defined]
                  effects_of_support_correlation=model.effects_of_support_correlation)  # type: ignore[attr-defined]


def is_priors_file(path: str | Path) -> bool:
    """Whether a settings file is a priors file: its `assumptions` hold prior entries (mappings),
    where a scenario's hold numbers."""
    try:
        data, _ = load_mapping(path)
    except ConfigError:
        return False
    block = data.get("assumptions")
    return isinstance(block, dict) and any(isinstance(v, dict) for v in block.values())


def null_assumptions(priors: Priors | None = None) -> Assumptions:
    """The `null` assumptions set: every effect of support at no effect, the rest shipped
    defaults. Use it as ``scenario.model_copy(update={"assumptions": null_assumptions()})``."""
    return Assumptions(**(priors or load_priors()).null_values())
