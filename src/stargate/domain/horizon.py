"""One horizon type for every engine: a span of whole days, written as dates or as years.

``2025-07-01..2026-12-31`` is those days, both included; ``2025..2030`` is 2025-01-01 through
2030-12-31. Either side may be left out (``..2026-12-31``) where an engine fills it from the
scenario (:meth:`Horizon.within`). The simulator reads the days, the planner the years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from stargate.domain.limits import EARLIEST_DAY, LATEST_DAY, check_day

EXAMPLES = "e.g. 2025-07-01..2026-12-31 (days) or 2025..2030 (years)"


def _side(text: str, *, end: bool) -> date | None:
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and len(text) == 4:
        year = int(text)
        if not EARLIEST_DAY.year <= year <= LATEST_DAY.year:
            raise ValueError(
                f"year {year} is outside the range Stargate represents "
                f"({EARLIEST_DAY.year} to {LATEST_DAY.year})"
            )
        return date(year, 12, 31) if end else date(year, 1, 1)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is neither a date (YYYY-MM-DD) nor a year (YYYY)") from None
    check_day(day)
    return day


@dataclass(frozen=True, slots=True)
class Horizon:
    """Days ``first`` through ``last``, both included; ``None`` where not given."""

    first: date | None = None
    last: date | None = None

    def __post_init__(self) -> None:
        for day in (self.first, self.last):
            if day is not None:
                check_day(day)
        if self.first is not None and self.last is not None and self.last < self.first:
            raise ValueError(
                f"horizon ends before it starts: {self.last.isoformat()} is before "
                f"{self.first.isoformat()}"
            )

    @classmethod
    def parse(cls, text: str) -> Horizon:
        """``FIRST..LAST`` in dates or years; ValueError saying what was expected."""
        first_s, sep, last_s = text.partition("..")
        if not sep:
            raise ValueError(f"not a horizon: '{text}' (expected FIRST..LAST, {EXAMPLES})")
        return cls(_side(first_s, end=False), _side(last_s, end=True))

    @classmethod
    def of(cls, value: Horizon | str | tuple[object, object] | None) -> Horizon:
        """A horizon from what an engine was given: a Horizon, its text, a pair of dates or of
        years (``(2025, 2030)``), or None (the whole scenario)."""
        if value is None:
            return cls()
        if isinstance(value, Horizon):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        a, b = value
        first = date(a, 1, 1) if isinstance(a, int) else a
        last = date(b, 12, 31) if isinstance(b, int) else b
        if not (first is None or isinstance(first, date)) or not (
            last is None or isinstance(last, date)
        ):
            raise ValueError(f"not a horizon: {value!r} (expected two dates or two years)")
        return cls(first, last)

    def within(self, first: date, last: date) -> Horizon:
        """Missing sides taken from ``first``/``last`` (a scenario's horizon)."""
        return Horizon(self.first or first, self.last or last)

    @property
    def end_exclusive(self) -> date | None:
        """The day after ``last``."""
        return None if self.last is None else self.last + timedelta(days=1)

    @property
    def years(self) -> tuple[int, int]:
        """(first year, last year): the years the horizon touches."""
        if self.first is None or self.last is None:
            raise ValueError("an open horizon has no years")
        return self.first.year, self.last.year

    def __str__(self) -> str:
        a = self.first.isoformat() if self.first else ""
        b = self.last.isoformat() if self.last else ""
        return f"{a}..{b}"
