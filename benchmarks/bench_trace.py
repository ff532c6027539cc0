"""Cost of the event log (issue 11): time per replication with --trace all against none.

    python benchmarks/bench_trace.py [--pairs 15] [--scenario equity-lc]

Runs the same replication untraced, with every student traced, and traced without the tie
events (the network's `booked` hook removed), in turn (interleaved, so a change of machine load
hits all three), and prints the median seconds of each, the medians of the per-run ratios to
the untraced run and the rows logged (of which ties formed and lost). Target: at most +30%.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from lcsim.config.loader import load_model  # noqa: E402
from lcsim.config.scenario import Scenario  # noqa: E402
from lcsim.model.simulation import Model  # noqa: E402
from lcsim.model.trace import Trace  # noqa: E402


def seconds(scenario: Scenario, rep: int, trace: bool, ties: bool = True) -> tuple[float, int,
                                                                                 int]:
    """One replication's wall time, the rows of its log and how many are tie events;
    `ties=False`: traced, but the network logs no tie events."""
    seed = np.random.SeedSequence(1, spawn_key=(rep,))
    start = time.perf_counter()
    model = Model(scenario, seed, trace=Trace(1.0, seed) if trace else None)
    if not ties:
        model.network.net.booked = None
    result = model.run()
    took = time.perf_counter() - start
    if result.events is None:
        return took, 0, 0
    return took, len(result.events), int(result.events["kind"].str.startswith("tie_").sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--scenario", default="baseline")
    args = parser.parse_args()
    scenario = load_model(ROOT / "scenarios" / f"{args.scenario}.yaml", Scenario)
    seconds(scenario, 0, True)  # warm up
    variants = ((False, True), (True, True), (True, False))  # untraced, traced, no tie events
    took: dict[tuple[bool, bool], list[float]] = {v: [] for v in variants}
    ratios: dict[tuple[bool, bool], list[float]] = {v: [] for v in variants[1:]}
    rows = ties = 0
    for k in range(args.pairs):
        now = {}
        for v in variants[k % 3:] + variants[:k % 3]:  # rotate who goes first
            now[v], n, t = seconds(scenario, k, *v)
            took[v].append(now[v])
            if v == (True, True):
                rows, ties = max(rows, n), max(ties, t)
        for v in variants[1:]:
            ratios[v].append(now[v] / now[variants[0]])
    students = scenario.population.class_size * scenario.population.cohorts
    print(f"{args.scenario}: {students} students, {args.pairs} interleaved runs of each")
    print(f"  untraced           {statistics.median(took[variants[0]]) * 1e3:8.1f} ms median")
    for v, label in ((variants[1], "--trace all"), (variants[2], "  without ties")):
        r = ratios[v]
        print(f"  {label:<18} {statistics.median(took[v]) * 1e3:8.1f} ms median, "
              f"{100 * (statistics.median(r) - 1):+.1f}% (median of run ratios; min "
              f"{100 * (min(r) - 1):+.1f}%, max {100 * (max(r) - 1):+.1f}%)")
    print(f"  rows logged        {rows} ({rows / students:.1f} a student), of which tie events "
          f"{ties} ({ties / students:.1f} a student); target <= +30%")


if __name__ == "__main__":
    main()
