"""`stargate schema --output NAME`: the schema of the scenario format or of an output, kept true
by validating what the commands really write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.errors import EXIT_INPUT
from stargate.scenario.schema import SCHEMA_DIALECT, scenario_json_schema

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = ROOT / "examples" / "requests" / "stargate-mix.yaml"
runner = CliRunner()


def schema_of(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["schema", *args])
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_default_is_the_scenario_schema() -> None:
    assert schema_of() == schema_of("--output", "scenario") == scenario_json_schema()


def test_decision_schema_is_valid_draft_2020_12() -> None:
    schema = schema_of("--output", "decision")
    assert schema["$schema"] == SCHEMA_DIALECT
    assert schema["$id"].endswith("/decision-v1.json")
    jsonschema.Draft202012Validator.check_schema(schema)


def test_decision_schema_accepts_what_place_writes() -> None:
    validator = jsonschema.Draft202012Validator(schema_of("--output", "decision"))
    result = runner.invoke(app, ["place", str(REQUESTS), "--at", "2026-01-01", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    decisions = data if isinstance(data, list) else [data]
    assert decisions
    for decision in decisions:
        validator.validate(decision)


def test_decision_schema_refuses_a_changed_field() -> None:
    validator = jsonschema.Draft202012Validator(schema_of("--output", "decision"))
    result = runner.invoke(app, ["place", str(REQUESTS), "--at", "2026-01-01", "--json"])
    data = json.loads(result.stdout)
    decision = (data if isinstance(data, list) else [data])[0]
    decision["candidates"] = "none"
    assert not validator.is_valid(decision)


def test_an_unknown_name_exits_2_naming_the_option() -> None:
    result = runner.invoke(app, ["schema", "--output", "decison"])
    assert result.exit_code == EXIT_INPUT, result.output
    assert "--output: unknown schema 'decison'" in result.output
    assert "did you mean 'decision'?" in result.output


@pytest.mark.parametrize("name", ["summary", "plan", "decision", "scenario"])
def test_every_schema_is_valid_draft_2020_12(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema_of("--output", name))


def _simulate(tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "sim"
    args = ["simulate", "--horizon", "2025-07-01..2025-12-31", "--out", str(out), *extra]
    result = runner.invoke(app, [*args, "--workload", "synthetic?jobs=300"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return data


def test_summary_schema_accepts_what_simulate_writes(tmp_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(schema_of("--output", "summary"))
    summary = _simulate(tmp_path)
    validator.validate(summary)
    summary["jobs"]["submitted"] = "many"
    assert not validator.is_valid(summary)


@pytest.mark.parametrize("extra", [[], ["--without", "rofr"]])
def test_plan_schema_accepts_what_plan_writes(tmp_path: Path, extra: list[str]) -> None:
    validator = jsonschema.Draft202012Validator(schema_of("--output", "plan"))
    out = tmp_path / "plan"
    result = runner.invoke(app, ["plan", "--horizon", "2025..2026", "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "plan.json").read_text())
    validator.validate(document)
    assert (document["baseline"] is not None) == bool(extra)
    document["builds"] = [{"site": "x"}]
    assert not validator.is_valid(document)
