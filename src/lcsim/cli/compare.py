"""`lcsim compare`: proposals against a reference on common random numbers -> tables and report."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lcsim import api
from lcsim.cli.common import (
    add_execution,
    add_trace,
    default_out,
    fmt,
    positive_int,
    refuse,
    seed_int,
)
from lcsim.comparison.defaults import (
    DEFAULT_FIRST_ROUND,
    DEFAULT_MAX_REPLICATIONS,
    DEFAULT_REPLICATIONS,
    DEFAULT_TRACE,
    ROUND,
)

if TYPE_CHECKING:
    from lcsim.comparison.result import Comparison

HELP = "compare proposals with a reference scenario"
DESCRIPTION = ("Run a reference scenario and one or more proposals on the same replication "
               "seeds (common random numbers) and compare them replication by replication. "
               "Writes DIR/<scenario>/ (as lcsim run does), comparison.csv, comparison.json, "
               "compare.json and report.html. With --uncertainty N, every scenario is also run "
               "on N assumption sets drawn from the priors (--replications R each), adding "
               "uncertainty.csv (the difference over what is not known: uncertainty intervals, "
               "probability of being better), drivers.csv (which assumptions drive it) and "
               "DIR/uncertainty/ (the draws and their runs).")

SUMMARY_METRICS = ("graduated_4yr", "graduated_6yr", "attrition", "helped_within_30d",
                   "helped_within_90d", "time_to_intervention_median_days", "faculty_load_ratio")


def _metric_number(text: str, shape: str) -> tuple[str, float]:
    """METRIC=NUMBER split and parsed (``shape`` names the form in the error message)."""
    metric, sep, value = text.partition("=")
    if not sep or not metric.strip():
        raise argparse.ArgumentTypeError(f"expected {shape}, found {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number after '=', found {value!r} in {text!r}") from None
    return metric.strip(), number


def target(text: str) -> tuple[str, float]:
    """argparse type: METRIC=HALF_WIDTH with a half-width > 0."""
    metric, width = _metric_number(text, "METRIC=HALF_WIDTH")
    if not (math.isfinite(width) and width > 0):
        raise argparse.ArgumentTypeError(f"the half-width must be > 0, found {width:g}")
    return metric, width


def threshold(text: str) -> tuple[str, float]:
    """argparse type: METRIC=VALUE with a finite VALUE."""
    metric, number = _metric_number(text, "METRIC=VALUE")
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"the value must be a finite number, found {number:g}")
    return metric, number


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO.yaml",
                   help="the reference first, then the proposals")
    p.add_argument("--replications", "-n", type=positive_int, default=None,
                   help=f"replications per scenario (default {DEFAULT_REPLICATIONS}; with "
                   f"--target-ci the first round, default {DEFAULT_FIRST_ROUND}); with "
                   "--uncertainty, replications per draw (default 1)")
    p.add_argument("--target-ci", type=target, action="append", default=[],
                   metavar="METRIC=HALF_WIDTH",
                   help=f"add rounds of {ROUND} replications until the 95%% CI of every "
                   "proposal's difference in METRIC has at most this half-width (in the "
                   "metric's units: 0.005 is half a point of a share); repeatable")
    p.add_argument("--max-replications", type=positive_int, default=None, metavar="M",
                   help="stop --target-ci at M replications per scenario "
                   f"(default {DEFAULT_MAX_REPLICATIONS})")
    p.add_argument("--uncertainty", type=positive_int, default=None, metavar="N",
                   help="also run every scenario on N assumption sets drawn from the priors "
                   "(a scrambled Sobol' design from --seed; a power of 2 balances it best) and "
                   "report each difference over what is not known; 128 or more tell which "
                   "assumptions drive a difference (docs/uncertainty.md)")
    p.add_argument("--priors", type=Path, default=None, metavar="FILE",
                   help="with --uncertainty: a priors file (default: lcsim's shipped priors, "
                   "docs/assumptions.md; check yours with lcsim validate)")
    p.add_argument("--threshold", type=threshold, action="append", default=[],
                   metavar="METRIC=VALUE",
                   help="with --uncertainty: also give the probability that each proposal is "
                   "better than the reference by at least VALUE (in the metric's units: 0.01 "
                   "is one point of a share; a negative VALUE asks for 'not worse by more "
                   "than'); repeatable")
    p.add_argument("--central-replications", type=positive_int, default=None, metavar="M",
                   help="with --uncertainty: replications per scenario under the central "
                   f"assumptions (default {DEFAULT_REPLICATIONS}, or the --target-ci rounds)")
    p.add_argument("--seed", type=seed_int, default=1, help="root seed (default 1)")
    add_execution(p)
    add_trace(p, DEFAULT_TRACE)
    p.add_argument("--out", type=Path, default=None,
                   help="output directory (default results/compare-<timestamp>/)")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted comparison in --out")
    p.add_argument("--no-crn", dest="crn", action="store_false",
                   help="run each scenario on its own random streams (shows what pairing buys)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (the content of comparison.json) and nothing else")


def main(args: argparse.Namespace) -> int:
    scenarios = [api.load(path) for path in args.scenarios]
    targets: dict[str, float] = {}
    for metric, width in args.target_ci:
        if metric in targets and targets[metric] != width:
            return refuse(f"--target-ci {metric} given twice with different half-widths")
        targets[metric] = width
    if args.resume and args.out is None:
        return refuse("--resume needs --out DIR: the directory of the comparison to finish")
    if args.uncertainty is None:
        for flag, value in (("--priors", args.priors), ("--threshold", args.threshold),
                            ("--central-replications", args.central_replications)):
            if value:
                return refuse(f"{flag} only applies with --uncertainty N")
    thresholds: dict[str, list[float]] = {}
    for metric, value in args.threshold:
        thresholds.setdefault(metric, []).append(value)
    central, per_draw = args.replications, 1
    if args.uncertainty is not None:
        central, per_draw = args.central_replications, args.replications or 1
    out = args.out or default_out("compare")
    args.out = out  # for the interrupt message of lcsim.cli.main
    result = api.compare(
        scenarios, out=out, replications=central, seed=args.seed,
        workers=args.workers, scheduler=args.scheduler, target_ci=targets or None,
        max_replications=args.max_replications, crn=args.crn, resume=args.resume,
        progress=False if args.json else None, sources=[str(p) for p in args.scenarios],
        uncertainty=args.uncertainty, draw_replications=per_draw, priors=args.priors,
        thresholds=thresholds or None, trace=args.trace)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print_comparison(result)
    if result.failures:
        n = sum(len(f) for f in result.failures.values())
        print(f"lcsim: {n} task(s) failed; tracebacks in <scenario>/failures/ under {out}:",
              file=sys.stderr)
        for name, keys in result.failures.items():
            for key in keys:
                print(f"  {name}/{key}", file=sys.stderr)
        return 1
    return 0


def print_comparison(result: Comparison) -> None:
    """Key metrics: reference mean, then each proposal's difference and 95% CI; with an
    uncertainty analysis also the 95% uncertainty interval and the probability of being
    better over the draws."""
    stop = result.info["stopping"]
    crn = "common random numbers" if result.info["crn"] else "independent streams"
    print(f"{len(result.scenarios)} scenarios x {result.info['replications']} replications, "
          f"seed {result.info['seed']}, {crn} -> {result.directory}")
    unc = result.uncertainty
    if unc is not None:
        u = result.info["uncertainty"]
        print(f"uncertainty: {u['draws']} assumption sets drawn from the priors x "
              f"{u['replications_per_draw']} replication(s) each")
    if stop["rule"] == "target_ci":
        print(f"stopping: {stop['outcome'].replace('_', ' ')}")
    t = result.table
    ref = result.reference
    width = max(len(m) for m in SUMMARY_METRICS)
    for name in result.proposals:
        print(f"\n{name} vs {ref}")
        head = (f"{'metric':<{width}}  {ref:>12}  {'difference':>11}  {'95% CI':>23}  "
                f"{'p (Holm)':>8}")
        if unc is not None:
            head += f"  {'95% UI (assumptions)':>23}  {'P(better)':>9}"
        print(head)
        for metric in SUMMARY_METRICS:
            r = t[(t["scenario"] == name) & (t["metric"] == metric)]
            base = t[(t["scenario"] == ref) & (t["metric"] == metric)]
            if r.empty or base.empty:
                continue
            r, base = r.iloc[0], base.iloc[0]
            ci = f"{fmt(r.diff_ci_low)} to {fmt(r.diff_ci_high)}"
            line = (f"{metric:<{width}}  {fmt(base['mean']):>12}  {fmt(r['diff']):>11}  "
                    f"{ci:>23}  {fmt(r.p_holm):>8}")
            if unc is not None:
                u_row = unc[(unc["proposal"] == name) & (unc["metric"] == metric)]
                if not u_row.empty:
                    x = u_row.iloc[0]
                    line += (f"  {fmt(x.ui95_low) + ' to ' + fmt(x.ui95_high):>23}  "
                             f"{fmt(x.prob_better):>9}")
            print(line)
    print(f"\nreport: {result.directory / 'report.html'}")
