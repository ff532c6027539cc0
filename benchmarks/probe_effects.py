"""Effects of every shipped proposal against the baseline, paired: the check of issue 9 section 4.

    python benchmarks/probe_effects.py [--replications 200] [--workers 2] [--set KEY=VALUE]...

Prints, per proposal, the paired difference in attrition (and its share of the baseline's
attrition: the relative reduction) and in 4-year graduation, with 95% CIs, against the limits
the evidence allows (effects-evidence.md: a relative cut in leaving of at most 20%, at most +2.0
points of 4-year graduation). `--set assumptions.NAME=VALUE` (any number of times) applies to
every scenario, to see which assumptions drive the effects. Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import lcsim

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("baseline", "advisory-colleges", "small-group-lc", "coached-lc", "peer-augmented-lc",
         "equity-lc")
MAX_RELATIVE_CUT, MAX_GRAD4_POINTS = 0.20, 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    scenarios = [lcsim.load(ROOT / "scenarios" / f"{n}.yaml", args.overrides) for n in NAMES]
    with tempfile.TemporaryDirectory() as tmp:
        result = lcsim.compare(scenarios, out=Path(tmp) / "cmp", replications=args.replications,
                               workers=args.workers, progress=False, report=False)
    table = result.table.set_index(["scenario", "metric"])
    base_attr = table.loc[("baseline", "attrition"), "mean"]
    print(f"{args.replications} paired replications; overrides: {args.overrides or 'none'}")
    print(f"baseline: attrition {base_attr:.4f}, graduated_4yr "
          f"{table.loc[('baseline', 'graduated_4yr'), 'mean']:.4f}, helped within 30 days "
          f"{table.loc[('baseline', 'helped_within_30d'), 'mean']:.3f}")
    print(f"{'proposal':<18} {'attrition diff':>15} {'relative cut':>13} {'grad4 diff (pts)':>17}"
          f" {'helped 30d diff':>16}  within limits")
    for name in NAMES[1:]:
        attr, grad = table.loc[(name, "attrition")], table.loc[(name, "graduated_4yr")]
        helped = table.loc[(name, "helped_within_30d")]
        cut = -attr["diff"] / base_attr
        ok = cut <= MAX_RELATIVE_CUT and 100 * grad["diff"] <= MAX_GRAD4_POINTS
        print(f"{name:<18} {attr['diff']:>+15.4f} {cut:>12.0%} {100 * grad['diff']:>+17.2f}"
              f" {helped['diff']:>+16.3f}  {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
