"""`stargate.simulate(...)`: the simulator from Python; the CLI is a thin layer over it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stargate.domain.horizon import EXAMPLES as HORIZON_EXAMPLES
from stargate.domain.horizon import Horizon
from stargate.domain.limits import MAX_USD
from stargate.domain.units import DAYS_PER_YEAR, HOURS_PER_DAY, SECONDS_PER_DAY, SECONDS_PER_HOUR
from stargate.errors import InputError, Problem
from stargate.sim.engine import (
    BrokerRouter,
    Router,
    SimpleRouter,
    pools_from_broker,
    pools_from_fleet,
    run,
)
from stargate.sim.pools import POLICIES, Granularity, granularity_of
from stargate.sim.result import SimResult
from stargate.sim.synthetic import ForecastWorkload
from stargate.sim.workload import FleetSpec, InferenceDemand, JobTable

if TYPE_CHECKING:
    from stargate.broker.responders import Responder
    from stargate.domain.model import Scenario
    from stargate.sim.procure import ProcureEvery, ProcureFrom, ProcurementOptions


HorizonLike = Horizon | str | tuple[object, object] | None


def horizon_of(value: HorizonLike) -> Horizon:
    """The days to simulate, from a :class:`~stargate.domain.horizon.Horizon`, its text (dates
    ``2025-07-01..2026-12-31`` or whole years ``2025..2030``; either side may be empty), a pair
    of dates or years, or None (the scenario's own). Bad input is an InputError naming the
    ``horizon`` parameter."""
    try:
        if not isinstance(value, Horizon | str | None) and not (
            isinstance(value, tuple) and len(value) == 2
        ):
            raise ValueError(f"not a horizon: {value!r} (expected two dates or two years)")
        return Horizon.of(value)
    except (ValueError, TypeError) as e:
        text = str(e)
        expected = None if "expected" in text else f"FIRST..LAST, {HORIZON_EXAMPLES}"
        raise InputError(Problem(text, path="horizon", expected=expected)) from None


def _within_scenario(sc: Scenario, h: Horizon) -> None:
    """Refuse a horizon that reaches outside the scenario's own (as the planner does): there
    the scenario says nothing about pools, prices or clauses."""
    theirs_h = sc.horizon
    outside = (h.first is not None and h.first < theirs_h.start) or (
        h.last is not None and theirs_h.end is not None and h.last > theirs_h.end
    )
    if not outside:
        return
    end = theirs_h.end.isoformat() if theirs_h.end else "(open)"
    theirs = f"{theirs_h.start.isoformat()}..{end}"
    raise InputError(
        Problem(
            f"horizon {h} lies outside the horizon of scenario '{sc.id}', {theirs}",
            path="horizon",
            expected=f"dates within {theirs}",
            hint="leave a side empty to take the scenario's own: ..END or START..",
        )
    )


def parse_price(text: str | Decimal | None) -> float | None:
    """``price``: USD per accelerator-hour, a finite number ≥ 0 (at most 10¹⁵)."""
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
                path="price",
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


#: The workload of a scenario run when none is given: the scenario's own demand forecast
#: (training jobs and inference demand, docs/synthetic.md#forecast). A scenario without a
#: forecast source, or a run on a fleet for experiments, takes :data:`SYNTHETIC_SCENARIO_WORKLOAD`.
DEFAULT_SCENARIO_WORKLOAD = "forecast"
#: The synthetic workload of a scenario run without a forecast: Alibaba's sizes × 256 and
#: Philly's durations × 20, so that jobs are of the scale of a frontier lab's fleet.
SYNTHETIC_SCENARIO_WORKLOAD = "synthetic?jobs=20000&size_scale=256&duration_scale=20"
DEFAULT_FLEET_WORKLOAD = "synthetic?jobs=20000"

#: How the ROFR holder answers capacity offers in a scenario run, unless told otherwise: it
#: accepts what its capacity model allows within the price cap (docs/simulator.md).
DEFAULT_RESPONDER = "capacity-limited"

#: Hours of run time between checkpoints of a scenario's jobs whose class sets no
#: ``checkpoint_interval_h`` (an assumption; see docs/simulator.md#checkpoints). Runs on a
#: fleet for experiments (``--fleet``) take no checkpoints, so trace replays keep their results.
DEFAULT_CHECKPOINT_INTERVAL_H = 1.0


def simulate(
    scenario: Scenario | str | Path | None = None,
    workloads: Sequence[str | JobTable | InferenceDemand] | None = None,
    fleet: str | FleetSpec | None = None,
    *,
    policy: str = "greedy",
    granularity: Granularity = "pool",
    horizon: HorizonLike = None,
    seed: int = 0,
    without: Sequence[str] = (),
    responder: str | None = None,
    skip_bad_rows: bool = False,
    log_events: bool = True,
    progress: Callable[[float], None] | None = None,
    warnings: list[Problem] | None = None,
    price: str | Decimal | None = None,
    data_dir: str | Path | None = None,
    procure_every: str | None = None,
    procure_from: str | None = None,
    procurement: ProcurementOptions | None = None,
) -> SimResult:
    """Run one simulation and return its result (tables as Polars DataFrames).

    ``scenario``: a Scenario, a file (text or :class:`~pathlib.Path`) or an embedded name
    (default ``stargate-2025``), used for its fleet and contracts unless ``fleet`` replaces
    them (``pool:N`` or a trace's node list, with no contracts). ``workloads``: source specs
    (``forecast``, ``synthetic?jobs=20000``, ``alibaba-gpu-2023:PATH``,
    ``azure-llm-2023?scale=10``) or tables; None (the default): ``forecast`` on a scenario's
    own fleet when the scenario has a forecast source, else
    :data:`SYNTHETIC_SCENARIO_WORKLOAD`. A scenario run starts on the scenario's first day.
    ``policy``: a name in :data:`stargate.sim.pools.POLICIES`; ``granularity``:
    ``pool`` or ``node``; ``horizon``: see :func:`horizon_of` (dates or whole years).
    Rows skipped under ``skip_bad_rows`` are counted in the summary and described in
    ``warnings``. ``price``: USD per accelerator-hour of a fleet for experiments (``fleet``),
    which has no prices: without it the run reports no cost. ``data_dir``: the folder with
    local copies of the public traces (see docs/traces.md for the other places searched).

    On a scenario's own fleet the run replays procurement first (:mod:`stargate.sim.procure`):
    ``procure_every`` (``month``, the default, or ``quarter``), ``procure_from``
    (``forecast`` or ``workload``; default: the forecast where the scenario has one) and
    ``procurement`` (headroom, lead time and term of top-ups; default
    :class:`~stargate.sim.procure.ProcurementOptions`); ``responder`` answers the ROFR's
    capacity offers (default: the holder's answer on the record where a dated capacity
    request has one, else ``capacity-limited``; one given here overrides the record). Jobs
    then run on the capacity the lab holds. None of these applies to a fleet for experiments.

    Bad input is an :class:`~stargate.errors.InputError` whose problems name the parameter
    (``policy``, ``granularity``, ``horizon``, ``responder``, ``price``, ``workloads``,
    ``fleet``, ``scenario``, ``procure_every``, ``procure_from``, ``procurement``); every
    parameter is checked before any workload is read.
    """
    price_h = parse_price(price)
    if price_h is not None and fleet is None:
        raise InputError(
            Problem(
                "a price is for a fleet for experiments; a scenario's pools have their own",
                path="price",
                expected="a fleet (the fleet parameter) with a price",
            )
        )
    h = horizon_of(horizon)
    policy = POLICIES.canonical(policy)
    gran = granularity_of(granularity)
    fleet_spec: FleetSpec | None
    if isinstance(fleet, str):
        from stargate.sim.traces import load_fleet

        with _naming("fleet", "--fleet"):
            fleet_spec = load_fleet(
                fleet, skip_bad_rows=skip_bad_rows, warnings=warnings, data_dir=data_dir
            )
    elif fleet is None or isinstance(fleet, FleetSpec):
        fleet_spec = fleet
    else:
        raise InputError(
            Problem(
                f"not a fleet: {type(fleet).__name__}",
                path="fleet",
                expected="a source spec (pool:N, alibaba-gpu-2023[:NODE_CSV]) or a FleetSpec",
            )
        )
    if fleet_spec is not None:
        for name, value in (
            ("procure_every", procure_every),
            ("procure_from", procure_from),
            ("procurement", procurement),
        ):
            if value is not None:
                raise InputError(
                    Problem(
                        "procurement is replayed on a scenario's own fleet only; a fleet for "
                        "experiments has no contracts and nothing to procure",
                        path=name,
                        expected="no fleet (the scenario's own), or leave it out",
                    )
                )
    sc: Scenario | None = None
    every: ProcureEvery = "month"
    source: ProcureFrom | None = None
    if fleet_spec is None or scenario is not None:
        sc = scenario_of(scenario)
        if fleet_spec is None:
            from stargate.sim.procure import (
                ProcurementOptions,
                procure_every_of,
                procure_from_of,
            )

            _within_scenario(sc, h)  # before any workload is read
            if responder is not None:
                _responder(responder, seed)  # checked before any workload is read too
            every = procure_every_of(procure_every)
            source = procure_from_of(procure_from, sc)
            (procurement or ProcurementOptions()).checked()
    tables: list[JobTable] = []
    demands: list[InferenceDemand] = []
    rows = _forecast_rows(sc) if fleet_spec is None else []
    if workloads is None:  # the default: the scenario's forecast, where it has one
        workloads = [DEFAULT_SCENARIO_WORKLOAD if rows else SYNTHETIC_SCENARIO_WORKLOAD]
    for w in workloads:
        item: object = w
        if isinstance(w, str):
            from stargate.sim.traces import load_workload

            spec = complete_synthetic(w, sc, fleet_spec, h.first, h.last)
            context = _context(fleet)
            if rows and sc is not None:
                t0 = _t0(h.first, sc.horizon.start)
                context.update(
                    forecast_rows=rows, t0=t0, end_s=_end_s(t0, h.last or _last(sc), None, math.inf)
                )
            with _naming("workloads", "--workload"):
                item = load_workload(
                    spec,
                    skip_bad_rows=skip_bad_rows,
                    warnings=warnings,
                    context=context,
                    data_dir=data_dir,
                )
        if isinstance(item, ForecastWorkload):
            tables.append(item.jobs)
            demands.extend(item.demands)
            continue
        if isinstance(item, JobTable):
            tables.append(item)
        elif isinstance(item, InferenceDemand):
            demands.append(item)
        else:
            raise InputError(
                Problem(f"workload '{w}' is neither jobs nor inference demand", path="workloads")
            )
    if not tables and not demands:
        raise InputError(
            Problem(
                "no workload given",
                path="workloads",
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
            gran,
            h.first,
            h.last,
            seed,
            log_events,
            progress,
            demands,
            scenario_id=sc.id if sc is not None else None,
            price_h=price_h,
        )
    assert sc is not None
    assert source is not None
    return _simulate_scenario(
        sc,
        jobs,
        demands,
        policy,
        gran,
        h.first,
        h.last,
        seed,
        list(without),
        responder,
        log_events,
        progress,
        every,
        source,
        procurement,
    )


def _last(sc: Scenario) -> date:
    """The last day of a scenario run without ``--horizon``: the scenario's, or a year on."""
    return sc.horizon.end or (sc.horizon.start + timedelta(days=DAYS_PER_YEAR))


def _forecast_rows(sc: Scenario | None) -> list[Any]:
    """The rows of the scenario's first workload source of kind forecast (none: [])."""
    if sc is None:
        return []
    from stargate.domain.model import WorkloadSourceKind

    src = next((w for w in sc.workload_sources if w.kind == WorkloadSourceKind.forecast), None)
    return list(src.forecast) if src is not None else []


def scenario_of(scenario: Scenario | str | Path | None) -> Scenario:
    """A Scenario as given, or loaded from a file or an embedded name (None: the default)."""
    from stargate.domain.model import Scenario
    from stargate.scenario.loader import load_scenario

    if isinstance(scenario, Scenario):
        return scenario
    if scenario is None or isinstance(scenario, str | Path):
        return load_scenario(scenario)
    raise InputError(
        Problem(
            f"not a scenario: {type(scenario).__name__}",
            path="scenario",
            expected="a Scenario, a scenario file or an embedded scenario's name",
        )
    )


@contextmanager
def _naming(parameter: str, flag: str) -> Iterator[None]:
    """Problems raised inside that say nowhere where they are (no field, no file) are made to
    name ``parameter``; so are those that a lower layer still locates at the CLI ``flag``
    (``--fleet``), since an engine names its parameters and the CLI maps them to flags."""

    def ours(p: Problem) -> bool:
        return (not p.path and not p.file) or p.path == flag

    try:
        yield
    except InputError as exc:
        if not any(ours(p) for p in exc.problems):
            raise
        raise InputError(
            [replace(p, path=parameter) if ours(p) else p for p in exc.problems]
        ) from None


def _responder(spec: str, seed: int) -> Responder:
    from stargate.broker.responders import RESPONDERS, AcceptWhenAble, make_responder

    if spec.strip() == DEFAULT_RESPONDER and DEFAULT_RESPONDER not in RESPONDERS:
        # The broker registers ``capacity-limited``; until it does, the capacity decision
        # ignores its responder, and accepting what it offers is what that responder does.
        return AcceptWhenAble()
    with _naming("responder", "--responder"):
        return make_responder(spec, seed)


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
        t0 = start or sc.horizon.start
        t1 = end or sc.horizon.end or (t0 + timedelta(days=DAYS_PER_YEAR))
        hours = max(1.0, ((t1 - t0).days + 1) * HOURS_PER_DAY * 0.9)
        return f"{spec}{sep}span_h={hours:g}"
    return spec


def _context(fleet: str | FleetSpec | None) -> dict[str, Any]:
    return {"fleet": fleet}


def _t0(start: date | None, default: date) -> datetime:
    d = start or default
    return datetime(d.year, d.month, d.day)


def _end_s(t0: datetime, end: date | None, jobs: JobTable | None, default: float) -> float:
    if end is not None:
        return (datetime(end.year, end.month, end.day) - t0).total_seconds() + SECONDS_PER_DAY
    return default


def _simulate_fleet(
    jobs: JobTable,
    fleet: FleetSpec,
    policy: str,
    granularity: Granularity,
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
    granularity: Granularity,
    start: date | None,
    end: date | None,
    seed: int,
    without: list[str],
    responder: str | None,
    log_events: bool,
    progress: Callable[[float], None] | None,
    every: ProcureEvery = "month",
    source: ProcureFrom = "forecast",
    options: ProcurementOptions | None = None,
) -> SimResult:
    """Procurement first (what the lab holds, period by period), then the jobs on it."""
    from stargate.broker.engine import Broker
    from stargate.contracts.state import resolve_without
    from stargate.domain.model import RightOfFirstRefusal
    from stargate.sim.held import held_scenario
    from stargate.sim.procure import periods_between, replay, workload_demand

    # agreements and amendments named in ``without`` are voided: the run is of the derived
    # scenario, in procurement and at the job level alike
    resolved = resolve_without(sc, without)
    sc = resolved.scenario
    off = set(resolved.clause_ids)
    voided = [n for n in resolved.names if n not in off]
    # None: each capacity decision uses the holder's answer on the record, else capacity-limited
    answer = _responder(responder, seed) if responder is not None else None
    # a scenario run starts on the scenario's first day (its history), not on ``as_of``
    t0 = _t0(start, sc.horizon.start)
    last = end or _last(sc)
    end_s = _end_s(t0, last, jobs, math.inf)
    classes = {c.id for c in sc.workload_classes}
    unknown = sorted(set(jobs.workload_class) - classes)
    if unknown:
        raise InputError(
            Problem(
                f"workload class '{unknown[0]}' of the workload is not in scenario '{sc.id}'",
                path="workloads",
                expected="one of " + ", ".join(sorted(classes)),
            )
        )
    # (1) procurement, from the scenario's first day so that the lab holds on the run's first
    # day what it would have, through the run's last
    first = min(sc.horizon.start, t0.date())
    demand = None
    if source == "workload":
        periods = periods_between(first, last, every)
        demand = workload_demand(sc, jobs, demands, t0.date(), periods)
    proc = replay(
        sc,
        first,
        last,
        demand,
        every=every,
        source=source,
        options=options,
        without=off,
        voided=voided,
        responder=answer,
        report_from=t0.date(),
    )
    # (2) operations: jobs on the capacity held, exclusivity in force, the ROFR not (it acted
    # when the capacity was procured)
    held_sc, ends = held_scenario(sc, proc.held, t0.date(), last)
    rofr_ids = {cl.id for _, cl in sc.clauses() if isinstance(cl, RightOfFirstRefusal)}
    broker = Broker(
        held_sc,
        responder=answer,
        without=sorted(off | rofr_ids),
        detail="summary",
        pricing="reserved",
    )
    class_ids = [c.id for c in sc.workload_classes]
    requester = sc.lab_id()
    allowed_map = {a.id: a.id for a in sc.accelerators}
    pools = pools_from_broker(broker, t0, ends)

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
        meta={"fleet": "scenario", "scenario": sc.id, "without": resolved.names},
        checkpoint_s={
            c.id: SECONDS_PER_HOUR * (c.checkpoint_interval_h or DEFAULT_CHECKPOINT_INTERVAL_H)
            for c in sc.workload_classes
        },
    )
    # inference is served from the whole held fleet, not from what the last job left free:
    # the event engine leaves the broker's free counts as they were at its last event
    broker.free[:] = broker.index.count
    served = _inference(demands, sc, broker=broker, t0=t0)
    used = served.pop("used_usd", {}) if served is not None else {}
    return SimResult(state, served, scenario=sc, procurement=proc, inference_used_usd=used)


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
