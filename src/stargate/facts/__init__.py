"""`stargate facts`: the scenario's checkable figures beside the model's values (docs/facts.md).

An engine-level package: it reads a simulation's summary (:mod:`stargate.sim`) and the
scenario's data, and is read by the CLI."""

from stargate.facts.check import (
    EXIT_OUTSIDE,
    Fact,
    Facts,
    check_figures,
    compare,
    needs_run,
    run_facts,
)
from stargate.facts.metrics import METRICS, Metric

__all__ = [
    "EXIT_OUTSIDE",
    "METRICS",
    "Fact",
    "Facts",
    "Metric",
    "check_figures",
    "compare",
    "needs_run",
    "run_facts",
]
