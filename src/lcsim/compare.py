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
    metrics in ``lcsim.metrics.METRICS`` order then ``attrition_sub_<subgroup>``. Columns:

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
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import yaml

import lcsim
from lcsim import experiment
from lcsim.analysis import holm, mean_ci, paired_difference, prob_best, unpaired_difference
from lcsim.engine import Failure, Task, execute, executor_workers, make_executor
from lcsim.experiment import (
    BATCH,
    Batch,
    RunError,
    code_hash,
    git_commit,
    now_iso,
    scenario_hash,
)
from lcsim.loader import load_model
from lcsim.metrics import BEYOND_FOLLOW_UP, HIGHER_IS_BETTER, METRIC_NAMES, SUBGROUP_PREFIX
from lcsim.scenario import Scenario
from lcsim.store import ResultStore, atomic_write_csv, atomic_write_text

__all__ = [
    "COLUMNS",
    "CompareError",
    "Comparison",
    "compare",
    "comparison_table",
    "half_widths",
    "higher_is_better",
    "load",
]

DEFAULT_REPLICATIONS = 50
DEFAULT_FIRST_ROUND = 20  # with --target-ci and no --replications
DEFAULT_MAX_REPLICATIONS = 500
ROUND = 20  # replications added per round of --target-ci (a multiple of BATCH keeps keys aligned)
LEVEL = 0.95
N_BOOT = 2000
RESERVED = frozenset({"compare.json", "comparison.csv", "comparison.json", "report.html",
                      "figures", "parts", "failures", ".", ".."})
COLUMNS = ("scenario", "role", "metric", "higher_is_better", "n", "mean", "ci_low", "ci_high",
           "n_pairs", "diff", "diff_ci_low", "diff_ci_high", "p_value", "p_holm", "prob_best")
_KEY = re.compile(r"r(\d+)-(\d+)")


class CompareError(RunError):
    """Unusable compare input or directory (a RunError, so the CLI exits 2 with the message)."""


# --------------------------------------------------------------------------- results object


