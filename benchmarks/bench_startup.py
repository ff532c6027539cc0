"""Start-up time of a command: `lcsim validate` against `python -c "import pandas"`.

Both are timed as fresh subprocesses, alternately, in the same run, so the ratio holds on a
loaded machine too; the figure is the median of N runs each (target: ratio <= 1.5).

    python benchmarks/bench_startup.py [N] [SCENARIO.yaml]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.5


def wall(argv: list[str]) -> float:
    """Seconds of one subprocess run (it must succeed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    scenario = sys.argv[2] if len(sys.argv) > 2 else "scenarios/baseline.yaml"
    validate = [sys.executable, "-m", "lcsim.cli", "validate", scenario]
    pandas = [sys.executable, "-c", "import pandas"]
    wall(validate), wall(pandas)  # warm the file cache
    times: dict[str, list[float]] = {"validate": [], "pandas": []}
    for _ in range(n):
        times["validate"].append(wall(validate))
        times["pandas"].append(wall(pandas))
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["validate"] / med["pandas"]
    print(f"median of {n} runs each (min-max):")
    print(f"  lcsim validate {scenario}: {med['validate']:.3f} s "
          f"({min(times['validate']):.3f}-{max(times['validate']):.3f})")
    print(f"  python -c 'import pandas':  {med['pandas']:.3f} s "
          f"({min(times['pandas']):.3f}-{max(times['pandas']):.3f})")
    print(f"  ratio: {ratio:.2f} (target <= {TARGET}: {'met' if ratio <= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()
