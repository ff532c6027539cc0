"""The JSON Schema of scenario files, for editors and validators (`lcsim schema`).

It is the pydantic schema of `Scenario` plus the one key the loader resolves before validation:
``extends``, a base scenario file.
"""

from __future__ import annotations

from typing import Any

from lcsim.config.scenario import Scenario


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, ``extends`` included."""
    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string", "description": "a base scenario file, relative to this one"}
    return schema
