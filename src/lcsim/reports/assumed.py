"""Which assumptions a comparison changed: those a scenario sets itself, and those whose prior
a priors file changed.

A scenario that sets an assumption (a value other than the shipped default) makes a claim the
reader should see; so does a priors file that moves a central value or a distribution. The
report lists both, for plain comparisons and uncertainty analyses alike, from the stored
scenarios and DIR/uncertainty/priors.resolved.yaml.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from pathlib import Path

from lcsim.comparison.draws import overrides
from lcsim.comparison.result import Comparison
from lcsim.config.assumptions import Assumptions
from lcsim.config.priors import Fixed, PriorEntry, Priors, Uniform, describe, load_priors
from lcsim.reports.format import title

RESOLVED = Path("uncertainty") / "priors.resolved.yaml"


@dataclass(frozen=True)
class Held:
    """An assumption a scenario sets: its value and the shipped default."""

    scenario: str
    name: str
    value: float
    default: float


@dataclass(frozen=True)
class Moved:
    """A prior the priors used differ on from the shipped ones: (shipped, used) in words."""

    name: str
    central: tuple[str, str] | None
    prior: tuple[str, str] | None


@functools.cache
def shipped_priors() -> Priors:
    """The shipped priors (read once)."""
    return load_priors()


def used_priors(cmp: Comparison) -> Priors | None:
    """The priors an uncertainty analysis used (DIR/uncertainty/priors.resolved.yaml), if any."""
    path = cmp.directory / RESOLVED
    return load_priors(path) if "uncertainty" in cmp.info and path.is_file() else None


def num(x: float) -> str:
    """A number in at most 3 significant digits."""
    return f"{x:.3g}"


def prior_words(entry: PriorEntry) -> str:
    """A prior in words with its central 95% range: 'triangular 0 to 0.1, mode 0.05',
    'beta(4.5, 65.7), 95% range 0.0201 to 0.132'."""
    text = describe(entry.prior, num)
    if isinstance(entry.prior, Fixed | Uniform):
        return text
    return f"{text}, 95% range {num(entry.ppf(0.025))} to {num(entry.ppf(0.975))}"


def held(cmp: Comparison) -> list[Held]:
    """Every assumption a scenario of the comparison sets to other than the shipped default."""
    defaults = Assumptions()
    return [Held(sc.name, name, float(value), float(getattr(defaults, name)))
            for sc in cmp.scenarios for name, value in overrides(sc).items()]


def moved(cmp: Comparison) -> list[Moved]:
    """Every assumption whose central value or distribution in the priors used differs from
    the shipped priors (empty without an uncertainty analysis)."""
    used = used_priors(cmp)
    if used is None:
        return []
    out = []
    for name, entry in used.entries.items():
        ship = shipped_priors().entries.get(name)
        if ship is None:
            continue
        central = ((num(ship.central), num(entry.central)) if ship.central != entry.central
                   else None)
        prior = ((prior_words(ship), prior_words(entry)) if ship.prior != entry.prior
                 else None)
        if central or prior:
            out.append(Moved(name, central, prior))
    return out


def meaning(name: str) -> str:
    """What an assumption means (its prior's `meaning`)."""
    entry = shipped_priors().entries.get(name)
    return entry.meaning if entry else ""


def _held_html(cmp: Comparison, uncertain: bool) -> str:
    items = held(cmp)
    if not items:
        return ("<li>No scenario sets an assumption of its own: every scenario uses the shipped "
                "value of every assumption.</li>")
    rows = "".join(
        f"<li>{html.escape(title(h.scenario))}: <code>{html.escape(h.name)}</code> = "
        f"{num(h.value)} (shipped default {num(h.default)}): {html.escape(meaning(h.name))}</li>"
        for h in items)
    fixed = ("The uncertainty analysis holds each at the scenario's value in every draw, so "
             "its intervals do not cover doubt about these values." if uncertain else "")
    return ("<li>Assumptions a scenario sets itself instead of the shipped value (a claim of "
            f"the scenario, not a setting a school controls):<ul>{rows}</ul>{fixed}</li>")


def _moved_html(cmp: Comparison) -> str:
    items = moved(cmp)
    source = (cmp.info.get("uncertainty") or {}).get("priors_file")
    file = f"the priors file <code>{html.escape(str(source))}</code>" if source else ""
    if not items:
        return (f"<li>The uncertainty analysis used {file}, which changes no prior from the "
                "shipped ones.</li>" if source else
                "<li>The uncertainty analysis used the shipped priors (docs/assumptions.md)."
                "</li>")
    rows = []
    for m in items:
        parts = []
        if m.central:
            parts.append(f"central {m.central[0]} \u2192 {m.central[1]}")
        if m.prior:
            parts.append(f"prior {m.prior[0]} \u2192 {m.prior[1]}")
        rows.append(f"<li><code>{html.escape(m.name)}</code>: {html.escape('; '.join(parts))}"
                    f" <span class='muted'>({html.escape(meaning(m.name))})</span></li>")
    intro = (f"Priors that {file} changes from the shipped priors" if source else
             "Priors used that differ from the shipped priors of this version of lcsim")
    return f"<li>{intro} (shipped \u2192 used):<ul>{''.join(rows)}</ul></li>"


def changed_assumptions(cmp: Comparison) -> str:
    """HTML list items: the assumptions the scenarios set and, with an uncertainty analysis,
    the priors that differ from the shipped ones."""
    uncertain = "uncertainty" in cmp.info
    return _held_html(cmp, uncertain) + (_moved_html(cmp) if uncertain else "")
