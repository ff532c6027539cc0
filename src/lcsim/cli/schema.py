"""`lcsim schema`: the JSON Schema of scenario files, for editors and validators."""

from __future__ import annotations

import argparse
import json

from lcsim.config.scenario import Scenario


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of scenario files",
                       description="Print the JSON Schema of scenario files.")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string", "description": "a base scenario file, relative to this one"}
    print(json.dumps(schema, indent=2))
    return 0
