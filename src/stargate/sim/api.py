"""`stargate.simulate(...)`: the simulator from Python; the CLI is a thin layer over it."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import numpy as np

from stargate.domain.limits import MAX_USD, check_day
from stargate.errors import InputError, Problem
from stargate.sim.engine import (
    BrokerRouter,
    Router,
    SimpleRouter,
    pools_from_broker,
    pools_from_fleet,
    run,
)
from stargate.sim.result import SimResult
from stargate.sim.workload import FleetSpec, InferenceDemand, JobTable

if TYPE_CHECKING:
    from stargate.domain.model import Scenario


def parse_horizon(text: str | None) -> tuple[date | None, date | None]:
    """``START..END`` (ISO dates; either side may be empty)."""
    if text is None:
        return None, None
    start_s, sep, end_s = text.partition("..")
    if not sep:
        raise InputError(
            Problem(
                f"not a horizon: '{text}'",
                path="--horizon",
                expected="START..END, e.g. 2026-01-01..2026-12-31",
            )
        )
    try:
        start = date.fromisoformat(start_s) if start_s else None
        end = date.fromisoformat(end_s) if end_s else None
    except ValueError:
        raise InputError(
            Problem(
                f"not a horizon: '{text}'",
                path="--horizon",
                expected="ISO dates: START..END, e.g. 2026-01-01..2026-12-31",
            )
        ) from None
    if start and end and end <= start:
        raise InputError(Problem(f"horizon ends before it starts: '{text}'", path="--horizon"))
    return check_horizon((start, end))


def check_horizon(horizon: tuple[date | None, date | None]) -> tuple[date | None, date | None]:
    """Both ends inside the days Stargate represents (:mod:`stargate.domain.limits`)."""
    for day in horizon:
        if day is None:
            continue
        try:
            check_day(day)
        except ValueError as e:
            raise InputError(Problem(str(e), path="--horizon")) from None
    return horizon


def _within_scenario(sc: Scenario, start: date | None, end: date | None) -> None:
    """Refuse a horizon that reaches outside the scenario's own (as the planner does): there
    the scenario says nothing about pools, prices or clauses."""
    h = sc.horizon
    outside = (start is not None and start < h.start) or (
        end is not None and h.end is not None and end > h.end
    )
    if not outside:
        return
    given = f"{start.isoformat() if start else ''}..{end.isoformat() if end else ''}"
    theirs = f"{h.start.isoformat()}..{h.end.isoformat() if h.end else '(open)'}"
    raise InputError(
        Problem(
            f"horizon {given} lies outside the horizon of scenario '{sc.id}', {theirs}",
            path="--horizon",
            expected=f"dates within {theirs}",
            hint="leave a side empty to take the scenario's own: ..END or START..",
        )
    )


def parse_price(text: str | Decimal | None) -> float | None:
    """``--price``: USD per accelerator-hour, a finite number ≥ 0 (at most 10¹⁵)."""
    if text is None:
        return None
    try:
        value = text if isinstance(text, Decimal) else Decimal(str(text).strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value > MAX_USD:
        raise InputError(
            Problem(
                f"not a price: '{text}'",
                path="--price",
                expected="USD per accelerator-hour, a finite number from 0 to 1e15, e.g. 2.50",
            )
        )
    return float(value)


def _merge(tables: Sequence[JobTable]) -> JobTable:
    if len(tables) == 1:
        return tables[0]
    arrival = np.concatenate([t.arrival_s for t in tables])
    order = np.argsort(arrival, kind="stable")

    def cat(col: str) -> list[Any]:
        out: list[Any] = []
        for t in tables:
            out.extend(getattr(t, col))
        return [out[i] for i in order]

    names: list[str] = []
    for t in tables:
        names.extend(t.name or [f"{t.source}-{i}" for i in range(len(t))])
    skipped: dict[str, int] = {}
    for t in tables:
        for k, v in t.skipped.items():
            skipped[k] = skipped.get(k, 0) + v
    return JobTable(
        arrival_s=arrival[order],
        duration_s=np.concatenate([t.duration_s for t in tables])[order],
        gpus=np.concatenate([t.gpus for t in tables])[order],
        allowed=cat("allowed"),
        workload_class=cat("workload_class"),
        source="+".join(t.source for t in tables),
        name=[names[i] for i in order],
        skipped=skipped,
    )


#: The synthetic workload of a scenario run when none is given: Alibaba's sizes × 256 and
#: Philly's durations × 20, so that jobs are of the scale of a frontier lab's fleet.
DEFAULT_SCENARIO_WORKLOAD = "synthetic?jobs=20000&size_scale=256&duration_scale=20"
DEFAULT_FLEET_WORKLOAD = "synthetic?jobs=20000"

#: Hours of run time between checkpoints of a scenario's jobs whose class sets no
#: ``checkpoint_interval_h`` (an assumption; see docs/simulator.md#checkpoints). Runs on a
#: fleet for experiments (``--fleet``) take no checkpoints, so trace replays keep their results.
DEFAULT_CHECKPOINT_INTERVAL_H = 1.0


def simulate(
    scenario: Scenario | str | None = None,
    workloads: Sequence[str | JobTable | InferenceDemand] = (DEFAULT_SCENARIO_WORKLOAD,),
    fleet: str | FleetSpec | None = None,
    *,
    policy: str = "greedy",
    granularity: str = "pool",
    horizon: str | tuple[date | None, date | None] | None = None,
    seed: int = 0,
    without: Sequence[str] = (),
    responder: str = "accept-when-able",
    skip_bad_rows: bool = False,
    log_events: bool = True,
    progress: Callable[[float], None] | None = None,
    warnings: list[Problem] | None = None,
    price: str | Decimal | None = None,
) -> SimResult:
    """Run one simulation and return its result (tables as Polars DataFrames).

    ``scenario``: a Scenario, a file or embedded name (default ``stargate-2025``), used for its
    fleet and contracts unless ``fleet`` replaces them (``pool:N`` or a trace's node list, with
    no contracts). ``workloads``: source specs (``synthetic?jobs=20000``,
    ``alibaba-gpu-2023:PATH``, ``azure-llm-2023?scale=10``) or tables. Rows skipped under
    ``skip_bad_rows`` are counted in the summary and described in ``warnings``. ``price``:
    USD per accelerator-hour of a fleet for experiments (``fleet``), which has no prices:
    without it the run reports no cost.
    """
    price_h = parse_price(price)
    if price_h is not None and fleet is None:
        raise InputError(
            Problem(
                "--price prices a fleet for experiments; a scenario's pools have their own",
                path="--price",
                expected="--fleet SOURCE with --price",
            )
        )
    h_start, h_end = (
        parse_horizon(horizon) if isinstance(horizon, str | None) else check_horizon(horizon)
    )
    fleet_spec: FleetSpec | None
    if isinstance(fleet, str):
        from stargate.sim.traces import load_fleet

        fleet_spec = load_fleet(fleet, skip_bad_rows=skip_bad_rows, warnings=warnings)
    else:
        fleet_spec = fleet
    sc: Scenario | None = None
    if fleet_spec is None or scenario is not None:
        from stargate.scenario.loader import load_scenario

        sc = scenario if not isinstance(scenario, str | None) else load_scenario(scenario)
        if fleet_spec is None:
            _within_scenario(sc, h_start, h_end)  # before any workload is read
    tables: list[JobTable] = []
    demands: list[InferenceDemand] = []
    for w in workloads:
        item: Any = w
        if isinstance(w, str):
            from stargate.sim.traces import load_workload

            spec = complete_synthetic(w, sc, fleet_spec, h_start, h_end)
            item = load_workload(
                spec, skip_bad_rows=skip_bad_rows, warnings=warnings, context=_context(fleet)
            )
        if isinstance(item, JobTable):
            tables.append(item)
        elif isinstance(item, InferenceDemand):
            demands.append(item)
        else:
            raise InputError(f"workload '{w}' is neither jobs nor inference demand")
    if not tables and not demands:
        raise InputError(
            Problem(
                "no workload given",
                path="--workload",
                expected="at least one source, e.g. synthetic",
            )
        )
    jobs = (
        _merge(tables)
        if tables
        else JobTable(np.zeros(0), np.zeros(0), np.zeros(0), [], [], "none")
    )
    if fleet_spec is not None:
        return _simulate_fleet(
            jobs,
            fleet_spec,
            policy,
            granularity,
            h_start,
            h_end,
            seed,
            log_events,
            progress,
            demands,
            scenario_id=sc.id if sc is not None else None,
            price_h=price_h,
        )
    assert sc is not None
    return _simulate_scenario(
        sc,
        jobs,
        demands,
        policy,
        granularity,
        h_start,
        h_end,
        seed,
        list(without),
        responder,
        log_events,
        progress,
    )


def complete_synthetic(
    spec: str, sc: Scenario | None, fleet: FleetSpec | None, start: date | None, end: date | None
) -> str:
    """Give a ``synthetic`` spec that sets no rate a sensible one: on a fleet for experiments,
    70% of the fleet's accelerators (``fleet_accelerators``); on a scenario, arrivals spread
    over 90% of the horizon (``span_h``)."""
    if not spec.startswith("synthetic"):
        return spec
    if any(f"{k}=" in spec for k in ("rate_per_h", "fleet_accelerators", "span_h")):
        return spec
    sep = "&" if "?" in spec else "?"
    if fleet is not None:
        return f"{spec}{sep}fleet_accelerators={fleet.count}"
    if sc is not None:
        t0 = start or sc.as_of
        t1 = end or sc.horizon.end or (t0 + timedelta(days=365))
        hours = max(1.0, ((t1 - t0).days + 1) * 24 * 0.9)
        return f"{spec}{sep}span_h={hours:g}"
    return spec


def _context(fleet: str | FleetSpec | None) -> dict[str, Any]:
    return {"fleet": fleet}


def _t0(start: date | None, default: date) -> datetime:
    d = start or default
    return datetime(d.year, d.month, d.day)


def _end_s(t0: datetime, end: date | None, jobs: JobTable, default: float) -> float:
    if end is not None:
        return (datetime(end.year, end.month, end.day) - t0).total_seconds() + 86400.0
    return default


def _simulate_fleet(
    jobs: JobTable,
    fleet: FleetSpec,
    policy: str,
    granularity: str,
    start: date | None,
    end: date | None,
    seed: int,
    log_events: bool,
    progress: Callable[[float], None] | None,
    demands: list[InferenceDemand],
    scenario_id: str | None = None,
    price_h: float | None = None,
) -> SimResult:
    class_ids = sorted(set(jobs.workload_class)) or ["research-training"]
    pools = pools_from_fleet(fleet, class_ids, granularity == "node", price_h)
    t0 = _t0(start, date(2026, 1, 1))
    end_s = _end_s(t0, end, jobs, math.inf)

    def factory(need: np.ndarray, job_class: np.ndarray) -> Router:
        return SimpleRouter(pools, jobs, need, fleet.any_type)

    state = run(
        pools,
        jobs,
        class_ids,
        t0=t0,
        end_s=end_s,
        router_factory=factory,
        policy=policy,
        granularity=granularity,
        seed=seed,
        log_events=log_events,
        progress=progress,
        meta={"fleet": fleet.name, "scenario": scenario_id},
    )
    return SimResult(state, _inference(demands, None, fleet=fleet))


def _simulate_scenario(
    sc: Scenario,
    jobs: JobTable,
    demands: list[InferenceDemand],
    policy: str,
    granularity: str,
    start: date | None,
    end: date | None,
    seed: int,
    without: list[str],
    responder: str,
    log_events: bool,
    progress: Callable[[float], None] | None,
) -> SimResult:
    from stargate.broker.engine import Broker
    from stargate.broker.responders import make_responder

    broker = Broker(
        sc, responder=make_responder(responder, seed), without=without, detail="summary"
    )
    t0 = _t0(start, sc.as_of)
    default_end = sc.horizon.end or (sc.as_of + timedelta(days=365))
    end_s = _end_s(t0, end or default_end, jobs, math.inf)
    classes = {c.id for c in sc.workload_classes}
    unknown = sorted(set(jobs.workload_class) - classes)
    if unknown:
        raise InputError(
            Problem(
                f"workload class '{unknown[0]}' of the workload is not in scenario '{sc.id}'",
                expected="one of " + ", ".join(sorted(classes)),
            )
        )
    class_ids = [c.id for c in sc.workload_classes]
    requester = next(
        (p.id for p in sc.parties if "operator" in p.roles and "ai_lab" in p.roles), None
    ) or next((p.id for p in sc.parties if "operator" in p.roles), sc.parties[0].id)
    allowed_map = {a.id: a.id for a in sc.accelerators}
    pools = pools_from_broker(broker, t0)

    def factory(need: np.ndarray, job_class: np.ndarray) -> Router:
        return BrokerRouter(broker, t0, jobs, class_ids, job_class, need, requester, allowed_map)

    state = run(
        pools,
        jobs,
        class_ids,
        t0=t0,
        end_s=end_s,
        router_factory=factory,
        policy=policy,
        granularity=granularity,
        seed=seed,
        log_events=log_events,
        progress=progress,
        meta={"fleet": "scenario", "scenario": sc.id, "without": sorted(broker.without_ids)},
        checkpoint_s={
            c.id: 3600.0 * (c.checkpoint_interval_h or DEFAULT_CHECKPOINT_INTERVAL_H)
            for c in sc.workload_classes
        },
    )
    return SimResult(state, _inference(demands, sc, broker=broker, t0=t0), scenario=sc)


def _inference(
    demands: list[InferenceDemand],
    sc: Scenario | None,
    *,
    fleet: FleetSpec | None = None,
    broker: Any = None,
    t0: datetime | None = None,
) -> dict[str, Any] | None:
    if not demands:
        return None
    from stargate.sim.inference import serve

    return serve(demands, sc, fleet=fleet, broker=broker, t0=t0)
