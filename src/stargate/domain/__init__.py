"""The domain model: the scenario and everything in it. Imports nothing else from stargate."""

from __future__ import annotations

from stargate.domain.model import *  # noqa: F403
from stargate.domain.model import __all__  # noqa: F401
