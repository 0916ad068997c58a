"""``plan()``: check the arguments, build, solve, read the solution into tables; the result
is plain data (:class:`~stargate.plan.result.PlanResult`: Polars tables, enums, floats).

The solver stack (linopy, HiGHS) is imported on first use (:mod:`stargate.plan.solver`); no
solver object leaves :mod:`stargate.plan`. Infeasible plans are explained by
:mod:`stargate.plan.explain`.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from stargate.domain.model import Scenario
from stargate.errors import InputError, Problem
from stargate.plan.data import PlanData, check_period, prepare
from stargate.plan.explain import explain_infeasible
from stargate.plan.horizon import HorizonLike, parse_horizon, plan_years
from stargate.plan.result import Conflict, PlanResult, PlanStatus
from stargate.plan.solver import require_solver, solution, solve

__all__ = ["Conflict", "PlanResult", "PlanStatus", "ScenarioLike", "clean_table", "plan"]

from stargate.plan.units import (
    usd_from_busd,
    usd_from_musd,
)

#: What ``scenario`` may be given as: a Scenario, an embedded scenario's name or a file.
ScenarioLike = Scenario | str | os.PathLike[str]


def _scenario(scenario: ScenarioLike) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | os.PathLike):
        from stargate.scenario.loader import load_scenario

        return load_scenario(os.fspath(scenario))
    raise InputError(
        Problem(
            "not a scenario",
            path="scenario",
            expected="a Scenario, an embedded scenario's name or a scenario file",
            found=type(scenario).__name__,
        )
    )


def _check_solver_options(gap: float, time_limit_s: float | None) -> None:
    problems: list[Problem] = []
    if isinstance(gap, bool) or not isinstance(gap, int | float) or not 0.0 <= gap <= 1.0:
        problems.append(
            Problem("not a relative MIP gap", path="gap", expected="0 to 1", found=repr(gap))
        )
    if time_limit_s is not None and (
        isinstance(time_limit_s, bool)
        or not isinstance(time_limit_s, int | float)
        or not math.isfinite(time_limit_s)
        or time_limit_s < 0
    ):
        problems.append(
            Problem(
                "not a time limit",
                path="time_limit_s",
                expected="a finite number of seconds, 0 or more",
                found=repr(time_limit_s),
            )
        )
    if problems:
        raise InputError(problems)


def plan(
    scenario: ScenarioLike,
    *,
    horizon: HorizonLike = None,
    period: str = "year",
    without: Sequence[str] = (),
    gap: float = 0.01,
    time_limit_s: float | None = None,
    budget_usd: float | None = None,
    supply_per_year: Mapping[str, float] | None = None,
    integer_installs: bool = False,
    shadow_prices: bool = True,
    baseline: bool = False,
) -> PlanResult:
    """The least-cost plan that meets the scenario's demand forecast over ``horizon``,
    starting from what exists: phases and pools whose status is not ``planned`` are fixed, the
    lab's reservations are held (take-or-pay), and the scenario's dated capacity requests are
    placed through the broker's capacity decision first (``result.procurement``); planned
    phases, installs and new cloud capacity (capacity model flows, or pools) are decided.

    ``scenario``: a :class:`~stargate.domain.model.Scenario`, an embedded scenario's name
    (``"stargate-2025"``) or a scenario file. ``horizon``: the years to plan, both included:
    a :class:`~stargate.domain.horizon.Horizon`, text in years (``"2025..2030"``) or in dates
    that start and end whole years (``"2025-01-01..2030-12-31"``), a pair of years; a date
    inside a year is refused (:func:`~stargate.plan.horizon.parse_horizon`); default: the whole
    years inside the scenario's horizon (:func:`~stargate.plan.horizon.default_horizon`).
    ``period``: ``year`` or ``quarter``. ``without``: clause selectors to switch off
    (``rofr``, ``exclusivity``, a clause id). ``gap``: the relative MIP gap to stop at (0 to
    1); ``time_limit_s``: stop the solver after that many seconds with the best plan found.
    ``budget_usd``: a cap on cumulative capex over the horizon, on top of the scenario's
    milestones. ``supply_per_year``: accelerators of a type installable per year (default
    :data:`~stargate.plan.data.DEFAULT_SUPPLY_PER_YEAR`); both are checked as an overrides
    file is (:mod:`stargate.plan.overrides`). ``integer_installs``: installs in whole
    thousands (default: continuous, in thousands). ``baseline``: when clauses are switched
    off, also plan with every clause in force and attach it as ``result.baseline`` (with
    ``result.cost_difference_usd``). An infeasible plan comes back with ``status``
    infeasible and ``conflicts`` naming the constraints that had to give way. The result's
    numbers are cleaned of solver noise (:func:`clean_table`). Bad arguments raise
    :class:`~stargate.errors.InputError` naming the parameter (``horizon``, ``period``,
    ``gap``...).
    """
    parse_horizon(horizon)  # refuse a bad horizon before reading the scenario
    check_period(period)
    _check_solver_options(gap, time_limit_s)
    sc = _scenario(scenario)
    years = plan_years(horizon, sc)

    def one(clauses_off: Sequence[str]) -> PlanResult:
        return _plan_one(
            sc,
            years,
            clauses_off,
            period=period,
            gap=gap,
            time_limit_s=time_limit_s,
            budget_usd=budget_usd,
            supply_per_year=supply_per_year,
            integer_installs=integer_installs,
            shadow_prices=shadow_prices,
        )

    result = one(without)
    if baseline and result.clauses_off:
        result.baseline = one(())
    return result


def _plan_one(
    scenario: Scenario,
    horizon: tuple[int, int],
    without: Sequence[str],
    *,
    period: str,
    gap: float,
    time_limit_s: float | None,
    budget_usd: float | None,
    supply_per_year: Mapping[str, float] | None,
    integer_installs: bool,
    shadow_prices: bool,
) -> PlanResult:
    """One plan of ``scenario`` over the checked years ``horizon``."""
    from stargate.contracts.state import resolve_without
    from stargate.domain.figures import public_compute_costs_by_year
    from stargate.domain.provenance import for_scenario
    from stargate.plan.public import public_figure_checks

    # agreements and amendments named in ``without`` are voided: the plan is of the derived
    # scenario; clause ids are switched off in it as before
    resolved = resolve_without(scenario, without)
    scenario = resolved.scenario
    result = _solve_plan(
        scenario,
        horizon,
        period,
        sorted(resolved.clause_ids),
        gap,
        time_limit_s,
        budget_usd,
        supply_per_year,
        integer_installs,
        shadow_prices,
    )
    result.period = period
    result.clauses_off = resolved.names
    result.public_figures = public_compute_costs_by_year(scenario)
    result.public_figure_checks = public_figure_checks(scenario, result)
    if not scenario.settings.top_up and result.objective_usd is not None:
        result.notes.append(_history_note(result))
    result.provenance = for_scenario(scenario, clauses_off=result.clauses_off)
    return result


def _history_note(result: PlanResult) -> str:
    """What ``settings.top_up: false`` (a history) means for the plan, and what it came to."""
    head = (
        "settings.top_up is false (a history): what exists and the record's contracts are the "
        "plan's stock; the plan adds capacity only for demand they leave unmet"
    )
    d = result.demand
    short = d.filter(pl.col("decided_reference_hours") > 0)
    unmet = d.filter(pl.col("unmet_reference_hours") > 0)
    if short.height == 0 and unmet.height == 0:
        return head + ", and they carry the whole forecast: the plan decides nothing"
    parts = []
    for rows, col, what in ((short, "decided_reference_hours", "carried by the plan's decisions"),
                            (unmet, "unmet_reference_hours", "left unmet: nothing the record "
                             "holds or the plan may add can carry it")):  # fmt: skip
        if rows.height:
            periods = sorted(set(rows["period"].to_list()))
            hours = float(rows[col].sum())
            parts.append(f"{hours:,.0f} reference-accelerator-hours in {', '.join(periods)} {what}")
    return head + ": " + "; ".join(parts) + " (the demand table)"


def _solve_plan(
    scenario: Scenario,
    horizon: tuple[int, int],
    period: str,
    without: Sequence[str],
    gap: float,
    time_limit_s: float | None,
    budget_usd: float | None,
    supply_per_year: Mapping[str, float] | None,
    integer_installs: bool,
    shadow_prices: bool,
) -> PlanResult:
    require_solver()
    from stargate.plan.model import build

    t0 = time.perf_counter()
    d = prepare(
        scenario,
        horizon=horizon,
        period=period,
        without=without,
        budget_usd=budget_usd,
        supply_per_year=supply_per_year,
    )
    built = build(d, integer_installs=integer_installs)
    m = built.model
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    log: list[str] = []
    status, mip_gap = solve(m, gap, time_limit_s, log)
    solve_s = time.perf_counter() - t1
    nvars, ncons = int(m.nvars), int(m.ncons)

    if status not in (PlanStatus.optimal, PlanStatus.feasible):
        conflicts: list[Conflict] = []
        if status == PlanStatus.infeasible:
            log.append("-- infeasibility analysis: demand, supply, caps, power, budget relaxed --")
            conflicts = explain_infeasible(d, gap, time_limit_s, log)
        return _result(
            status,
            None,
            None,
            (solve_s, build_s, nvars, ncons),
            {**_empty_tables(), "procurement": _frame("procurement", _procurement_rows(d))},
            conflicts,
            d,
            (horizon, log),
        )

    names = ("x", "b", "u", "uf", "r", "hold", "o", "g", "z", "unmet", "draw", "shortfall")
    sol = {k: solution(m, k) for k in names}
    tables = _tables(d, sol)
    commit_duals: np.ndarray | None = None
    if shadow_prices:
        log.append("-- shadow prices: the LP with the binaries held at their optimum --")
        prices, commit_duals = _shadow_prices(d, sol, integer_installs, log)
    else:
        prices = _empty_shadow()
    tables["shadow_prices"] = prices
    from stargate.plan.commit import commitment_rows

    commits = commitment_rows(d, sol, commit_duals)
    from stargate.plan.model import not_cost_musd

    objective_usd = usd_from_musd(
        float(m.objective.value) + built.constant_musd - not_cost_musd(sol)
    )
    result = _result(
        status,
        objective_usd,
        mip_gap,
        (solve_s, build_s, nvars, ncons),
        tables,
        [],
        d,
        (horizon, log),
    )
    result.commitments = commits
    owed = [c for c in commits if c.shortfall_usd > 0]
    if owed:
        total = sum((c.shortfall_usd for c in owed), start=owed[0].shortfall_usd * 0)
        result.notes.append(
            f"committed spend: {len(owed)} of {len(commits)} commitments fall short by "
            f"${total:,.2f} in all (take-or-pay: paid anyway); the objective counts that "
            "shortfall at its present value, the cost tables do not (the commitments field)"
        )
    return result


def _result(
    status: PlanStatus,
    objective_usd: float | None,
    mip_gap: float | None,
    figures: tuple[float, float, int, int],
    t: dict[str, pl.DataFrame],
    conflicts: list[Conflict],
    d: PlanData,
    run: tuple[tuple[int, int], list[str]],
) -> PlanResult:
    solve_s, build_s, nvars, ncons = figures
    horizon, log = run
    t = {name: clean_table(name, df) for name, df in t.items()}
    return PlanResult(
        status=status,
        objective_usd=None if objective_usd is None else _snap(round(objective_usd, 2)),
        mip_gap=None if mip_gap is None or not math.isfinite(mip_gap) else _snap(mip_gap, 1e-9),
        solve_s=solve_s,
        build_s=build_s,
        variables=nvars,
        constraints=ncons,
        builds=t["builds"],
        installs=t["installs"],
        rentals=t["rentals"],
        cost_by_period=t["cost_by_period"],
        share_by_provider=t["share_by_provider"],
        annual_compute_cost=t["annual_compute_cost"],
        shadow_prices=t["shadow_prices"],
        procurement=t["procurement"],
        capacity_held=t["capacity_held"],
        demand=t["demand"],
        conflicts=conflicts,
        notes=list(d.notes),
        horizon=horizon,
        clauses_off=sorted(d.clauses_off),
        solver_log="\n".join(part for part in log if part) + "\n" if log else "",
    )


# --------------------------------------------------------------------------- solver noise

#: Decimal places kept in each float column of the result's tables: what a solver's last bits
#: of floating-point noise (``share 6.1e-15``, ``count 93750.00000000004``) can never reach.
DIGITS = {
    "power_mw": 3,
    "count": 3,
    "accelerators": 3,
    "reference_accelerators": 3,
    "accelerator_hours": 3,
    "reference_hours": 3,
    "demand_reference_hours": 3,
    "fixed_reference_hours": 3,
    "decided_reference_hours": 3,
    "decided_share": 6,
    "unmet_reference_hours": 3,
    "capacity_reference_hours": 3,
    "capacity_share": 6,
    "share": 6,
}
#: Columns ending in ``_usd`` keep cents.
USD_DIGITS = 2


def _snap(v: float, tol: float = 0.0) -> float:
    """``v`` with tiny magnitudes and negative zero made 0."""
    return 0.0 if abs(v) <= tol else v + 0.0


def clean_table(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with each float column rounded to the places it is meaningful to (cents for
    USD, thousandths of an accelerator, MW or hour, millionths of a share), so values within
    the solver's tolerance of 0 are 0 (never ``-0.0``) and ``93750.00000000004`` is ``93750``;
    rows of ``share_by_provider`` left with neither work nor capacity are dropped."""
    exprs = []
    for col, dtype in df.schema.items():
        if dtype != pl.Float64:
            continue
        digits = USD_DIGITS if col.endswith("_usd") else DIGITS.get(col)
        if digits is None:
            continue
        rounded = pl.col(col).round(digits)
        exprs.append(pl.when(rounded == 0).then(0.0).otherwise(rounded).alias(col))
    out = df.with_columns(exprs) if exprs else df
    if name == "share_by_provider" and out.height:
        kept = [pl.col(c) > 0 for c in ("reference_hours", "capacity_reference_hours") if c in out]
        out = out.filter(pl.any_horizontal(kept))
    return out


