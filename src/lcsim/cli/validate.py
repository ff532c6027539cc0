"""`lcsim validate`: check scenario files (or priors files) without running them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lcsim import api

HELP = "check scenario files"
DESCRIPTION = ("Check scenario files, or priors files (a top-level `assumptions:` of prior "
               "entries); print one line per file, and a warning for settings that will not do "
               "what they seem to (e.g. a mentor class too small for its mentees).")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", type=Path, nargs="+", metavar="FILE")


def main(args: argparse.Namespace) -> int:
    from lcsim.config.loader import ConfigError
    from lcsim.config.priors import is_priors_file, load_priors

    bad = 0
    for path in args.files:
        notes: tuple[str, ...] = ()
        try:
            if is_priors_file(path):
                what = f"priors of {len(load_priors(path).entries)} assumptions"
            else:
                scenario = api.load(path)
                what, notes = scenario.name, scenario.advisories()
        except ConfigError as err:
            bad += 1
            print(f"FAIL {err}", file=sys.stderr)
        else:
            print(f"ok   {path} ({what})")
            for note in notes:
                print(f"warn {path}: {note}", file=sys.stderr)
    return 2 if bad else 0
