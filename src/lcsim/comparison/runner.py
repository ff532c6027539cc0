"""Committee comparison: every proposal against a reference scenario, replication by replication.

`compare()` runs all scenarios on the same replication seeds (common random numbers, CRN), so
replication *i* of a proposal faces the same students and setbacks as replication *i* of the
reference, and the difference between them is mostly the effect of the structure. Each
scenario's tables go to ``DIR/<scenario name>/`` exactly as ``lcsim run`` writes them.

Files written to ``DIR``:

``compare.json``
    what must match for ``--resume``: the scenarios (name, file, hash) in order, the seed,
    ``crn``, the lcsim version and commit; plus the requested settings and the status.
``comparison.csv``
    tidy, one row per scenario x metric, scenarios in the given order (reference first),
    metrics in ``lcsim.outcomes.registry.METRICS`` order then ``attrition_sub_<subgroup>`` and
    ``isolated_sub_<subgroup>`` (``SUBGROUP_FAMILIES``). Columns:

    - ``scenario``, ``role`` ("reference" or "proposal"), ``metric``
    - ``higher_is_better``: True/False, empty when neither direction is better
    - ``n``: replications with a value; ``mean``, ``ci_low``, ``ci_high``: mean across
      replications and its 95% Student-t interval
    - proposals only (empty for the reference): ``n_pairs`` (pairs used; without CRN the
      smaller sample), ``diff`` (proposal minus reference), ``diff_ci_low``/``diff_ci_high``
      (95% CI: paired t with CRN, Welch without), ``p_value`` (two-sided, diff = 0),
      ``p_holm`` (Holm-adjusted across the proposals, per metric)
    - ``prob_best``: bootstrap probability (2000 paired resamples, seed 0) that the scenario
      has the best mean among all scenarios; empty when no direction is better
``comparison.json``
    the same rows under ``"comparison"`` (NaN as null), with the reference, scenarios, seed,
    ``crn``, replications, failures and ``"stopping"`` (how the replication count was chosen:
    ``outcome`` is "fixed", "target_reached", "max_replications" or "failures", and
    ``rounds`` lists the CI half-widths after each round of ``--target-ci``). ``lcsim compare
    --json`` prints exactly this object.

This module runs the comparison in rounds; the rest lives next to it: `result` (the
`Comparison` object and reading one back), `table` (the statistics of the comparison table and
its JSON form), `checks` (input, directory and ``--resume`` checks, `CompareError`) and
`stores` (the scenario directories: routing, missing replications, reading back). The
directories follow the resume protocol of `lcsim.experiment.resume`. The report is written by
`lcsim.compare`, which wraps this with `lcsim.reports`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd

from lcsim.comparison.checks import (
    COMPARE,
    check_scenarios,
    check_targets,
    check_thresholds,
    identity,
    refuse_stray,
    replication_counts,
)
from lcsim.comparison.defaults import ROUND
from lcsim.comparison.result import Comparison
from lcsim.comparison.stores import Router, covered, plan, read_runs
from lcsim.comparison.table import comparison_table, half_widths
from lcsim.comparison.uncertainty import plan_uncertainty, run_draws
from lcsim.config.loader import load_model
from lcsim.config.scenario import Scenario
from lcsim.experiment import replications as experiment
from lcsim.experiment.atomic import atomic_write_csv, atomic_write_text
from lcsim.experiment.engine import Failure, Task, execute, executor_for, executor_workers
from lcsim.experiment.resume import finish_directory, start_directory
from lcsim.experiment.store import ResultStore


@dataclass
class Rounds:
    """The scenario directories of a comparison and the rounds of replications that fill them."""

    out: Path
    scenarios: list[Scenario]
    seed: int
    crn: bool
    progress: bool | None = None
    trace: float | None = None
    failures: list[Failure] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.streams = {sc.name: 0 if self.crn else k + 1 for k, sc in enumerate(self.scenarios)}
        self.stores = {sc.name: ResultStore(self.out / sc.name) for sc in self.scenarios}

    def prepare(self, resume: bool) -> None:
        """Create (or check, to resume) each scenario's run directory."""
        for sc in self.scenarios:
            experiment.prepare(self.out / sc.name, sc, self.seed, self.streams[sc.name], resume,
                               self.trace)

    def run_to(self, count: int, ex: Executor) -> None:
        """Run every scenario's missing replications below ``count``."""
        tasks = [Task(f"{sc.name}/{t.key}", t.payload) for sc in self.scenarios
                 for t in plan(self.stores[sc.name], sc, self.seed, count,
                               self.streams[sc.name], self.trace)]
        router = cast(ResultStore, Router(self.stores))  # duck-typed: see Router
        # experiment.run_batch looked up at call time (tests substitute it)
        self.failures += execute(tasks, experiment.run_batch, router, ex,
                                 progress=self.progress, desc=f"compare ({count} replications)")

    def runs(self, n: int) -> dict[str, pd.DataFrame]:
        """Each scenario's runs table, replications below ``n``."""
        return {sc.name: read_runs(self.stores[sc.name], n) for sc in self.scenarios}

    def until_done(self, ex: Executor, n: int, targets: Mapping[str, float],
                   max_n: int | None) -> tuple[int, str]:
        """Run rounds until the targets are met (or the cap, or a failure); (count, outcome)."""
        while True:
            self.run_to(n, ex)
            if self.failures:
                return n, "failures"
            if not targets:
                return n, "fixed"
            widths = half_widths(self.runs(n), list(targets), self.crn)
            self.rounds.append({"replications": n, "half_widths": widths})
            if all(w <= targets[m] for m, by in widths.items() for w in by.values()):
                return n, "target_reached"
            if n >= cast(int, max_n):
                return n, "max_replications"
            n = min(n + ROUND, cast(int, max_n))

    def keep_stored(self, ex: Executor, n: int, outcome: str) -> int:
        """Never leave stored replications out of the tables (a resume with other settings)."""
        stored = max((max(covered(s), default=-1) + 1 for s in self.stores.values()), default=0)
        if stored > n and outcome != "failures":
            self.run_to(stored, ex)
            return stored
        return n

    def finish(self, n: int, workers: int | None) -> dict[str, dict[str, str]]:
        """Assemble each scenario's tables; the failed tasks by scenario (those with any)."""
        by_scenario: dict[str, list[Failure]] = {sc.name: [] for sc in self.scenarios}
        for f in self.failures:
            name, _, key = f.key.partition("/")
            by_scenario[name].append(Failure(key, f.error))
        outputs = {sc.name: experiment.finish(self.out / sc.name, sc, n, workers,
                                              by_scenario[sc.name]) for sc in self.scenarios}
        return {name: o.failures for name, o in outputs.items() if o.failures}


