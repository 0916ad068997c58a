"""`stargate plan` from the command line: the JSON contract, outputs, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.domain.model import Scenario
from tests.plan.factory import small

runner = CliRunner()
FIELDS = {
    "status",
    "objective_usd",
    "builds",
    "installs",
    "rentals",
    "cost_by_period",
    "share_by_provider",
    "shadow_prices",
    "solve_s",
    "build_s",
    "variables",
    "constraints",
}


def dump(scenario: Any, path: Path) -> Path:
    """Write a factory scenario as YAML, completing what the factory leaves to the planner
    (a site's full power is the sum of its phases)."""
    data = scenario.model_dump(mode="json")
    first = {a["id"]: a["available_from"] for a in data["accelerators"]}
    for site in data["sites"]:
        if site["phases"] and site.get("power_capacity_mw") is None:
            site["power_capacity_mw"] = sum(ph["power_mw"] for ph in site["phases"])
        for pool in site["pools"]:
            pool["available_from"] = max(pool["available_from"], first[pool["accelerator"]])
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    return dump(small(rofr=True), tmp_path / "small.yaml")


def test_json_contract(scenario_file: Path) -> None:
    code, out = run("plan", "--scenario", str(scenario_file), "--horizon", "2025..2026", "--json")
    assert code == 0, out
    d = json.loads(out)
    assert set(d) >= FIELDS
    assert d["status"] == "optimal"
    assert d["objective_usd"] > 0
    assert d["variables"] > 0
    assert d["constraints"] > 0
    assert {r["provider"] for r in d["share_by_provider"]}


def test_without_rofr_is_never_dearer(scenario_file: Path) -> None:
    _, a = run("plan", "-s", str(scenario_file), "--horizon", "2025..2026", "--json")
    _, b = run(
        "plan", "-s", str(scenario_file), "--horizon", "2025..2026", "--without", "rofr", "--json"
    )
    assert json.loads(b)["objective_usd"] <= json.loads(a)["objective_usd"] + 1e-6


def test_out_writes_csv_parquet_json_and_report(scenario_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, text = run(
        "plan",
        "-s",
        str(scenario_file),
        "--horizon",
        "2025..2026",
        "--without",
        "rofr",
        "--out",
        str(out),
    )
    assert code == 0, text
    for name in (
        "builds",
        "installs",
        "rentals",
        "cost_by_period",
        "share_by_provider",
        "annual_compute_cost",
        "shadow_prices",
    ):
        assert (out / f"{name}.csv").is_file()
        assert (out / f"{name}.parquet").is_file()
    pl.read_parquet(out / "cost_by_period.parquet")
    assert json.loads((out / "plan.json").read_text())["status"] == "optimal"
    assert (out / "report.html").read_text().lstrip().lower().startswith("<!doctype html")


def test_public_figure_shown_beside_the_plan() -> None:
    code, out = run("plan", "--json")
    assert code == 0, out
    d = json.loads(out)
    # the field keeps its shape: the public annual compute-cost figures, USD by year
    assert d["public_figures"] == {"2024": 7e9, "2026": 50e9}
    assert any(r["year"] == 2026 for r in d["annual_compute_cost"])
    # and each whole-year compute-spend figure is checked against the plan, with its tolerance
    checks = {c["id"]: c for c in d["public_figure_checks"]}
    assert checks["openai-compute-spend-2026"]["tolerance"] == 0.2
    assert checks["openai-compute-spend-2026"]["within"] is True
    assert "openai-compute-spend-2026-2030" in checks


def test_infeasible_budget_is_explained(scenario_file: Path, tmp_path: Path) -> None:
    ov = tmp_path / "ov.yaml"
    ov.write_text("budget_usd: 1\nsupply_per_year: {a: 0, b: 0}\n")
    f = dump(small(cloud_pools=1), tmp_path / "tight.yaml")
    code, out = run(
        "plan", "-s", str(f), "--horizon", "2025..2026", "--overrides", str(ov), "--json"
    )
    assert code == 0, out
    d = json.loads(out)
    assert d["status"] == "infeasible"
    assert d["conflicts"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--horizon", "2020..2030"], "outside the scenario's horizon"),
        (["--horizon", "2025"], "not a horizon"),
        (["--horizon", "2030..2025"], "ends before it starts"),
        (["--period", "month"], "unknown period"),
        (["--without", "rofx"], "did you mean 'rofr'"),
        (["--gap", "2"], "--gap"),
    ],
)
def test_bad_options_exit_2(args: list[str], expected: str) -> None:
    code, out = run("plan", *args)
    assert code == 2, out
    assert expected in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("exclude_sites: [abilen]", "did you mean 'abilene'"),
        ("supply_per_year: {gb300: 1000}", "did you mean 'gb200'"),
        ("supply_per_year: {h100: -5}", "must not be negative"),
        ("budget_usd: -1", "greater than 0"),
        ("budget: 5", "budget"),
        ("supply_per_year: {h100: lots}", "supply_per_year.h100"),
    ],
)
def test_bad_overrides_exit_2_with_file_and_field(text: str, expected: str, tmp_path: Path) -> None:
    ov = tmp_path / "ov.yaml"
    ov.write_text(text + "\n")
    code, out = run("plan", "--overrides", str(ov))
    assert code == 2, out
    assert str(ov) in out
    assert expected in out
    assert "Traceback" not in out


