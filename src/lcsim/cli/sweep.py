"""`lcsim sweep`: run a parameter sweep -> tables, sensitivity indices and a report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lcsim.cli.common import add_execution, default_out, fmt
from lcsim.experiment.engine import make_executor
from lcsim.experiment.errors import RunError
from lcsim.reports.sweep import HEADLINE, write_report
from lcsim.sweeps.runner import plan_sweep, run_sweep
from lcsim.sweeps.sensitivity import top_indices


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep", help="run a parameter sweep and sensitivity analysis",
        description="Run every design point of a sweep file (grid, random, lhs, sobol or "
        "morris) with the same replication seeds, and write points.parquet, runs.parquet, "
        "point_summary.csv, sensitivity.csv, report.html and sweep.json. The sweep file is "
        "checked completely before anything runs.")
    p.add_argument("sweep", type=Path, metavar="SWEEP.yaml")
    p.add_argument("--out", type=Path, default=None,
                   help="output directory (default results/<sweep>-<timestamp>/)")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted sweep in --out (refused if the sweep differs)")
    add_execution(p)
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (counts, output and top sensitivity indices)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    plan = plan_sweep(args.sweep)  # every problem is reported here, before anything runs
    if args.resume and args.out is None:
        raise RunError("--resume needs --out DIR (the sweep directory to finish)")
    out = args.out or default_out(plan.name)
    args.out = out
    with make_executor(args.workers, args.scheduler) as ex:
        result = run_sweep(plan, out, executor=ex, resume=args.resume,
                           progress=False if args.json else None, workers=args.workers)
    report = write_report(out)
    assert result.sensitivity is not None
    top = top_indices(result.sensitivity, plan.spec.design)
    failed_runs = sum(_reps(key) for key in result.failures)
    if args.json:
        print(json.dumps({
            "sweep": plan.name, "file": plan.display, "design": plan.spec.design,
            "points": plan.n_points, "replications": plan.spec.replications,
            "runs": result.runs, "seed": plan.spec.seed, "out": str(out),
            "failures": len(result.failures), "failed_runs": failed_runs,
            "report": str(report), "sensitivity": top,
        }))
    else:
        print(f"{plan.name}: design {plan.spec.design}, {plan.n_points} points x "
              f"{plan.spec.replications} replications = {result.runs} runs, seed "
              f"{plan.spec.seed} -> {out}")
        shown = [m for m in HEADLINE if m in top] or list(top)[:6]
        if shown:
            print("most influential factors:")
        for metric in shown:
            text = ", ".join(f"{t['factor']} ({t['index']} {fmt(t['value'])})"
                             for t in top[metric])
            print(f"  {metric}: {text}")
        print(f"report: {report}")
    if result.failures:
        print(f"lcsim: {len(result.failures)} task(s) failed ({failed_runs} runs); tracebacks "
              f"in {out}/failures/ (rerun with --resume --out {out} to retry them):",
              file=sys.stderr)
        for key in result.failures:
            print(f"  {key}", file=sys.stderr)
        return 1
    return 0


def _reps(key: str) -> int:
    """Replications in a task key ``p<point>-r<first>-<last>``."""
    first, last = key.split("-r", 1)[1].split("-")
    return int(last) - int(first) + 1