# --------------------------------------------------------------------------- tables

_SCHEMAS: dict[str, dict[str, Any]] = {
    "builds": {"site": pl.String, "phase": pl.String, "period": pl.String,
               "power_mw": pl.Float64, "capex_usd": pl.Float64, "capex_committed": pl.String,
               "status": pl.String},
    "installs": {"site": pl.String, "provider": pl.String, "accelerator": pl.String,
                 "period": pl.String, "count": pl.Float64, "capex_usd": pl.Float64,
                 "status": pl.String},
    "rentals": {"provider": pl.String, "site": pl.String, "accelerator": pl.String,
                "tier": pl.String, "workload_class": pl.String, "period": pl.String,
                "accelerator_hours": pl.Float64, "cost_usd": pl.Float64, "source": pl.String,
                "basis": pl.String},
    "cost_by_period": {"period": pl.String, "provider": pl.String, "capex_usd": pl.Float64,
                       "depreciation_usd": pl.Float64, "energy_usd": pl.Float64,
                       "opex_usd": pl.Float64, "rental_usd": pl.Float64,
                       "compute_cost_usd": pl.Float64, "fixed_compute_cost_usd": pl.Float64,
                       "decided_compute_cost_usd": pl.Float64},
    "share_by_provider": {"period": pl.String, "provider": pl.String,
                          "reference_hours": pl.Float64, "share": pl.Float64,
                          "capacity_reference_hours": pl.Float64,
                          "capacity_share": pl.Float64},
    "annual_compute_cost": {"year": pl.Int64, "compute_cost_usd": pl.Float64,
                            "fixed_compute_cost_usd": pl.Float64,
                            "decided_compute_cost_usd": pl.Float64},
    "shadow_prices": {"constraint": pl.String, "name": pl.String, "period": pl.String,
                      "value_usd": pl.Float64, "per": pl.String},
    "procurement": {"request": pl.String, "date": pl.String, "provider": pl.String,
                    "site": pl.String, "accelerator": pl.String, "accelerators": pl.Int64,
                    "reference_accelerators": pl.Float64, "power_mw": pl.Float64,
                    "term_start": pl.String, "term_end": pl.String,
                    "price_usd_per_accelerator_hour": pl.String, "rofr": pl.String,
                    "decided_by": pl.String, "source": pl.String, "placed": pl.Boolean,
                    "reason": pl.String},
    "capacity_held": {"period": pl.String, "provider": pl.String, "site": pl.String,
                      "accelerator": pl.String, "source": pl.String,
                      "accelerators": pl.Float64, "reference_accelerators": pl.Float64,
                      "power_mw": pl.Float64, "committed_usd": pl.Float64,
                      "used_usd": pl.Float64, "idle_usd": pl.Float64},
    "demand": {"period": pl.String, "workload_class": pl.String,
               "demand_reference_hours": pl.Float64, "fixed_reference_hours": pl.Float64,
               "decided_reference_hours": pl.Float64, "decided_share": pl.Float64,
               "unmet_reference_hours": pl.Float64},
}  # fmt: skip