def test_excluding_a_site_never_makes_the_plan_cheaper(tmp_path: Path) -> None:
    f = dump(small(third_site=True), tmp_path / "three.yaml")
    ov = tmp_path / "ov.yaml"
    ov.write_text("exclude_sites: [s3]\n")
    _, full = run("plan", "-s", str(f), "--horizon", "2025..2026", "--json")
    _, less = run("plan", "-s", str(f), "--horizon", "2025..2026", "--overrides", str(ov), "--json")
    assert full.startswith("{"), full
    assert less.startswith("{"), less
    assert json.loads(less)["objective_usd"] >= json.loads(full)["objective_usd"] - 1e-6


def test_without_prints_and_returns_the_baseline(scenario_file: Path) -> None:
    args = ("plan", "-s", str(scenario_file), "--horizon", "2025..2026")
    _, plain = run(*args, "--json")
    code, out = run(*args, "--without", "rofr", "--json")
    assert code == 0, out
    d, base = json.loads(out), json.loads(plain)
    assert d["clauses_off"] == ["rofr"]
    assert base["clauses_off"] == []
    assert d["baseline"]["objective_usd"] == base["objective_usd"]
    assert d["cost_difference_usd"] == round(d["objective_usd"] - base["objective_usd"], 2)
    assert base["baseline"] is None
    assert base["cost_difference_usd"] is None
    code, text = run(*args, "--without", "rofr")
    assert code == 0, text
    assert "clauses off: rofr" in text
    assert "with every clause in force: optimal" in text
    assert "difference: without rofr the plan is" in text


def test_notes_in_text_and_json(tmp_path: Path) -> None:
    f = dump(small(years=(2025,), demand_h=(12e6,)), tmp_path / "one.yaml")
    code, out = run("plan", "-s", str(f), "--horizon", "2025..2026", "--json")
    assert code == 0, out
    assert "no forecast rows for 2026: demand taken as 0" in json.loads(out)["notes"]
    code, out = run("plan", "-s", str(f), "--horizon", "2025..2026")
    assert "note: no forecast rows for 2026: demand taken as 0" in out


def test_default_horizon_is_the_scenarios() -> None:
    code, out = run("plan", "-s", "examples/two-provider.yaml", "--json")
    assert code == 0, out
    assert json.loads(out)["horizon"] == [2025, 2028]


@pytest.mark.parametrize("years", ["9998..9999", "2025..10000", "1..2025", "2025..99999999999999"])
def test_horizon_beyond_the_limits_exits_2(years: str) -> None:
    code, out = run("plan", "--horizon", years)
    assert code == 2, out
    assert "--horizon: year" in out
    assert "from 1900 to 2199" in out
    assert "Traceback" not in out


