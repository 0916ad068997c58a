"""The service's scenario clock: what time it is in the scenario.

By default scenario time is real time (UTC). ``stargate serve --start-at DATE`` starts it at
DATE and lets it advance in real time from the moment the server starts, so the January 2025
terms can be played on the default scenario while offers' response windows run for real.
Every deadline the service keeps (an offer's ``respond_by``) is on this clock; tests inject a
:class:`ManualClock`. Times are naive datetimes meaning UTC, as everywhere in Stargate.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


def wall_utc() -> datetime:
    """The wall clock as a naive UTC datetime."""
    return datetime.now(UTC).replace(tzinfo=None)


class Clock(Protocol):
    """What time it is in the scenario."""

    def now(self) -> datetime: ...


class RealClock:
    """Scenario time is real time."""

    def now(self) -> datetime:
        return wall_utc()

    def describe(self) -> str:
        return "real time (UTC)"


class ShiftedClock:
    """Scenario time starts at ``start`` when the clock is made and advances in real time
    (measured on the monotonic clock, so a change of the wall clock does not move it)."""

    def __init__(self, start: date | datetime) -> None:
        self.start = start if isinstance(start, datetime) else datetime(*start.timetuple()[:3])
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._t0)

    def describe(self) -> str:
        return f"started at {self.start.isoformat()}, advancing in real time"


class ManualClock:
    """A clock that moves only when told (tests: the deadline boundary)."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta

    def describe(self) -> str:
        return f"manual, now {self.now().isoformat()}"
