"""The default scenario as a history, checked against the public record (issue #11's done
criteria): `facts --check` exits 0 and lists every id of calibration.csv; a figure moved
outside its tolerance exits 3; the ROFR makes offers only while it is in force, and some are
declined or released; capacity at end-2025 is within tolerance; halving Azure's capacity
model moves the outcomes; and without the October 2025 agreement the $250B tranches go."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from stargate import load_scenario
from stargate.cli.main import app
from stargate.domain.model import Scenario
from stargate.facts import check_figures
from stargate.sim.api import simulate
from stargate.sim.result import SimSummary
from tests.conftest import ROOT, SHARED

runner = CliRunner()
DATA = ROOT / "src" / "stargate" / "scenario" / "data"
ROFR_END = date(2025, 10, 28)


@pytest.fixture(scope="module")
def history() -> Scenario:
    return load_scenario()


@pytest.fixture(scope="module")
def run(history: Scenario) -> SimSummary:
    return simulate(history, log_events=False).summary


def test_facts_check_exits_0_on_the_default_and_lists_every_calibration_id() -> None:
    r = runner.invoke(app, ["facts", "--check", "--json"])
    assert r.exit_code == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["n_outside"] == 0
    ids = {f["id"] for f in data["figures"]}
    table = SHARED / "data" / "reference" / "calibration.csv"
    if not table.is_file():
        pytest.skip("../shared/data/reference/calibration.csv is not present")
    with table.open(newline="", encoding="utf-8") as fh:
        want = {row["id"] for row in csv.DictReader(fh)}
    assert want <= ids, sorted(want - ids)


def _copy_default(tmp_path: Path, edit: Any) -> Path:
    data = yaml.safe_load((DATA / "stargate-2025.yaml").read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / "openai-demand.csv").write_bytes((DATA / "openai-demand.csv").read_bytes())
    path = tmp_path / "moved.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_figure_of_the_default_moved_outside_exits_3(tmp_path: Path) -> None:
    def move(data: dict[str, Any]) -> None:
        for f in data["figures"]:
            if f["id"] == "openai-capacity-gw-2025":
                f["value"] = 3.8  # twice the public figure: the model's 1.86 GW is outside

    r = runner.invoke(app, ["facts", str(_copy_default(tmp_path, move)), "--check"])
    assert r.exit_code == 3, r.stdout + r.stderr
    assert "openai-capacity-gw-2025" in r.stdout


def test_rofr_offers_only_while_it_is_in_force(run: SimSummary) -> None:
    assert run.procurement is not None
    offered = [r for r in run.procurement if r.rofr in ("accepted", "declined", "expired")]
    released = [r for r in run.procurement if r.rofr == "released_unmet"]
    assert offered
    assert released
    assert all(date.fromisoformat(r.date) < ROFR_END for r in offered + released)
    assert any(r.rofr == "declined" for r in offered)  # Microsoft's CoreWeave option
    # after the ROFR's end nothing is offered: AWS's contracts are not in its scope
    aws = [r for r in run.procurement if r.provider == "aws"]
    assert aws
    assert all(r.rofr == "not_in_scope" for r in aws)


def test_capacity_held_at_end_2025_within_the_public_figure(
    history: Scenario, run: SimSummary
) -> None:
    facts = {f.figure.id: f for f in check_figures(history, run).facts}
    held = facts["openai-capacity-gw-2025"]
    assert held.within, held
    assert held.model is not None
    assert 1.9 * 0.75 <= float(held.model) <= 1.9 * 1.25  # type: ignore[arg-type]


def test_halving_azures_capacity_model_moves_the_outcomes(
    history: Scenario, run: SimSummary
) -> None:
    azure = history.provider("azure")
    rows = [
        r.model_copy(update={"accelerators": r.accelerators // 2}) for r in azure.capacity_model
    ]
    halved = history.model_copy(
        update={
            "providers": [
                p.model_copy(update={"capacity_model": rows}) if p.id == "azure" else p
                for p in history.providers
            ]
        }
    )
    base = {f.figure.id: f for f in check_figures(history, run).facts}
    moved = {
        f.figure.id: f
        for f in check_figures(halved, simulate(halved, log_events=False).summary).facts
    }
    for fid in ("openai-capacity-gw-2023", "openai-capacity-gw-2024", "openai-compute-spend-2024"):
        b, m = base[fid].model, moved[fid].model
        assert b is not None
        assert m is not None
        assert float(m) < 0.75 * float(b), fid  # type: ignore[arg-type]
        assert base[fid].within, fid
        assert not moved[fid].within, fid


def test_without_the_october_2025_agreement_the_250b_tranches_go() -> None:
    r = runner.invoke(app, ["facts", "--without", "microsoft-openai-2025-10", "--json"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["without"] == ["microsoft-openai-2025-10"]
    by = {f["id"]: f for f in data["figures"]}
    spend = by["openai-compute-spend-2026-2030"]
    assert spend["model"] < spend["baseline_model"]
    # the terms before the agreement hold: the ROFR never ends, the $250B clause is not there
    assert by["microsoft-rofr-compute-end"]["model"] != "2025-10-28"
    assert by["microsoft-azure-incremental-commitment"]["model"] is None
