"""The capacity and investment planner (issue #5): what to build where and when, and what to
rent, within the budget, as a mixed-integer programme built with linopy and solved by HiGHS —
starting from what exists (issue #10): fixed phases and pools, held reservations, and the
dated capacity requests placed through the broker first.

``plan(scenario, ...)`` (a Scenario, an embedded scenario's name or a file) returns a
:class:`PlanResult`: a normalised :class:`PlanStatus`, the objective in USD, Polars tables, for
an infeasible plan the conflicting constraints in plain words, and its provenance;
``to_dict()`` is what ``stargate plan --json`` prints and ``write(dir)`` what ``--out``
writes. linopy and highspy are imported only when a plan is built.
"""

from __future__ import annotations

from stargate.plan.api import plan
from stargate.plan.data import DEFAULT_SUPPLY_PER_YEAR
from stargate.plan.horizon import parse_horizon
from stargate.plan.result import TABLES, Conflict, PlanResult, PlanStatus

__all__ = [
    "DEFAULT_SUPPLY_PER_YEAR",
    "TABLES",
    "Conflict",
    "PlanResult",
    "PlanStatus",
    "parse_horizon",
    "plan",
]