def run_comparison(scenarios: Sequence[Scenario | str | Path], *, out: str | Path,
            replications: int | None = None, seed: int = 1,
            executor: Executor | None = None, workers: int | None = None,
            scheduler: str | None = None, target_ci: Mapping[str, float] | None = None,
            max_replications: int | None = None, crn: bool = True, resume: bool = False,
            progress: bool | None = None, sources: Sequence[str] | None = None,
            uncertainty: int | None = None, draw_replications: int = 1,
            priors: str | Path | None = None,
            thresholds: Mapping[str, Sequence[float]] | None = None,
            trace: float | None = None) -> Comparison:
    """Run and compare ``scenarios`` (the first is the reference) into directory ``out``.

    ``scenarios`` are `Scenario` objects or scenario files (loaded as `lcsim run` loads them).
    ``replications`` per scenario (default 50); with ``target_ci`` ({metric: half-width, in
    the metric's units, e.g. 0.005 for half a point of a share}) it is the first round
    (default 20) and rounds of `ROUND` replications are added until every proposal's
    difference CI half-width is at or below its target, or ``max_replications`` (default
    500) is reached. ``crn=False`` gives scenario k its own random streams (stream k+1).
    ``executor`` (left open) or ``workers``/``scheduler`` choose where replications run.
    ``sources`` are the scenario files, recorded in compare.json. Failed replications are
    recorded; the rest of the comparison goes on (see ``Comparison.failures``).

    ``uncertainty=N`` adds a probabilistic sensitivity analysis (`lcsim.comparison.uncertainty`):
    every scenario on N assumption sets drawn from ``priors`` (a priors file; default the
    shipped one), ``draw_replications`` replications per draw, giving ``uncertainty.csv``
    (with the share better by each of ``thresholds``, {metric: [values]}) and ``drivers.csv``.
    ``trace`` (a share in (0, 1]) keeps the event log of that share of students, the same
    students in every scenario, in each scenario's ``events.parquet`` (for ``lcsim story``);
    the uncertainty draws never trace.
    """
    if sources is None and all(isinstance(x, str | Path) for x in scenarios):
        sources = [str(x) for x in scenarios]
    loaded = [x if isinstance(x, Scenario) else load_model(x, Scenario) for x in scenarios]
    check_scenarios(loaded, sources)
    targets = check_targets(target_ci, loaded, max_replications)
    n, max_n = replication_counts(replications, max_replications, targets)
    wanted = check_thresholds(thresholds, loaded, uncertainty)
    psa = plan_uncertainty(uncertainty, draw_replications, priors, seed, wanted)
    out = Path(out)
    if not resume:
        refuse_stray(out, loaded)
    start_directory(out, COMPARE, identity(loaded, sources, seed, crn,
                                           psa.settings.identity() if psa else None), resume, {
        "replications_requested": replications, "target_ci": targets,
        "max_replications": max_n, "round": ROUND if targets else None,
        "priors_file": psa.settings.priors_file if psa else None})
    rounds = Rounds(out, loaded, seed, crn, progress, trace=trace)
    rounds.prepare(resume)
    with executor_for(executor, workers, scheduler) as ex:
        n_workers = workers if executor is None and scheduler is None else None
        n_workers = n_workers or executor_workers(ex)
        n, outcome = rounds.until_done(ex, n, targets, max_n)
        n = rounds.keep_stored(ex, n, outcome)
        if psa:
            psa.failures = run_draws(out, loaded, psa.draws, psa.priors, seed, crn,
                                     psa.settings.replications, ex, resume, progress)
    failed = rounds.finish(n, n_workers)
    runs = rounds.runs(n)
    unc_tables = psa.finish(out, loaded, runs) if psa else None
    failed.update(psa.failed() if psa else {})
    info = {
        "reference": loaded[0].name, "scenarios": [sc.name for sc in loaded],
        "seed": seed, "crn": crn, "replications": n,
        "stopping": {"rule": "target_ci" if targets else "fixed", "outcome": outcome,
                     "targets": targets, "max_replications": max_n, "rounds": rounds.rounds},
        "failures": {name: sorted(f) for name, f in failed.items()},
    }
    if psa:
        info["uncertainty"] = psa.info()
    result = Comparison(out, loaded, runs, comparison_table(runs, crn), info, failed,
                        *(unc_tables or (None, None)))
    atomic_write_csv(result.table, out / "comparison.csv")
    if unc_tables:
        atomic_write_csv(unc_tables[0], out / "uncertainty.csv")
        atomic_write_csv(unc_tables[1], out / "drivers.csv")
    # Not ResultStore.write_json: keep the columns of each row in comparison.csv order.
    atomic_write_text(out / "comparison.json", json.dumps(result.to_json(), indent=2) + "\n")
    finish_directory(out, COMPARE, bool(failed), {"replications": n, "outcome": outcome,
                                                  "workers": n_workers})
    return result
