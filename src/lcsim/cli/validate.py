"""`lcsim validate`: check scenario files without running them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lcsim.config.loader import ConfigError, load_model
from lcsim.config.scenario import Scenario


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check scenario files",
                       description="Check scenario files; print one line per file.")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    bad = 0
    for path in args.files:
        try:
            scenario = load_model(path, Scenario)
        except ConfigError as err:
            bad += 1
            print(f"FAIL {err}", file=sys.stderr)
        else:
            print(f"ok   {path} ({scenario.name})")
    return 2 if bad else 0
