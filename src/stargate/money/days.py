"""Days, cents and the rounding rule every money figure of this package follows.

Money is exact :class:`~decimal.Decimal` arithmetic until it is shown: amounts are kept
exact while they accumulate and rounded to the cent (half up) only as running totals, so the
rounded parts of a total always add up to the rounded total (:class:`RunningCents`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import TypeVar

CENT = Decimal("0.01")
#: Enough digits for a trillion dollars divided by days without losing a cent.
EXACT = Context(prec=50)

K = TypeVar("K", bound=Hashable)


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded to the cent, half up (the way an invoice line is rounded)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def year_days(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def segments(first: date, last: date, key: Callable[[date], K]) -> Iterator[tuple[date, date, K]]:
    """Runs of consecutive days of ``first..last`` with the same ``key``: (start, end, key)."""
    if last < first:
        return
    start, current = first, key(first)
    day = first + timedelta(days=1)
    while day <= last:
        k = key(day)
        if k != current:
            yield start, day - timedelta(days=1), current
            start, current = day, k
        day += timedelta(days=1)
    yield start, last, current


class RunningCents:
    """Rounds a sequence of exact amounts so that the rounded amounts sum to the rounded
    running total: each part is ``cents(total so far) − cents(total before it)``."""

    def __init__(self) -> None:
        self.exact = Decimal(0)
        self.rounded = Decimal("0.00")

    def add(self, amount: Decimal) -> Decimal:
        self.exact = EXACT.add(self.exact, amount)
        total = cents(self.exact)
        part = total - self.rounded
        self.rounded = total
        return part
