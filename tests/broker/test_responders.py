"""Responder arguments are parsed and checked once, in make_responder, for every source
(``place --responder``, ``simulate --responder``, the Python API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stargate.broker.responders import make_responder
from stargate.cli.main import app
from stargate.errors import InputError, for_option

ROOT = Path(__file__).resolve().parents[2]
MIX = ROOT / "examples" / "requests" / "stargate-mix.yaml"
runner = CliRunner()

BAD = [
    "accept-after:nan",
    "accept-after:inf",
    "accept-after:-1",
    "accept-after:1e300",
    "accept-after:sNaN",
    "accept-with-probability:nan",
    "accept-with-probability:-0.1",
    "accept-with-probability:1.5",
    "accept-with-probability:Infinity",
    "decline-above-price:nan",
    "decline-above-price:-inf",
    "decline-above-price:-3",
    "decline-above-price:1e16",
    "decline-above-price:ten",
    "accept-after",
]


@pytest.mark.parametrize("spec", BAD)
def test_bad_arguments_refused_where_parsed(spec: str) -> None:
    with pytest.raises(InputError) as info:
        make_responder(spec)
    # the engine names its parameter; a front end names its flag (as the CLI does)
    text = str(for_option(info.value, {"responder": "--responder"}))
    assert "--responder" in text
    assert spec.partition(":")[0] in text
    assert "finite number" in text or "needs an argument" in text


@pytest.mark.parametrize("spec", ["accept-after:nan", "decline-above-price:-inf"])
@pytest.mark.parametrize("command", ["place", "simulate"])
def test_both_commands_exit_2(spec: str, command: str) -> None:
    args = [command, str(MIX)] if command == "place" else [command]
    result = runner.invoke(app, [*args, "--responder", spec])
    assert result.exit_code == 2, result.output
    assert "--responder" in result.output
    assert "finite number" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        ("accept-after:0", 0.0),
        ("accept-after:876600", 876600.0),
        ("accept-with-probability:1", 1.0),
        ("decline-above-price:0", 0.0),
    ],
)
def test_bounds_are_accepted(spec: str, value: float) -> None:
    r = make_responder(spec)
    got: Any = getattr(r, "delay_h", None) or getattr(r, "p", None) or getattr(r, "limit", 0)
    assert float(got) == value


@pytest.mark.parametrize("spec", ["accept-after:nan", "maybe", "no-answer:3"])
def test_the_engine_names_its_parameter_not_a_flag(spec: str) -> None:
    with pytest.raises(InputError) as info:
        make_responder(spec)
    assert [p.path for p in info.value.problems] == ["responder"]
    assert "--responder" not in str(info.value)


def test_unknown_responder_says_did_you_mean() -> None:
    with pytest.raises(InputError) as info:
        make_responder("no-anser")
    assert "unknown responder 'no-anser'" in str(info.value)
    assert "did you mean 'no-answer'?" in str(info.value)