def _frame(name: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=_SCHEMAS[name], orient="row")


def _empty_shadow() -> pl.DataFrame:
    return _frame("shadow_prices", [])


def _empty_tables() -> dict[str, pl.DataFrame]:
    return {n: _frame(n, []) for n in _SCHEMAS}


def _procurement_rows(d: PlanData) -> list[dict[str, Any]]:
    """The dated capacity requests' rows, as summary.json's ``procurement`` rows; keys the
    table does not know are left out (the table has a fixed schema)."""
    keys = _SCHEMAS["procurement"]
    return [{k: row.get(k) for k in keys} for row in (r.to_dict() for r in d.procurement)]


def _tables(d: PlanData, sol: dict[str, np.ndarray | None]) -> dict[str, pl.DataFrame]:
    """The result's tables from the model's solution and what exists (see
    :mod:`stargate.plan.tables`)."""
    from stargate.plan.tables import Tables

    t = Tables(d, sol)
    rows = t.rows()
    out = {name: _frame(name, rows[name]) for name in rows}
    out["procurement"] = _frame("procurement", _procurement_rows(d))
    return out


# --------------------------------------------------------------------------- shadow prices


def _shadow_prices(
    d: PlanData, sol: dict[str, np.ndarray | None], integer_installs: bool, log: list[str]
) -> tuple[pl.DataFrame, np.ndarray | None]:
    """Duals of the LP with the binaries (and integer installs) held at their optimum:
    the present value of one more MW at a site in a period, and of one more $1B of budget;
    and, per commitment, of one more dollar committed (the ``commit`` rows, $M per $M)."""
    from stargate.plan.model import build

    fixed = {k: np.round(v) for k in ("b", "z") if (v := sol[k]) is not None}
    if integer_installs and sol["x"] is not None:
        fixed["x"] = np.round(sol["x"])
    m = build(d, fixed=fixed).model
    status, _ = solve(m, 0.0, None, log)
    if status != PlanStatus.optimal:
        return _empty_shadow(), None
    commit_duals: np.ndarray | None = None
    if "commit" in m.constraints:
        commit_duals = np.nan_to_num(np.asarray(m.constraints["commit"].dual.values, float))
    rows: list[dict[str, Any]] = []
    if "power" in m.constraints:
        duals = np.nan_to_num(np.asarray(m.constraints["power"].dual.values, dtype=float))
        for s, site in enumerate(d.owned):
            for p, per in enumerate(d.periods):
                rows.append(
                    {"constraint": "power", "name": site, "period": per.label,
                     "value_usd": usd_from_musd(abs(float(duals[s, p]))), "per": "MW"}
                )  # fmt: skip
    for mid, _, _ in d.milestones:
        name = f"budget_{mid}"
        if name in m.constraints:
            dual = float(np.nan_to_num(np.asarray(m.constraints[name].dual.values)).sum())
            rows.append(
                {"constraint": "budget", "name": mid, "period": None,
                 "value_usd": usd_from_busd(abs(dual)), "per": "USD 1B"}
            )  # fmt: skip
    return _frame("shadow_prices", rows), commit_duals
