"""The JSON Schema (draft 2020-12) of the scenario format, for editors and other tools.

Generated from the pydantic model, then widened where the YAML format is richer than the model:
table fields may name a CSV file beside the scenario, and top-level ``x-`` keys are free.
:func:`output_json_schema` gives the schema of an output (a result model as its JSON is
written) in the same dialect; ``stargate schema --output NAME`` chooses which.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

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


def output_json_schema(model: type[BaseModel], name: str, title: str) -> dict[str, Any]:
    """The schema of ``model`` as its JSON output is written (``model_dump(mode="json")``),
    with the dialect and an ``$id`` of ``https://stargate.dev/schema/<name>-v1.json``."""
    schema = model.model_json_schema(mode="serialization")
    out: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "$id": f"https://stargate.dev/schema/{name}-v1.json",
    }
    out.update(schema)
    out["title"] = title
    return out
