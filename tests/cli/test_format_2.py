"""Format 2 at the command line: a version-1 file says how to migrate, located step by step;
bad procurement fields exit 2 from every command that loads a scenario, with no traceback and
nothing written; advice on a valid scenario is a warning, not a failure."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.errors import EXIT_INPUT
from stargate.scenario.loader import check_scenario
from tests.conftest import minimal, write_scenario

ROOT = Path(__file__).resolve().parents[2]
VERSION_1 = ROOT / "tests" / "data" / "scenarios" / "version-1.yaml"
runner = CliRunner()


def line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip().startswith(needle):
            return n
    raise AssertionError(f"{needle!r} not in {path}")


# --------------------------------------------------------------------------- version 1


def test_version_1_is_refused_with_the_steps_to_migrate() -> None:
    result = runner.invoke(app, ["validate", str(VERSION_1)])
    assert result.exit_code == EXIT_INPUT
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines[0] == f"{VERSION_1}: 1 problem found"  # only the version: the rest is valid
    version_line = line_of(VERSION_1, "version: 1")
    assert lines[1].startswith(f"  {VERSION_1}:{version_line}:1: version: scenario format ")
    for step in (
        "1. set 'version: 2'",
        "'status: planned'",
        "'reservations'",
        "'capacity_requests'",
        "'capacity_model'",
        "'wacc: 0'",
        "docs/concepts.md#format-versions",
    ):
        assert step in lines[1], step
    # Then one located warning per part of the file whose meaning changed, in file order.
    warnings = lines[2:]
    assert all(w.startswith(f"warning: {VERSION_1}:") for w in warnings), warnings
    where = [int(re.match(rf"warning: {re.escape(str(VERSION_1))}:(\d+)", w)[1]) for w in warnings]  # type: ignore[index]
    assert where == [
        line_of(VERSION_1, "pools:"),  # the cloud site's pools: what the cloud can sell
        line_of(VERSION_1, "- id: campus"),  # the campus's phase and pool: now stock
        line_of(VERSION_1, "costs:"),  # the campus's cost: now with a capital charge
        line_of(VERSION_1, "- id: rofr"),  # the ROFR: on procurement
    ]
    assert "no longer capacity the lab holds" in warnings[0]
    assert "1 phase and 1 pool of site 'campus' are stock" in warnings[1]
    # The figure that moves: H100 at the campus, straight-line and with the 8% charge.
    assert "at 8.0% (the discount rate): per accelerator-hour h100 $0.76 -> $0.98" in warnings[2]
    assert "give 'cloud' a 'capacity_model'" in warnings[3]
    assert "'price_cap_usd_per_reference_hour'" in warnings[3]


def test_version_1_json_carries_the_steps_as_warnings() -> None:
    result = runner.invoke(app, ["validate", str(VERSION_1), "--json"])
    assert result.exit_code == EXIT_INPUT
    out = json.loads(result.stdout)
    assert out["valid"] is False
    [problem] = out["problems"]
    assert problem["path"] == "version"
    assert problem["expected"] == "version 2"
    assert problem["found"] == "1"
    paths = [w["path"] for w in out["warnings"]]
    assert paths == ["sites[0].pools", "sites[1]", "sites[1].costs", "contracts[0].clauses[0]"]
    assert {w["severity"] for w in out["warnings"]} == {"warning"}


def test_version_1_elsewhere_exits_2_naming_the_fix(tmp_path: Path) -> None:
    """Every command that loads a scenario refuses version 1 with the same located problem."""
    for argv in (
        ["scenario", "show", str(VERSION_1)],
        ["plan", "-s", str(VERSION_1), "--out", str(tmp_path / "plan")],
        ["simulate", "-s", str(VERSION_1), "--out", str(tmp_path / "sim")],
    ):
        result = runner.invoke(app, argv)
        assert result.exit_code == EXIT_INPUT, (argv, result.output)
        assert "Traceback" not in result.output
        assert "scenario format version 1 is no longer read" in result.output
        assert "1. set 'version: 2'" in result.output
    # Nothing written: --out folders are made (and probed) before any work, and stay empty.
    assert [f for f in tmp_path.rglob("*") if f.is_file()] == []


def test_version_1_with_other_problems_reports_them_too(tmp_path: Path) -> None:
    """What would still be wrong once the version says 2 is reported at once, with the rest."""
    data: dict[str, Any] = yaml.safe_load(VERSION_1.read_text(encoding="utf-8"))
    data["sites"][0]["pools"][0]["accelerator"] = "h10"
    result = check_scenario(write_scenario(tmp_path, data))
    assert [p.path for p in result.problems] == ["version", "sites[0].pools[0].accelerator"]
    # Without a valid version-2 reading there are no figures, but the steps are all there.
    costs = next(w for w in result.warnings if w.path == "sites[1].costs")
    assert "capital charge" in costs.message
    assert "$" not in costs.message


def test_migrated_file_validates(tmp_path: Path) -> None:
    """Following the steps (the version; a capacity model for the ROFR holder; straight-line
    costs kept with wacc 0) gives a valid scenario."""
    data: dict[str, Any] = yaml.safe_load(VERSION_1.read_text(encoding="utf-8"))
    data["version"] = 2
    data["providers"][0]["capacity_model"] = [
        {"accelerator": "h100", "start": "2025-01-01", "accelerators": 500, "source": "assumption"}
    ]
    data["sites"][1]["wacc"] = 0
    result = runner.invoke(app, ["validate", str(write_scenario(tmp_path, data))])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


# --------------------------------------------------------------------------- bad input


def _bad_request(data: dict[str, Any]) -> None:
    data["capacity_requests"] = [
        {
            "id": "late",
            "date": "2031-01-01",  # outside the horizon
            "requester": "lab",
            "workload_classes": ["training"],
            "accelerators": {"count": 10},
            "power_mw": 5,  # and both measures
            "term_years": 2,
            "source": "assumption",
        }
    ]


BAD: dict[str, Any] = {
    "capacity-model-unknown-type": lambda d: d["providers"][0].update(
        capacity_model=[{"accelerator": "tpu", "start": "2025-01-01", "accelerators": 5}]
    ),
    "dated-request-both-measures": _bad_request,
    "contract-price-unknown-party": lambda d: d["providers"][0]["prices"][0].update(
        contract_prices=[{"party": "nobody", "usd_per_accelerator_hour": 5}]
    ),
    "wacc-out-of-range": lambda d: d["sites"][1].update(wacc=1.0),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["scenario", "show"],
        ["plan", "--out", "{out}", "-s"],
        ["simulate", "--out", "{out}", "-s"],
    ],
    ids=["validate", "show", "plan", "simulate"],
)
def test_bad_format_2_input_exits_2_and_writes_nothing(
    case: str, command: list[str], tmp_path: Path
) -> None:
    data = minimal()
    BAD[case](data)
    scenario = write_scenario(tmp_path, data)
    out = tmp_path / "out"
    argv = [a.replace("{out}", str(out)) for a in command] + [str(scenario)]
    result = runner.invoke(app, argv)
    assert result.exit_code == EXIT_INPUT, result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert f"{scenario}:" in result.output  # located in the file
    assert not out.exists() or not any(out.iterdir())  # made before the work, left empty


def test_every_dated_request_problem_at_once(tmp_path: Path) -> None:
    data = minimal()
    _bad_request(data)
    data["reservations"] = [
        {
            "id": "held",
            "holder": "nobody",
            "provider": "cloud",
            "accelerator": "h100",
            "accelerators": 5,
            "term": {"start": "2025-01-01", "end": "2025-12-31"},
        }
    ]
    result = check_scenario(write_scenario(tmp_path, data))
    paths = [p.path for p in result.problems]
    # The broken request (both measures) does not hide the reservation's unknown holder.
    assert paths == ["capacity_requests[0]", "reservations[0].holder"]


# --------------------------------------------------------------------------- advice


def test_a_cap_that_can_never_apply_is_a_warning(tmp_path: Path) -> None:
    data = minimal()
    clause = data["contracts"][0]["clauses"][0]
    clause.update(requirements=["capacity"], price_cap_usd_per_reference_hour=7)
    path = write_scenario(tmp_path, data)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    [warning] = [w for w in result.stderr.splitlines() if "price cap" in w]
    assert "contracts[0].clauses[0].price_cap_usd_per_reference_hour" in warning
    assert "'price' is not among its requirements" in warning
    assert warning.startswith(f"warning: {path}:")


def test_a_copied_example_keeps_its_tables(tmp_path: Path) -> None:
    """capacity_model may be a CSV table (examples/csv-tables/capacity.csv)."""
    for f in (ROOT / "examples" / "csv-tables").iterdir():
        shutil.copy(f, tmp_path / f.name)
    table = tmp_path / "capacity.csv"
    table.write_text(
        table.read_text(encoding="utf-8").replace("h100,oci-us", "h10,oci-us"), encoding="utf-8"
    )
    result = check_scenario(tmp_path / "scenario.yaml")
    [problem] = result.problems
    assert problem.file == str(table)
    assert problem.line == 2
    assert problem.path == "providers[0].capacity_model[0].accelerator"
