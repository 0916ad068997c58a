"""Messages of the whole-scenario checks stay readable for absurd values."""

from __future__ import annotations

from pathlib import Path

from stargate.scenario.loader import check_scenario
from tests.conftest import minimal, write_scenario


def test_an_absurd_power_draw_is_printed_short(tmp_path: Path) -> None:
    data = minimal()
    data["accelerators"][0]["tdp_w"] = 1e300
    result = check_scenario(write_scenario(tmp_path, data))
    problem = next(p for p in result.problems if "draw more power" in p.message)
    assert problem.found == "3.36e+298 MW"
    assert problem.expected == "at most 100 MW"


def test_an_ordinary_power_draw_keeps_one_decimal(tmp_path: Path) -> None:
    data = minimal()
    data["sites"][1]["pools"][0]["count"] = 200_000
    result = check_scenario(write_scenario(tmp_path, data))
    problem = next(p for p in result.problems if "draw more power" in p.message)
    assert problem.found == "235.2 MW"
