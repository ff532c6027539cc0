"""Benchmark of the committee comparison (issue 3). Prints its figures; not a test.

    python benchmarks/bench_compare.py                       # ~3-4 minutes on 2 cores
    python benchmarks/bench_compare.py --replications 40 --parallel-replications 60  # quick

(1) Pairing. The six shipped scenarios are compared with common random numbers (CRN) at R
replications (default 100); the best LC scenario is the proposal with the largest gain in
`graduated_4yr` over the baseline. Baseline and that scenario are then compared again without
CRN (`--no-crn`: each on its own streams) at the same R. Printed: the 95% CI half-width of the
difference in `graduated_4yr` and `time_to_intervention_median_days` without CRN divided by
with CRN. Target: >= 2 for both. Printed after it, for every proposal: each metric's SD across
replications in the reference and the proposal, their correlation under CRN, the ratio those
imply, and the ceiling sqrt(var A + var B) / |sd A - sd B| that no pairing can pass (because
var(A - B) >= (sd A - sd B)^2): a proposal that shrinks a metric's spread a lot, as the learning
communities do to the time to intervention, cannot reach a ratio of 2 on it.

(2) Parallel efficiency. 200 baseline replications (class of 150, 4 cohorts) run serially
(`--workers 1`) and on a 2-process spawn pool, alternately, in this same run; the fastest of
each is kept and the pool's start-up is included in its time. Efficiency = serial time /
(2 x time on 2 workers). Target: >= 0.9. Printed alongside, because other jobs on a shared
machine slow the 2-worker run most: the load average, the CPU seconds of both runs, and a
machine reference (identical pure-CPU work on 1 vs 2 processes, measured in the same run).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import pkgutil
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from lcsim.api import compare
from lcsim.comparison.table import half_widths
from lcsim.config.loader import load_model
from lcsim.config.scenario import Scenario
from lcsim.experiment.engine import make_executor
from lcsim.experiment.replications import run_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
ORDER = ("baseline", "advisory-colleges", "small-group-lc", "coached-lc", "peer-augmented-lc",
         "equity-lc")
METRICS = ("graduated_4yr", "time_to_intervention_median_days")


def pairing(out: Path, replications: int, workers: int) -> None:
    """Print the CI half-width ratio (no CRN / CRN) of the best LC scenario vs baseline."""
    scenarios = [load_model(SCENARIOS / f"{n}.yaml", Scenario) for n in ORDER]
    t = time.perf_counter()
    crn = compare(scenarios, out=out / "crn", replications=replications, seed=1,
                  workers=workers, progress=False, report=False)
    t_crn = time.perf_counter() - t
    gains = {p: crn.row(p, "graduated_4yr")["diff"] for p in crn.proposals}
    best = max(gains, key=gains.__getitem__)
    t = time.perf_counter()
    ind = compare([scenarios[0], scenarios[ORDER.index(best)]], out=out / "no-crn",
                  replications=replications, seed=1, crn=False, workers=workers,
                  progress=False, report=False)
    t_ind = time.perf_counter() - t
    with_crn = half_widths({"baseline": crn.runs["baseline"], best: crn.runs[best]}, METRICS)
    without = half_widths(ind.runs, METRICS, crn=False)
    print(f"(1) pairing: {replications} replications per scenario "
          f"(CRN compare of 6 scenarios {t_crn:.0f} s, no-CRN compare of 2 {t_ind:.0f} s)")
    print("    graduated_4yr gain over baseline (points): "
          + ", ".join(f"{p} {100 * g:+.2f}" for p, g in gains.items()))
    print(f"    best LC scenario: {best}")
    print(f"    {'metric':<34} {'diff (CRN)':>11} {'half-width CRN':>15} "
          f"{'no CRN':>10} {'ratio':>7}  target >= 2")
    for m in METRICS:
        d = crn.row(best, m)["diff"]
        a, b = with_crn[m][best], without[m][best]
        ratio = b / a if a > 0 else float("inf")
        print(f"    {m:<34} {d:>11.4g} {a:>15.4g} {b:>10.4g} {ratio:>7.2f}  "
              f"{'met' if ratio >= 2 else 'NOT met'}")
    print("    What any pairing could give: var(A - B) >= (sd A - sd B)^2, so the ratio is at most")
    print("    sqrt(var A + var B) / |sd A - sd B| (the ceiling, reached only at correlation 1).")
    print(f"    {'proposal':<18} {'metric':<34} {'sd ref':>8} {'sd prop':>8} {'corr':>6} "
          f"{'ratio*':>7} {'ceiling':>8}")
    for p in crn.proposals:
        for m in METRICS:
            x, y = crn.runs["baseline"][m].to_numpy(float), crn.runs[p][m].to_numpy(float)
            ok = np.isfinite(x) & np.isfinite(y)
            x, y = x[ok], y[ok]
            sa, sb = x.std(ddof=1), y.std(ddof=1)
            corr = float(np.corrcoef(x, y)[0, 1])
            est = math.sqrt((sa**2 + sb**2) / np.var(x - y, ddof=1))
            ceiling = math.sqrt(sa**2 + sb**2) / abs(sa - sb) if sa != sb else math.inf
            print(f"    {p:<18} {m:<34} {sa:>8.4g} {sb:>8.4g} {corr:>6.2f} {est:>7.2f} "
                  f"{ceiling:>8.2f}")
    print("    ratio* = sqrt(var A + var B) / sd(A - B) from the CRN runs alone (what --no-crn "
          "would give, in expectation).")


def _load() -> str:
    """1-minute load average: other jobs on a shared machine distort wall-clock times."""
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?"


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the pool workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed_run(scenario: Scenario, out: Path, replications: int,
               workers: int) -> tuple[float, float, float]:
    """(wall seconds, pool start-up seconds, CPU seconds) of one run on a fresh executor."""
    c0 = _cpu()
    t0 = time.perf_counter()
    with make_executor(workers) as ex:
        # Import lcsim.experiment.replications in every worker (resolve_name returns a plain int).
        list(ex.map(pkgutil.resolve_name, ["lcsim.experiment.replications:BATCH"] * 2 * workers))
        t1 = time.perf_counter()
        run_scenario(scenario, out, replications=replications, seed=1, executor=ex,
                     progress=False, workers=workers)
    return time.perf_counter() - t0, t1 - t0, _cpu() - c0


def _machine(n: int = 120_000_000) -> float:
    """Efficiency of identical pure-CPU work (``sum(range(n))`` twice) on 1 vs 2 processes.

    A reference measured alongside lcsim: what this machine itself allows at the moment.
    """
    t = time.perf_counter()
    sum(range(n))
    sum(range(n))
    serial = time.perf_counter() - t
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        list(ex.map(abs, [1, 2]))  # start both processes first
        t = time.perf_counter()
        list(ex.map(sum, [range(n), range(n)]))
        both = time.perf_counter() - t
    return serial / (2 * both)


def parallel(out: Path, replications: int, repeats: int) -> None:
    """Print serial time / (2 x time on 2 workers) for baseline replications.

    Serial and 2-worker runs alternate ``repeats`` times and the fastest of each is kept
    (the least disturbed by other jobs). The pool's start-up (spawning 2 interpreters that
    import lcsim) is included, and also reported separately.
    """
    scenario = load_model(SCENARIOS / "baseline.yaml", Scenario)
    runs: dict[int, list[tuple[float, float, float]]] = {1: [], 2: []}
    loads = [_load()]
    machine = []
    for i in range(repeats):
        for workers in (1, 2):
            runs[workers].append(_timed_run(scenario, out / f"w{workers}-{i}", replications,
                                            workers))
            loads.append(_load())
        machine.append(_machine())
    (t1, s1, c1), (t2, s2, c2) = min(runs[1]), min(runs[2])
    eff = t1 / (2 * t2)
    steady = (t1 - s1) / (2 * (t2 - s2))
    print(f"(2) parallel efficiency: {replications} baseline replications, best of {repeats} "
          f"alternating runs (load average during: {' '.join(loads)})")
    print("    serial: " + ", ".join(f"{t:.1f} s" for t, _, _ in runs[1])
          + "; 2 workers: " + ", ".join(f"{t:.1f} s" for t, _, _ in runs[2])
          + f" (pool start-up {s2:.1f} s)")
    print(f"    efficiency = {t1:.1f} / (2 x {t2:.1f}) = {eff:.3f}  target >= 0.9 "
          f"{'met' if eff >= 0.9 else 'NOT met'}")
    print(f"    without pool start-up: {t1 - s1:.1f} / (2 x {t2 - s2:.1f}) = {steady:.3f}")
    print(f"    CPU seconds (parent + workers, insensitive to other jobs): serial {c1:.1f}, "
          f"2 workers {c2:.1f}; ratio {c1 / c2:.3f} = the efficiency reachable on an idle "
          "machine with perfect overlap")
    print("    machine reference (identical pure-CPU work on 1 vs 2 processes, same run): "
          + ", ".join(f"{m:.3f}" for m in machine))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--replications", type=int, default=100, help="pairing replications")
    p.add_argument("--parallel-replications", type=int, default=200)
    p.add_argument("--repeats", type=int, default=2, help="alternating timing runs per mode")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                   help="workers for the pairing runs")
    args = p.parse_args(argv)
    print(f"lcsim compare benchmark on {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"load average {_load()}")
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        pairing(Path(tmp), args.replications, args.workers)
        parallel(Path(tmp), args.parallel_replications, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
