"""The fleet simulator: jobs arrive, are routed to a pool, queue, run, finish — over months.

One run:

1. Pools come online on their dates (phases, first-available dates), go dark in scripted
   outages or random failures (MTBF/MTTR per site, seeded), and come back.
2. Each job, on arrival, is **routed** to a pool. On a scenario's fleet the broker decides, with
   the clauses in force on that day (exclusivity, the ROFR, amendments): first among pools where
   the job can start now; if none, the pool where it would be best placed once capacity frees
   (the broker asked with every pool's whole capacity). A ROFR offer takes simulated time: the
   job joins its pool's queue when the holder answers, or when the response window closes. On a
   fleet for experiments (``pool:N``, a trace's node list) there are no contracts: the job goes
   to the cheapest pool of an allowed type where it fits now, else to the largest such pool.
3. Inside a pool the policy (fifo, greedy, sjf, easy) decides what starts; see
   :mod:`stargate.sim.pools`. A job runs ``duration / throughput`` of its class on the pool's
   type. An outage kills the jobs running on the pool; they go back to the head of the queue
   and, when it comes back, resume from their last checkpoint (every ``checkpoint_interval_h``
   of run time, per class; on a fleet for experiments there are none, and they restart from
   scratch). The work since the last checkpoint is lost; the time they ran is not wait.

Every event is counted; accelerator-seconds are integrated per pool between events, so the work
served can be checked against the jobs (see ``SimResult.conservation``).

Why one module of ~600 lines: routing, the event loop and the pool tables are one concept, the
run. The loop's closures share its arrays (free capacity, per-pool accounting) and the routers
index the pool tables built here; splitting them would pass a dozen arrays across modules for
no reuse. Scheduling inside a pool is separate (:mod:`stargate.sim.pools`).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from stargate.domain.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, UNIX_EPOCH
from stargate.errors import InternalError
from stargate.sim.kernel import P_ARRIVAL, P_CAPACITY, P_FINISH, P_READY, Kernel
from stargate.sim.pools import POLICIES, Granularity, PoolScheduler, PoolTable, granularity_of
from stargate.sim.workload import FleetSpec, JobTable

if TYPE_CHECKING:
    from stargate.broker.engine import Broker

# event kinds
E_ARRIVAL, E_READY, E_FINISH, E_ONLINE, E_DOWN, E_UP, E_END = range(7)
# job states
QUEUED_PENDING, QUEUED, RUNNING, COMPLETED, REJECTED = range(5)
STATUS_NAMES = ("pending", "queued", "running", "completed", "rejected")
# ROFR outcome per job
ROFR_NONE, ROFR_ACCEPTED, ROFR_DECLINED, ROFR_EXPIRED, ROFR_RELEASED = range(5)
ROFR_NAMES = ("", "accepted", "declined", "expired", "released")

DAY_S = SECONDS_PER_DAY
EPOCH = UNIX_EPOCH


@dataclass
class SimState:
    """Everything a run produced, as arrays (the result object builds tables from it)."""

    t0: datetime
    end_s: float
    pools: PoolTable
    jobs: JobTable
    class_ids: list[str]
    job_class: npt.NDArray[np.int64]
    need: npt.NDArray[np.float64]
    pool: npt.NDArray[np.int64]
    ready_s: npt.NDArray[np.float64]
    start_s: npt.NDArray[np.float64]
    finish_s: npt.NDArray[np.float64]
    run_s: npt.NDArray[np.float64]
    status: npt.NDArray[np.int8]
    restarts: npt.NDArray[np.int32]
    wasted_acc_s: npt.NDArray[np.float64]  # lost: run by killed runs after their last checkpoint
    kept_acc_s: npt.NDArray[np.float64]  # run by killed runs up to their last checkpoint
    killed_run_s: npt.NDArray[np.float64]  # time a job ran in runs that were killed
    checkpoint_s: npt.NDArray[np.float64]  # per job: seconds between checkpoints (0: none)
    rofr: npt.NDArray[np.int8]
    reject_reason: dict[int, str]
    busy_acc_s: npt.NDArray[np.float64]  # per pool, integrated
    busy_by_day: dict[tuple[int, int], float]  # (pool, day) -> accelerator-seconds
    cap_by_day: dict[tuple[int, int], float]  # (pool, day) -> capacity-seconds
    events: int
    event_log: list[tuple[float, str, int, int]]  # (time, kind, job, pool)
    exclusivity_bound: int
    killed_runs: int
    policy: str
    granularity: Granularity
    seed: int
    without: list[str]
    fleet_name: str
    scenario_id: str | None
    wall_s: float = 0.0
    extras: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- routing


class Router:
    """Chooses the pool a job goes to. ``route`` returns (pool, ready_s, rofr code, reason);
    ``end_pool`` is told when a pool leaves the fleet for good (a reservation ends), so that
    it is never chosen again."""

    def route(
        self, j: int, now: float, free: npt.NDArray[np.float64]
    ) -> tuple[int, float, int, str]:
        raise NotImplementedError

    def end_pool(self, p: int) -> None:
        """Pool ``p`` is gone (its free capacity is already 0)."""


class SimpleRouter(Router):
    """No contracts: the cheapest allowed pool where the job fits now, else the largest."""

    def __init__(
        self, pools: PoolTable, jobs: JobTable, need: npt.NDArray[np.float64], any_type: bool
    ) -> None:
        self.pools = pools
        self.need = need
        self.jobs = jobs
        self.any_type = any_type
        self._masks: dict[tuple[str, ...] | None, npt.NDArray[np.bool_]] = {}
        price = np.where(np.isnan(pools.price_h), np.inf, pools.price_h)
        # static preference: price, then larger pools, then id order
        self.order = np.lexsort((np.arange(pools.size), -pools.count, price))

    def _mask(self, allowed: tuple[str, ...] | None) -> npt.NDArray[np.bool_]:
        key = None if self.any_type else allowed
        m = self._masks.get(key)
        if m is None:
            if key is None:
                m = np.ones(self.pools.size, dtype=bool)
            else:
                m = np.isin(np.asarray(self.pools.accelerator), np.asarray(key))
            self._masks[key] = m
        return m

    def route(
        self, j: int, now: float, free: npt.NDArray[np.float64]
    ) -> tuple[int, float, int, str]:
        n = self.need[j]
        if self.pools.size == 1:
            if self.pools.count[0] + 1e-9 < n:
                return -1, now, ROFR_NONE, "capacity: larger than the whole fleet"
            return 0, now, ROFR_NONE, ""
        ok = self._mask(self.jobs.allowed[j])
        order = self.order
        ok_sorted = ok[order]
        fits = ok_sorted & (free[order] + 1e-9 >= n) & (self.pools.online_s[order] <= now)
        hit = np.flatnonzero(fits)
        if hit.size:
            return int(order[hit[0]]), now, ROFR_NONE, ""
        big = ok & (self.pools.count + 1e-9 >= n)
        if not big.any():
            why = (
                "accelerator_type: no pool of an allowed type"
                if not ok.any()
                else "capacity: larger than any allowed pool"
            )
            return -1, now, ROFR_NONE, why
        cand = np.flatnonzero(big)
        return int(cand[np.argmax(self.pools.count[cand])]), now, ROFR_NONE, ""


class BrokerRouter(Router):
    """A scenario's fleet: the broker decides under the clauses in force that day."""

    def __init__(
        self,
        broker: Broker,
        t0: datetime,
        jobs: JobTable,
        class_ids: list[str],
        job_class: npt.NDArray[np.int64],
        need: npt.NDArray[np.float64],
        requester: str,
        allowed_map: dict[str, str],
    ) -> None:
        from stargate.broker.request import AcceleratorAsk, Request
        from stargate.domain.model import WorkloadKind

        self.broker = broker
        self.t0 = t0
        self.exclusivity_bound = 0
        self._ask = AcceleratorAsk
        self._request = Request
        self._training = WorkloadKind.training
        kinds = {c.id: c.kind for c in broker.scenario.workload_classes}
        self.requests: list[Any] = []
        self.jobs = jobs
        self.need = need
        self.class_ids = class_ids
        self.job_class = job_class
        self.requester = requester
        self.kinds = kinds
        self.allowed_map = allowed_map
        self.full = broker.index.count.copy()

    def end_pool(self, p: int) -> None:
        self.full[p] = 0  # asked "where would it queue", the broker must not name it either

    def _req(self, j: int) -> Any:
        allowed = self.jobs.allowed[j]
        types: Any = "any"
        if allowed is not None:
            mapped = [self.allowed_map[a] for a in allowed if a in self.allowed_map]
            types = mapped or "any"
        ask = self._ask.model_construct(count=max(1, math.ceil(self.need[j] - 1e-9)), types=types)
        return self._request.model_construct(
            id=f"job-{j}",
            requester=self.requester,
            workload_class=self.class_ids[int(self.job_class[j])],
            kind=self._training,
            accelerators=ask,
            duration_h=max(float(self.jobs.duration_s[j]) / SECONDS_PER_HOUR, 1e-6),
            period=None,
            earliest_start=None,
            deadline=None,
            max_price_usd_per_accelerator_hour=None,
        )

    def route(
        self, j: int, now: float, free: npt.NDArray[np.float64]
    ) -> tuple[int, float, int, str]:
        b = self.broker
        at = self.t0 + timedelta(seconds=now)
        r = self._req(j)
        np.floor(free + 1e-9, out=b.free, casting="unsafe")
        choice = b.choose(r, at, commit=False)
        if choice.pool is None:  # nowhere to start now: where would it queue best?
            b.free[:] = self.full
            choice = b.choose(r, at, commit=False)
        code = ROFR_NONE
        ro = choice.rofr
        if ro is not None:
            if not ro.holder_can_meet:
                code = ROFR_RELEASED
            elif ro.answer == "accept":
                code = ROFR_ACCEPTED
            elif ro.expired:
                code = ROFR_EXPIRED
            else:
                code = ROFR_DECLINED
        if choice.excl is not None:
            self.exclusivity_bound += 1
        if choice.pool is None:
            why = (
                "exclusivity: its provider cannot host it"
                if choice.excl is not None
                else "no pool can ever host it"
            )
            return -1, now, code, why
        ready = max(now, choice.start_s - (at - EPOCH).total_seconds() + now)
        return int(choice.pool), ready, code, ""