@dataclass
class Comparison:
    """A finished comparison: per-scenario runs and the comparison table (see module doc)."""

    directory: Path
    scenarios: list[Scenario]
    runs: dict[str, pd.DataFrame]
    table: pd.DataFrame
    info: dict[str, Any]
    failures: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """Name of the reference scenario (the first)."""
        return self.scenarios[0].name

    @property
    def names(self) -> list[str]:
        """Scenario names in order, reference first."""
        return [s.name for s in self.scenarios]

    @property
    def proposals(self) -> list[str]:
        """Names of the proposals."""
        return self.names[1:]

    def row(self, scenario: str, metric: str) -> pd.Series:
        """The comparison row of one scenario and metric."""
        t = self.table
        hit = t[(t["scenario"] == scenario) & (t["metric"] == metric)]
        if hit.empty:
            raise KeyError(f"no row for scenario {scenario!r}, metric {metric!r}")
        return hit.iloc[0]

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``comparison.json`` / ``--json`` (NaN as null)."""
        return _to_json(self.info, self.table)

    def write_report(self) -> Path:
        """(Re)write ``report.html`` and the PNG figures from the stored tables."""
        from lcsim.report import write_report  # lazy: matplotlib is slow to import

        return write_report(self.directory)


# --------------------------------------------------------------------------- analysis


def higher_is_better(metric: str) -> bool | None:
    """Preferred direction of a metric; subgroup attrition is lower-is-better."""
    if metric.startswith(SUBGROUP_PREFIX):
        return False
    return HIGHER_IS_BETTER.get(metric)


def _metrics(runs: Mapping[str, pd.DataFrame]) -> list[str]:
    """Metric columns present in any scenario: registry order, then subgroup attrition."""
    cols = {c for df in runs.values() for c in df.columns if c != "replication"}
    extra = sorted(c for c in cols if c.startswith(SUBGROUP_PREFIX))
    return [m for m in METRIC_NAMES if m in cols] + extra


def _wide(runs: Mapping[str, pd.DataFrame], metric: str) -> pd.DataFrame:
    """Replications x scenarios for one metric, aligned on the replication number."""
    cols = {}
    for name, df in runs.items():
        if metric in df.columns and len(df):
            cols[name] = pd.to_numeric(df.set_index("replication")[metric], errors="coerce")
        else:
            cols[name] = pd.Series(dtype=float)
    wide = pd.DataFrame(cols, columns=list(runs)).sort_index()
    return wide.astype(float)


def _difference(ref: np.ndarray, prop: np.ndarray, crn: bool) -> dict[str, float | int]:
    return paired_difference(ref, prop, LEVEL) if crn else unpaired_difference(ref, prop, LEVEL)


def comparison_table(runs: Mapping[str, pd.DataFrame], crn: bool = True) -> pd.DataFrame:
    """The tidy comparison table (columns ``COLUMNS``); the first scenario is the reference."""
    names = list(runs)
    if not names:
        raise ValueError("no scenarios")
    rows: list[dict[str, Any]] = []
    for metric in _metrics(runs):
        wide = _wide(runs, metric)
        values = wide.to_numpy()
        hib = higher_is_better(metric)
        # A censored quantile missing in some replication lies beyond its follow-up: summaries
        # that dropped it would be biased, so that scenario gets none (metrics.BEYOND_FOLLOW_UP).
        whole = ~(np.isnan(values).any(axis=0) & (metric in BEYOND_FOLLOW_UP))
        best = (prob_best(values, hib, n_boot=N_BOOT, seed=0)
                if hib is not None and len(wide) and whole.all()
                else np.full(len(names), np.nan))
        block = []
        for k, name in enumerate(names):
            mean, low, high = mean_ci(values[:, k], LEVEL) if whole[k] else (np.nan,) * 3
            row: dict[str, Any] = {
                "scenario": name, "role": "reference" if k == 0 else "proposal",
                "metric": metric, "higher_is_better": hib,
                "n": int(np.count_nonzero(~np.isnan(values[:, k]))),
                "mean": mean, "ci_low": low, "ci_high": high, "n_pairs": None,
                "diff": np.nan, "diff_ci_low": np.nan, "diff_ci_high": np.nan,
                "p_value": np.nan, "p_holm": np.nan, "prob_best": float(best[k]),
            }
            same = np.array_equal(values[:, 0], values[:, k], equal_nan=True)
            if k > 0 and (whole[0] and whole[k] or same):  # identical runs differ by 0 exactly
                d = _difference(values[:, 0], values[:, k], crn)
                row.update(n_pairs=int(d["n"]), diff=d["diff"], diff_ci_low=d["ci_low"],
                           diff_ci_high=d["ci_high"], p_value=d["p_value"])
            block.append(row)
        adjusted = holm([r["p_value"] for r in block[1:]]) if len(block) > 1 else []
        for r, p in zip(block[1:], adjusted, strict=True):
            r["p_holm"] = float(p)
        rows.extend(block)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["n_pairs"] = table["n_pairs"].astype("Int64")
    table["higher_is_better"] = table["higher_is_better"].astype(object)
    return table


def half_widths(runs: Mapping[str, pd.DataFrame], metrics: Sequence[str],
                crn: bool = True) -> dict[str, dict[str, float]]:
    """CI half-width of the difference from the reference: {metric: {proposal: width}}."""
    names = list(runs)
    out: dict[str, dict[str, float]] = {}
    for metric in metrics:
        values = _wide(runs, metric).to_numpy()
        out[metric] = {}
        for k, name in enumerate(names[1:], start=1):
            d = _difference(values[:, 0], values[:, k], crn)
            out[metric][name] = (float(d["ci_high"]) - float(d["ci_low"])) / 2.0
    return out


# --------------------------------------------------------------------------- JSON helpers


def _num(x: Any) -> Any:
    """JSON-safe scalar: NaN/inf/NA become null, numpy scalars become Python ones."""
    if x is None or x is pd.NA:
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    return x


def _clean(obj: Any) -> Any:
    """Recursively make an object JSON-safe (see `_num`)."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return _num(obj)


def _to_json(info: Mapping[str, Any], table: pd.DataFrame) -> dict[str, Any]:
    rows = [{c: _num(v) for c, v in zip(table.columns, rec, strict=True)}
            for rec in table.itertuples(index=False, name=None)]
    return _clean({**info, "comparison": rows})


# --------------------------------------------------------------------------- checks


def _check_scenarios(scenarios: Sequence[Scenario], sources: Sequence[str] | None) -> None:
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
    return [*METRIC_NAMES, *(SUBGROUP_PREFIX + s for s in sorted(subs))]


