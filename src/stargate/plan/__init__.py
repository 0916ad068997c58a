"""The capacity and investment planner (issue #5): what to build where and when, and what to
rent, within the budget, as a mixed-integer programme built with linopy and solved by HiGHS.

``plan(scenario, ...)`` returns a :class:`PlanResult`: a normalised :class:`PlanStatus`, the
objective in USD, Polars tables and, for an infeasible plan, the conflicting constraints in
plain words. linopy and highspy are imported only when a plan is built.
"""

from __future__ import annotations

from stargate.plan.api import Conflict, PlanResult, PlanStatus, plan
from stargate.plan.data import DEFAULT_SUPPLY_PER_YEAR

__all__ = ["DEFAULT_SUPPLY_PER_YEAR", "Conflict", "PlanResult", "PlanStatus", "plan"]
