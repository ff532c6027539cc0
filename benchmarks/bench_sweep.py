"""Benchmark of parameter sweeps (issue 4). Prints its figures; not a test.

    python benchmarks/bench_sweep.py                  # full: 1,000 runs; memory at 2k and 20k
    python benchmarks/bench_sweep.py --runs 100 --memory-runs 1000 5000    # quick check

(1) Parallel efficiency: the baseline scenario as a sweep of one point (a constant factor) x
    ``--runs`` replications, through the sweep machinery (plan, engine, result store, final
    tables; not the analysis or report, timed separately), once on 1 worker in this process and
    once on 2 local worker processes (pool start-up included). Efficiency = serial time /
    (2 x parallel time), measured in the same run. Target >= 0.9.
(2) Peak memory of the driver process (max RSS from getrusage, children excluded) for whole
    sweeps (random design, 2 local workers, with analysis and report), each in a fresh
    interpreter: (a) 200 points x 10 and x 100 replications (2,000 vs 20,000 runs: flat in runs?)
    and (b) 2,000 points x 10 replications (20,000 runs with 10x the points). A FAKE worker that
    returns a runs table of the real shape (same columns, random values) stands in for the
    simulation, so 20,000 runs take about a minute instead of ~25; the driver's work (scheduling,
    storing parts, assembling tables, analysis, report) is the real one. Target <= 300 MB, flat.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TARGET_EFFICIENCY = 0.9
TARGET_MB = 300.0
FLAT_TOLERANCE = 0.10  # 20k-run peak within 10% of the 2k-run peak counts as flat


def fake_runs(b) -> dict[str, pd.DataFrame]:
    """Cheap stand-in for run_batch of a sweep point: same columns, random values, no simulation."""
    from lcsim.outcomes.registry import METRIC_NAMES, SUBGROUP_PREFIX

    groups = sorted(["none", *(g.name for g in b.scenario.population.subgroups)])
    names = [*METRIC_NAMES, *(SUBGROUP_PREFIX + g for g in groups)]
    rows = []
    for rep in b.reps:
        rng = np.random.default_rng([b.seed, b.point, rep])
        rows.append({"point": b.point, "replication": rep,
                     **dict(zip(names, rng.random(len(names)), strict=True))})
    return {"runs": pd.DataFrame(rows)}


def rss_mb() -> float:
    """Current resident set size of this process in MB (psutil if installed, else /proc)."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """Peak RSS of this process so far (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


class Sampler:
    """Samples this process's RSS every 50 ms in a thread (peak during a phase)."""

    def __init__(self) -> None:
        self.peak = self.start = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


class CpuUse:
    """CPU seconds during a phase: ours (this process and its reaped children, i.e. pool
    workers), other processes on the machine, and idle (psutil; zeros without it)."""

    def __enter__(self) -> CpuUse:
        self._start = self._read()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._read()
        busy, idle, ours = (b - a for a, b in zip(self._start, end, strict=True))
        self.ours, self.idle, self.others = ours, idle, max(0.0, busy - ours)

    @staticmethod
    def _read() -> tuple[float, float, float]:
        try:
            import psutil
        except ImportError:
            return 0.0, 0.0, 0.0
        t = psutil.cpu_times()
        idle = t.idle + getattr(t, "iowait", 0.0)
        busy = sum(t) - idle - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
        me = psutil.Process().cpu_times()
        return busy, idle, me.user + me.system + me.children_user + me.children_system

    def __str__(self) -> str:
        return (f"CPU s: lcsim {self.ours:.0f}, other processes {self.others:.0f}, "
                f"idle {self.idle:.0f}")


def write_sweep(directory: Path, body: str) -> Path:
    path = directory / "sweep.yaml"
    path.write_text(f"base: {BASELINE}\n{body}")
    return path


def timed_sweep(path: Path, out: Path, workers: int) -> float:
    """Seconds for plan + run of a sweep on `workers` (pool start-up and shutdown included)."""
    from lcsim.experiment.engine import make_executor
    from lcsim.sweeps.runner import plan_sweep, run_sweep

    t = time.perf_counter()
    plan = plan_sweep(path)
    with make_executor(workers) as ex:
        run_sweep(plan, out, executor=ex, progress=False, workers=workers, analyse=False)
    return time.perf_counter() - t


def efficiency(runs: int) -> None:
    from lcsim.reports.sweep import write_report
    from lcsim.sweeps.sensitivity import analyse

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        path = write_sweep(tmp_path, f"""\
design: grid
replications: {runs}
seed: 1
factors:
  advising.meetings_per_year: {{values: [1.0]}}   # constant: the baseline itself
""")
        print(f"[1] {runs:,} runs of scenarios/baseline.yaml as a sweep (1 point x {runs:,} "
              f"replications, {-(-runs // 5)} tasks of <= 5 runs)")
        print(f"    load average before: {os.getloadavg()[0]:.2f}")
        with Sampler() as par_mem, CpuUse() as par_cpu:
            parallel = timed_sweep(path, tmp_path / "parallel", 2)
        with CpuUse() as ser_cpu:
            serial = timed_sweep(path, tmp_path / "serial", 1)
        eff = serial / (2 * parallel)
        a = pd.read_parquet(tmp_path / "serial" / "runs.parquet")
        b = pd.read_parquet(tmp_path / "parallel" / "runs.parquet")
        same = a.equals(b)
        t = time.perf_counter()
        analyse(tmp_path / "parallel")
        write_report(tmp_path / "parallel")
        post = time.perf_counter() - t
        print(f"    serial, 1 worker in process : {serial:8.1f} s  ({serial / runs:.3f} s/run; "
              f"{ser_cpu})")
        print(f"    parallel, 2 local workers   : {parallel:8.1f} s  (pool start-up included; "
              f"{par_cpu})")
        verdict = "PASS" if eff >= TARGET_EFFICIENCY else "FAIL"
        print(f"    efficiency = serial / (2 x parallel) = {eff:.3f}  "
              f"(target >= {TARGET_EFFICIENCY}: {verdict})")
        cpu_s = ser_cpu.ours / (2 * parallel)
        print(f"    with serial CPU time instead of wall time (less sensitive to other load): "
              f"{cpu_s:.3f}")
        busy = [(name, c.others / (c.ours + c.others + c.idle)) for name, c in
                (("serial", ser_cpu), ("parallel", par_cpu)) if c.ours + c.others + c.idle]
        for name, share in busy:
            if share > 0.05:
                print(f"    WARNING: other processes used {share:.0%} of the CPU during the "
                      f"{name} phase; the efficiency is disturbed (rerun on a quiet machine)")
        print(f"    runs tables identical (serial vs parallel): {'yes' if same else 'NO'}")
        print(f"    driver RSS during the parallel sweep (real worker): start "
              f"{par_mem.start:.0f} MB, peak {par_mem.peak:.0f} MB")
        print(f"    analysis + report afterwards: {post:.1f} s")
        print(f"    load average after: {os.getloadavg()[0]:.2f}")


def memory_child(points: int, reps: int) -> None:
    """Run one fake-worker sweep (in this fresh process); print its figures as JSON."""
    from lcsim.experiment.engine import make_executor
    from lcsim.reports.sweep import write_report
    from lcsim.sweeps.runner import plan_sweep, run_sweep

    start = rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        path = write_sweep(tmp_path, f"""\
design: random
samples: {points}
replications: {reps}
seed: 1
factors:
  support.protected_hours_per_week: {{range: [4, 8]}}
  advising.meetings_per_year: {{range: [0.5, 2]}}
""")
        t = time.perf_counter()
        with Sampler() as mem:
            plan = plan_sweep(path)
            with make_executor(2) as ex:
                out = run_sweep(plan, tmp_path / "out", executor=ex, progress=False,
                                worker=fake_runs)
            write_report(tmp_path / "out")
        wall = time.perf_counter() - t
        print(json.dumps({"runs": out.runs, "points": plan.n_points, "reps": reps,
                          "start_mb": start, "sampled_peak_mb": mem.peak, "peak_mb": peak_mb(),
                          "wall_s": wall}))


def _child(points: int, reps: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--memory-child", str(points), str(reps)],
                          capture_output=True, text=True, check=True)
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"    {r['runs']:>7,} runs = {r['points']:>5,} points x {r['reps']:>3} reps: peak RSS "
          f"{r['peak_mb']:.0f} MB (after imports {r['start_mb']:.0f} MB, growth "
          f"{r['peak_mb'] - r['start_mb']:.0f} MB), wall {r['wall_s']:.1f} s")
    return r


