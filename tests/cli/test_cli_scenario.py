"""The scenario commands: `stargate validate`, `schema`, `scenario show` and `scenario list`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.errors import EXIT_INPUT
from stargate.scenario.loader import embedded_scenarios
from tests.conftest import ANNOUNCED, minimal, write_scenario

runner = CliRunner()

PROBLEM_KEYS = {
    "severity",
    "file",
    "line",
    "column",
    "path",
    "message",
    "expected",
    "found",
    "hint",
}


def run_json(*argv: str, exit_code: int = 0) -> Any:
    result = runner.invoke(app, list(argv))
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- validate --json


def test_validate_json_on_the_default() -> None:
    out = run_json("validate", "--json")
    assert set(out) == {"scenario", "valid", "problems", "warnings"}
    assert out["scenario"] == "<embedded>/stargate-2025.yaml"
    assert out["valid"] is True
    assert out["problems"] == []
    assert out["warnings"] == []


def test_validate_json_on_a_broken_file(tmp_path: Path) -> None:
    data = minimal()
    data["sites"][0]["pools"][0]["accelerator"] = "h10"
    data["parties"][0]["name"] = ["not", "text"]
    path = write_scenario(tmp_path, data)
    result = runner.invoke(app, ["validate", str(path), "--json"])
    assert result.exit_code == EXIT_INPUT
    assert result.stderr == ""  # JSON only, nothing else to parse around
    out = json.loads(result.stdout)
    assert set(out) == {"scenario", "valid", "problems", "warnings"}
    assert out["scenario"] == str(path)
    assert out["valid"] is False
    assert len(out["problems"]) == 2
    for problem in out["problems"]:
        assert set(problem) == PROBLEM_KEYS
        assert problem["severity"] == "error"
        assert problem["file"] == str(path)
        assert isinstance(problem["line"], int)
    by_path = {p["path"]: p for p in out["problems"]}
    acc = by_path["sites[0].pools[0].accelerator"]
    assert acc["message"] == "unknown accelerator 'h10'"
    assert acc["found"] == "'h10'"
    assert acc["hint"] == "did you mean 'h100'?"
    name = by_path["parties[0].name"]
    assert name["expected"] == "text"
    assert name["found"] == "a list"


def test_validate_json_with_warnings_is_valid(tmp_path: Path) -> None:
    out = run_json("validate", str(write_scenario(tmp_path, minimal())), "--json")
    assert out["valid"] is True
    assert out["problems"] == []
    assert len(out["warnings"]) == 7  # one per item without a source
    warning = out["warnings"][0]
    assert set(warning) == PROBLEM_KEYS
    assert warning["severity"] == "warning"
    assert warning["path"] == "accelerators[0]"
    assert warning["line"] is not None


def test_validate_json_on_a_missing_file(tmp_path: Path) -> None:
    out = run_json("validate", str(tmp_path / "nope.yaml"), "--json", exit_code=EXIT_INPUT)
    assert out["valid"] is False
    assert out["problems"][0]["message"] == "file not found"


def test_validate_text_output(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(write_scenario(tmp_path, minimal()))])
    assert result.exit_code == 0
    assert "valid — scenario 'mini': 2 parties, 2 providers, 2 sites, 2 pools" in result.stdout
    assert result.stderr.count("warning: ") == 7
    assert "s.yaml:" in result.stderr
    assert "accelerators[0]: no 'source'" in result.stderr


# --------------------------------------------------------------------------- schema


def test_schema_prints_json() -> None:
    out = run_json("schema")
    assert out["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert out["title"] == "Stargate scenario"


# --------------------------------------------------------------------------- scenario show


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


def test_show_json_on_2025_06_01_the_rofr_holds() -> None:
    """Between the January 2025 terms and the October 2025 agreement the ROFR is in force and
    Azure's exclusivity is over."""
    out = run_json("scenario", "show", "--at", "2025-06-01", "--json")
    assert out["scenario"] == "stargate-2025"
    assert out["at"] == "2025-06-01"
    assert out["horizon_start"] == "2023-01-01"
    in_force = {c["id"]: c for c in out["clauses_in_force"]}
    assert in_force["azure-rofr"]["kind"] == "right_of_first_refusal"
    assert in_force["azure-rofr"]["status"] == "in_force"
    assert in_force["azure-rofr"]["reason"] == "in force since 2025-01-21"
    assert "microsoft" in in_force["azure-rofr"]["summary"]
    assert in_force["api-exclusivity"]["kind"] == "exclusivity"
    off = {c["id"]: c for c in out["clauses_not_in_force"]}
    assert off["azure-exclusivity"]["status"] == "terminated"
    assert off["azure-exclusivity"]["amendment"] == "microsoft-openai-2025-01--azure-exclusivity"
    assert off["azure-incremental-commitment"]["status"] == "not_yet"


