"""Quick probe of what common random numbers buy, without writing any tables. Not a test.

    python benchmarks/probe_pairing.py                      # shipped LCs vs baseline, 100 reps
    python benchmarks/probe_pairing.py -n 40 scenarios/coached-lc.yaml my-variant.yaml
    python benchmarks/probe_pairing.py --lever coaching.meetings_per_year=4 \
        --reference scenarios/small-group-lc.yaml      # a small lever change against its base

Runs the reference and each proposal on the same replication seeds `lcsim compare` uses, in
memory, and prints per metric: each side's SD across replications, their correlation, the ratio
sqrt(var A + var B) / sd(A - B) (the CI half-width without CRN over with CRN, in expectation),
and the ceiling sqrt(var A + var B) / |sd A - sd B| that no coupling can pass. About 10x quicker
than `bench_compare.py`, for trying a change to the model's couplings.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from lcsim.config.loader import load_model
from lcsim.config.scenario import Scenario
from lcsim.experiment.replications import replication_seed
from lcsim.model.simulation import Model
from lcsim.outcomes.compute import compute

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
METRICS = ("graduated_4yr", "attrition", "helped_within_30d", "helped_within_90d",
           "time_to_intervention_median_days", "time_to_detection_median_days",
           "episodes_per_100")


def _one(job: tuple[str, int, int]) -> list[float]:
    path, rep, seed = job
    result = Model(load_model(Path(path), Scenario), replication_seed(seed, rep)).run()
    metrics = compute(result)
    return [metrics[m] for m in METRICS]


def _top(nested: str) -> tuple[str, str]:
    """'{a: {b: 4}}' -> ('a', '{b: 4}'): the top key and its flow-style value."""
    key, _, rest = nested[1:-1].partition(": ")
    return key, rest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("proposals", nargs="*", help="scenario files (default: the shipped LCs)")
    p.add_argument("--reference", default=str(SCENARIOS / "baseline.yaml"))
    p.add_argument("-n", "--replications", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--lever", metavar="KEY=VALUE", default=None,
                   help="the proposal is the reference with this one setting changed")
    args = p.parse_args(argv)
    proposals = args.proposals or [str(f) for f in sorted(SCENARIOS.glob("*.yaml"))
                                   if f.name != "baseline.yaml"]
    if args.lever:
        variant = Path(tempfile.mkdtemp()) / "lever.yaml"
        key, _, value = args.lever.partition("=")
        nested = value
        for part in reversed(key.split(".")):
            nested = f"{{{part}: {nested}}}"
        variant.write_text(f"extends: {Path(args.reference).resolve()}\nname: lever\n"
                           + "\n".join(f"{k}: {v}" for k, v in [_top(nested)]) + "\n",
                           encoding="utf-8")
        proposals = [str(variant)]
    files = [args.reference, *proposals]
    jobs = [(f, r, args.seed) for f in files for r in range(args.replications)]
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        rows = list(pool.map(_one, jobs, chunksize=5))
    n = args.replications
    table = {f: np.array(rows[k * n:(k + 1) * n], dtype=float) for k, f in enumerate(files)}
    ref = table[args.reference]
    print(f"{n} replications, seed {args.seed}, reference {Path(args.reference).name}")
    print(f"{'proposal':<22} {'metric':<34} {'sd ref':>8} {'sd prop':>8} {'corr':>6} "
          f"{'ratio':>6} {'ceiling':>8}")
    for f in proposals:
        for j, metric in enumerate(METRICS):
            a, b = ref[:, j], table[f][:, j]
            ok = np.isfinite(a) & np.isfinite(b)
            a, b = a[ok], b[ok]
            sa, sb = a.std(ddof=1), b.std(ddof=1)
            sd_diff = np.std(a - b, ddof=1)
            ratio = math.sqrt(sa**2 + sb**2) / sd_diff if sd_diff > 0 else math.inf
            ceiling = math.sqrt(sa**2 + sb**2) / abs(sa - sb) if sa != sb else math.inf
            corr = float(np.corrcoef(a, b)[0, 1]) if sa > 0 and sb > 0 else math.nan
            print(f"{Path(f).stem:<22} {metric:<34} {sa:>8.4g} {sb:>8.4g} {corr:>6.2f} "
                  f"{ratio:>6.2f} {ceiling:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
