"""The priors of the assumptions: the shipped file is complete and consistent, each distribution
draws what scipy says it should, and a user's priors file is checked with file/line messages.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from lcsim.cli.main import main
from lcsim.config.assumptions import Assumptions
from lcsim.config.loader import ConfigError
from lcsim.config.priors import (
    SHIPPED,
    Beta,
    Fixed,
    Gamma,
    LogNormal,
    PriorEntry,
    Triangular,
    TruncNormal,
    Uniform,
    is_priors_file,
    load_priors,
    null_assumptions,
)
from test_startup import HEAVY, _cli, _loaded

ROOT = Path(__file__).resolve().parents[1]
PRIORS = load_priors()


# -- the shipped file --------------------------------------------------------------------------

def test_every_assumption_has_exactly_one_shipped_prior() -> None:
    assert list(PRIORS.entries) == list(Assumptions.model_fields)


def test_each_assumption_is_described_by_its_prior_meaning() -> None:
    """The knob reference (docs/scenarios.md) and docs/assumptions.md say the same thing."""
    for name, info in Assumptions.model_fields.items():
        assert info.description == PRIORS.entries[name].meaning, name


def test_effects_of_support_have_a_null_inside_their_prior() -> None:
    effects = {n: e for n, e in PRIORS.entries.items() if e.effect_of_support}
    assert len(effects) >= 7
    for name, entry in effects.items():
        low, high = entry.prior.support()
        assert entry.null is not None and low <= entry.null <= high, name


def rounded(draws: dict[str, float]) -> dict[str, float]:
    """Integer assumptions rounded, as `comparison.draws` rounds them."""
    return {name: round(value) if Assumptions.model_fields[name].annotation is int else value
            for name, value in draws.items()}


def test_draws_of_every_prior_are_valid_assumptions() -> None:
    """Any quantile of any prior, alone or with all the others, is a valid set of assumptions."""
    for u in (1e-6, 0.025, 0.5, 0.975, 1 - 1e-6):
        draws = {name: entry.ppf(u) for name, entry in PRIORS.entries.items()}
        Assumptions(**rounded(draws))
    rng = np.random.default_rng(9)
    for _ in range(200):  # independent draws keep the joint constraints (severity shares ...)
        draws = {name: entry.ppf(rng.uniform()) for name, entry in PRIORS.entries.items()}
        Assumptions(**rounded(draws))


def test_central_is_the_median_or_the_mode_as_the_file_says() -> None:
    for name, entry in PRIORS.entries.items():
        prior = entry.prior
        if isinstance(prior, Triangular):
            assert entry.central == prior.mode, name
        elif isinstance(prior, Fixed):
            assert entry.central == prior.value, name
        else:  # uniform, beta (to within 0.001), lognormal: the median
            assert entry.ppf(0.5) == pytest.approx(entry.central, abs=1e-3), name


def test_the_null_set_puts_only_effects_of_support_at_no_effect() -> None:
    null, default = null_assumptions(), Assumptions()
    changed = {n for n in Assumptions.model_fields if getattr(null, n) != getattr(default, n)}
    assert changed <= {n for n, e in PRIORS.entries.items() if e.effect_of_support}
    for name, value in PRIORS.null_values().items():
        assert getattr(null, name) == value


# -- the distributions ---------------------------------------------------------------------------

U = np.array([0.001, 0.1, 0.5, 0.9, 0.999])


@pytest.mark.parametrize(("prior", "reference"), [
    (Uniform(dist="uniform", low=1.0, high=1.4), stats.uniform(1.0, 0.4)),
    (Triangular(dist="triangular", low=0.0, mode=2.0, high=4.0), stats.triang(0.5, 0.0, 4.0)),
    (Triangular(dist="triangular", low=1.0, mode=1.0, high=3.0), stats.triang(0.0, 1.0, 2.0)),
    (Beta(dist="beta", a=7.7, b=11.4), stats.beta(7.7, 11.4)),
    (LogNormal(dist="lognormal", median=0.6, sigma=0.3),
     stats.norm(math.log(0.6), 0.3)),  # compared on the log scale below
    (Gamma(dist="gamma", shape=2.0, scale=0.5), stats.gamma(2.0, scale=0.5)),
    (TruncNormal(dist="truncnormal", mean=0.5, sd=0.2, low=0.0, high=1.0),
     stats.truncnorm(-2.5, 2.5, loc=0.5, scale=0.2)),
])
def test_ppf_is_the_inverse_cdf(prior, reference) -> None:
    got = np.array([prior.ppf(u) for u in U])
    if isinstance(prior, LogNormal):
        got = np.log(got)
    assert got == pytest.approx(reference.ppf(U), rel=1e-9)
    low, high = prior.support()
    assert np.all(np.diff(got) > 0)
    if not isinstance(prior, LogNormal):
        assert low <= got.min() and got.max() <= high


def test_fixed_always_gives_its_value() -> None:
    prior = Fixed(dist="fixed", value=8.0)
    assert [prior.ppf(u) for u in U] == [8.0] * len(U) and prior.support() == (8.0, 8.0)


def test_an_entry_checks_its_central_and_null() -> None:
    entry = {"group": "prevention", "meaning": "m", "unit": "u", "source": "s",
             "prior": {"dist": "uniform", "low": 0.0, "high": 1.0}}
    def problems(**changes: object) -> list[tuple[str, str]]:
        return PriorEntry.model_validate({**entry, **changes}).problems()

    assert problems(central=0.5, effect_of_support=True, null=0.0) == []
    assert problems(central=1.5, effect_of_support=False) == [
        ("central", "central 1.5 is outside the prior's support (0 to 1)")]
    assert problems(central=0.5, effect_of_support=True) == [
        ("effect_of_support", 'an effect of support needs its "null" (its no-effect value)')]
    assert problems(central=0.5, effect_of_support=True, null=2.0) == [
        ("null", '"null" 2 is outside the prior\'s support (0 to 1): the prior must include no '
                 "effect")]


# -- a user's priors file ------------------------------------------------------------------------

def own_priors(tmp_path: Path, edit: dict[str, str]) -> Path:
    """A copy of the shipped file with some lines replaced (old text -> new text)."""
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in edit.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln)


def test_a_users_priors_file_extends_the_shipped_one(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(textwrap.dedent(f"""\
        extends: {SHIPPED}
        description: a wider prior on coach notice
        assumptions:
          coach_notice:
            prior: {{dist: uniform, low: 0.1, high: 0.8}}
        """), encoding="utf-8")
    priors = load_priors(path)
    assert priors.entries["coach_notice"].prior == Uniform(dist="uniform", low=0.1, high=0.8)
    assert priors.entries["attendance"] == PRIORS.entries["attendance"]
    assert is_priors_file(path) and not is_priors_file(ROOT / "scenarios" / "equity-lc.yaml")


@pytest.mark.parametrize(("edit", "anchor", "message"), [
    ({"prior: {dist: lognormal, median: 1.0, sigma: 0.5}":
      "prior: {dist: lognormal, median: 1.0, sigmaa: 0.5}"}, "sigmaa",
     "assumptions.class_contacts_per_week.prior.sigma: required setting is missing"),
    ({"prior: {dist: triangular, low: 6, mode: 12, high: 24}":
      "prior: {dist: triangle, low: 6, mode: 12, high: 24}"}, "dist: triangle",
     "assumptions.class_pool.prior: "),
    ({"central: 0.38 ": "central: 0.49 "}, "central: 0.49 ",
     "assumptions.belonging_base: central 0.49 is outside the prior's support (0.3 to 0.46)"),
    ({'"null": 0.0': '"null": -0.5'}, '"null": -0.5',
     'assumptions.belonging_conversion_slope: "null" -0.5 is outside the prior\'s support'),
    ({"prior: {dist: beta, a: 28.8, b: 9.8}": "prior: {dist: uniform, low: 0.5, high: 1.5}",
      "central: 0.75 ": "central: 1.0 "}, "dist: uniform, low: 0.5, high: 1.5",
     "assumptions.attendance: the prior's highest value 1.5 is not a valid attendance"),
    ({"  tie_half:": "  tie_halve:"}, "tie_halve:",
     "assumptions.tie_halve: unknown key (did you mean 'tie_half'?)"),
])
def test_a_bad_priors_file_gets_file_and_line(tmp_path: Path, edit: dict[str, str],
                                               anchor: str, message: str) -> None:
    path = own_priors(tmp_path, edit)
    with pytest.raises(ConfigError) as caught:
        load_priors(path)
    line = next((p for p in caught.value.problems if message in p), caught.value.problems)
    assert line.startswith(f"{path}, line {line_of(path, anchor)}: "), line


def test_a_missing_prior_and_a_bare_null_key_are_refused(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    start = text.index("  grader_disclosure:")
    path = tmp_path / "short.yaml"
    path.write_text(text[:start] + text[text.index("  reference_group:"):], encoding="utf-8")
    with pytest.raises(ConfigError, match="assumptions.grader_disclosure: required setting is "
                       "missing"):
        load_priors(path)
    bare = own_priors(tmp_path, {'"null": 0.0': "null: 0.0"})
    with pytest.raises(ConfigError, match=r'setting names must be text, found null '
                       r'\(put it in quotes, e.g. "null"'):
        load_priors(bare)


def test_lcsim_validate_checks_a_priors_file(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SHIPPED)]) == 0
    assert f"ok   {SHIPPED} (priors of {len(Assumptions.model_fields)} assumptions)" in \
        capsys.readouterr().out
    bad = own_priors(tmp_path, {"central: 0.38 ": "central: 0.49 "})
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"FAIL {bad}, line {line_of(bad, 'central: 0.49 ')}: assumptions.belonging_base" in err
    assert "Traceback" not in err


def test_validating_a_priors_file_loads_no_heavy_module() -> None:
    assert _loaded(_cli("validate", str(SHIPPED)), HEAVY) == []