def test_show_json_on_2026_01_01_after_the_october_agreement() -> None:
    out = run_json("scenario", "show", "--at", "2026-01-01", "--json")
    assert out["scenario"] == "stargate-2025"
    abilene = next(s for s in out["sites"] if s["id"] == "abilene")
    assert abilene["location"] == "Abilene, TX, US"
    assert "azure" in ids(out["providers"])
    in_force = {c["id"]: c for c in out["clauses_in_force"]}
    assert "azure-rofr" not in in_force
    assert in_force["api-exclusivity"]["amendment"] == "microsoft-openai-2025-10--api-exclusivity"
    assert "$250.0B" in in_force["azure-incremental-commitment"]["summary"]
    off = {c["id"]: c for c in out["clauses_not_in_force"]}
    assert off["azure-rofr"]["status"] == "terminated"
    assert "microsoft-openai-2025-10" in off["azure-rofr"]["reason"]
    assert "2025-10-28" in off["azure-rofr"]["reason"]


def test_show_json_on_2031_01_01_has_no_rofr() -> None:
    out = run_json("scenario", "show", "--at", "2031-01-01", "--json")
    assert "azure-rofr" not in ids(out["clauses_in_force"])
    off = {c["id"]: c for c in out["clauses_not_in_force"]}
    assert off["azure-rofr"]["status"] == "terminated"
    assert off["api-exclusivity"]["status"] == "terminated"
    assert "2026-04-27" in off["api-exclusivity"]["reason"]
    assert off["revenue-share-to-microsoft"]["status"] == "expired"
    assert "2030-12-31" in off["revenue-share-to-microsoft"]["reason"]


def test_a_clause_past_its_end_shows_as_expired() -> None:
    """The ROFR of the announced terms runs to 2030: on 2031-01-01 it has expired, not ended."""
    out = run_json("scenario", "show", str(ANNOUNCED), "--at", "2031-01-01", "--json")
    assert out["scenario"] == "announced-2025"
    assert "azure-rofr" not in ids(out["clauses_in_force"])
    off = {c["id"]: c for c in out["clauses_not_in_force"]}
    assert off["azure-rofr"]["status"] == "expired"
    assert "2030-12-31" in off["azure-rofr"]["reason"]


@pytest.mark.parametrize(
    "at",
    [
        "2026-01-01",
        " 2026-01-01 ",
        "2026-01-01T12:30:00",
        "2026-01-01 23:59",
        "2026-01-01T00:00+00:00",
    ],
)
def test_show_accepts_a_date_or_an_iso_datetime(at: str) -> None:
    out = run_json("scenario", "show", "--at", at, "--json")
    assert out["at"] == "2026-01-01"


def test_show_defaults_to_the_as_of_date(tmp_path: Path) -> None:
    out = run_json("scenario", "show", str(write_scenario(tmp_path, minimal())), "--json")
    assert out["scenario"] == "mini"
    assert out["at"] == "2026-01-01"
    assert out["total_accelerators"] == 21_000
    assert out["capacity_by_provider"] == {"cloud": 1000, "own": 20_000}


def test_show_renders_tables() -> None:
    result = runner.invoke(app, ["scenario", "show", "--at", "2026-01-01"])
    assert result.exit_code == 0, result.output
    for words in ("stargate-2025", "abilene", "azure", "azure-rofr", "api-exclusivity"):
        assert words in result.stdout


def test_show_of_an_invalid_file_exits_2(tmp_path: Path) -> None:
    data = minimal()
    data["sites"][0]["provider"] = "clod"
    path = write_scenario(tmp_path, data)
    result = runner.invoke(app, ["scenario", "show", str(path)])
    assert result.exit_code == EXIT_INPUT
    assert f"{path}: 1 problem found" in result.stderr
    assert "did you mean 'cloud'?" in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- scenario list


def test_list_embedded_scenarios() -> None:
    result = runner.invoke(app, ["scenario", "list"])
    assert result.exit_code == 0
    names = embedded_scenarios()
    assert "stargate-2025" in names
    assert result.stdout.split() == names
    assert run_json("scenario", "list", "--json") == names