def _check_targets(target_ci: Mapping[str, float] | None, scenarios: Sequence[Scenario],
                   max_replications: int | None) -> dict[str, float]:
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


def _identity(scenarios: Sequence[Scenario], sources: Sequence[str] | None, seed: int,
              crn: bool) -> dict[str, Any]:
    files = list(sources) if sources else [None] * len(scenarios)
    return {
        "scenarios": [{"name": sc.name, "file": f, "hash": scenario_hash(sc)}
                      for sc, f in zip(scenarios, files, strict=True)],
        "seed": seed, "crn": crn, "lcsim_version": lcsim.__version__,
        "code_hash": code_hash(), "git_commit": git_commit(),
    }


def _check_resume(out: Path, want: Mapping[str, Any]) -> dict[str, Any]:
    """The stored compare.json, if its identity matches ``want`` (else a clear CompareError)."""
    have = json.loads((out / "compare.json").read_text(encoding="utf-8"))
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
    for key in ("lcsim_version", "code_hash"):  # the git commit is provenance only
        if have.get(key) != want[key]:
            problems.append(f"the code differs ({key}: stored {have.get(key)}, "
                            f"now {want[key]})")
    if problems:
        raise CompareError(f"cannot resume {out}: " + "; ".join(problems)
                           + ". Use the original inputs, or choose another --out.")
    return have


# --------------------------------------------------------------------------- execution


class _Router:
    """Presents the scenarios' stores to `engine.execute` as one store.

    Task keys are ``<scenario>/<key>``; every call is passed to that scenario's
    `ResultStore` with the plain key, so each scenario directory holds exactly the parts
    ``lcsim run`` would write. Implements the store methods `execute` uses.
    """

    def __init__(self, stores: Mapping[str, ResultStore]) -> None:
        self.stores = dict(stores)

    def _split(self, key: str) -> tuple[ResultStore, str]:
        name, _, plain = key.partition("/")
        return self.stores[name], plain

    def remove_temp_files(self) -> int:
        return sum(s.remove_temp_files() for s in self.stores.values())

    def done_tasks(self) -> set[str]:
        return {f"{n}/{k}" for n, s in self.stores.items() for k in s.done_tasks()}

    def write_part(self, table: str, key: str, df: pd.DataFrame) -> Path:
        store, plain = self._split(key)
        return store.write_part(table, plain, df)

    def mark_done(self, key: str, tables: Any = ()) -> None:
        store, plain = self._split(key)
        store.mark_done(plain, tables)

    def record_failure(self, key: str, error: str) -> None:
        store, plain = self._split(key)
        store.record_failure(plain, error)

    def clear_failure(self, key: str) -> None:
        store, plain = self._split(key)
        store.clear_failure(plain)


def _covered(store: ResultStore) -> set[int]:
    """Replications of the tasks marked done in ``store`` (keys ``rAAAAAA-BBBBBB``)."""
    reps: set[int] = set()
    for key in store.done_tasks():
        m = _KEY.fullmatch(key)
        if m:
            reps.update(range(int(m[1]), int(m[2]) + 1))
    return reps


def _plan(store: ResultStore, sc: Scenario, seed: int, n: int, stream: int) -> list[Task]:
    """Tasks for the replications below ``n`` not yet done, in `experiment.batches` blocks.

    On a fresh directory this is exactly ``experiment.batches(sc, seed, 0, n, stream)``, so
    the parts and keys match ``lcsim run``; when a directory is extended or resumed, only the
    missing replications of each block of `BATCH` are run (one task per contiguous run).
    """
    done = _covered(store)
    tasks = []
    for first in range(0, n, BATCH):
        missing = [r for r in range(first, min(first + BATCH, n)) if r not in done]
        while missing:
            run = [missing.pop(0)]
            while missing and missing[0] == run[-1] + 1:
                run.append(missing.pop(0))
            tasks.append(Task(f"r{run[0]:06d}-{run[-1]:06d}",
                              Batch(sc, seed, tuple(run), stream)))
    return tasks


def _drop_orphan_parts(store: ResultStore) -> None:
    """Delete parts of tasks without a done marker (killed mid-write), so none is counted twice."""
    done = store.done_tasks()
    for table in store.tables():
        for key in store.done_keys(table) - done:
            store.part_path(table, key).unlink(missing_ok=True)


