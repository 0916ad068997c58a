"""The plan's compute cost beside the scenario's public figures of the lab's compute spend.

A figure is checked against the plan when it is a checkable figure of metric
``compute_spend_usd`` about the lab (its ``subject`` is the lab's party id), in an amount of US
dollars, over whole calendar years that all lie inside the plan's horizon (``"2026"``, or
``2026-01-01..2030-12-31``): the plan's value is the sum of its ``annual_compute_cost`` over
those years, and it is within when ``|plan ÷ public − 1| ≤ tolerance`` (for a lower bound
``>=N``: at least N and below N × (1 + tolerance), as ``stargate facts`` reads it). Each check
also says how much of the plan's cost is **fixed** (what exists and the record's contracts)
and how much the plan **decided**, so a plan that meets the figure only by buying beyond the
record shows it.

``PlanResult.public_figures`` (year → USD) is left as it was; these checks are a field of their
own, ``public_figure_checks``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from stargate.domain.figures import usd_per_unit
from stargate.domain.model import Scenario, figure_period

if TYPE_CHECKING:
    from stargate.plan.result import PlanResult

__all__ = ["public_figure_checks"]


def _value(raw: object) -> tuple[float, bool] | None:
    """(the number, whether it is a lower bound ``>=N``), or None for a date or text."""
    if isinstance(raw, Decimal):
        return float(raw), False
    if isinstance(raw, str) and raw.strip().startswith(">="):
        try:
            return float(Decimal(raw.strip()[2:].strip())), True
        except ArithmeticError:
            return None
    return None


def public_figure_checks(scenario: Scenario, result: PlanResult) -> list[dict[str, object]]:
    """One row per public compute-spend figure of the lab that the plan's years cover, in
    the scenario's order: ``id``, ``period``, ``public_usd``, ``plan_usd``,
    ``fixed_usd``, ``decided_usd``, ``ratio``, ``tolerance``, ``lower_bound``, ``within``,
    ``confidence``, ``use`` and ``source``. Empty for a plan with no solution."""
    if result.objective_usd is None or result.horizon is None:
        return []
    lab = scenario.lab_id()
    annual = {
        int(r["year"]): (
            float(r["compute_cost_usd"]),
            float(r["fixed_compute_cost_usd"]),
            float(r["decided_compute_cost_usd"]),
        )
        for r in result.annual_compute_cost.iter_rows(named=True)
    }
    first, last = result.horizon
    out: list[dict[str, object]] = []
    for f in scenario.figures:
        if f.metric != "compute_spend_usd" or f.subject != lab or f.period is None:
            continue
        scale = usd_per_unit(f.unit)
        value = _value(f.value)
        if scale is None or value is None:
            continue
        start, end = figure_period(f.period)
        whole = (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
        if not whole or start.year < first or end.year > last:
            continue
        years = range(start.year, end.year + 1)
        plan_usd = sum(annual.get(y, (0.0, 0.0, 0.0))[0] for y in years)
        fixed_usd = sum(annual.get(y, (0.0, 0.0, 0.0))[1] for y in years)
        decided_usd = sum(annual.get(y, (0.0, 0.0, 0.0))[2] for y in years)
        public_usd = value[0] * scale
        ratio = plan_usd / public_usd if public_usd else None
        tol = f.tolerance
        within: bool | None
        if ratio is None or tol is None:
            within = None
        elif value[1]:
            within = 1.0 <= ratio < 1.0 + tol
        else:
            within = abs(ratio - 1.0) <= tol + 1e-12
        out.append(
            {
                "id": f.id,
                "period": f.period,
                "public_usd": public_usd,
                "plan_usd": round(plan_usd, 2),
                "fixed_usd": round(fixed_usd, 2),
                "decided_usd": round(decided_usd, 2),
                "ratio": None if ratio is None else round(ratio, 6),
                "tolerance": tol,
                "lower_bound": value[1],
                "within": within,
                "confidence": f.confidence,
                "use": f.use,
                "source": str(f.source),
            }
        )
    return out
