"""The planner's horizon: a Horizon, years or whole-year dates as text, or a pair of years;
a date inside a year is refused (the planner's periods are calendar years and quarters)."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.domain.horizon import Horizon
from stargate.errors import InputError
from stargate.plan import parse_horizon
from stargate.plan.horizon import plan_years
from tests.plan.factory import small

WHOLE = Horizon(date(2025, 1, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    "value",
    [
        "2025..2026",
        " 2025 .. 2026 ",
        "2025-01-01..2026-12-31",
        (2025, 2026),
        (date(2025, 1, 1), date(2026, 12, 31)),
        WHOLE,
    ],
)
def test_every_form_gives_the_same_years(value: object) -> None:
    assert parse_horizon(value) == WHOLE  # type: ignore[arg-type]
    assert plan_years(value, small()) == (2025, 2026)  # type: ignore[arg-type]


def test_open_sides_come_from_the_scenario() -> None:
    sc = small()  # horizon 2025-01-01..2030-12-31
    assert plan_years(None, sc) == (2025, 2030)
    assert plan_years("..2027", sc) == (2025, 2027)
    assert plan_years("2027..", sc) == (2027, 2030)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2025-07-01..2026-12-31", "2025-07-01 is not a 1 January"),
        ("2025-01-01..2026-06-30", "2026-06-30 is not a 31 December"),
        ("2030..2025", "horizon ends before it starts: 2030..2025"),
        ("2025", "not a horizon"),
        ("2025..soon", "neither a date"),
        ("2025..10000", "year 10000 is outside the range"),
        ((1, 2025), "year 1 is outside the range"),
        ((True, 2026), "a boolean is not a year"),
        ((2025, "x"), "not a horizon"),
    ],
)
def test_bad_horizons_are_refused_naming_horizon(value: object, words: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_horizon(value)  # type: ignore[arg-type]
    assert words in str(exc.value)
    assert all(p.path == "horizon" for p in exc.value.problems)


def test_partial_year_hint_names_the_years_it_touches() -> None:
    with pytest.raises(InputError) as exc:
        parse_horizon("2025-07-01..2026-12-31")
    assert exc.value.problems[0].hint == "plan the years it touches: 2025..2026"


def test_cli_maps_the_parameter_to_its_flag() -> None:
    result = CliRunner().invoke(app, ["plan", "--horizon", "2025-07-01..2026-12-31"])
    assert result.exit_code == 2, result.output
    assert "--horizon: the planner plans whole years: 2025-07-01 is not a 1 January" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert "solving" not in result.output
