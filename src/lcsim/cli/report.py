"""`lcsim report DIR`: rebuild report.html of a comparison (or a sweep) from stored results."""

from __future__ import annotations

import argparse
from pathlib import Path

from lcsim import api

HELP = "rebuild report.html from stored results"
DESCRIPTION = ("Rebuild report.html (and the PNG figures) of an lcsim compare or lcsim sweep "
               "directory from its stored tables. Nothing is simulated.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("directory", type=Path, metavar="DIR")


def main(args: argparse.Namespace) -> int:
    print(api.report(args.directory))
    return 0
