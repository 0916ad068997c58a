"""The JSON Schema printed by `stargate schema`: valid draft 2020-12, and true to the format."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.scenario.schema import SCHEMA_DIALECT, scenario_json_schema
from stargate.scenario.yamlsrc import TABLE_FIELDS
from tests.conftest import minimal

runner = CliRunner()


def as_json_data(node: Any) -> Any:
    """YAML data as a JSON document would hold it: dates become ISO strings."""
    if isinstance(node, dict):
        return {k: as_json_data(v) for k, v in node.items()}
    if isinstance(node, list):
        return [as_json_data(v) for v in node]
    if isinstance(node, date):
        return node.isoformat()
    return node


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.Draft202012Validator, data: Any) -> list[str]:
    """Every error message, including those inside anyOf alternatives (table fields)."""
    out: list[str] = []
    pending = list(validator.iter_errors(data))
    while pending:
        error = pending.pop()
        out.append(error.message)
        pending.extend(error.context or [])
    return out


def test_schema_is_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == SCHEMA_DIALECT == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == "Stargate scenario"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert {"version", "id", "parties", "sites", "contracts"} <= set(schema["properties"])


def test_cli_prints_the_same_schema_as_the_api(schema: dict[str, Any]) -> None:
    assert schema == json.loads(json.dumps(scenario_json_schema(), default=str))


def test_default_scenario_validates_against_the_schema(
    validator: jsonschema.Draft202012Validator,
) -> None:
    text = resources.files("stargate.scenario.data").joinpath("stargate-2025.yaml").read_text()
    data = as_json_data(yaml.safe_load(text))
    assert any(k.startswith("x-") for k in data), "the default uses an x- anchor"
    assert errors(validator, data) == []


def test_minimal_scenario_validates_against_the_schema(
    validator: jsonschema.Draft202012Validator,
) -> None:
    assert errors(validator, minimal()) == []


def test_table_fields_may_name_csv_files(validator: jsonschema.Draft202012Validator) -> None:
    data = minimal()
    data["accelerators"] = "accelerators.csv"
    data["sites"][0]["pools"] = "pools.CSV"
    data["providers"][0]["prices"] = "prices.csv"
    assert errors(validator, data) == []
    data["sites"][0]["pools"] = "pools.txt"  # only .csv names
    assert errors(validator, data)


def test_every_table_field_is_widened(schema: dict[str, Any]) -> None:
    text = json.dumps(schema)
    widened = {
        name
        for defn in [schema, *schema.get("$defs", {}).values()]
        for name, sub in defn.get("properties", {}).items()
        if any(alt.get("type") == "string" for alt in sub.get("anyOf", []))
        and any(alt.get("type") == "array" for alt in sub.get("anyOf", []))
    }
    assert widened >= TABLE_FIELDS, TABLE_FIELDS - widened
    assert r"\\.[cC][sS][vV]$" in text


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.update(partys=[]), "'partys'"),
        (lambda d: d["accelerators"][0].update(tdp_w="lots"), "'lots'"),
        (lambda d: d["parties"][0].pop("name"), "'name' is a required property"),
        (lambda d: d["contracts"][0]["clauses"][0].update(kind="right_of_first_refusl"), ""),
        (lambda d: d.update(version=1), "2 was expected"),
        (lambda d: d["sites"][0].update(id="Cloud East"), "does not match"),
    ],
    ids=["unknown-field", "wrong-type", "missing-field", "unknown-clause-kind", "version", "slug"],
)
def test_broken_scenarios_fail_the_schema(
    validator: jsonschema.Draft202012Validator, change: Any, words: str
) -> None:
    data = minimal()
    change(data)
    found = errors(validator, data)
    assert found
    assert any(words in e for e in found), found
