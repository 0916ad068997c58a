"""One result style: ``Decision.to_dict()`` is an item of ``place --json``, a batch
(:class:`Placement`) writes the same list to ``decisions.json``, and every decision carries
its provenance (scenario id and hash, version, seed, clauses switched off)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stargate.broker import Broker, Placement, Request, load_requests, make_responder, place
from stargate.cli.main import app
from stargate.domain.model import Scenario
from stargate.domain.provenance import SCHEMA_VERSION, for_scenario
from stargate.errors import InputError
from stargate.scenario.loader import load_scenario
from stargate.sim.procure import place_view

from .conftest import AT, req

ROOT = Path(__file__).resolve().parents[2]
MIX = ROOT / "examples" / "requests" / "stargate-mix.yaml"
runner = CliRunner()


def test_place_json_carries_provenance_in_each_decision() -> None:
    args = ["place", str(MIX), "--at", "2026-01-01", "--without", "rofr", "--seed", "7"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    decisions = json.loads(result.output)
    assert isinstance(decisions, list)  # the list shape is kept
    assert len(decisions) == 3
    sc = load_scenario(None)
    expected = for_scenario(sc, seed=7, clauses_off=decisions[0]["without"]).model_dump(mode="json")
    for d in decisions:
        prov = d["provenance"]
        assert prov == expected
        assert prov["schema_version"] == SCHEMA_VERSION
        assert prov["scenario_id"] == sc.id
        assert prov["clauses_off"]
        assert prov["clauses_off"] == sorted(d["without"])


def test_batch_write_is_the_place_json_output(tmp_path: Path) -> None:
    result = runner.invoke(app, ["place", str(MIX), "--at", "2026-01-01", "--json"])
    assert result.exit_code == 0, result.output
    sc = load_scenario(None)
    reqs, _ = load_requests(MIX, sc)
    # what `stargate place` decides on: the listed pools plus what the lab holds at clouds
    # that list none (place_view); its decisions name the user's scenario
    view = place_view(sc, datetime(2026, 1, 1))
    batch = Broker(
        view, responder=make_responder("accept-when-able"), seed=0, recorded_as=sc
    ).decide_many(reqs, datetime(2026, 1, 1))
    assert isinstance(batch, Placement)
    assert len(batch) == 3
    path = batch.write(tmp_path / "out")
    assert path.name == "decisions.json"
    assert path.read_text(encoding="utf-8") == result.output
    assert json.loads(path.read_text(encoding="utf-8")) == batch.to_dict()


def test_write_refuses_a_file(tmp_path: Path, fleet: Scenario) -> None:
    blocker = tmp_path / "f"
    blocker.write_text("x")
    with pytest.raises(InputError, match="existing file"):
        place(fleet, req(), AT).write(blocker)


def test_to_dict_is_the_json_of_a_single_request(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(
        "id: r1\nrequester: openai\nclass: research-training\nkind: training\n"
        "accelerators: {count: 8, types: any}\nduration_h: 10\n"
    )
    result = runner.invoke(app, ["place", str(one), "--at", "2026-01-01", "--json"])
    assert result.exit_code == 0, result.output
    sc = load_scenario(None)
    reqs, single = load_requests(one, sc)
    assert single
    assert isinstance(reqs[0], Request)
    view = place_view(sc, datetime(2026, 1, 1))
    d = Broker(view, seed=0, recorded_as=sc).decide(reqs[0], datetime(2026, 1, 1))
    assert json.loads(result.output) == d.to_dict()


def test_reprs_are_short_and_useful(fleet: Scenario) -> None:
    batch = place(fleet, [req(id="a"), req(id="b", accelerators={"count": 10**6, "types": "any"})])
    text = repr(batch)
    assert text == "Placement(2 decisions, 1 placed, $10,000.00 in all)"
    assert repr(batch[0]) == (
        "Decision(a: placed on hold-h100 (holder), 100 × h100, $10,000.00; decided by rofr)"
    )
    assert repr(batch[1]).startswith("Decision(b: not placed (")
    html = batch._repr_html_()
    assert "<li>a: placed on hold-h100" in html
    assert "Placement(2 decisions" in html
    assert batch[0]._repr_html_().startswith("<p><b>Decision</b> a: placed")


def test_provenance_names_the_fleet_scenario(fleet: Scenario) -> None:
    d = Broker(fleet, without=["excl"], seed=3).decide(req(), AT)
    assert d.provenance is not None
    assert d.provenance.scenario_id == "broker-test"
    assert d.provenance.clauses_off == ["excl"]
    assert d.provenance.seed == 3
    assert d.provenance.scenario_sha256 == for_scenario(fleet).scenario_sha256


def test_a_batch_mixes_job_and_capacity_decisions(fleet: Scenario) -> None:
    from stargate.broker.capacity import CapacityDecision
    from tests.broker.conftest import creq

    batch = place(fleet, [req(id="a"), creq(id="c")], AT)
    assert isinstance(batch, Placement)
    job, cap = batch
    assert not isinstance(job, CapacityDecision)
    assert isinstance(cap, CapacityDecision)
    assert cap.placed
    assert batch.cost_usd == (job.cost_usd or 0) + cap.cost_usd
    data = batch.to_dict()
    assert data[1]["kind"] == "capacity"
    assert "Placement(2 decisions, 2 placed" in repr(batch)
