"""Parsers of one cell of a trace row: counts, times in seconds, numbers. A bad cell raises
:class:`~stargate.sim.traces.csvreader.BadCell`, which the reader turns into a located
Problem."""

from __future__ import annotations

import math
import re

from stargate.domain.limits import MAX_ACCELERATORS, MAX_DURATION_H, check_count
from stargate.sim.traces.csvreader import BadCell, clip
from stargate.sim.traces.units import SECONDS_PER_HOUR
from stargate.sim.workload import MAX_JOB_S, NUMBER_TEXT, Param, hours_text

#: ``gpu_spec`` / ``model`` values that mean "no model" (pandas writes an empty cell as ``nan``).
NO_TYPE = frozenset({"", "nan"})

_WHOLE = re.compile(r"\s*[+]?[0-9]+\s*")


def parse_count(text: str, what: str, limit: int) -> int:
    """A count written as text, exactly: digits, or a number that is exactly whole (``8.0``,
    ``1e3``), from 0 to ``limit``. ValueError, naming the limit, for anything else: never a
    silent rounding (``1.5``, ``1e23``)."""
    if _WHOLE.fullmatch(text):
        digits = text.strip().lstrip("+")
        if len(digits.lstrip("0")) > 40:
            raise ValueError(
                f"{what} of {len(digits)} digits is more than Stargate represents "
                f"(at most {limit:,})"
            )
        value = int(digits)
    else:
        x = Param(int, what).value(text)
        if x is None:
            raise ValueError(f"{what} must be a whole number, found {clip(repr(text), 40)}")
        value = int(x)
    return check_count(value, what, limit)


def count_cell(
    row: list[str], k: int, col: str, minimum: int = 0, limit: int = MAX_ACCELERATORS
) -> int:
    expected = f"a whole number from {minimum} to {limit:,}"
    try:
        value = parse_count(row[k], col, limit)
    except ValueError as exc:
        message = "not a whole number"
        if "more than Stargate represents" in str(exc):
            message = f"more than Stargate represents (at most {limit:,})"
        elif "negative" in str(exc):
            message = "below the minimum"
        raise BadCell(col, message, expected, clip(repr(row[k]), 60)) from None
    if value < minimum:
        raise BadCell(col, "below the minimum", expected, repr(row[k]))
    return value


_TIME_EXPECTED = f"seconds from 0 to {MAX_JOB_S:,.0f} (100 years) from the start of the trace"


def seconds_cell(row: list[str], k: int, col: str, *, optional: bool = False) -> float | None:
    try:
        if not NUMBER_TEXT.fullmatch(row[k]):
            raise ValueError(row[k])
        value = float(row[k])  # float() ignores surrounding blanks
    except ValueError:
        if not row[k].strip():
            if optional:
                return None
            raise BadCell(col, "no time", _TIME_EXPECTED, "an empty cell") from None
        value = math.nan
    if not 0 <= value < math.inf:  # also false for NaN
        raise BadCell(col, "not a time", _TIME_EXPECTED, clip(repr(row[k]), 60))
    if value > MAX_JOB_S:
        raise BadCell(
            col,
            f"later than Stargate represents ({hours_text(value / SECONDS_PER_HOUR)} h after the "
            f"start of the trace; at most {MAX_DURATION_H:,} h)",
            _TIME_EXPECTED,
            clip(repr(row[k]), 60),
        )
    return value


def number_cell(row: list[str], k: int, col: str, what: str, high: float = MAX_JOB_S) -> float:
    text = row[k]
    value = float(text) if NUMBER_TEXT.fullmatch(text) else math.nan
    if 0 <= value <= high:  # false for NaN
        return value
    expected = f"{what} (a number from 0 to {high:,.0f})"
    if not 0 <= value < math.inf:
        raise BadCell(col, f"not {what}", expected, clip(repr(text), 60))
    raise BadCell(col, f"more than Stargate represents (at most {high:,.0f})", expected, repr(text))
