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
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
)

from lcsim.config.assumptions import Assumptions
from lcsim.config.distributions import (
    Beta,
    Fixed,
    Gamma,
    LogNormal,
    Prior,
    Triangular,
    TruncNormal,
    Uniform,
    describe,
)
from lcsim.config.errors import ConfigError, show_value
from lcsim.config.loader import load_mapping, validate_mapping

__all__ = ["Beta", "Fixed", "Gamma", "LogNormal", "Prior", "PriorEntry", "Priors", "SHIPPED",
           "Triangular", "TruncNormal", "Uniform", "describe", "is_priors_file", "load_priors",
           "null_assumptions"]

SHIPPED = Path(__file__).with_name("priors.yaml")
Group = Literal["ties_belonging", "identity_skills", "prevention", "episodes", "detection",
                "help", "load"]
GROUPS: tuple[str, ...] = get_args(Group)
CORRELATION = ("correlation of every pair of effects of support in an uncertainty analysis "
               "(a Gaussian copula with one common factor; 0: drawn independently)")


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
