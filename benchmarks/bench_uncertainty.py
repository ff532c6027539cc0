"""Benchmark of the uncertainty analysis (issue 10). Prints its figures; not a test.

    python benchmarks/bench_uncertainty.py                  # the README main job: ~5 minutes
    python benchmarks/bench_uncertainty.py --draws 32 --central 10     # quick

Runs `lcsim compare` over the six shipped scenarios (baseline first) with ``--uncertainty
DRAWS`` (default 256, one replication a draw) and ``--central-replications`` (default 100, as
the README's main job) on ``--workers`` (default 2) processes, report included, exactly as the
command does. Printed: wall time (target: at most 10 minutes), simulation runs per second
(central + draws, all scenarios), the share of the time spent after the runs (tables and
report), and the driver's peak memory (ru_maxrss of this process; the workers are separate
processes; target: at most 500 MB).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from lcsim.api import compare, load

ROOT = Path(__file__).resolve().parents[1]
ORDER = ("baseline", "advisory-colleges", "small-group-lc", "coached-lc", "peer-augmented-lc",
         "equity-lc")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--draws", type=int, default=256)
    p.add_argument("--central", type=int, default=100)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--priors", type=Path, default=None, help="a priors file (default shipped)")
    args = p.parse_args()
    scenarios = [load(ROOT / "scenarios" / f"{n}.yaml") for n in ORDER]
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-unc-")) / "cmp"
    t0 = time.perf_counter()
    result = compare(scenarios, out=out, replications=args.central, uncertainty=args.draws,
                     priors=args.priors, workers=args.workers, progress=False, report=True)
    wall = time.perf_counter() - t0
    runs = len(scenarios) * (args.central + args.draws)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"six scenarios x ({args.central} central + {args.draws} draws x 1) = {runs} runs "
          f"on {args.workers} workers -> {out}")
    print(f"wall time            {wall:8.1f} s   ({wall / 60:.2f} min; target <= 10 min)")
    print(f"runs per second      {runs / wall:8.2f}")
    print(f"s per run x workers  {wall * args.workers / runs:8.3f}")
    print(f"driver peak memory   {peak_mb:8.1f} MB (target <= 500 MB)")
    print(f"failures             {sum(len(f) for f in result.failures.values())}")
    ok = wall <= 600 and peak_mb <= 500
    print("targets met" if ok else "TARGET MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
