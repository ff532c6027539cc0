"""Benchmark of the simulation core (issue 2, section 10). Prints its figures; not a test.

    python benchmarks/bench_model.py            # full: default size, 10k and 100k students
    python benchmarks/bench_model.py --quick    # default size only

Figures (median of 9 interleaved runs): seconds per replication of the baseline and of the richest
shipped LC scenario (class of 150, default cohorts); the model's events/s; a bare-SimPy
reference measured in the same run (600 processes doing 208 timeouts each with random delays);
their ratio (the median of each run's own ratio). Scaling: peak RSS over the interpreter's
baseline per student at 100,000 students, and time(100k) / time(10k) from the median of
`--scale-repeats` (3) runs of each size, each in a fresh process. Targets: ratio <= 1.0; <= 2 KB per student; time ratio <= 12.
The peer network (issue 11, docs/design/peer-network.md) is part of each replication: its own
share of the time (building it, year starts, leaves and exits, bookings), its pairs and its
arrays' bytes per student are printed too (issue 11's budgets: model + network <= 0.5 x the
reference; <= 3 KB per student at 100k).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def bare_simpy(seed: int = 0) -> float:
    """600 processes x 208 timeouts with exponential delays; returns seconds."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()

    def proc(env: simpy.Environment):
        for _ in range(208):
            yield env.timeout(rng.exponential(7.0))

    for _ in range(600):
        env.process(proc(env))
    t = time.perf_counter()
    env.run()
    return time.perf_counter() - t


@contextmanager
def network_clock() -> Iterator[list[float]]:
    """Seconds spent in the peer network's entry points (build, year starts, leaves and exits,
    bookings) while inside, added up in the yielded list's first item."""
    from lcsim.model.contexts import SchoolNetwork
    from lcsim.model.network import PeerNetwork

    spent, depth = [0.0], [0]
    hooks = [(SchoolNetwork, "__init__"), (SchoolNetwork, "year_start"),
             (SchoolNetwork, "away"), (PeerNetwork, "step")]
    saved = [getattr(cls, name) for cls, name in hooks]

    def timed(f: Callable) -> Callable:
        def wrapper(*args, **kwargs):  # only the outermost call counts (step is also inner)
            depth[0] += 1
            t = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    spent[0] += time.perf_counter() - t
        return wrapper

    for (cls, name), f in zip(hooks, saved, strict=True):
        setattr(cls, name, timed(f))
    try:
        yield spent
    finally:
        for (cls, name), f in zip(hooks, saved, strict=True):
            setattr(cls, name, f)


def one_replication(path: Path, seed: int, overrides: tuple[str, ...] = ()
                    ) -> tuple[float, int, dict]:
    """Seconds for one replication (build + run), the number of events it scheduled, and the
    peer network's share: seconds, pairs and bytes per student."""
    from lcsim.config.loader import load_model
    from lcsim.config.scenario import Scenario
    from lcsim.model.simulation import Model

    scenario = load_model(path, Scenario, overrides)
    with network_clock() as spent:
        t = time.perf_counter()
        model = Model(scenario, seed)
        net = model.network.net  # the run releases it from the model before the tables
        model.run()
        elapsed = time.perf_counter() - t
    students = len(model.students)
    network = {"seconds": spent[0], "pairs": net.pairs / students,
               "bytes": net.nbytes() / students}
    return elapsed, next(model.env._eid), network  # SimPy's event counter: events so far


def scaled(students: int, scenario: str = "baseline") -> dict:
    """Run one replication with `students` in a fresh process; time and peak RSS (the
    process's own high-water mark, VmHWM, over its RSS before the model: the interpreter and
    lcsim's imports)."""
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
import lcsim.model.simulation, lcsim.config.loader, lcsim.config.scenario
from bench_model import network_clock
def kb(field):  # /proc: this process's own memory; ru_maxrss can carry the parent's peak
    try:
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
base = kb("VmRSS")
sc = lcsim.config.loader.load_model({str(SCENARIOS / (scenario + '.yaml'))!r}, lcsim.config.scenario.Scenario,
    ["population.class_size={students // 4}", "population.cohorts=4"])