@contextmanager
def _executor(executor: Executor | None, workers: int | None,
              scheduler: str | None) -> Iterator[Executor]:
    if executor is not None:
        yield executor
    else:
        with make_executor(workers, scheduler) as ex:
            yield ex


def _read_runs(store: ResultStore, n: int) -> pd.DataFrame:
    runs = store.read_table("runs")
    if runs.empty or "replication" not in runs.columns:
        return pd.DataFrame({"replication": pd.Series(dtype="int64")})
    runs = runs[runs["replication"] < n]
    return runs.sort_values("replication", kind="stable").reset_index(drop=True)


def compare(scenarios: Sequence[Scenario | str | Path], *, out: str | Path,
            replications: int | None = None, seed: int = 1,
            executor: Executor | None = None, workers: int | None = None,
            scheduler: str | None = None, target_ci: Mapping[str, float] | None = None,
            max_replications: int | None = None, crn: bool = True, resume: bool = False,
            progress: bool | None = None, sources: Sequence[str] | None = None,
            report: bool = True) -> Comparison:
    """Run and compare ``scenarios`` (the first is the reference) into directory ``out``.

    ``scenarios`` are `Scenario` objects or scenario files (loaded as `lcsim run` loads them).
    ``replications`` per scenario (default 50); with ``target_ci`` ({metric: half-width, in
    the metric's units, e.g. 0.005 for half a point of a share}) it is the first round
    (default 20) and rounds of `ROUND` replications are added until every proposal's
    difference CI half-width is at or below its target, or ``max_replications`` (default
    500) is reached. ``crn=False`` gives scenario k its own random streams (stream k+1).
    ``executor`` (left open) or ``workers``/``scheduler`` choose where replications run.
    ``sources`` are the scenario files, recorded in compare.json. ``report=False`` skips
    report.html. Failed replications are recorded; the rest of the comparison goes on
    (see ``Comparison.failures``).
    """
    if sources is None and all(isinstance(x, str | Path) for x in scenarios):
        sources = [str(x) for x in scenarios]
    scenarios = [x if isinstance(x, Scenario) else load_model(x, Scenario) for x in scenarios]
    _check_scenarios(scenarios, sources)
    targets = _check_targets(target_ci, scenarios, max_replications)
    if replications is not None and replications < 1:
        raise CompareError(f"replications must be >= 1, found {replications}")
    if max_replications is not None and max_replications < 1:
        raise CompareError(f"--max-replications must be >= 1, found {max_replications}")
    if targets:
        max_n = max_replications or DEFAULT_MAX_REPLICATIONS
        n = min(replications or DEFAULT_FIRST_ROUND, max_n)
    else:
        max_n = None
        n = replications or DEFAULT_REPLICATIONS
    out = Path(out)
    want = _identity(scenarios, sources, seed, crn)
    settings = {"replications_requested": replications, "target_ci": targets,
                "max_replications": max_n, "round": ROUND if targets else None}
    started = now_iso()
    if (out / "compare.json").exists():
        if not resume:
            raise CompareError(f"{out} already holds a comparison: use --resume to finish it, "
                               "or choose another --out")
        started = _check_resume(out, want).get("started", started)
    elif resume and out.is_dir() and any(out.iterdir()):
        raise CompareError(f"cannot resume {out}: it has no compare.json")
    else:
        stray = [sc.name for sc in scenarios if (out / sc.name / "manifest.json").exists()]
        if stray:
            raise CompareError(f"{out} already holds results of {', '.join(stray)} that are "
                               "not part of a comparison; choose another --out")
    root = ResultStore(out)
    root.write_json("compare", {**want, **settings, "status": "running", "started": started})

    streams = {sc.name: 0 if crn else k + 1 for k, sc in enumerate(scenarios)}
    stores = {sc.name: ResultStore(out / sc.name) for sc in scenarios}
    for sc in scenarios:
        experiment.prepare(out / sc.name, sc, seed, streams[sc.name], resume)
        if resume:
            _drop_orphan_parts(stores[sc.name])
    router = cast(ResultStore, _Router(stores))  # duck-typed: see _Router

    failures: list[Failure] = []
    rounds: list[dict[str, Any]] = []
    with _executor(executor, workers, scheduler) as ex:
        n_workers = workers if executor is None and scheduler is None else None
        n_workers = n_workers or executor_workers(ex)

        def run_to(count: int) -> list[Failure]:
            tasks = [Task(f"{sc.name}/{t.key}", t.payload) for sc in scenarios
                     for t in _plan(stores[sc.name], sc, seed, count, streams[sc.name])]
            # experiment.run_batch looked up at call time (tests substitute it)
            return execute(tasks, experiment.run_batch, router, ex, progress=progress,
                           desc=f"compare ({count} replications)")

        while True:
            failures += run_to(n)
            if failures:
                outcome = "failures"
                break
            if not targets:
                outcome = "fixed"
                break
            runs = {sc.name: _read_runs(stores[sc.name], n) for sc in scenarios}
            widths = half_widths(runs, list(targets), crn)
            rounds.append({"replications": n, "half_widths": widths})
            if all(w <= targets[m] for m, by in widths.items() for w in by.values()):
                outcome = "target_reached"
                break
            if n >= cast(int, max_n):
                outcome = "max_replications"
                break
            n = min(n + ROUND, cast(int, max_n))
        # Never leave stored replications out of the tables (a resume with other settings).
        stored = max((max(_covered(s), default=-1) + 1 for s in stores.values()), default=0)
        if stored > n and outcome != "failures":
            n = stored
            failures += run_to(n)

    by_scenario: dict[str, list[Failure]] = {sc.name: [] for sc in scenarios}
    for f in failures:
        name, _, key = f.key.partition("/")
        by_scenario[name].append(Failure(key, f.error))
    outputs = {sc.name: experiment.finish(out / sc.name, sc, seed, n, streams[sc.name],
                                          n_workers, started, by_scenario[sc.name])
               for sc in scenarios}
    runs = {name: _read_runs(stores[name], n) for name in outputs}
    table = comparison_table(runs, crn)
    failed = {name: o.failures for name, o in outputs.items() if o.failures}
    info = {
        "reference": scenarios[0].name, "scenarios": [sc.name for sc in scenarios],
        "seed": seed, "crn": crn, "replications": n,
        "stopping": {"rule": "target_ci" if targets else "fixed", "outcome": outcome,
                     "targets": targets, "max_replications": max_n, "rounds": rounds},
        "failures": {name: sorted(f) for name, f in failed.items()},
    }
    atomic_write_csv(table, out / "comparison.csv")
    result = Comparison(out, scenarios, runs, table, info, failed)
    # Not ResultStore.write_json: keep the columns of each row in comparison.csv order.
    atomic_write_text(out / "comparison.json", json.dumps(result.to_json(), indent=2) + "\n")
    root.write_json("compare", {**want, **settings, "status": "failed" if failed else
                                "complete", "started": started, "finished": now_iso(),
                                "replications": n, "outcome": outcome, "workers": n_workers})
    if report:
        result.write_report()
    return result


