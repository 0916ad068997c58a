"""`stargate money report --db URL`: the spend read from the charges a `simulate --db` run
recorded is the simulation's own, so the commitments come out the same to the cent; a ledger
without such a run, or a run that is not there, is bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from stargate.cli.main import app
from tests.ledger.charges_world import scenario_file, simulate_into

runner = CliRunner()


def _report(*args: str) -> dict[str, object]:
    r = runner.invoke(app, ["money", "report", *args, "--json"])
    assert r.exit_code == 0, r.output
    data: dict[str, object] = json.loads(r.stdout)
    return data


def test_the_ledger_spend_gives_the_simulated_commitments(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    simulate_into(url, tmp_path, "--out", str(tmp_path / "run"))
    world = str(scenario_file(tmp_path))
    from_ledger = _report(world, "--db", url)
    from_summary = _report(world, "--summary", str(tmp_path / "run" / "summary.json"))
    assert from_ledger["commitments"] == from_summary["commitments"]
    assert str(from_ledger["spend_source"]).startswith("ledger run sim-")
    named = _report(world, "--db", url, "--run", str(from_ledger["spend_source"]).split()[-1])
    assert named["commitments"] == from_ledger["commitments"]


def test_a_ledger_without_the_run_is_bad_input(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    simulate_into(url, tmp_path)
    world = str(scenario_file(tmp_path))
    other = runner.invoke(app, ["money", "report", world, "--db", url, "--run", "sim-nope"])
    assert other.exit_code == 2, other.output
    assert "no capacity charges of run 'sim-nope'" in other.output
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    none = runner.invoke(app, ["money", "report", world, "--db", empty])
    assert none.exit_code == 2, none.output
    assert "stargate simulate --db" in none.output
