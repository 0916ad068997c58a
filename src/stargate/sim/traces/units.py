"""Time and GPU-share constants of the trace readers, in one place.

Stargate has no package-wide units module yet (``stargate.domain.units``); until it does, the
trace readers take their conversions from here and nowhere else.
"""

from __future__ import annotations

#: Seconds in one minute (the Azure trace is binned per minute).
SECONDS_PER_MINUTE = 60
#: Seconds in one hour (arrival rates are per hour; run times are in seconds).
SECONDS_PER_HOUR = 3600
#: Minutes in an average year of 365.25 days (to say how long a trace spans).
MINUTES_PER_YEAR = 525_960
#: Thousandths of one GPU in a whole GPU (Alibaba's ``gpu_milli``).
MILLI_PER_GPU = 1000
