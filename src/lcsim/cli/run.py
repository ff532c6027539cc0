"""`lcsim run`: replications of one scenario -> tables, a summary, optional JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lcsim import api
from lcsim.cli.common import (
    add_execution,
    add_trace,
    default_out,
    positive_int,
    print_summary,
    seed_int,
)

HELP = "run replications of one scenario"
DESCRIPTION = ("Run replications of one scenario and write runs.csv, students.parquet, "
               "episodes.parquet, faculty.parquet, manifest.json and scenario.resolved.yaml "
               "(see the README for their columns).")


def add_arguments(p: argparse.ArgumentParser) -> None:
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
    add_trace(p, None)
    p.add_argument("--json", action="store_true",
                   help="print one JSON object with the metrics and nothing else")


def main(args: argparse.Namespace) -> int:
    scenario = api.load(args.scenario, args.overrides)
    out = args.out or default_out(scenario.name)
    args.out = out  # for the interrupt message of lcsim.cli.main
    result = api.run(scenario, out=out, replications=args.replications, seed=args.seed,
                     workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                     progress=False if args.json else None, trace=args.trace)
    if args.json:
        print(json.dumps(result.to_json()))
    elif len(result.runs):
        print_summary(result.summary(), f"{scenario.name}: {len(result.runs)} replications, "
                      f"seed {args.seed} -> {out}")
    if result.failures:
        print(f"lcsim: {len(result.failures)} task(s) failed; tracebacks in {out}/failures/:",
              file=sys.stderr)
        for key in result.failures:
            print(f"  {key}", file=sys.stderr)
        return 1
    return 0