with network_clock() as spent:
    t = time.perf_counter()
    model = lcsim.model.simulation.Model(sc, 1)
    net_bytes = model.network.net.nbytes()  # before the run releases it (built at start)
    model.run()
    el = time.perf_counter() - t
peak = kb("VmHWM")
print(json.dumps({{"seconds": el, "base_kb": base, "peak_kb": peak, "network_seconds": spent[0],
                  "network_bytes": net_bytes}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="skip the 10k/100k scaling runs")
    parser.add_argument("--scaled", default="baseline", help="scenario of the 10k/100k runs")
    parser.add_argument("--scale-repeats", type=int, default=3,
                        help="runs of each of the 10k and 100k sizes (median time)")
    args = parser.parse_args()
    # Interleaved: each repeat times the reference and then each scenario, so that a slow
    # spell of a shared machine falls on both sides of a ratio (the ratio of each repeat's
    # own times, then their median; single runs here swing by 30%).
    names = ("baseline", "equity-lc")
    refs, runs = [], {name: [] for name in names}
    for seed in range(args.repeats):
        refs.append(bare_simpy(seed))
        for name in names:
            runs[name].append(one_replication(SCENARIOS / f"{name}.yaml", seed))
    ref = statistics.median(refs)
    print(f"bare SimPy reference (600 procs x 208 timeouts): {ref:.3f} s "
          f"({600 * 208 / ref:,.0f} events/s; fastest {min(refs):.3f} s)")
    for name in names:
        sec = statistics.median(r[0] for r in runs[name])
        events = statistics.median(r[1] for r in runs[name])
        net = statistics.median(r[2]["seconds"] for r in runs[name])
        paired = statistics.median(r[0] / x for r, x in zip(runs[name], refs, strict=True))
        first = runs[name][0][2]
        print(f"{name:>10}: {sec:.3f} s/replication, {events:,.0f} events, "
              f"{events / sec:,.0f} events/s, ratio to reference {paired:.2f} (median of "
              f"{args.repeats} paired ratios; fastest/fastest "
              f"{min(r[0] for r in runs[name]) / min(refs):.2f}); of which the network "
              f"{net * 1000:.1f} ms = {net / ref:.3f} x reference ({first['pairs']:.1f} pairs, "
              f"{first['bytes']:,.0f} bytes a student)")
    if args.quick:
        return
    # A single run of each swings by 20-30% here; the ratio takes the median of a few runs of
    # each size, in turn (each run in a fresh process; memory is the same in every run).
    runs = [(scaled(10_000, args.scaled), scaled(100_000, args.scaled))
            for _ in range(args.scale_repeats)]
    small, large = ({**runs[0][k], **{key: statistics.median(r[k][key] for r in runs)
                                      for key in ("seconds", "network_seconds")}}
                    for k in (0, 1))
    pairs = ", ".join(f"{big['seconds'] / one['seconds']:.1f}" for one, big in runs)
    print(f"scaling runs: {args.scaled}, median of {args.scale_repeats} runs of each size "
          f"(ratios of single pairs: {pairs})")
    per_student = (large["peak_kb"] - large["base_kb"]) * 1024 / 100_000
    print(f"10k students: {small['seconds']:.2f} s; 100k students: {large['seconds']:.2f} s; "
          f"time ratio {large['seconds'] / small['seconds']:.1f}; the network "
          f"{small['network_seconds']:.2f} s and {large['network_seconds']:.2f} s")
    print(f"100k students: peak RSS {large['peak_kb'] / 1024:.0f} MB over a baseline of "
          f"{large['base_kb'] / 1024:.0f} MB = {per_student:,.0f} bytes per student; the "
          f"network's arrays {large['network_bytes'] / 100_000:,.0f} bytes per student")
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
