"""Stargate: an open-source control plane for multi-provider AI compute.

The package is laid out by part, with dependencies pointing inward::

    cli, service            thin front ends (Typer CLI, HTTP API)
    report                  rendering of result objects (tables, HTML)
    broker, sim, plan,      engines: read a scenario, return plain result objects
    ledger
    contracts               what is in force when, shared by every engine
    scenario                loading, validation, schema, the embedded scenarios
    domain                  the scenario model itself; imports nothing else from stargate
    errors                  the exception tree and Problem records

Quick use::

    import stargate
    scenario = stargate.load_scenario()          # the embedded 'stargate-2025'
    snap = stargate.snapshot(scenario, at=None)  # capacity and clauses on a day
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from stargate.scenario.loader import check_scenario, load_scenario, load_scenario_text
    from stargate.scenario.snapshot import snapshot
    from stargate.sim.api import simulate

_LAZY = {
    "load_scenario": "stargate.scenario.loader",
    "load_scenario_text": "stargate.scenario.loader",
    "check_scenario": "stargate.scenario.loader",
    "snapshot": "stargate.scenario.snapshot",
    "simulate": "stargate.sim.api",
}

__all__ = [
    "__version__",
    "check_scenario",
    "load_scenario",
    "load_scenario_text",
    "simulate",
    "snapshot",
]


def __getattr__(name: str) -> Any:
    """Import the public API on first use, so `import stargate` stays fast."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'stargate' has no attribute '{name}'")
    import importlib

    return getattr(importlib.import_module(module), name)
