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
    result = stargate.simulate("stargate-2025")  # the fleet simulator
    result = stargate.plan.plan("stargate-2025") # the planner (stargate.plan is its package)

Every public name below is listed by ``dir(stargate)`` (so completion finds it) and imported
on first use: ``import stargate`` loads no engine and none of numpy, Polars, linopy or HiGHS.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from stargate import plan
    from stargate.broker import Broker, load_requests, place
    from stargate.domain.horizon import Horizon
    from stargate.domain.model import Scenario
    from stargate.errors import InputError, InternalError, Problem, ScenarioError, StargateError
    from stargate.registry import Registry
    from stargate.scenario.loader import check_scenario, load_scenario, load_scenario_text
    from stargate.scenario.snapshot import snapshot
    from stargate.sim.api import simulate

#: Each public name and the module that defines it (imported when the name is first used).
_LAZY = {
    "load_scenario": "stargate.scenario.loader",
    "load_scenario_text": "stargate.scenario.loader",
    "check_scenario": "stargate.scenario.loader",
    "snapshot": "stargate.scenario.snapshot",
    "simulate": "stargate.sim.api",
    "plan": "stargate.plan",
    "Broker": "stargate.broker",
    "place": "stargate.broker",
    "load_requests": "stargate.broker",
    "Horizon": "stargate.domain.horizon",
    "Scenario": "stargate.domain.model",
    "Registry": "stargate.registry",
    "Problem": "stargate.errors",
    "StargateError": "stargate.errors",
    "InputError": "stargate.errors",
    "ScenarioError": "stargate.errors",
    "InternalError": "stargate.errors",
}

__all__ = [
    "Broker",
    "Horizon",
    "InputError",
    "InternalError",
    "Problem",
    "Registry",
    "Scenario",
    "ScenarioError",
    "StargateError",
    "__version__",
    "check_scenario",
    "load_requests",
    "load_scenario",
    "load_scenario_text",
    "place",
    "plan",
    "simulate",
    "snapshot",
]


def __getattr__(name: str) -> Any:
    """Import the public API on first use, so `import stargate` stays fast."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'stargate' has no attribute '{name}'")
    if name == "plan":  # the planner's package; its entry point is stargate.plan.plan()
        return importlib.import_module(module)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, loaded or not, so that completion offers them."""
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})
