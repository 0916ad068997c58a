"""The shared parsers of date options (stargate.cli.options): one parser for every command,
checked against the range the engines represent."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.cli.options import parse_day, parse_moment
from stargate.domain.limits import LATEST_DAY
from stargate.errors import EXIT_INPUT, InputError

runner = CliRunner()


def problem_text(exc: pytest.ExceptionInfo[InputError]) -> str:
    return str(exc.value)


def test_parse_day() -> None:
    assert parse_day(None, "--at") is None
    assert parse_day(" 2026-01-01 ", "--at") == date(2026, 1, 1)
    assert parse_day("2026-01-01T09:30:00Z", "--at") == date(2026, 1, 1)
    assert parse_day(LATEST_DAY.isoformat(), "--at") == LATEST_DAY


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("9999-12-31", ["--at", "9999-12-31", "2199-12-31"]),
        ("1899-12-31", ["--at", "1900-01-01"]),
        ("0001-01-01", ["--at", "1900-01-01"]),
        ("2026-13-01", ["--at", "not a date", "ISO date"]),
        ("soon", ["--at", "not a date"]),
    ],
)
def test_parse_day_refuses(value: str, words: list[str]) -> None:
    with pytest.raises(InputError) as exc:
        parse_day(value, "--at")
    for w in words:
        assert w in problem_text(exc)


def test_parse_moment() -> None:
    assert parse_moment(None, "--at") is None
    assert parse_moment("2026-01-01", "--at") == datetime(2026, 1, 1)
    assert parse_moment("2026-01-01T09:30:00Z", "--at") == datetime(2026, 1, 1, 9, 30)
    assert parse_moment("2026-01-01T09:30:00+02:00", "--at") == datetime(2026, 1, 1, 7, 30)
    assert parse_moment("2199-12-31T23:00:00", "--at") == datetime(2199, 12, 31, 23)


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:00:00-05:00",  # converting the offset would overflow datetime
        "9999-12-31",
        "2199-12-31T23:00:00-05:00",  # 2200-01-01T04:00 UTC: past the latest instant
        "0001-01-01T00:00:00+05:00",
    ],
)
def test_parse_moment_refuses_out_of_range(value: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_moment(value, "--at")
    text = problem_text(exc)
    assert "--at" in text
    assert "outside the range Stargate represents" in text
    assert "2199-12-31" in text


def test_parse_moment_refuses_junk() -> None:
    with pytest.raises(InputError, match="not a date or datetime"):
        parse_moment("2026-02-30", "--at")


def test_scenario_show_at_near_9999_names_the_limit() -> None:
    result = runner.invoke(app, ["scenario", "show", "--at", "9999-12-31"])
    assert result.exit_code == EXIT_INPUT, result.output
    assert "--at:" in result.output
    assert "1900-01-01 to 2199-12-31" in result.output
    assert "internal error" not in result.output


def test_place_at_near_9999_names_the_limit() -> None:
    requests = Path(__file__).resolve().parents[2] / "examples/requests/stargate-mix.yaml"
    result = runner.invoke(app, ["place", str(requests), "--at", "9999-12-31T23:00:00-05:00"])
    assert result.exit_code == EXIT_INPUT, result.output
    assert "--at:" in result.output
    assert "2199-12-31" in result.output
    assert "internal error" not in result.output


def test_place_uses_the_shared_parser() -> None:
    from stargate.cli import broker, options

    assert vars(broker)["parse_moment"] is options.parse_moment
