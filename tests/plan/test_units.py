"""The planner's one scaling module: conversions named for their units, and no hand-written
scale factor left anywhere else in stargate.plan."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import stargate.plan
from stargate.plan import units

PLAN_DIR = Path(stargate.plan.__file__).parent
#: A multiplication or division by a power of ten written out (``* 1e6``, ``/ 1000.0``).
SCALE = re.compile(r"[*/]\s*(1e[369]|1_?000(\.0)?|1_?000_?000(\.0)?)\b")


def test_round_trips() -> None:
    assert units.usd_from_musd(units.musd_from_usd(123.0)) == pytest.approx(123.0)
    assert units.accelerators_from_k(units.k_from_accelerators(93_750.0)) == 93_750.0
    assert units.hours_from_mh(units.mh_from_hours(8.76e6)) == pytest.approx(8.76e6)
    assert units.usd_from_busd(1.5) == 1.5e9
    assert units.busd_from_musd(2500.0) == 2.5
    arr = np.array([1.0, 2.0])
    assert (units.usd_from_musd(arr) == np.array([1e6, 2e6])).all()


def test_rates_and_calendar() -> None:
    assert units.musd_per_k_from_usd_each(27_500.0) == 27.5  # $M per thousand
    assert units.mw_per_k_from_w_each(700.0 * 1.4) == pytest.approx(0.98)
    assert units.mh_from_k_hours(8760.0) == 8.76  # 1,000 accelerators for a year
    assert units.hours_in_year(2028) == 8784.0
    assert units.hours_in_year(2027) == 8760.0
    assert units.years_from_hours(units.HOURS_PER_YEAR) == 1.0
    assert units.days_from_years(1.0) == 365
    assert units.years_from_days(365.25) == 1.0


@pytest.mark.parametrize(
    "path", sorted(p for p in PLAN_DIR.glob("*.py") if p.name not in ("units.py", "figures.py"))
)
def test_no_hand_written_scale_factor_outside_units(path: Path) -> None:
    """figures.py is excluded: its table maps unit words ("USD bn") to their scale."""
    hits = [
        f"{path.name}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if SCALE.search(line)
    ]
    assert not hits, hits
