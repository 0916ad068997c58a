"""`stargate simulate` and procurement: the new flags, their bad values (exit 2 naming the flag,
no traceback, nothing written), the new summary fields, the text and the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from stargate.cli.main import app

runner = CliRunner()
SHORT = ["--horizon", "2025..2025", "--workload", "synthetic?jobs=100&seed=1&size_scale=64"]


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


@pytest.mark.parametrize(
    ("args", "flag", "words"),
    [
        (["--procure-every", "week"], "--procure-every", "unknown procurement period 'week'"),
        (["--procure-every", ""], "--procure-every", "unknown procurement period"),
        (["--procure-from", "tea-leaves"], "--procure-from", "unknown procurement source"),
        (["--fleet", "pool:64", "--procure-every", "month"], "--procure-every", "own fleet"),
        (["--fleet", "pool:64", "--procure-from", "workload"], "--procure-from", "own fleet"),
        (["--responder", "nosuch"], "--responder", "nosuch"),
    ],
)
def test_bad_procurement_flags_exit_2_naming_the_flag(
    args: list[str], flag: str, words: str, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    code, out = run("simulate", *SHORT, *args, "--out", str(out_dir))
    assert code == 2, out
    assert out.startswith(f"{flag}:"), out
    assert words in out
    assert "Traceback" not in out
    # the folder is checked (and made) first, as for every run; nothing is written into it
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_forecast_on_a_scenario_without_one_is_refused(tmp_path: Path) -> None:
    from tests.sim.factory import world

    path = tmp_path / "no-forecast.yaml"
    data = json.loads(world(forecast=False, cloud_pool=100).model_dump_json(exclude_none=True))
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, out = run("simulate", "--scenario", str(path), "--procure-from", "forecast")
    assert code == 2, out
    assert "--procure-from: scenario 'world' has no demand forecast to procure from" in out


def test_the_summary_has_the_procurement_fields() -> None:
    code, out = run("simulate", *SHORT, "--procure-every", "quarter", "--json")
    assert code == 0, out
    s = json.loads(out)
    assert s["run"]["procure_every"] == "quarter"
    assert s["run"]["procure_from"] == "forecast"
    # the capacity contracts of the record, placed on their date (the ROFR may split them
    # between the holder and the rest: they are placed whole, in one or more rows)
    first = [r for r in s["procurement"] if r["request"] == "abilene-phase-1"]
    assert {(r["source"], r["date"], r["term_start"]) for r in first} == {
        ("scheduled", "2025-01-21", "2025-09-30")
    }
    assert sum(r["accelerators"] for r in first if r["placed"]) == 100_000
    held: dict[str, int] = {}
    for h in s["capacity_held"]:
        held[h["period_end"]] = held.get(h["period_end"], 0) + h["accelerators"]
    # quarter ends: the two starting reservations, then Abilene's first 100,000 from 09-30
    assert held["2025-06-30"] >= 310_000
    assert held["2025-09-30"] - held["2025-06-30"] >= 100_000
    assert {x["year"] for x in s["spend_by_year"]} == {2025}
    for x in s["spend_by_year"]:
        assert float(x["idle_usd"]) == pytest.approx(
            float(x["committed_usd"]) - float(x["used_usd"]), abs=0.01
        )
    assert isinstance(s["unmet_demand"], list)
    assert {"by_year", "reference_accelerators", "power_mw"} <= set(s["rofr"])


def test_the_text_says_what_was_procured_held_spent_and_left_short() -> None:
    code, out = run("simulate", *SHORT)
    assert code == 0, out
    assert "procurement (monthly, sized from the forecast):" in out
    assert "  abilene-phase-1 (2025-01-21): " in out
    assert " gb200 at " in out
    assert "ROFR on capacity requests:" in out
    assert "held on 2025-12-31: azure" in out
    assert "spend 2025: committed $" in out
    assert "unmet demand" in out


def test_procure_from_workload_sizes_for_the_jobs() -> None:
    code, out = run("simulate", *SHORT, "--procure-from", "workload", "--json")
    assert code == 0, out
    s = json.loads(out)
    assert s["run"]["procure_from"] == "workload"
    # 100 small jobs need far less than the starting reservations: no top-up at all
    assert {r["source"] for r in s["procurement"]} == {"scheduled"}


def test_the_summary_schema_has_the_procurement_fields() -> None:
    code, out = run("schema", "--output", "summary")
    assert code == 0, out
    schema = json.loads(out)
    props = schema["properties"]
    for key in ("procurement", "capacity_held", "spend_by_year", "unmet_demand"):
        assert key in props, key
    defs = schema.get("$defs", {})
    assert {"by_year", "reference_accelerators", "power_mw"} <= set(
        defs["RofrCounts"]["properties"]
    )
    assert {"committed_usd", "used_usd", "idle_usd"} <= set(defs["SpendYear"]["properties"])


def test_a_fleet_runs_output_is_as_before() -> None:
    code, out = run("simulate", "--fleet", "pool:64", "--workload", "synthetic?jobs=50", "--json")
    assert code == 0, out
    s = json.loads(out)
    assert not {"procurement", "capacity_held", "spend_by_year", "unmet_demand"} & set(s)
    assert set(s["rofr"]) == {"offered", "accepted", "declined", "expired", "released_unmet"}
    code, out = run("simulate", "--fleet", "pool:64", "--workload", "synthetic?jobs=50")
    assert "ROFR: 0 offered" in out
    assert "procurement" not in out
