"""The library API: what a notebook calls and what each `lcsim` command wraps.

`compare` runs a committee comparison and writes its report; more entry points (`run`, `sweep`,
`report`, `load`) live here too, so the command line only parses arguments and prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path

from lcsim.comparison.result import Comparison
from lcsim.comparison.runner import run_comparison
from lcsim.config.scenario import Scenario


def compare(scenarios: Sequence[Scenario | str | Path], *, out: str | Path,
            replications: int | None = None, seed: int = 1,
            executor: Executor | None = None, workers: int | None = None,
            scheduler: str | None = None, target_ci: Mapping[str, float] | None = None,
            max_replications: int | None = None, crn: bool = True, resume: bool = False,
            progress: bool | None = None, sources: Sequence[str] | None = None,
            report: bool = True) -> Comparison:
    """Compare ``scenarios`` (the first is the reference) into ``out`` and write its report.

    The arguments are those of `lcsim.comparison.runner.run_comparison`; ``report=False`` skips
    report.html and its figures.
    """
    result = run_comparison(
        scenarios, out=out, replications=replications, seed=seed, executor=executor,
        workers=workers, scheduler=scheduler, target_ci=target_ci,
        max_replications=max_replications, crn=crn, resume=resume, progress=progress,
        sources=sources)
    if report:
        from lcsim.reports.comparison import write_report  # lazy: matplotlib is slow to import

        write_report(result.directory)
    return result
