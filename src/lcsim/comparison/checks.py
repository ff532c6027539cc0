"""What `lcsim compare` checks before it runs anything, and the identity ``--resume`` matches.

Kept apart from the run itself so every refusal of unusable input is in one place: scenario
names (unique, not reserved in a compare directory), ``--target-ci`` metrics and half-widths,
replication counts, and the output directory: `COMPARE` words the resume protocol
(`lcsim.experiment.resume`) for ``compare.json``, whose identity comes from `identity` and is
matched by `mismatch`. Each refusal is a `CompareError` with a message the CLI prints as is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lcsim
from lcsim.comparison.defaults import (
    DEFAULT_FIRST_ROUND,
    DEFAULT_MAX_REPLICATIONS,
    DEFAULT_REPLICATIONS,
)
from lcsim.config.scenario import Scenario
from lcsim.experiment.errors import RunError
from lcsim.experiment.provenance import code_hash, git_commit, scenario_hash
from lcsim.experiment.resume import Kind
from lcsim.outcomes.registry import METRIC_NAMES, SUBGROUP_PREFIXES, direction

RESERVED = frozenset({"compare.json", "comparison.csv", "comparison.json", "report.html",
                      "figures", "parts", "failures", "uncertainty", "uncertainty.csv",
                      "drivers.csv", ".", ".."})


class CompareError(RunError):
    """Unusable compare input or directory (a RunError, so the CLI exits 2 with the message)."""


def check_scenarios(scenarios: Sequence[Scenario], sources: Sequence[str] | None) -> None:
    """At least two scenarios, with names unique (ignoring case) and not reserved."""
    if len(scenarios) < 2:
        raise CompareError("compare needs a reference and at least one proposal "
                           f"(got {len(scenarios)} scenario)")
    where = list(sources) if sources else [f"scenario {i + 1}" for i in range(len(scenarios))]
    seen: dict[str, str] = {}
    for sc, src in zip(scenarios, where, strict=True):
        key = sc.name.casefold()
        if key in seen:
            raise CompareError(
                f"scenario names must be unique: {sc.name!r} ({src}) clashes with "
                f"{seen[key]}; give each scenario its own name (it names its directory)")
        if sc.name in RESERVED or sc.name.startswith("."):
            raise CompareError(f"scenario name {sc.name!r} ({src}) is reserved in a compare "
                               "directory; rename the scenario")
        seen[key] = f"{sc.name!r} ({src})"


def _known_metrics(scenarios: Sequence[Scenario]) -> list[str]:
    subs = {g.name for sc in scenarios for g in sc.population.subgroups} | {"none"}
    return [*METRIC_NAMES, *(p + s for p in SUBGROUP_PREFIXES for s in sorted(subs))]


def check_targets(target_ci: Mapping[str, float] | None, scenarios: Sequence[Scenario],
                  max_replications: int | None) -> dict[str, float]:
    """The ``--target-ci`` targets {metric: half-width}, each a known metric and width > 0."""
    targets = dict(target_ci or {})
    if max_replications is not None and not targets:
        raise CompareError("--max-replications only applies with --target-ci")
    known = _known_metrics(scenarios)
    for metric, width in targets.items():
        if metric not in known:
            raise CompareError(f"--target-ci: unknown metric {metric!r}; choose from "
                               f"{', '.join(known)}")
        if not (isinstance(width, (int, float)) and math.isfinite(width) and width > 0):
            raise CompareError(f"--target-ci {metric}: the half-width must be a number > 0, "
                               f"found {width!r}")
    return targets


def check_thresholds(thresholds: Mapping[str, Sequence[float]] | None,
                     scenarios: Sequence[Scenario], uncertainty: int | None) -> dict[str, list[float]]:
    """The ``--threshold`` values {metric: [values]}: known metrics with a better direction,
    finite values, and only with ``--uncertainty``."""
    found = {m: sorted(set(float(v) for v in vs)) for m, vs in (thresholds or {}).items()}
    if found and not uncertainty:
        raise CompareError("--threshold only applies with --uncertainty N")
    known = _known_metrics(scenarios)
    for metric, values in found.items():
        if metric not in known:
            raise CompareError(f"--threshold: unknown metric {metric!r}; choose from "
                               f"{', '.join(known)}")
        if direction(metric) is None:
            raise CompareError(f"--threshold {metric}: neither direction of this metric is "
                               "better, so 'better by' has no meaning")
        bad = [v for v in values if not math.isfinite(v)]
        if bad:
            raise CompareError(f"--threshold {metric}: the value must be a finite number, "
                               f"found {bad[0]!r}")
    return found


def replication_counts(replications: int | None, max_replications: int | None,
                       targets: Mapping[str, float]) -> tuple[int, int | None]:
    """The first replication count and the cap (None without targets), checked."""
    if replications is not None and replications < 1:
        raise CompareError(f"replications must be >= 1, found {replications}")
    if max_replications is not None and max_replications < 1:
        raise CompareError(f"--max-replications must be >= 1, found {max_replications}")
    if targets:
        max_n = max_replications or DEFAULT_MAX_REPLICATIONS
        return min(replications or DEFAULT_FIRST_ROUND, max_n), max_n
    return replications or DEFAULT_REPLICATIONS, None


def identity(scenarios: Sequence[Scenario], sources: Sequence[str] | None, seed: int,
             crn: bool, uncertainty: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a stored comparison must match to be resumed (plus the git commit, provenance);
    ``uncertainty``: the draws, replications per draw and priors of ``--uncertainty``."""
    files = list(sources) if sources else [None] * len(scenarios)
    return {
        "scenarios": [{"name": sc.name, "file": f, "hash": scenario_hash(sc)}
                      for sc, f in zip(scenarios, files, strict=True)],
        "seed": seed, "crn": crn, "uncertainty": dict(uncertainty) if uncertainty else None,
        "lcsim_version": lcsim.__version__, "code_hash": code_hash(), "git_commit": git_commit(),
    }


