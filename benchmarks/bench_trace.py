"""Cost of the event log (issue 11): time per replication with --trace all against none.

    python benchmarks/bench_trace.py [--pairs 15] [--scenario equity-lc]

Runs the same replication untraced and with every student traced, alternately (interleaved
pairs, so a change of machine load hits both), and prints the median seconds of each, the
median of the per-pair ratios and the rows logged. Target: at most +30%.
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


def seconds(scenario: Scenario, rep: int, trace: bool) -> tuple[float, int]:
    """One replication's wall time, and the rows of its log."""
    seed = np.random.SeedSequence(1, spawn_key=(rep,))
    start = time.perf_counter()
    result = Model(scenario, seed, trace=Trace(1.0, seed) if trace else None).run()
    took = time.perf_counter() - start
    return took, 0 if result.events is None else len(result.events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--scenario", default="baseline")
    args = parser.parse_args()
    scenario = load_model(ROOT / "scenarios" / f"{args.scenario}.yaml", Scenario)
    seconds(scenario, 0, True)  # warm up
    plain, traced, ratios, rows = [], [], [], 0
    for k in range(args.pairs):
        order = (False, True) if k % 2 == 0 else (True, False)  # alternate who goes first
        took = {}
        for trace in order:
            took[trace], n = seconds(scenario, k, trace)
            rows = max(rows, n)
        plain.append(took[False])
        traced.append(took[True])
        ratios.append(took[True] / took[False])
    students = scenario.population.class_size * scenario.population.cohorts
    print(f"{args.scenario}: {students} students, {args.pairs} interleaved pairs")
    print(f"  untraced        {statistics.median(plain) * 1e3:8.1f} ms median")
    print(f"  --trace all     {statistics.median(traced) * 1e3:8.1f} ms median "
          f"({rows} rows, {rows / students:.1f} a student)")
    print(f"  cost            {100 * (statistics.median(ratios) - 1):+8.1f}% median of pair "
          f"ratios (min {100 * (min(ratios) - 1):+.1f}%, max {100 * (max(ratios) - 1):+.1f}%; "
          "target <= +30%)")


if __name__ == "__main__":
    main()
