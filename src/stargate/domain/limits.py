"""What the engines can represent: the one place every input surface checks its values against.

Every reader (scenario YAML and CSV, request files, trace files, planner overrides, CLI
options) validates dates, durations and counts against these limits where it parses them, so a
value that the engines cannot represent is refused with exit code 2 and a message that names
the limit — never an ``OverflowError`` deep inside a run, a hang, or a silent rounding.

The limits are far beyond any real deal (the largest announced clusters are ~10⁶
accelerators; Stargate's horizon is a decade) and small enough that arithmetic on them never
overflows: the latest representable instant plus the longest duration stays well inside
:class:`datetime.datetime`'s range, and a count times an accelerators-per-node stays inside
64 bits and inside a float's exact integers (2⁵³).

The pydantic types below (:data:`Count`, :data:`Hours`, :data:`Day`, ...) carry the limits into
every model that uses them, and refuse booleans where a number is expected (YAML reads ``yes``
as true, which plain pydantic would take as 1).
"""

from __future__ import annotations

import functools
import math
import types
import typing
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from stargate.domain.units import HOURS_PER_JULIAN_YEAR

#: The earliest and latest day any input may name (both included).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)
EARLIEST_INSTANT = datetime(EARLIEST_DAY.year, EARLIEST_DAY.month, EARLIEST_DAY.day)
LATEST_INSTANT = datetime(LATEST_DAY.year, LATEST_DAY.month, LATEST_DAY.day) + timedelta(days=1)

#: The longest duration, window or span in hours: 100 years.
MAX_DURATION_H = 100 * int(HOURS_PER_JULIAN_YEAR)
#: The most accelerators in one pool, one request, one fleet spec or one trace row.
MAX_ACCELERATORS = 10_000_000
#: The most accelerators on one node (a GB200 NVL72 rack is 72; NVL576 is 576).
MAX_ACCELERATORS_PER_NODE = 1_024
#: The most jobs, requests or rows one run may hold.
MAX_ITEMS = 10_000_000
#: The largest amount of money in one figure: 10¹⁵ US dollars.
MAX_USD = Decimal(10) ** 15


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return text if len(text) <= 40 else text[:20] + "…" + text[-8:] + f" ({len(text)} digits)"


def no_bool(value: Any) -> Any:
    """Refuse a boolean where a number is expected (``count: yes`` is not 1)."""
    if isinstance(value, bool | GivenBoolean):
        shown = str(getattr(value, "value", value)).lower()
        raise ValueError(
            f"expected a number, found the boolean {shown} "
            "(YAML reads yes/no/on/off/true/false as booleans)"
        )
    return value


_NUMERIC = (int, float, Decimal)


def _only_numbers(annotation: Any) -> bool:
    """True when every type an annotation admits (through Annotated, Optional and unions) is a
    number or None: such a field never means a boolean."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _only_numbers(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(_only_numbers(a) for a in args)
    return (
        isinstance(annotation, type) and issubclass(annotation, _NUMERIC) and annotation is not bool
    )


@functools.cache
def numeric_fields(model: type[BaseModel]) -> frozenset[str]:
    """The names of a model's fields that take only numbers."""
    names: set[str] = set()
    for name, info in model.model_fields.items():
        if _only_numbers(info.annotation):
            names.add(name)
            if info.alias:
                names.add(info.alias)
    return frozenset(names)


