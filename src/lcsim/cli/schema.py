"""`lcsim schema`: the JSON Schema of scenario files, for editors and validators."""

from __future__ import annotations

import argparse
import json

HELP = "print the JSON Schema of scenario files"
DESCRIPTION = "Print the JSON Schema of scenario files."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """No arguments."""


def main(args: argparse.Namespace) -> int:
    from lcsim.config.json_schema import scenario_schema

    print(json.dumps(scenario_schema(), indent=2))
    return 0
