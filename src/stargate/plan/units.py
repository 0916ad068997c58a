"""The planner's units, and the one place its quantities change scale.

The linopy model keeps its numbers near 1 for the solver, so inside it:

* accelerators are counted in **thousands** (``*_k``),
* accelerator-hours (and reference-accelerator-hours) in **millions** (``*_mh``),
* money in **millions of US dollars** (``*_musd``); budget duals are reported per $1B;
* power in MW, energy prices in USD per MWh, time in hours and years.

Everything the planner reports (its tables, conflicts and shadow prices) is in plain units:
accelerators, accelerator-hours, USD. Every conversion between the two goes through a function
here, named for the units on both sides, so no other module of :mod:`stargate.plan` writes a
scale factor by hand. The functions work on floats and on NumPy arrays alike.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from stargate.domain.units import HOURS_PER_YEAR as HOURS_PER_YEAR

#: Hours in a 365-day year: the year of per-year rates (supply per year, opex per MW-year).
#: Hours in a day.
HOURS_PER_DAY = 24
#: Days in a mean (Julian) year: the year of ages, lives and discounting.
DAYS_PER_YEAR = 365.25

#: USD in one model money unit ($M).
USD_PER_MUSD = 1e6
#: USD in one reported budget unit ($B), for the budget's shadow price.
USD_PER_BUSD = 1e9
#: $M in one $B.
MUSD_PER_BUSD = 1e3
#: Accelerators in one model count unit (thousands).
ACCELERATORS_PER_K = 1000.0
#: Accelerator-hours in one model hours unit (millions).
HOURS_PER_MH = 1e6
#: Watts in a kilowatt, kilowatts in a megawatt.
W_PER_KW = 1000.0
KW_PER_MW = 1000.0

Q = TypeVar("Q", float, npt.NDArray[np.float64])


def usd_from_musd(musd: Q) -> Q:
    """$M → USD."""
    return musd * USD_PER_MUSD


def musd_from_usd(usd: Q) -> Q:
    """USD → $M."""
    return usd / USD_PER_MUSD


def usd_from_busd(busd: Q) -> Q:
    """$B → USD."""
    return busd * USD_PER_BUSD


def busd_from_musd(musd: Q) -> Q:
    """$M → $B."""
    return musd / MUSD_PER_BUSD


def accelerators_from_k(k: Q) -> Q:
    """Thousands of accelerators → accelerators."""
    return k * ACCELERATORS_PER_K


def k_from_accelerators(n: Q) -> Q:
    """Accelerators → thousands of accelerators."""
    return n / ACCELERATORS_PER_K


def hours_from_mh(mh: Q) -> Q:
    """Millions of (accelerator-)hours → hours."""
    return mh * HOURS_PER_MH


def mh_from_hours(hours: Q) -> Q:
    """(Accelerator-)hours → millions of them."""
    return hours / HOURS_PER_MH


def mh_from_k_hours(hours: Q) -> Q:
    """Hours one *thousand* accelerators run → millions of accelerator-hours per thousand
    accelerators (the model's capacity coefficient: 1,000 accelerators for ``h`` hours give
    ``h / 1000`` million accelerator-hours)."""
    return hours / (HOURS_PER_MH / ACCELERATORS_PER_K)


def musd_per_k_from_usd_each(usd_each: float) -> float:
    """A unit price in USD per accelerator → $M per thousand accelerators."""
    return usd_each * ACCELERATORS_PER_K / USD_PER_MUSD


def mw_per_k_from_w_each(watts_each: float) -> float:
    """Watts per accelerator → MW per thousand accelerators."""
    return watts_each / W_PER_KW


def years_from_hours(hours: Q) -> Q:
    """Hours → 365-day years (for per-year rates)."""
    return hours / HOURS_PER_YEAR


def years_from_days(days: float) -> float:
    """Days → mean years (ages, lives, discounting)."""
    return days / DAYS_PER_YEAR


def days_from_years(years: float) -> int:
    """Mean years → whole days (rounded)."""
    return round(years * DAYS_PER_YEAR)


def hours_from_days(days: int) -> float:
    """Whole days → hours."""
    return float(days * HOURS_PER_DAY)


def hours_in_year(year: int) -> float:
    """Hours in calendar year ``year`` (8,784 in a leap year)."""
    return hours_from_days((date(year + 1, 1, 1) - date(year, 1, 1)).days)
