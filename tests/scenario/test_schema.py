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


#: The models and fields format 2 added: an editor must be able to say what each one means.
FORMAT_2 = {
    "CapacityRow": None,  # None: every property of the model
    "ContractPrice": None,
    "Lease": None,
    "Reservation": None,
    "Term": None,
    "CapacityAccelerators": None,
    "DatedCapacityRequest": None,
    "Phase": ["status"],
    "Pool": ["status"],
    "Site": ["developer", "lease", "wacc", "install_only_listed_types"],
    "Settings": ["reference_class"],
    "RightOfFirstRefusal": ["price_cap_usd_per_reference_hour"],
    "CloudPrice": ["contract_prices"],
    "Provider": ["capacity_model"],
    "Scenario": ["reservations", "capacity_requests", "version"],
}


@pytest.mark.parametrize(("model", "fields"), FORMAT_2.items(), ids=list(FORMAT_2))
def test_format_2_fields_are_described(
    schema: dict[str, Any], model: str, fields: list[str] | None
) -> None:
    node = schema if model == "Scenario" else schema["$defs"][model]
    props: dict[str, Any] = node["properties"]
    wanted = [f for f in props if f != "notes"] if fields is None else fields
    undescribed = [f for f in wanted if not props[f].get("description")]
    assert not undescribed, f"{model}: no description for {undescribed}"


def test_schema_names_format_2(schema: dict[str, Any]) -> None:
    assert schema["$id"] == "https://stargate.dev/schema/scenario-v2.json"
    assert schema["properties"]["version"]["const"] == 2
    assert "format-versions" in schema["properties"]["version"]["description"]


def test_a_described_field_keeps_the_models_words(schema: dict[str, Any]) -> None:
    wacc = schema["$defs"]["Site"]["properties"]["wacc"]
    assert wacc["description"].startswith("Cost of capital of the site's owner")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            lambda d: d.update(
                reservations=[
                    {
                        "id": "r",
                        "holder": "lab",
                        "provider": "cloud",
                        "accelerator": "h100",
                        "accelerators": 10,
                    }
                ]
            ),
            "'term' is a required property",
        ),
        (lambda d: d["sites"][1].update(wacc=1.5), "1.5"),
        (lambda d: d["sites"][1]["phases"][0].update(status="built"), "'built'"),
        (
            lambda d: d["providers"][0].update(
                capacity_model=[{"accelerator": "h100", "start": "2025-01-01", "per": "week"}]
            ),
            "'week'",
        ),
    ],
    ids=["reservation-without-term", "wacc-out-of-range", "unknown-status", "unknown-period"],
)
def test_broken_format_2_fields_fail_the_schema(
    validator: jsonschema.Draft202012Validator, change: Any, words: str
) -> None:
    data = minimal()
    change(data)
    found = errors(validator, data)
    assert any(words in e for e in found), found


def test_bounds_of_optional_numbers_are_json_schema_keywords(schema: dict[str, Any]) -> None:
    """pydantic's own names for bounds (ge, lt) mean nothing to JSON Schema: none is left."""
    text = json.dumps(schema)
    for word in ('"ge":', '"gt":', '"le":', '"lt":'):
        assert word not in text
    wacc = schema["$defs"]["Site"]["properties"]["wacc"]["anyOf"]
    [number] = [alt for alt in wacc if alt.get("type") == "number"]
    assert number["minimum"] == 0
    assert number["exclusiveMaximum"] == 1


def test_negative_money_fails_the_schema(validator: jsonschema.Draft202012Validator) -> None:
    data = minimal()
    data["accelerators"][0]["unit_price_usd"] = -1
    assert any("minimum of 0" in e for e in errors(validator, data))
    data["accelerators"][0]["unit_price_usd"] = "27500.50"  # a decimal string is money too
    assert errors(validator, data) == []
