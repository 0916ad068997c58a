"""The broker's clock: moments as float seconds since the Unix epoch (naive UTC), the unit of
its numpy arrays."""

from __future__ import annotations

from datetime import date, datetime, timedelta

EPOCH = datetime(1970, 1, 1)


def ts(moment: datetime) -> float:
    """Seconds since the epoch of a naive UTC datetime."""
    return (moment - EPOCH).total_seconds()


def from_ts(seconds: float) -> datetime:
    """The moment ``seconds`` after the epoch, to the millisecond."""
    return EPOCH + timedelta(seconds=round(seconds, 3))


def day_ts(day: date) -> float:
    """Seconds since the epoch of a day's midnight."""
    return ts(datetime(day.year, day.month, day.day))
