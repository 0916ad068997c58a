"""The trace readers' constants, from the package's one units module
(:mod:`stargate.domain.units`), as the integers the readers count with; and the GPU share of
Alibaba's ``gpu_milli``."""

from __future__ import annotations

from stargate.domain import units

#: Seconds in one minute (the Azure trace is binned per minute).
SECONDS_PER_MINUTE = int(units.SECONDS_PER_MINUTE)
#: Seconds in one hour (arrival rates are per hour; run times are in seconds).
SECONDS_PER_HOUR = int(units.SECONDS_PER_HOUR)
#: Minutes in an average year of 365.25 days (to say how long a trace spans).
MINUTES_PER_YEAR = int(units.MINUTES_PER_HOUR * units.HOURS_PER_JULIAN_YEAR)
#: Thousandths of one GPU in a whole GPU (Alibaba's ``gpu_milli``).
MILLI_PER_GPU = 1000