def memory(sizes: list[int]) -> None:
    print("[2] driver peak memory (max RSS of the driver process; worker processes excluded) "
          "with a FAKE worker: same runs-table shape, random values, no simulation, so the "
          "driver's own growth is measured; 2 local workers; plan, run, tables, analysis and "
          "report included; each sweep in a fresh interpreter")
    small, large = sizes[0], sizes[1]
    points = max(1, small // 10)
    print(f"    (a) more runs, same points: {points:,} points x more replications")
    a_small = _child(points, max(1, small // points))
    a_large = _child(points, max(1, large // points))
    for extra in sizes[2:]:
        _child(points, max(1, extra // points))
    print(f"    (b) more points too: {large // 10:,} points x 10 replications")
    b_large = _child(max(1, large // 10), 10)
    top = max(a_large["peak_mb"], b_large["peak_mb"])
    print(f"    peak at {large:,} runs: {a_large['peak_mb']:.0f} MB (a), {b_large['peak_mb']:.0f}"
          f" MB (b); target <= {TARGET_MB:.0f} MB: {'PASS' if top <= TARGET_MB else 'FAIL'}")
    lo, hi = a_small["peak_mb"], a_large["peak_mb"]
    flat = hi <= lo * (1 + FLAT_TOLERANCE)
    print(f"    flat in runs: {'yes' if flat else 'NO'} ({large:,}-run peak is "
          f"{100 * (hi / lo - 1):+.1f}% of the {small:,}-run peak at the same points; "
          f"tolerance {FLAT_TOLERANCE:.0%}); with 10x the points too: "
          f"{100 * (b_large['peak_mb'] / lo - 1):+.1f}% (per-point tables and plots grow "
          "with points, not runs)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=1000, help="runs for the efficiency test")
    p.add_argument("--memory-runs", type=int, nargs="+", default=[2000, 20000],
                   metavar="RUNS", help="sweep sizes for the memory test: SMALL LARGE "
                   "[MORE...] (flatness compares SMALL with LARGE; MORE only printed)")
    p.add_argument("--skip-efficiency", action="store_true")
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--memory-child", type=int, nargs=2, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.memory_child is not None:
        memory_child(*args.memory_child)
        return
    import lcsim

    print(f"sweep benchmark: lcsim {lcsim.__version__}, python {platform.python_version()}, "
          f"{os.cpu_count()} cores")
    if not args.skip_efficiency:
        efficiency(args.runs)
    if not args.skip_memory:
        if len(args.memory_runs) < 2:
            p.error("--memory-runs needs at least two sizes")
        memory(args.memory_runs)


if __name__ == "__main__":
    main()
