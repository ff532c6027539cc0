"""`lcsim validate`: check scenario files without running them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lcsim import api

HELP = "check scenario files"
DESCRIPTION = "Check scenario files; print one line per file."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", type=Path, nargs="+", metavar="FILE")


def main(args: argparse.Namespace) -> int:
    from lcsim.config.loader import ConfigError

    bad = 0
    for path in args.files:
        try:
            scenario = api.load(path)
        except ConfigError as err:
            bad += 1
            print(f"FAIL {err}", file=sys.stderr)
        else:
            print(f"ok   {path} ({scenario.name})")
    return 2 if bad else 0