def test_bad_out_fails_before_the_work(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for target, words in ((a_file, "names an existing file"), (a_file / "sub", "under a file")):
        code, out = run("plan", "--out", str(target))
        assert code == 2, out
        assert words in out, out
        assert "solving" not in out, out
    code, out = run("plan", "--solver-log", str(tmp_path))
    assert code == 2, out
    assert "names a folder" in out, out
    assert "solving" not in out, out


def test_solver_log_is_captured_not_printed(tmp_path: Path) -> None:
    ov = tmp_path / "ov.yaml"
    ov.write_text("budget_usd: 1\nsupply_per_year: {a: 0, b: 0}\n")
    f = dump(small(cloud_pools=1), tmp_path / "tight.yaml")
    log = tmp_path / "logs" / "solver.log"
    result = runner.invoke(
        app,
        ["plan", "-s", str(f), "--horizon", "2025..2026", "--overrides", str(ov), "--json",
         "--solver-log", str(log)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "infeasible"
    for noise in ("Optimization potentially failed", "Termination condition", "HiGHS"):
        assert noise not in result.output
    text = log.read_text()
    assert "Optimization potentially failed" in text
    assert "Infeasible" in text
    assert "infeasibility analysis" in text


def test_public_figures_read_their_unit(tmp_path: Path) -> None:
    f = dump(small(), tmp_path / "fig.yaml")
    data = yaml.safe_load(f.read_text())
    data["figures"] = [
        {"id": "lab-compute-cost-2025", "value": 1.2, "unit": "USD trillion per year",
         "source": "announcement"},
        {"id": "lab-compute-cost-2026", "value": 1.5, "unit": "GW", "source": "announcement"},
    ]  # fmt: skip
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    code, out = run("plan", "-s", str(f), "--horizon", "2025..2026", "--json")
    assert code == 0, out
    assert json.loads(out)["public_figures"] == {"2025": 1.2e12}
    code, out = run("plan", "-s", str(f), "--horizon", "2025..2026")
    assert "(public figure: $1.2T)" in out
    assert "$1.5" not in out


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"term": None, "term_years": None}, "term"),  # no term
        ({"term": {"start": "2026-01-01", "end": "2025-12-31"}}, "ends before it starts"),
        ({"power_mw": 10}, "exactly one of 'accelerators' or 'power_mw'"),  # both
    ],
)
def test_a_bad_capacity_request_exits_2_and_writes_nothing(
    change: dict[str, Any], words: str, tmp_path: Path
) -> None:
    """The planner reads dated capacity requests: a bad one is the scenario's fault, named
    with its file and field, before anything is solved or written."""
    deal = {"id": "deal", "date": "2025-01-01", "requester": "lab",
            "workload_classes": ["train"], "accelerators": {"count": 10, "types": ["a"]},
            "term": {"start": "2025-07-01", "end": "2026-12-31"}}  # fmt: skip
    f = dump(small(capacity_requests=[deal], cloud_pools=100), tmp_path / "deal.yaml")
    data = yaml.safe_load(f.read_text())
    req = data["capacity_requests"][0]
    for key, value in change.items():
        if value is None:
            req.pop(key, None)
        else:
            req[key] = value
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    out_dir = tmp_path / "out"
    code, out = run("plan", "-s", str(f), "--horizon", "2025..2026", "--out", str(out_dir))
    assert code == 2, out
    assert "deal.yaml" in out, out
    assert "capacity_requests" in out, out
    assert words in out, out
    assert "Traceback" not in out
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_text_says_what_exists_and_what_the_record_placed(tmp_path: Path) -> None:
    deal = {"id": "deal", "date": "2025-01-01", "requester": "lab",
            "workload_classes": ["train"], "accelerators": {"count": 10, "types": ["a"]},
            "term": {"start": "2025-07-01", "end": "2026-12-31"}}  # fmt: skip
    phases = {"s1": ("2025-01-01", "under_construction"), "s2": ("2026-01-01", "planned")}
    sc = small(capacity_requests=[deal], cloud_pools=100, phases=phases)
    f = dump(sc, tmp_path / "deal.yaml")
    code, out = run("plan", "-s", str(f), "--horizon", "2025..2026")
    assert code == 0, out
    assert "procurement 2025-01-01 deal: 10 a at cloud/cloud-east" in out
    assert "build s1/s1-1 in 2025: 2 MW, $20,000,000 (fixed: under_construction)" in out
    assert "held 2025: cloud/cloud-east 5 a (scheduled" in out
    code, js = run("plan", "-s", str(f), "--horizon", "2025..2026", "--json")
    doc = json.loads(js)
    assert doc["procurement"][0]["request"] == "deal"
    assert {r["source"] for r in doc["capacity_held"]} == {"scheduled"}


def test_text_shows_demand_beyond_the_record_and_unmet(tmp_path: Path) -> None:
    """A history (settings.top_up false): the text says which demand the plan's decisions
    carry and which is left unmet, and splits each year's cost into fixed and decided."""
    data = small(years=(2025,), demand_h=(12e6,), cloud_pools=500, exclusive=True)
    raw = data.model_dump(mode="json")
    raw["settings"]["top_up"] = False
    f = dump(Scenario.model_validate(raw), tmp_path / "history.yaml")
    code, out = run("plan", "-s", str(f), "--horizon", "2025..2025")
    assert code == 0, out
    assert "demand beyond the record 2025: train 4,380,000 reference-accelerator-hours" in out
    assert "demand unmet 2025: train 7,620,000 reference-accelerator-hours (64%)" in out
    assert "$0 fixed (what exists and the record), $21M decided by the plan" in out
