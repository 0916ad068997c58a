"""The planner's horizon: which calendar years to plan.

:func:`parse_horizon` takes every form of :class:`~stargate.domain.horizon.Horizon` (text in
years or dates, a pair of years or dates, a Horizon) and checks it without a scenario;
:func:`plan_years` fills a side left out from the scenario (:func:`default_horizon`). Dates
must start and end whole years: the planner's periods are calendar years and their quarters,
and a date inside a year is refused rather than silently widened. Every problem names the
parameter ``horizon``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import cast

from stargate.domain.horizon import Horizon
from stargate.domain.limits import EARLIEST_DAY, LATEST_DAY
from stargate.domain.model import Scenario
from stargate.errors import InputError, Problem

__all__ = [
    "HorizonLike",
    "check_horizon",
    "default_horizon",
    "parse_horizon",
    "plan_years",
]


def _year_problem(year: int, option: str) -> Problem | None:
    if EARLIEST_DAY.year <= year <= LATEST_DAY.year:
        return None
    return Problem(
        f"year {year} is outside the range Stargate represents",
        path=option,
        expected=f"years from {EARLIEST_DAY.year} to {LATEST_DAY.year}",
        found=str(year),
    )


def check_horizon(horizon: tuple[int, int], option: str = "horizon") -> tuple[int, int]:
    """``horizon`` when both years are inside the representable range (see
    :mod:`stargate.domain.limits`) and in order; :class:`InputError` naming ``option``."""
    y0, y1 = horizon
    problems = [p for y in (y0, y1) if (p := _year_problem(y, option)) is not None]
    if problems:
        raise InputError(problems[:1] if y0 == y1 else problems)
    if y1 < y0:
        raise InputError(Problem(f"horizon ends before it starts: {y0}..{y1}", path=option))
    return y0, y1


#: What ``horizon`` may be given as: a Horizon, its text (years or dates), a pair of years or
#: of dates, or None (the whole years of the scenario's horizon).
HorizonLike = Horizon | str | tuple[object, object] | None

_INT = re.compile(r"[+-]?\d+")
_HORIZON_EXPECTED = (
    "FIRST..LAST in years (2025..2030) or in dates that start and end whole years "
    "(2025-01-01..2030-12-31)"
)


def _years_of_text(text: str) -> tuple[int | None, int | None] | None:
    """``(first, last)`` when ``text`` is ``YEAR..YEAR`` (a side may be empty), else None."""
    a, sep, b = text.strip().partition("..")
    if not sep:
        return None
    sides: list[int | None] = []
    for side in (a.strip(), b.strip()):
        if not side:
            sides.append(None)
        elif _INT.fullmatch(side):
            sides.append(int(side))
        else:
            return None
    return sides[0], sides[1]


def _horizon_of_years(y0: int | None, y1: int | None) -> Horizon:
    problems = [p for y in (y0, y1) if y is not None and (p := _year_problem(y, "horizon"))]
    if problems:
        raise InputError(problems[:1] if y0 == y1 else problems)
    if y0 is not None and y1 is not None and y1 < y0:
        raise InputError(Problem(f"horizon ends before it starts: {y0}..{y1}", path="horizon"))
    return Horizon(
        date(y0, 1, 1) if y0 is not None else None, date(y1, 12, 31) if y1 is not None else None
    )


def parse_horizon(value: HorizonLike) -> Horizon:
    """The planner's ``horizon`` argument as a :class:`~stargate.domain.horizon.Horizon` of
    whole calendar years, checked without a scenario; InputError naming ``horizon``.

    Years (``2025..2030``, ``(2025, 2030)``) plan those years, both included. Dates
    (``2025-01-01..2030-12-31``, a pair of dates, a Horizon) must start on a 1 January and end
    on a 31 December: the planner's periods are calendar years and their quarters, and a date
    inside a year is refused rather than silently widened to the year. A side left out
    (``..2028``) is taken from the scenario (:func:`plan_years`)."""
    if isinstance(value, str):
        years = _years_of_text(value)
        if years is not None:
            return _horizon_of_years(*years)
    elif isinstance(value, tuple) and len(value) == 2:
        a, b = value
        if isinstance(a, bool) or isinstance(b, bool):
            raise InputError(
                Problem(
                    "a boolean is not a year",
                    path="horizon",
                    expected=_HORIZON_EXPECTED,
                    found=repr(value),
                )
            )
        a_year = a is None or isinstance(a, int)
        if a_year and (b is None or isinstance(b, int)) and (a is not None or b is not None):
            return _horizon_of_years(cast("int | None", a), b)
    try:
        h = Horizon.of(value)
    except (ValueError, TypeError) as exc:
        raise InputError(
            Problem(str(exc), path="horizon", expected=_HORIZON_EXPECTED, found=repr(value))
        ) from None
    for day, whole, what in ((h.first, (1, 1), "1 January"), (h.last, (12, 31), "31 December")):
        if day is not None and (day.month, day.day) != whole:
            raise InputError(
                Problem(
                    f"the planner plans whole years: {day.isoformat()} is not a {what}",
                    path="horizon",
                    expected=_HORIZON_EXPECTED,
                    found=str(h),
                    hint=f"plan the years it touches: {h.years[0] if h.first else ''}.."
                    f"{h.years[1] if h.last else ''}"
                    if h.first is not None and h.last is not None
                    else None,
                )
            )
    return h


def plan_years(value: HorizonLike, scenario: Scenario) -> tuple[int, int]:
    """The (first, last) years to plan: ``value`` checked by :func:`parse_horizon`, with a
    side not given taken from :func:`default_horizon`."""
    h = parse_horizon(value)
    d0, d1 = default_horizon(scenario)
    y0 = h.first.year if h.first is not None else d0
    y1 = h.last.year if h.last is not None else d1
    return check_horizon((y0, y1))


def default_horizon(scenario: Scenario) -> tuple[int, int]:
    """The years to plan when none are given: the whole calendar years inside the scenario's
    horizon (a horizon of 2025-01-01..2028-12-31 plans 2025..2028; one from 2025-07-01 plans
    from 2026). An open-ended horizon plans six years from its start; one that holds no
    whole year plans the years it touches."""
    start, end = scenario.horizon.start, scenario.horizon.end
    first = start.year if (start.month, start.day) == (1, 1) else start.year + 1
    if end is None:
        return start.year, min(start.year + 5, LATEST_DAY.year)
    last = end.year if (end.month, end.day) == (12, 31) else end.year - 1
    if last < first:
        return start.year, end.year
    return first, last
