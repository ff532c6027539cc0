"""The `lcsim` command: parse arguments, call the library, print. Thin by design.

Each subcommand lives in `lcsim.commands.<name>` with `register(subparsers)`, which adds its
parser and sets `func(args) -> int`. Bad input exits with code 2 and one clear message.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import lcsim
from lcsim.config.loader import ConfigError
from lcsim.experiment.errors import RunError

COMMANDS = ("run", "compare", "sweep", "report", "validate", "schema")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used to document the CLI)."""
    parser = argparse.ArgumentParser(
        prog="lcsim",
        description="Simulate learning-community structures in a medical school and compare "
        "retention and time to intervention.")
    parser.add_argument("--version", action="version", version=f"lcsim {lcsim.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"lcsim.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, RunError) as err:
        print(f"lcsim: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        out = getattr(args, "out", None)
        where = f" in {out}" if out else ""
        print(f"\nlcsim: interrupted; finished replications are kept{where}. "
              "Rerun with --resume to complete them.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