# --------------------------------------------------------------------------- reading back


def load(directory: str | Path) -> Comparison:
    """A stored comparison, read from its files only (nothing is run)."""
    directory = Path(directory)
    for name in ("compare.json", "comparison.json", "comparison.csv"):
        if not (directory / name).is_file():
            raise CompareError(f"{directory} is not a finished comparison (no {name}); "
                               "run lcsim compare first")
    info = json.loads((directory / "comparison.json").read_text(encoding="utf-8"))
    info.pop("comparison", None)
    table = pd.read_csv(directory / "comparison.csv", dtype={"higher_is_better": object})
    table["higher_is_better"] = table["higher_is_better"].map(
        {"True": True, "False": False, True: True, False: False}).astype(object)
    table["higher_is_better"] = table["higher_is_better"].where(
        table["higher_is_better"].notna(), None)
    table["n_pairs"] = table["n_pairs"].astype("Int64")
    scenarios, runs = [], {}
    for name in info["scenarios"]:
        sub = directory / name
        data = yaml.safe_load((sub / "scenario.resolved.yaml").read_text(encoding="utf-8"))
        scenarios.append(Scenario.model_validate(data))
        path = sub / "runs.csv"
        runs[name] = (pd.read_csv(path) if path.is_file() and path.stat().st_size
                      else pd.DataFrame({"replication": pd.Series(dtype="int64")}))
    failed = {name: ResultStore(directory / name).failures() for name in info["scenarios"]}
    return Comparison(directory, scenarios, runs, table, info,
                      {k: v for k, v in failed.items() if v})