def refuse_stray(out: Path, scenarios: Sequence[Scenario]) -> None:
    """Refuse a fresh ``out`` that holds a run of one of the scenarios outside a comparison."""
    if (out / "compare.json").exists():
        return
    stray = [sc.name for sc in scenarios if (out / sc.name / "manifest.json").exists()]
    if stray:
        raise CompareError(f"{out} already holds results of {', '.join(stray)} that are "
                           "not part of a comparison; choose another --out")


def mismatch(out: Path, have: Mapping[str, Any], want: Mapping[str, Any]) -> str | None:
    """Why a stored compare.json (``have``) may not be resumed with ``want``, or None."""
    problems = []
    h_names = [s["name"] for s in have.get("scenarios", [])]
    w_names = [s["name"] for s in want["scenarios"]]
    if h_names != w_names:
        problems.append(f"the scenarios differ (stored: {', '.join(h_names)}; "
                        f"now: {', '.join(w_names)})")
    else:
        changed = [w["name"] for h, w in zip(have["scenarios"], want["scenarios"], strict=True)
                   if h.get("hash") != w["hash"]]
        if changed:
            problems.append(f"the settings of {', '.join(changed)} differ from the stored "
                            "scenario(s)")
    if have.get("seed") != want["seed"]:
        problems.append(f"the seed differs (stored {have.get('seed')}, now {want['seed']})")
    if have.get("crn") != want["crn"]:
        def onoff(v: Any) -> str:
            return "on" if v else "off (--no-crn)"
        problems.append(f"common random numbers differ (stored {onoff(have.get('crn'))}, "
                        f"now {onoff(want['crn'])})")
    if have.get("uncertainty") != want.get("uncertainty"):
        problems.append(f"the uncertainty analysis differs (stored {_unc(have)}, now "
                        f"{_unc(want)})")
    for key in ("lcsim_version", "code_hash"):  # the git commit is provenance only
        if have.get(key) != want[key]:
            problems.append(f"the code differs ({key}: stored {have.get(key)}, "
                            f"now {want[key]})")
    if problems:
        return (f"cannot resume {out}: " + "; ".join(problems)
                + ". Use the original inputs, or choose another --out.")
    return None


def _unc(record: Mapping[str, Any]) -> str:
    u = record.get("uncertainty")
    if not u:
        return "none"
    return (f"{u.get('draws')} draws x {u.get('replications_per_draw')} replications, priors "
            f"{str(u.get('priors_sha256', ''))[:12]}")


COMPARE = Kind("compare", "a comparison", "it", mismatch=mismatch, error=CompareError)
