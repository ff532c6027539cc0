"""`lcsim report DIR`: rebuild report.html of a comparison (or a sweep) from stored results."""

from __future__ import annotations

import argparse
from pathlib import Path

from lcsim.experiment.errors import RunError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="rebuild report.html from stored results",
        description="Rebuild report.html (and the PNG figures) of an lcsim compare or lcsim "
        "sweep directory from its stored tables. Nothing is simulated.")
    p.add_argument("directory", type=Path, metavar="DIR")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    if not directory.is_dir():
        raise RunError(f"{directory} is not a directory")
    if (directory / "sweep.json").is_file():
        from lcsim.reports.sweep import write_report as write_sweep  # lazy: another module

        path = write_sweep(directory)
    elif (directory / "compare.json").is_file():
        from lcsim.reports.comparison import write_report  # lazy: matplotlib is slow to import

        path = write_report(directory)
    else:
        raise RunError(f"{directory} holds no comparison or sweep (no compare.json or "
                       "sweep.json); run lcsim compare or lcsim sweep first")
    print(path)
    return 0
