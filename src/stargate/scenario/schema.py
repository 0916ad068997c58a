"""The JSON Schema (draft 2020-12) of the scenario format, for editors and other tools.

Generated from the pydantic model, then widened where the YAML format is richer than the model:
table fields may name a CSV file beside the scenario, and top-level ``x-`` keys are free. Fields
of format 2 that the model leaves undescribed get the descriptions of :data:`DESCRIPTIONS`
(what docs/scenario-format.md says of them), so an editor shows what each one means; a
description the model gives always wins.
:func:`output_json_schema` gives the schema of an output (a result model as its JSON is
written) in the same dialect; ``stargate schema --output NAME`` chooses which.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from stargate.domain.model import Scenario
from stargate.scenario.yamlsrc import TABLE_FIELDS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://stargate.dev/schema/scenario-v2.json"  # the scenario format version


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


#: Descriptions of format-2 fields the model gives none, by ($defs name, property). Scenario-level
#: properties are under "Scenario"; a model's own description under (name, "").
DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("Settings", ""): "How the scenario counts: the reference accelerator and class, the power "
    "of servers, the discount rate and the inference rate of a reference accelerator",
    ("CloudPrice", "contract_prices"): "Prices for named parties under their own contracts; "
    "the price rule gives a party its contract price before any list price",
    ("ContractPrice", "usd_per_accelerator_hour"): "What the party pays per accelerator-hour",
    ("Provider", "capacity_model"): "New capacity the provider can offer per period, by type "
    "(a flow); without one it offers what its pools hold",
    ("CapacityRow", "start"): "First day the row offers capacity",
    ("CapacityRow", "end"): "Last day (included); null: open-ended",
    ("CapacityRow", "per"): "The calendar period of the flow: month, quarter or year",
    ("CapacityRow", "carry_over"): "What is not sold in a period stays on offer (default: it "
    "is gone at the period's end)",
    ("Lease", "start"): "First day of the lease",
    ("Lease", "term_years"): "Length of the lease in years",
    ("Term", "start"): "First day of the term (included)",
    ("Term", "end"): "Last day of the term (included)",
    ("Reservation", "accelerators"): "Accelerators held, paid whether used or not",
    ("Reservation", "term"): "The term {start, end}, both days included",
    ("CapacityAccelerators", "count"): "How many: physical accelerators, or reference "
    "accelerators with unit 'reference'",
    ("CapacityAccelerators", "types"): "The allowed accelerator types, or 'any'",
    ("CapacityAccelerators", "unit"): "accelerators (physical) or reference (weighted by each "
    "type's throughput for the reference class)",
    ("DatedCapacityRequest", "kind"): "Always 'capacity'",
    ("DatedCapacityRequest", "date"): "The day it is placed through the broker (its signing "
    "date); within the horizon",
    ("DatedCapacityRequest", "workload_classes"): "The classes the capacity will serve (the "
    "clauses in scope follow from them)",
    ("DatedCapacityRequest", "accelerators"): "How much capacity, as accelerators of allowed "
    "types; give this or power_mw",
    ("DatedCapacityRequest", "power_mw"): "How much capacity, as facility power; give this or "
    "accelerators",
    ("DatedCapacityRequest", "term"): "The term {start, end}; give this or term_years",
    ("DatedCapacityRequest", "term_years"): "The term in years from the day it is placed; give "
    "this or term",
    ("DatedCapacityRequest", "price_cap_usd_per_accelerator_hour"): "The most the requester "
    "pays per accelerator-hour",
    ("DatedCapacityRequest", "price_cap_usd_per_reference_hour"): "The most the requester pays "
    "per reference-accelerator-hour of work (price / throughput for the class)",
}


#: pydantic writes some bounds under its own names, which JSON Schema ignores: those of a
#: constrained number inside an optional (``wacc``, ``term_years``) and of money (a number or
#: a decimal string). These are the keywords it means; on a number-or-string they bound the
#: number (JSON Schema applies ``minimum`` to numbers only).
_BOUNDS = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}


def _fix_bounds(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") in ("number", "integer") or "anyOf" in node:
            for ours, theirs in _BOUNDS.items():
                if ours in node:
                    node.setdefault(theirs, node.pop(ours))
        for value in node.values():
            _fix_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _fix_bounds(value)


def _describe(schema: dict[str, Any]) -> None:
    defs: dict[str, Any] = schema.get("$defs", {})
    for (name, prop), text in DESCRIPTIONS.items():
        node = schema if name == "Scenario" else defs.get(name)
        if node is None:
            continue
        target = node if prop == "" else node.get("properties", {}).get(prop)
        if isinstance(target, dict) and "description" not in target:
            target["description"] = text


def scenario_json_schema() -> dict[str, Any]:
    """The schema as a JSON-ready dict."""
    schema = Scenario.model_json_schema(mode="validation")
    _fix_bounds(schema)
    _describe(schema)
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
    _fix_bounds(schema)
    out: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "$id": f"https://stargate.dev/schema/{name}-v1.json",
    }
    out.update(schema)
    out["title"] = title
    return out
