"""Objectives are strategies in one registry; errors name the parameter ``objective`` and
``stargate place`` names its flag ``--objective``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stargate.broker import OBJECTIVES, Broker, parse_objective
from stargate.broker.objective import Cost, Mix, Time
from stargate.cli.main import app
from stargate.domain.model import Scenario
from stargate.errors import InputError

from .conftest import AT, req

ROOT = Path(__file__).resolve().parents[2]
MIX = ROOT / "examples" / "requests" / "stargate-mix.yaml"
runner = CliRunner()


def test_the_registry_lists_the_objectives() -> None:
    assert OBJECTIVES.names() == ["cost", "time", "mix"]
    assert OBJECTIVES.parameter == "objective"


@pytest.mark.parametrize(
    ("text", "kind", "label"),
    [("cost", Cost, "cost"), ("time", Time, "time"), (" mix:0.25 ", Mix, "mix:0.25")],
)
def test_parse(text: str, kind: type, label: str) -> None:
    obj = parse_objective(text)
    assert isinstance(obj, kind)
    assert obj.label == label


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cheapest", "unknown objective 'cheapest'"),
        ("mix:2", "the weight must be a number in [0, 1]"),
        ("mix:nan", "the weight must be a number in [0, 1]"),
        ("mix", "the weight must be a number in [0, 1]"),
        ("cost:3", "unknown objective 'cost:3'"),
    ],
)
def test_the_engine_names_its_parameter(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_objective(text)
    assert [p.path for p in info.value.problems] == ["objective"]
    assert message in str(info.value)
    assert "--objective" not in str(info.value)


def test_did_you_mean() -> None:
    with pytest.raises(InputError) as info:
        parse_objective("tme")
    assert "did you mean 'time'?" in str(info.value)


def test_the_broker_parses_a_text_objective(fleet: Scenario) -> None:
    with pytest.raises(InputError) as info:
        Broker(fleet, objective="fastest")
    assert [p.path for p in info.value.problems] == ["objective"]


@pytest.mark.parametrize(
    ("value", "message"),
    [("cheapest", "unknown objective 'cheapest'"), ("mix:-1", "weight must be a number")],
)
def test_place_names_the_flag(value: str, message: str) -> None:
    result = runner.invoke(app, ["place", str(MIX), "--objective", value])
    assert result.exit_code == 2, result.output
    assert "--objective" in result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_place_names_the_responder_flag() -> None:
    result = runner.invoke(app, ["place", str(MIX), "--responder", "no-anser"])
    assert result.exit_code == 2, result.output
    assert "--responder: unknown responder 'no-anser'" in result.output
    assert "did you mean 'no-answer'?" in result.output


def test_time_and_cost_choose_differently(fleet: Scenario) -> None:
    """The strategies order as documented: cost takes the cheap campus, time the fast b200."""
    r = req(accelerators={"count": 100, "types": ["h100", "b200"]}, duration_h=100)
    by_cost = Broker(fleet, objective="cost", without=["rofr"]).decide(r, AT)
    by_time = Broker(fleet, objective="time", without=["rofr"]).decide(r, AT)
    assert by_cost.pool == "campus-h100"
    assert by_time.pool == "rival-b200"
    assert by_cost.objective == "cost"
    assert by_time.objective == "time"
    mixed = Broker(fleet, objective=Mix(1.0), without=["rofr"]).decide(r, AT)
    assert mixed.pool == by_cost.pool
    assert mixed.objective == "mix:1"


def test_the_broker_names_its_detail_parameter(fleet: Scenario) -> None:
    with pytest.raises(InputError) as info:
        Broker(fleet, detail="summry")
    assert [p.path for p in info.value.problems] == ["detail"]
    assert "unknown detail 'summry'" in str(info.value)
    assert "did you mean 'summary'?" in str(info.value)
