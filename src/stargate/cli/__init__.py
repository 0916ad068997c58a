"""The command line. `main` defines the app and the scenario commands; each other module adds
the commands of one engine to it."""

from __future__ import annotations

from stargate.cli import broker as _broker  # noqa: F401  (registers place, bench)
from stargate.cli import main as _main  # noqa: F401
from stargate.cli import plan as _plan  # noqa: F401  (registers plan)
from stargate.cli import sim as _sim  # noqa: F401  (registers simulate)
from stargate.cli import trace as _trace  # noqa: F401  (registers trace list, trace fetch)
