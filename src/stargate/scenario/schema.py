"""The JSON Schema (draft 2020-12) of the scenario format, for editors and other tools.

Generated from the pydantic model, then widened where the YAML format is richer than the model:
table fields may name a CSV file beside the scenario, and top-level ``x-`` keys are free.
"""

from __future__ import annotations

from typing import Any

from stargate.domain.model import Scenario
from stargate.scenario.yamlsrc import TABLE_FIELDS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://stargate.dev/schema/scenario-v1.json"


def _widen_tables(node: Any) -> None:
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for name, sub in list(props.items()):
                if name in TABLE_FIELDS and isinstance(sub, dict) and sub.get("type") == "array":
                    title = sub.pop("title", None)
                    desc = sub.pop("description", None)
                    default = sub.pop("default", None)
                    wrapped: dict[str, Any] = {
                        "anyOf": [
                            sub,
                            {
                                "type": "string",
                                "pattern": r"\.[cC][sS][vV]$",
                                "description": "A CSV file beside the scenario, one row per item",
                            },
                        ]
                    }
                    if title:
                        wrapped["title"] = title
                    if desc:
                        wrapped["description"] = desc
                    if default is not None:
                        wrapped["default"] = default
                    props[name] = wrapped
        for value in node.values():
            _widen_tables(value)
    elif isinstance(node, list):
        for value in node:
            _widen_tables(value)


def scenario_json_schema() -> dict[str, Any]:
    """The schema as a JSON-ready dict."""
    schema = Scenario.model_json_schema(mode="validation")
    _widen_tables(schema)
    schema["patternProperties"] = {"^x-": {}}
    out: dict[str, Any] = {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID}
    out.update(schema)
    out["title"] = "Stargate scenario"
    return out