class GivenBoolean:
    """Stands in for a boolean given to a number field, so that pydantic reports a type error
    at that field (with its location) instead of converting ``true`` to 1."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"boolean {str(self.value).lower()}"


def refuse_booleans(model: type[BaseModel], data: Any) -> Any:
    """``data`` with every boolean given to a number-only field of ``model`` replaced by a
    :class:`GivenBoolean`, which that field's validation then refuses. For a ``mode="before"``
    model validator (field validators cannot run on discriminator fields)."""
    if not isinstance(data, dict):
        return data
    fields = numeric_fields(model)
    bad = [k for k, v in data.items() if isinstance(v, bool) and k in fields]
    if not bad:
        return data
    return {k: GivenBoolean(v) if k in bad else v for k, v in data.items()}


def not_a_number_day(value: Any) -> Any:
    """Refuse a number (or numeric text) where a date is expected: pydantic would read it as a
    Unix time (``available_from: 0`` as 1970-01-01), a silent change."""
    if isinstance(value, bool | int | float | Decimal | GivenBoolean) or (
        isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()
    ):
        shown = str(getattr(value, "value", value)).lower()
        raise ValueError(f"expected a date (YYYY-MM-DD), found the number {shown}")
    return value


def check_day(value: date) -> date:
    """A day inside [:data:`EARLIEST_DAY`, :data:`LATEST_DAY`]."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(
            f"date {day.isoformat()} is outside the range Stargate represents "
            f"({EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()})"
        )
    return value


def check_instant(value: datetime) -> datetime:
    """A (naive UTC) datetime inside the representable range."""
    if not EARLIEST_INSTANT <= value.replace(tzinfo=None) <= LATEST_INSTANT:
        raise ValueError(
            f"time {value.isoformat()} is outside the range Stargate represents "
            f"({EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()})"
        )
    return value


def check_hours(value: float, what: str = "duration") -> float:
    """A finite, non-negative number of hours no longer than :data:`MAX_DURATION_H`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number of hours, found {_fmt(value)}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, found {_fmt(value)} h")
    if value > MAX_DURATION_H:
        raise ValueError(
            f"{what} of {_fmt(value)} h is longer than Stargate represents "
            f"(at most {MAX_DURATION_H:,} h, 100 years)"
        )
    return float(value)


def check_count(value: int, what: str = "count", limit: int = MAX_ACCELERATORS) -> int:
    """A whole number from 0 to ``limit``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be a whole number, found {_fmt(value)}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, found {_fmt(value)}")
    if value > limit:
        raise ValueError(
            f"{what} of {_fmt(value)} is more than Stargate represents (at most {limit:,})"
        )
    return value


def _max_accelerators(value: int) -> int:
    return check_count(value, "accelerator count")


def _max_per_node(value: int) -> int:
    return check_count(value, "accelerators per node", MAX_ACCELERATORS_PER_NODE)


def _max_hours(value: float) -> float:
    return check_hours(value)


def _max_usd(value: Decimal) -> Decimal:
    if value.is_finite() and abs(value) > MAX_USD:
        raise ValueError(
            f"amount {_fmt(value)} USD is more than Stargate represents (at most 1e15)"
        )
    return value


NoBool = BeforeValidator(no_bool)


def float_input(value: Any) -> Any:
    """What a float field takes: never a boolean, and no whole number a float cannot hold
    exactly (beyond 2⁵³ a float rounds it: 9007199254740993 would become ...992)."""
    value = no_bool(value)
    if isinstance(value, int) and abs(value) > 2**53:
        raise ValueError(
            f"{_fmt(value)} has more digits than a number here holds exactly "
            "(at most 9,007,199,254,740,992 as a whole number)"
        )
    return value


FloatInput = BeforeValidator(float_input)

#: A number of accelerators (pool size, request size): 1 to :data:`MAX_ACCELERATORS`.
Count = Annotated[int, NoBool, Field(gt=0), AfterValidator(_max_accelerators)]
#: Accelerators on one node: 1 to :data:`MAX_ACCELERATORS_PER_NODE`.
PerNode = Annotated[int, NoBool, Field(gt=0), AfterValidator(_max_per_node)]
#: A positive duration or window in hours, at most :data:`MAX_DURATION_H`.
Hours = Annotated[float, NoBool, Field(gt=0, allow_inf_nan=False), AfterValidator(_max_hours)]
#: A day inside the representable range.
Day = Annotated[date, BeforeValidator(not_a_number_day), AfterValidator(check_day)]
#: A finite float that is never a boolean.
Number = Annotated[float, FloatInput, Field(allow_inf_nan=False)]
#: Money: a finite Decimal, never a boolean, at most :data:`MAX_USD` in magnitude.
Money = Annotated[Decimal, NoBool, Field(allow_inf_nan=False), AfterValidator(_max_usd)]