# --------------------------------------------------------------------------- the run


def _spread(days: list[float], a: float, b: float, level: float) -> None:
    """Add ``level`` × time over [a, b) to per-day totals (a list indexed by day)."""
    d = int(a // DAY_S)
    while a < b:
        edge = (d + 1) * DAY_S
        if edge > b:
            edge = b
        if d >= len(days):
            days.extend([0.0] * (d + 1 - len(days)))
        days[d] += level * (edge - a)
        a = edge
        d += 1


def run(
    pools: PoolTable,
    jobs: JobTable,
    class_ids: list[str],
    *,
    t0: datetime,
    end_s: float,
    router_factory: Callable[[npt.NDArray[np.float64], npt.NDArray[np.int64]], Router],
    policy: str = "greedy",
    granularity: Granularity = "pool",
    seed: int = 0,
    log_events: bool = True,
    progress: Callable[[float], None] | None = None,
    meta: dict[str, Any] | None = None,
    checkpoint_s: dict[str, float] | None = None,
) -> SimState:
    """Replay ``jobs`` on ``pools`` from ``t0`` for ``end_s`` seconds.

    ``checkpoint_s``: seconds of run time between checkpoints, per workload class (a class
    not in it, or 0: no checkpoints — a killed job restarts from scratch).

    ``policy`` is a name in :data:`stargate.sim.pools.POLICIES`; an unknown one, or an unknown
    ``granularity``, is an InputError naming that parameter."""
    policy = POLICIES.canonical(policy)
    strategy = POLICIES.get(policy)()
    granularity = granularity_of(granularity)
    wall0 = time.perf_counter()
    meta = meta or {}
    n = len(jobs)
    class_pos = {c: i for i, c in enumerate(class_ids)}
    job_class = np.asarray([class_pos[c] for c in jobs.workload_class], dtype=np.int64)
    need = np.asarray(jobs.gpus, dtype=np.float64)
    ckpt_by_class = np.asarray(
        [float((checkpoint_s or {}).get(c, 0.0)) for c in class_ids] or [0.0], dtype=np.float64
    )
    ckpt = ckpt_by_class[job_class] if n else np.zeros(0)
    node_mode = granularity == "node"
    scheds = [
        PoolScheduler(
            p,
            strategy,
            float(pools.count[p]),
            max(1, int(pools.count[p]) // max(1, pools.per_node[p])),
            max(1, pools.per_node[p]),
            node_mode,
        )
        for p in range(pools.size)
    ]
    free = pools.count.astype(np.float64).copy()
    free[pools.online_s > 0] = 0.0
    pool = np.full(n, -1, dtype=np.int64)
    ready = np.full(n, np.nan)
    start = np.full(n, np.nan)
    finish = np.full(n, np.nan)
    run_s = np.zeros(n)
    left_s = np.zeros(n)  # run time still to do (run_s less the work kept by checkpoints)
    status = np.zeros(n, dtype=np.int8)
    restarts = np.zeros(n, dtype=np.int32)
    wasted = np.zeros(n)
    kept = np.zeros(n)
    killed_run = np.zeros(n)
    rofr = np.zeros(n, dtype=np.int8)
    reject_reason: dict[int, str] = {}
    busy = np.zeros(pools.size)
    last = np.zeros(pools.size)
    busy_day: list[list[float]] = [[] for _ in range(pools.size)]
    cap_day: list[list[float]] = [[] for _ in range(pools.size)]
    cap_now = np.where(pools.online_s > 0, 0.0, pools.count)
    log: list[tuple[float, str, int, int]] = []
    killed_runs = 0
    router = router_factory(need, job_class)
    thr_cols = {c: pools.thr.get(c, np.ones(pools.size)) for c in class_ids}

    k = Kernel()
    for p in range(pools.size):
        if pools.online_s[p] > 0:
            k.schedule(float(pools.online_s[p]), P_CAPACITY, E_ONLINE, p)
        else:
            scheds[p].online = True
        for a, b in pools.outages.get(p, []):
            if b > 0 and a < end_s:
                k.schedule(max(a, 0.0), P_CAPACITY, E_DOWN, p)
                k.schedule(b, P_CAPACITY, E_UP, p)
    if pools.site_reliability:
        rng = random.Random(seed)
        by_site: dict[str, list[int]] = {}
        for p in range(pools.size):
            by_site.setdefault(pools.site[p], []).append(p)
        for site in sorted(pools.site_reliability):
            mtbf_h, mttr_h = pools.site_reliability[site]
            t = 0.0
            while True:
                t += rng.expovariate(1.0 / (mtbf_h * SECONDS_PER_HOUR))
                if t >= end_s:
                    break
                repair = rng.expovariate(1.0 / (mttr_h * SECONDS_PER_HOUR))
                for p in by_site.get(site, []):
                    k.schedule(t, P_CAPACITY, E_DOWN, p)
                    k.schedule(t + repair, P_CAPACITY, E_UP, p)
                t += repair
    ended = np.zeros(pools.size, dtype=bool)
    if pools.end_s is not None:
        for p in range(pools.size):
            e = float(pools.end_s[p])
            if math.isfinite(e) and e < end_s:
                k.schedule(max(e, 0.0), P_CAPACITY, E_END, p)
    arrivals = jobs.arrival_s
    for j in range(n):
        k.schedule(float(arrivals[j]), P_ARRIVAL, E_ARRIVAL, j)

    def account(p: int, now: float) -> None:
        a = last[p]
        if now <= a:
            return
        last[p] = now
        used = scheds[p].space.used
        if used > 0:
            busy[p] += used * (now - a)
            _spread(busy_day[p], a, now, used)
        if cap_now[p] > 0:
            _spread(cap_day[p], a, now, cap_now[p])

    def start_in(p: int, now: float) -> None:
        s = scheds[p]
        if not s.qlen or not s.online:
            return
        account(p, now)
        for j in s.start_jobs(now, need, left_s):
            start[j] = now
            status[j] = RUNNING
            free[p] = s.space.cap - s.space.used
            k.schedule(now + left_s[j], P_FINISH, E_FINISH, (j, int(restarts[j])))
            if log_events:
                log.append((now, "start", j, p))
        free[p] = (s.space.cap - s.space.used) if s.online else 0.0

    def kill(j: int, p: int, now: float) -> None:
        """A run of ``j`` on ``p`` is killed now: it keeps its checkpointed work."""
        nonlocal killed_runs
        ran = now - start[j]
        saved = 0.0
        c = ckpt[j]
        if c > 0:  # resume from the last whole interval of run time
            saved = min(math.floor(ran / c) * c, left_s[j])
        left_s[j] -= saved
        kept[j] += saved * need[j]
        wasted[j] += (ran - saved) * need[j]
        killed_run[j] += ran
        restarts[j] += 1
        killed_runs += 1
        status[j] = QUEUED
        start[j] = np.nan
        if log_events:
            log.append((now, "killed", j, p))

    def reroute(j: int, now: float, queued: bool = True) -> None:
        """Route ``j`` again (its pool has left the fleet), with the work it has left: the
        time still to run scales with the new pool's throughput for its class. Logged as
        ``rerouted`` (from one queue to another), ``deferred`` (off its queue until a later
        start: ``ready`` then), ``dropped`` (off its queue: nothing can host it); a job that
        was waiting for its start (``queued`` False) logs ``ready`` or ``reject`` instead."""
        old = int(pool[j])
        p, ready_s, code, why = router.route(j, now, free)
        if code:
            rofr[j] = code
        if p < 0:
            status[j] = REJECTED
            reject_reason[j] = why
            if log_events:
                log.append((now, "dropped" if queued else "reject", j, -1))
            return
        cls = class_ids[int(job_class[j])]
        t_old = float(thr_cols[cls][old]) if cls in thr_cols else 1.0
        t_new = float(thr_cols[cls][p]) if cls in thr_cols else 1.0
        done_s = run_s[j] - left_s[j]
        rest = left_s[j] * t_old / t_new if t_new > 0 else math.inf
        left_s[j] = rest
        run_s[j] = done_s + rest
        pool[j] = p
        if ready_s > now:
            status[j] = QUEUED_PENDING
            k.schedule(ready_s, P_READY, E_READY, j)
            if log_events and queued:
                log.append((now, "deferred", j, p))
            return
        status[j] = QUEUED
        ready[j] = now if not queued else ready[j]
        scheds[p].enqueue(j, float(need[j]), float(left_s[j]))
        if log_events:
            log.append((now, "rerouted" if queued else "ready", j, p))
        dirty.add(p)

    report_every = max(1, n // 100)
    done = 0
    # Pools whose capacity changed: they schedule once every capacity change and finish of the
    # same instant has been applied (simultaneous finishes free their accelerators together).
    dirty: set[int] = set()
    while True:
        if dirty:
            nxt = k.peek()
            if nxt is None or nxt[0] > k.now or nxt[1] > P_FINISH:
                for p in sorted(dirty):
                    start_in(p, k.now)
                dirty.clear()
        ev = k.pop()
        if ev is None or ev[0] > end_s:
            break
        now, _, _, kind, payload = ev
        if kind == E_ARRIVAL:
            j = payload
            p, ready_s, code, why = router.route(j, now, free)
            rofr[j] = code
            if p < 0:
                status[j] = REJECTED
                reject_reason[j] = why
                if log_events:
                    log.append((now, "reject", j, -1))
                continue
            pool[j] = p
            cls = class_ids[int(job_class[j])]
            t = float(thr_cols[cls][p]) if cls in thr_cols else 1.0
            run_s[j] = float(jobs.duration_s[j]) / t if t > 0 else math.inf
            left_s[j] = run_s[j]
            if ready_s > now:
                status[j] = QUEUED_PENDING
                k.schedule(ready_s, P_READY, E_READY, j)
                continue
            ready[j] = now
            status[j] = QUEUED
            scheds[p].enqueue(j, float(need[j]), float(left_s[j]))
            if log_events:
                log.append((now, "arrive", j, p))
            start_in(p, now)
            done += 1
            if progress is not None and done % report_every == 0:
                progress(done / n)
        elif kind == E_READY:
            j = payload
            p = int(pool[j])
            if ended[p]:
                reroute(j, now, queued=False)
                continue
            ready[j] = now
            status[j] = QUEUED
            scheds[p].enqueue(j, float(need[j]), float(left_s[j]))
            if log_events:
                log.append((now, "ready", j, p))
            start_in(p, now)
        elif kind == E_FINISH:
            j, attempt = payload
            if attempt != restarts[j] or status[j] != RUNNING:
                continue  # a run killed by an outage
            p = int(pool[j])
            account(p, now)
            scheds[p].finish(j)
            finish[j] = now
            status[j] = COMPLETED
            free[p] = scheds[p].space.cap - scheds[p].space.used
            if log_events:
                log.append((now, "finish", j, p))
            dirty.add(p)
        elif kind in (E_ONLINE, E_UP):
            p = payload
            if ended[p]:
                continue  # a pool that left the fleet never comes back
            account(p, now)
            scheds[p].online = True
            cap_now[p] = pools.count[p]
            free[p] = scheds[p].space.cap - scheds[p].space.used
            if log_events:
                log.append((now, "online" if kind == E_ONLINE else "repaired", -1, p))
            dirty.add(p)
        elif kind == E_DOWN:
            p = payload
            if not scheds[p].online:
                continue
            account(p, now)
            killed = scheds[p].kill_all()
            cap_now[p] = 0.0
            free[p] = 0.0
            if log_events:
                log.append((now, "down", -1, p))
            for j in reversed(killed):
                kill(j, p, now)
                scheds[p].enqueue(j, float(need[j]), float(left_s[j]), front=True)
        elif kind == E_END:
            p = payload
            account(p, now)
            ended[p] = True
            killed = scheds[p].kill_all()
            queued = scheds[p].drain()
            cap_now[p] = 0.0
            free[p] = 0.0
            router.end_pool(p)
            if log_events:
                log.append((now, "ended", -1, p))
            for j in killed:
                kill(j, p, now)
            for j in [*killed, *queued]:
                reroute(j, now)
        else:
            raise InternalError(f"unknown event kind {kind!r} at {now} s (payload {payload!r})")
    if not math.isfinite(end_s):
        end_s = k.now  # ran until the last event
    for p in range(pools.size):
        account(p, end_s)
    return SimState(
        t0=t0,
        end_s=end_s,
        pools=pools,
        jobs=jobs,
        class_ids=class_ids,
        job_class=job_class,
        need=need,
        pool=pool,
        ready_s=ready,
        start_s=start,
        finish_s=finish,
        run_s=run_s,
        status=status,
        restarts=restarts,
        wasted_acc_s=wasted,
        kept_acc_s=kept,
        killed_run_s=killed_run,
        checkpoint_s=ckpt,
        rofr=rofr,
        reject_reason=reject_reason,
        busy_acc_s=busy,
        busy_by_day={
            (p, d): v for p, days in enumerate(busy_day) for d, v in enumerate(days) if v > 0
        },
        cap_by_day={
            (p, d): v for p, days in enumerate(cap_day) for d, v in enumerate(days) if v > 0
        },
        events=k.events,
        event_log=log,
        exclusivity_bound=getattr(router, "exclusivity_bound", 0),
        killed_runs=killed_runs,
        policy=policy,
        granularity=granularity,
        seed=seed,
        without=list(meta.get("without", [])),
        fleet_name=str(meta.get("fleet", "")),
        scenario_id=meta.get("scenario"),
        wall_s=time.perf_counter() - wall0,
    )


# --------------------------------------------------------------------------- pool tables


def pools_from_fleet(
    fleet: FleetSpec, class_ids: list[str], node_mode: bool, price_h: float | None = None
) -> PoolTable:
    """A fleet for experiments: no contracts, throughput 1 for every class, online from the
    start, and no price unless ``price_h`` (USD per accelerator-hour, every pool) is given: a
    run on it reports no cost."""
    n = len(fleet.pools)
    return PoolTable(
        ids=[p.id for p in fleet.pools],
        accelerator=[p.accelerator for p in fleet.pools],
        provider=[fleet.name.split(":")[0]] * n,
        site=[fleet.name.split(":")[0]] * n,
        count=np.asarray([float(p.count) for p in fleet.pools]),
        per_node=[p.per_node for p in fleet.pools],
        online_s=np.zeros(n),
        price_h=np.full(n, math.nan if price_h is None else float(price_h)),
        energy_mw=np.zeros(n),
        thr={c: np.ones(n) for c in class_ids},
    )


def pools_from_broker(
    broker: Broker, t0: datetime, ends: Mapping[str, date] | None = None
) -> PoolTable:
    """The scenario's pools, in the broker's order (so the broker's choices index them).
    ``ends``: pool id → the last day a pool serves (a reservation's term end); it leaves the
    fleet at midnight after it."""
    idx = broker.index
    scenario = broker.scenario
    t0_s = (t0 - EPOCH).total_seconds()
    per_node: dict[str, int] = {}
    outages: dict[int, list[tuple[float, float]]] = {}
    rel: dict[str, tuple[float, float]] = {}
    for site in scenario.sites:
        for pool in site.pools:
            per_node[pool.id] = pool.accelerators_per_node
        if site.reliability is not None:
            rel[site.id] = (site.reliability.mtbf_h, site.reliability.mttr_h)
    for i, spans in idx.outages.items():
        outages[i] = [(a - t0_s, b - t0_s) for a, b in spans]
    end_s = None
    if ends:
        end_s = np.full(idx.size, math.inf)
        for pid, last in ends.items():
            nxt = last + timedelta(days=1)
            end_s[idx.pool_pos[pid]] = (datetime(nxt.year, nxt.month, nxt.day) - t0).total_seconds()
    return PoolTable(
        ids=list(idx.pool_ids),
        accelerator=[idx.acc_ids[int(a)] for a in idx.acc_idx],
        provider=[idx.provider_ids[int(p)] for p in idx.prov_idx],
        site=list(idx.site_ids),
        count=idx.count.astype(np.float64),
        per_node=[per_node[p] for p in idx.pool_ids],
        online_s=idx.online_ts - t0_s,
        price_h=idx.price.copy(),
        energy_mw=idx.energy_mw.copy(),
        thr={c: idx.thr(c).copy() for c in idx.class_ids},
        outages=outages,
        site_reliability=rel,
        end_s=end_s,
    )
