"""Time constants, in one place: every engine converts hours, days and years with these.

Floats where they scale measured quantities (seconds in a simulation are floats), integers
where they count. A year is 365 days: calendar arithmetic uses :mod:`datetime` instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

SECONDS_PER_MINUTE: Final = 60.0
SECONDS_PER_HOUR: Final = 3600.0
SECONDS_PER_DAY: Final = 86400.0
MINUTES_PER_HOUR: Final = 60
HOURS_PER_DAY: Final = 24
DAYS_PER_YEAR: Final = 365
HOURS_PER_YEAR: Final = 8760.0
#: An average year of 365.25 days, for spans measured in years (the 100-year limit).
HOURS_PER_JULIAN_YEAR: Final = 8766.0
SECONDS_PER_YEAR: Final = SECONDS_PER_DAY * DAYS_PER_YEAR

#: The instant seconds are counted from (naive, as every time inside Stargate is UTC).
UNIX_EPOCH: Final = datetime(1970, 1, 1)
