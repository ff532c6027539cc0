"""`lcsim sweep`: run a parameter sweep -> tables, sensitivity indices and a report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lcsim import api
from lcsim.cli.common import add_execution, default_out, fmt, refuse

if TYPE_CHECKING:
    from lcsim.results import SweepResults

HELP = "run a parameter sweep and sensitivity analysis"
DESCRIPTION = ("Run every design point of a sweep file (grid, random, lhs, sobol or morris) "
               "with the same replication seeds, and write points.parquet, runs.parquet, "
               "point_summary.csv, sensitivity.csv, report.html and sweep.json. The sweep file "
               "is checked completely before anything runs.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sweep", type=Path, metavar="SWEEP.yaml")
    p.add_argument("--out", type=Path, default=None,
                   help="output directory (default results/<sweep>-<timestamp>/)")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted sweep in --out (refused if the sweep differs)")
    add_execution(p)
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (counts, output and top sensitivity indices)")


def main(args: argparse.Namespace) -> int:
    plan = api.load_sweep(args.sweep)  # every problem is reported here, before anything runs
    if args.resume and args.out is None:
        return refuse("--resume needs --out DIR (the sweep directory to finish)")
    out = args.out or default_out(plan.name)
    args.out = out  # for the interrupt message of lcsim.cli.main
    result = api.sweep(plan, out=out, workers=args.workers, scheduler=args.scheduler,
                       resume=args.resume, progress=False if args.json else None)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print_sweep(result)
    if result.failures:
        print(f"lcsim: {len(result.failures)} task(s) failed ({result.failed_runs} runs); "
              f"tracebacks in {out}/failures/ (rerun with --resume --out {out} to retry them):",
              file=sys.stderr)
        for key in result.failures:
            print(f"  {key}", file=sys.stderr)
        return 1
    return 0


def print_sweep(result: SweepResults) -> None:
    """The design and run counts, then the most influential factors of the headline metrics."""
    plan = result.plan
    print(f"{plan.name}: design {plan.spec.design}, {plan.n_points} points x "
          f"{plan.spec.replications} replications = {result.n_runs} runs, seed "
          f"{plan.spec.seed} -> {result.directory}")
    headline = result.headline_factors()
    if headline:
        print("most influential factors:")
    for metric, top in headline.items():
        text = ", ".join(f"{t['factor']} ({t['index']} {fmt(t['value'])})" for t in top)
        print(f"  {metric}: {text}")
    print(f"report: {result.report}")
