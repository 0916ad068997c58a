"""`stargate money report`: JSON with named fields and decimal strings, the table view, and bad
input (exit 2, located, no traceback)."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from stargate.cli.main import app
from tests.conftest import ROOT, minimal, write_scenario
from tests.money.factory import commitment, share

runner = CliRunner()
SUMMARY = ROOT / "tests" / "data" / "money" / "summary-default.json"


def run(*args: str) -> Any:
    return runner.invoke(app, ["money", "report", *args], env={"COLUMNS": "200"})


def money_yaml(tmp_path: Path, clauses: list[dict[str, Any]]) -> Path:
    data = minimal()
    data["contracts"][0]["clauses"] += clauses
    data["revenue"] = [{"stream": "chatgpt", "year": 2025, "usd": 3650000}]
    return write_scenario(tmp_path, data)


def test_json_from_a_summary_has_named_fields_and_decimal_strings() -> None:
    result = run("--summary", str(SUMMARY), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"revenue_shares", "commitments", "spend_source", "provenance"}
    row = data["revenue_shares"]["transfers"][0]
    assert row["clause_id"] == "revenue-share-to-microsoft"
    assert row["transfer_usd"] == "200000000.00"
    oracle = [
        c for c in data["commitments"]["commitments"] if c["clause_id"] == "oracle-commitment"
    ]
    # The stored summary's oci spend, 2027..2030, all inside the period (tests/data/money).
    assert oracle[0]["drawn_usd"] == "258327059760.00"
    assert oracle[0]["shortfall_usd"] is None
    assert data["provenance"]["scenario_id"] == "stargate-2025"


def test_the_table_view() -> None:
    result = run("--summary", str(SUMMARY))
    assert result.exit_code == 0, result.output
    assert "Revenue shares: stargate-2025" in result.output
    assert "≤ 5,600,000,000.00" in result.output  # the undisclosed cap: an upper bound
    assert "Commitments" in result.output
    assert "coreweave-contract-2025-09" in result.output


def test_the_default_scenario_is_simulated_when_no_summary_is_given() -> None:
    """The simulate path end to end (one run, ~10 s): the revenue figures are the scenario's
    (test_default.py), the commitments consistent with the run's spend."""
    result = run("--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["spend_source"] == "simulation (seed 0)"
    assert data["revenue_shares"]["transfers"][0]["transfer_usd"] == "200000000.00"
    cm = data["commitments"]
    for c in cm["commitments"]:
        assert Decimal(c["drawn_usd"]) + Decimal(c["remaining_usd"]) == Decimal(c["amount_usd"])
        if c["status"] == "shortfall":
            assert c["shortfall_usd"] == c["remaining_usd"]
    for row in cm["sellers"]:
        assert Decimal(row["drawn_usd"]) + Decimal(row["uncommitted_usd"]) == Decimal(
            row["spend_usd"]
        )


def test_a_simulated_run_draws_down_its_own_spend() -> None:
    """From Python, on a small world: a one-year commitment with cloudco draws
    min(amount, the run's 2025 spend with `cloud`)."""
    from stargate.money import commitments
    from stargate.sim.api import simulate
    from tests.sim.factory import world

    clause = commitment("take-or-pay", 1_000_000, "2025-01-01", "2025-12-31")
    sc = world(cloud_pool=200, clauses=[clause])
    summary = simulate(sc, log_events=False).summary
    assert summary.spend_by_year is not None
    spent = sum(
        (Decimal(r.committed_usd) for r in summary.spend_by_year
         if r.year == 2025 and r.provider == "cloud"),
        Decimal(0),
    )  # fmt: skip
    assert spent > 0
    c = commitments(sc, summary).commitment("take-or-pay")
    assert c.drawn_usd == min(Decimal("1000000.00"), spent)


def test_without_an_agreement_changes_the_transfers(tmp_path: Path) -> None:
    data = minimal()
    data["contracts"][0]["clauses"].append(share(start="2025-01-01"))
    data["contracts"][0]["agreements"] = [
        {"id": "ag", "date": "2025-07-01", "changes": [{"clause": "share", "action": "terminate"}]}
    ]
    data["revenue"] = [{"stream": "chatgpt", "year": 2025, "usd": 3650000}]
    path = write_scenario(tmp_path, data)
    summary = tmp_path / "summary.json"
    stored = json.loads(SUMMARY.read_text())
    stored["run"]["scenario"] = "mini"
    summary.write_text(json.dumps(stored))
    first = run(str(path), "--summary", str(summary), "--json")
    # The summary is the default scenario's, relabelled: its hash differs, which is said.
    assert "simulated from another version of scenario 'mini'" in first.stderr
    with_all = json.loads(first.stdout)
    # A summary of a run with other terms is refused; one of a run without `ag` is read.
    refused = run(str(path), "--summary", str(summary), "--without", "ag")
    assert refused.exit_code == 2
    assert "the summary was simulated without nothing" in refused.output
    stored["provenance"]["amendments_off"] = ["ag"]
    summary.write_text(json.dumps(stored))
    without = json.loads(
        run(str(path), "--summary", str(summary), "--without", "ag", "--json").stdout
    )
    assert with_all["revenue_shares"]["transfers"][0]["transfer_usd"] == "181000.00"
    assert without["revenue_shares"]["transfers"][0]["transfer_usd"] == "365000.00"
    assert without["provenance"]["amendments_off"] == ["ag"]


# --------------------------------------------------------------------------- bad input


def test_a_stream_for_an_unknown_party_exits_2_with_file_and_line(tmp_path: Path) -> None:
    path = money_yaml(tmp_path, [share(stream="nobody-revenue", start="2025-01-01")])
    result = run(str(path), "--summary", str(SUMMARY))
    assert result.exit_code == 2
    text = result.output
    line = next(
        i for i, ln in enumerate(path.read_text().splitlines(), 1) if "nobody-revenue" in ln
    )
    assert f"{path}:{line}" in text
    assert "contracts[0].clauses[2].revenue_stream" in text
    assert "unknown party 'nobody'" in text
    assert "Traceback" not in text


def test_an_unknown_stream_in_the_default_scenario_is_located(tmp_path: Path) -> None:
    data = ROOT / "src" / "stargate" / "scenario" / "data"
    shutil.copy(data / "openai-demand.csv", tmp_path)
    text = (data / "stargate-2025.yaml").read_text()
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("revenue_stream: openai-revenue", "revenue_stream: openai-revenu"))
    result = run(str(path), "--summary", str(SUMMARY))
    assert result.exit_code == 2, result.output
    assert "unknown revenue stream 'openai-revenu'" in result.output
    assert "did you mean 'openai-revenue'?" in result.output


def test_unknown_without_exits_2() -> None:
    result = run("--summary", str(SUMMARY), "--without", "nosuch")
    assert result.exit_code == 2
    assert "--without" in result.output


def test_db_is_not_available_yet() -> None:
    result = run("--db", "sqlite:///ledger.db")
    assert result.exit_code == 2
    assert "not available yet" in result.output


def test_a_summary_of_another_scenario_exits_2(tmp_path: Path) -> None:
    path = money_yaml(tmp_path, [share(start="2025-01-01")])
    result = run(str(path), "--summary", str(SUMMARY))
    assert result.exit_code == 2
    assert "the summary is of scenario 'stargate-2025', not 'mini'" in result.output


def test_a_broken_summary_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "summary.json"
    bad.write_text(yaml.safe_dump({"jobs": 1}))
    result = run("--summary", str(bad))
    assert result.exit_code == 2
    assert "not a simulation summary" in result.output
    missing = run("--summary", str(tmp_path / "none.json"))
    assert missing.exit_code == 2
