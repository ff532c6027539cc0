"""`lcsim run`: replications of one scenario -> tables, a summary, optional JSON."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from lcsim.cli.common import (
    add_execution,
    default_out,
    positive_int,
    print_summary,
    seed_int,
)
from lcsim.config.loader import load_model
from lcsim.config.scenario import Scenario
from lcsim.experiment.engine import make_executor
from lcsim.experiment.replications import run_scenario
from lcsim.outcomes.registry import BEYOND_FOLLOW_UP
from lcsim.stats.intervals import summarise


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run replications of one scenario",
                       description="Run replications of one scenario and write runs.csv, "
                       "students.parquet, episodes.parquet, faculty.parquet, manifest.json "
                       "and scenario.resolved.yaml (see the README for their columns).")
    p.add_argument("scenario", type=Path, metavar="SCENARIO.yaml")
    p.add_argument("--replications", "-n", type=positive_int, default=50,
                   help="replications (default 50)")
    p.add_argument("--seed", type=seed_int, default=1, help="root seed (default 1)")
    add_execution(p)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario field, e.g. --set coaching.meetings_per_year=6")
    p.add_argument("--out", type=Path, default=None,
                   help="output directory (default results/<scenario>-<timestamp>/)")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted run in --out (same inputs and --replications)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object with the metrics and nothing else")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    scenario = load_model(args.scenario, Scenario, args.overrides)
    out = args.out or default_out(scenario.name)
    args.out = out
    progress = None if not args.json else False
    with make_executor(args.workers, args.scheduler) as ex:
        result = run_scenario(scenario, out, replications=args.replications, seed=args.seed,
                              executor=ex, resume=args.resume, progress=progress,
                              workers=args.workers)
    metrics = [c for c in result.runs.columns if c != "replication"]
    summary = (summarise(result.runs, metrics, complete=BEYOND_FOLLOW_UP)
               if len(result.runs) else None)
    if args.json:
        print(json.dumps({
            "scenario": scenario.name,
            "replications": int(len(result.runs)),
            "seed": args.seed,
            "metrics": {} if summary is None else {
                r.metric: {"mean": _num(r.mean), "ci_low": _num(r.ci_low),
                           "ci_high": _num(r.ci_high)} for r in summary.itertuples()},
        }))
    elif summary is not None:
        print_summary(summary, f"{scenario.name}: {len(result.runs)} replications, "
                      f"seed {args.seed} -> {out}")
    if result.failures:
        print(f"lcsim: {len(result.failures)} task(s) failed; tracebacks in {out}/failures/:",
              file=sys.stderr)
        for key in result.failures:
            print(f"  {key}", file=sys.stderr)
        return 1
    return 0


def _num(x: float) -> float | None:
    """JSON has no NaN: undefined values become null."""
    return None if x is None or not math.isfinite(x) else float(x)
