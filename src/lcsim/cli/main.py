"""The `lcsim` command: parse arguments, call the library, print. Thin by design.

Each subcommand lives in `lcsim.cli.<name>`: ``HELP`` (its line in ``lcsim --help``),
``DESCRIPTION``, ``add_arguments(parser)`` and ``main(args) -> int``. Only the command being
run gets its arguments, and each module imports the library inside ``main``, so starting a
command loads only what it uses. Bad input exits with code 2 and one clear message.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Collection, Sequence

import lcsim
from lcsim.cli.common import refuse

COMMANDS = ("run", "compare", "sweep", "report", "story", "validate", "schema")


def build_parser(commands: Collection[str] = COMMANDS) -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI).

    Commands not in ``commands`` get only their name, help line and description, which is all
    ``lcsim --help`` shows; `main` passes just the command it runs.
    """
    parser = argparse.ArgumentParser(
        prog="lcsim",
        description="Simulate learning-community structures in a medical school and compare "
        "retention and time to intervention.")
    parser.add_argument("--version", action="version", version=f"lcsim {lcsim.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"lcsim.cli.{name}")
        p = sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION)
        p.set_defaults(func=module.main)
        if name in commands:
            module.add_arguments(p)
    return parser


def _user_error(err: Exception) -> bool:
    """Unusable input or directory (reported in one line), as opposed to a bug.

    The error classes are imported here, after a failure, so that starting a command does not
    load the layers that define them.
    """
    from lcsim.config.loader import ConfigError
    from lcsim.experiment.errors import RunError

    return isinstance(err, ConfigError | RunError)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)  # options take no value
    args = build_parser([command] if command in COMMANDS else ()).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        out = getattr(args, "out", None)
        where = f" in {out}" if out else ""
        print(f"\nlcsim: interrupted; finished replications are kept{where}. "
              "Rerun with --resume to complete them.", file=sys.stderr)
        return 130
    except Exception as err:
        if not _user_error(err):
            raise
        return refuse(str(err))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
