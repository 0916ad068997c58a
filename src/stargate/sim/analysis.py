"""The series a simulation report draws, computed from a :class:`~stargate.sim.result.SimResult`
and nothing else: daily busy and available accelerator-hours, jobs queued and running over
time, wait and completion-time buckets, figures per workload class, cost and shares per
calendar period, right-of-first-refusal outcomes per period (of capacity requests in a scenario
run), and the capacity the lab held by provider per procurement period.

Pure functions over the result's tables (Polars, aggregated with numpy: never a Python loop
over jobs or events), returning plain dataclasses of numpy arrays or Polars frames. Nothing
here renders: :mod:`stargate.report.sim_html` turns these into HTML, and a notebook or a
service can use them as they are. Series are cut to at most :data:`MAX_POINTS` points (days
are averaged, queue lengths maxed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from stargate.domain.units import SECONDS_PER_DAY, SECONDS_PER_HOUR

if TYPE_CHECKING:
    import polars as pl

    from stargate.broker.capacity import ProcurementRow
    from stargate.sim.result import SimResult

FArray = npt.NDArray[np.float64]
IArray = npt.NDArray[np.int64]

#: Time series are cut to at most this many points (days are averaged, queue lengths maxed).
MAX_POINTS = 400
DAY_S = SECONDS_PER_DAY

#: Wait and completion-time buckets: upper edges in seconds (a value equal to an edge falls in
#: the bucket it closes), spaced about a decade apart in the units people think in.
BUCKETS: tuple[tuple[float, str], ...] = (
    (0.0, "none"),
    (1.0, "≤ 1 s"),
    (10.0, "1–10 s"),
    (60.0, "10 s–1 min"),
    (600.0, "1–10 min"),
    (SECONDS_PER_HOUR, "10 min–1 h"),
    (6 * SECONDS_PER_HOUR, "1–6 h"),
    (DAY_S, "6–24 h"),
    (7 * DAY_S, "1–7 days"),
    (math.inf, "> 7 days"),
)

#: Right-of-first-refusal outcomes of a job that went through one, as in the jobs table.
ROFR_KINDS = ("accepted", "declined", "expired", "released")


# --------------------------------------------------------------------------- the run's window


@dataclass(frozen=True)
class Window:
    """When a run starts (``t0``) and how many days it lasts (0 when it has no end)."""

    t0: datetime
    end_days: float


def window(result: SimResult) -> Window:
    run = result.summary.run
    t0 = datetime.fromisoformat(run.start) if run.start else datetime(1970, 1, 1)
    end = datetime.fromisoformat(run.end) if run.end else None
    return Window(t0, (end - t0).total_seconds() / DAY_S if end else 0.0)


def providers(*results: SimResult) -> list[str]:
    """Every provider with a share in any of the results, sorted."""
    names: set[str] = set()
    for r in results:
        names |= set(r.summary.share_by_provider)
    return sorted(names)


def utilization(result: SimResult) -> float:
    """The summary's utilization, or — when it rounds to 0 but work was done — the exact
    ratio from the utilization table, so a tiny share does not read as none."""
    s = result.summary
    u = float(s.utilization)
    if u == 0 and s.accelerator_hours.served:
        t = result.utilization
        cap = float(t["capacity_accelerator_hours"].sum())
        return float(t["busy_accelerator_hours"].sum()) / cap if cap else 0.0
    return u


# --------------------------------------------------------------------------- daily series


def bins(n_days: int) -> int:
    """Days per point so that a series has at most MAX_POINTS points."""
    return max(1, math.ceil(n_days / MAX_POINTS))


@dataclass(frozen=True)
class Daily:
    """Busy and available accelerator-hours per day, by provider, in bins of ``width`` days."""

    x: FArray  # bin start, days from the run's start
    width: int  # days per bin
    days: FArray  # days in each bin (the last may be short)
    providers: list[str]
    busy: FArray  # [provider, bin] accelerator-hours per day (bin mean)
    cap: FArray


def daily(result: SimResult, providers: list[str]) -> Daily | None:
    """The utilization table by provider and day (``None`` when it is empty)."""
    import polars as pl

    u = result.utilization
    if u.height == 0:
        return None
    win = window(result)
    start = win.t0.date()
    d = (
        u.select((pl.col("day") - pl.lit(start)).dt.total_days().alias("d"))
        .to_series()
        .to_numpy()
        .astype(np.int64)
    )
    d0 = int(d.min())
    d = d - d0
    n_days = int(d.max()) + 1
    k = bins(n_days)
    nb = math.ceil(n_days / k)
    code = {p: i for i, p in enumerate(providers)}
    pcode = u["provider"].replace_strict(code, return_dtype=pl.Int64).to_numpy()
    flat = pcode * nb + d // k
    size = len(providers) * nb
    busy = np.bincount(flat, u["busy_accelerator_hours"].to_numpy(), minlength=size)
    cap = np.bincount(flat, u["capacity_accelerator_hours"].to_numpy(), minlength=size)
    # days each bin covers; the run's end may cut its last day short
    starts = np.arange(nb) * k + d0
    limit = float(d0 + n_days)
    if win.end_days > 0:
        limit = min(limit, win.end_days)
    days = np.clip(np.minimum(starts + k, limit) - starts, 1e-3, None).astype(np.float64)
    return Daily(
        x=starts.astype(np.float64),
        width=k,
        days=days,
        providers=providers,
        busy=busy.reshape(len(providers), nb) / days,
        cap=cap.reshape(len(providers), nb) / days,
    )


# --------------------------------------------------------------------------- queues


def step_max(t: FArray, v: FArray, t_end: float, nb: int) -> FArray:
    """The largest value of a step function (value ``v[i]`` from time ``t[i]``, ``t`` sorted)
    in each of ``nb`` equal bins of [0, t_end]; a bin with no change keeps the level before."""
    if t.size == 0:
        return np.zeros(nb)
    width = t_end / nb if t_end > 0 else 1.0
    b = np.clip((t // width).astype(np.int64), 0, nb - 1)
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    ends = np.r_[starts[1:], b.size] - 1
    in_bin = np.full(nb, np.nan)
    in_bin[b[starts]] = np.maximum.reduceat(v, starts)
    last = np.full(nb, np.nan)
    last[b[starts]] = v[ends]
    idx = np.where(np.isnan(last), 0, np.arange(nb))
    idx = np.maximum.accumulate(idx)
    carried = np.where(np.isnan(last[idx]), 0.0, last[idx])
    enter = np.r_[0.0, carried[:-1]]
    peak: FArray = np.fmax(in_bin, enter)
    return peak


@dataclass(frozen=True)
class Queue:
    """The most jobs queued and running in each interval of ``width_days``."""

    x: FArray  # interval start, days from the run's start
    queued: FArray
    running: FArray
    width_days: float


def queue(result: SimResult) -> Queue | None:
    """Jobs queued and running over time, from the event log or, when events were not logged,
    from the jobs' ready, start and finish times (``None`` when nothing happened)."""
    import polars as pl

    ev = result.events
    end_s = window(result).end_days * DAY_S
    if ev.height:
        e = pl.col("event")

        def flag(*kinds: str) -> pl.Expr:
            return e.is_in(kinds).cast(pl.Int64)

        # a job joins a queue on arrival, when its ROFR answer comes, or when it is killed;
        # it leaves on start, or when its pool's end sends it off to wait for a later start
        # (deferred) or to nowhere (dropped); it runs from start until it finishes or is killed
        frame = ev.select(
            pl.col("time_s"),
            (flag("arrive", "ready", "killed") - flag("start", "deferred", "dropped")).alias("q"),
            (flag("start") - flag("finish", "killed")).alias("r"),
        )
        t = frame["time_s"].to_numpy()
        dq = frame["q"].to_numpy()
        dr = frame["r"].to_numpy()
    else:
        jobs = result.jobs
        ready = jobs["ready_s"].to_numpy()
        start = jobs["start_s"].to_numpy()
        finish = jobs["finish_s"].to_numpy()
        t_parts = [ready[np.isfinite(ready)], start[np.isfinite(start)]]
        t_parts += [start[np.isfinite(start)], finish[np.isfinite(finish)]]
        if not sum(p.size for p in t_parts):
            return None
        t = np.concatenate(t_parts)
        sizes = [p.size for p in t_parts]
        dq = np.concatenate([np.ones(sizes[0]), -np.ones(sizes[1]), np.zeros(sum(sizes[2:]))])
        dr = np.concatenate([np.zeros(sum(sizes[:2])), np.ones(sizes[2]), -np.ones(sizes[3])])
    if t.size == 0:
        return None
    if np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        t, dq, dr = t[order], dq[order], dr[order]
    if not math.isfinite(end_s) or end_s <= 0:
        end_s = float(t[-1]) or 1.0
    # bins of a round width: hours below a few days, else whole days
    width_s = end_s / MAX_POINTS
    for w in (
        60.0,
        300.0,
        600.0,
        1800.0,
        SECONDS_PER_HOUR,
        3 * SECONDS_PER_HOUR,
        6 * SECONDS_PER_HOUR,
        12 * SECONDS_PER_HOUR,
    ):
        if w >= width_s:
            width_s = w
            break
    else:
        width_s = DAY_S * math.ceil(width_s / DAY_S)
    nb = max(1, math.ceil(end_s / width_s))
    # events at the same instant are simultaneous: a job that arrives and starts at once was
    # never in the queue, so only the level after the last of them counts
    last = np.r_[t[1:] != t[:-1], True]
    t, q, r = t[last], np.cumsum(dq)[last], np.cumsum(dr)[last]
    queued = step_max(t, q.astype(np.float64), nb * width_s, nb)
    running = step_max(t, r.astype(np.float64), nb * width_s, nb)
    x = np.arange(nb, dtype=np.float64) * (width_s / DAY_S)
    return Queue(x, queued, running, width_s / DAY_S)


# --------------------------------------------------------------------------- waits


def buckets(values: FArray) -> FArray:
    """How many of ``values`` (seconds) fall in each of :data:`BUCKETS`."""
    edges = np.array([b for b, _ in BUCKETS])
    idx = np.searchsorted(edges, values, side="left")
    return np.bincount(np.minimum(idx, len(BUCKETS) - 1), minlength=len(BUCKETS)).astype(np.float64)


@dataclass(frozen=True)
class Waits:
    """Completed jobs' waits and completion times, seconds, and their bucket counts."""

    wait_s: FArray
    jct_s: FArray
    wait_counts: FArray
    jct_counts: FArray


def waits(result: SimResult) -> Waits:
    import polars as pl

    done = result.jobs.filter(pl.col("status") == "completed")
    wait = done["wait_s"].to_numpy()
    jct = done["jct_s"].to_numpy()
    return Waits(wait, jct, buckets(wait), buckets(jct))


@dataclass(frozen=True)
class ClassFigures:
    """One workload class: its jobs, outcomes, waits and completion times of completed jobs
    (seconds; ``None`` when none completed) and cost."""

    workload_class: str
    jobs: int
    completed: int
    rejected: int
    wait_mean_s: float | None
    wait_p99_s: float | None
    jct_p50_s: float | None
    jct_p99_s: float | None
    cost_usd: float


def by_class(result: SimResult) -> list[ClassFigures]:
    """Per workload class, sorted by name (numpy over columns)."""
    import polars as pl

    jobs = result.jobs
    if jobs.height == 0:
        return []
    classes = sorted(jobs["workload_class"].unique().to_list())
    code = (
        jobs["workload_class"]
        .replace_strict({c: i for i, c in enumerate(classes)}, return_dtype=pl.Int64)
        .to_numpy()
    )
    status = jobs["status"].to_numpy()
    done = status == "completed"
    wait = jobs["wait_s"].to_numpy()
    jct = jobs["jct_s"].to_numpy()
    cost = np.bincount(code, jobs["cost_usd"].to_numpy(), minlength=len(classes))
    count = np.bincount(code, minlength=len(classes))
    n_done = np.bincount(code[done], minlength=len(classes))
    n_rej = np.bincount(code[status == "rejected"], minlength=len(classes))
    out = []
    for i, c in enumerate(classes):
        m = done & (code == i)
        w, t = wait[m], jct[m]
        out.append(
            ClassFigures(
                workload_class=c,
                jobs=int(count[i]),
                completed=int(n_done[i]),
                rejected=int(n_rej[i]),
                wait_mean_s=float(w.mean()) if w.size else None,
                wait_p99_s=float(np.percentile(w, 99)) if w.size else None,
                jct_p50_s=float(np.percentile(t, 50)) if t.size else None,
                jct_p99_s=float(np.percentile(t, 99)) if t.size else None,
                cost_usd=float(cost[i]),
            )
        )
    return out


def longest_waits(result: SimResult, k: int = 10) -> pl.DataFrame:
    """The ``k`` started jobs that waited longest (ties: trace order), with their job, class,
    pool, accelerators, arrival, wait, completion time and restarts."""
    import polars as pl

    return (
        result.jobs.with_row_index("i")
        .filter(pl.col("wait_s").is_not_nan() & (pl.col("wait_s") > 0))
        .sort(["wait_s", "i"], descending=[True, False])
        .head(k)
        .select("job", "workload_class", "pool", "gpus", "arrival_s", "wait_s", "jct_s", "restarts")
    )


# --------------------------------------------------------------------------- calendar periods


def month_index(label: str) -> int:
    """'YYYY-MM' → months since 1970-01 (numpy's datetime64[M] count)."""
    return (int(label[:4]) - 1970) * 12 + int(label[5:7]) - 1


def month_label(index: int) -> str:
    """Months since 1970-01 → 'YYYY-MM'."""
    return f"{index // 12 + 1970:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Periods:
    """Calendar periods for bars over months: months up to five years, then quarters up to
    fifteen, then years — so a chart never has more than about sixty bars."""

    unit: str  # "month", "quarter" or "year"
    labels: list[str]
    of_month: IArray  # period of each month from the first

    @classmethod
    def spanning(cls, first: int, last: int) -> Periods:
        months = np.arange(first, last + 1)
        year, month = months // 12 + 1970, months % 12
        n = months.size
        if n <= 60:
            key, unit = months, "month"
        elif n <= 180:
            key, unit = year * 4 + month // 3, "quarter"
        else:
            key, unit = year, "year"
        uniq, of_month = np.unique(key, return_inverse=True)
        if unit == "month":
            labels = [month_label(m) for m in uniq.tolist()]
        elif unit == "quarter":
            labels = [f"{q // 4} Q{q % 4 + 1}" for q in uniq.tolist()]
        else:
            labels = [str(y) for y in uniq.tolist()]
        return cls(unit, labels, of_month.astype(np.int64))

    def sum(self, grid: FArray) -> FArray:
        """Sum a [series, month] grid into [series, period]."""
        out = np.zeros((grid.shape[0], len(self.labels)))
        for i in range(grid.shape[0]):
            out[i] = np.bincount(self.of_month, grid[i], minlength=len(self.labels))
        return out


def share_by_month(result: SimResult) -> pl.DataFrame:
    """The result's share-by-month table; empty (with its columns) when no pool was ever
    online, where the result cannot build it from an empty utilization table."""
    import polars as pl

    if result.utilization.height == 0:
        return pl.DataFrame(
            schema={
                "month": pl.Utf8,
                "provider": pl.Utf8,
                "busy_accelerator_hours": pl.Float64,
                "total": pl.Float64,
                "share": pl.Float64,
            }
        )
    return result.share_by_month


def month_span(*results: SimResult) -> tuple[int, int] | None:
    """The first and last month (as month indices) of the results' share-by-month tables."""
    idx = [month_index(m) for r in results for m in share_by_month(r)["month"].to_list()]
    return (min(idx), max(idx)) if idx else None


@dataclass(frozen=True)
class PerPeriod:
    """Values by series (rows: providers or outcomes) and calendar period (columns)."""

    periods: Periods
    names: list[str]
    values: FArray  # [name, period]


def share_per_period(result: SimResult, providers: list[str], span: tuple[int, int]) -> PerPeriod:
    """Each provider's share of busy accelerator-hours per period over ``span`` (months); a
    period with no busy hours has shares of 0."""
    import polars as pl

    first, last = span
    per = Periods.spanning(first, last)
    sbm = share_by_month(result)
    busy = np.zeros((len(providers), last - first + 1))
    if sbm.height:
        mi = np.asarray([month_index(m) for m in sbm["month"].to_list()], dtype=np.int64)
        pcode = {p: i for i, p in enumerate(providers)}
        pi = sbm["provider"].replace_strict(pcode, return_dtype=pl.Int64).to_numpy()
        np.add.at(busy, (pi, mi - first), sbm["busy_accelerator_hours"].to_numpy())
    busy = per.sum(busy)
    total = busy.sum(axis=0)
    grid = np.divide(busy, total, out=np.zeros_like(busy), where=total > 0)
    return PerPeriod(per, list(providers), grid)


@dataclass(frozen=True)
class Cost:
    """Cost (USD) by provider: per month (``months``, ``by_month``) and summed into periods."""

    months: list[str]
    by_month: FArray  # [provider, month]
    per_period: PerPeriod
    total_usd: float
    by_provider_and_class: pl.DataFrame  # provider, workload_class, cost_usd, jobs


def cost(result: SimResult, providers: list[str]) -> Cost | None:
    """Cost per month and period by provider (``None`` when no job was placed)."""
    import polars as pl

    cbm = result.cost_by_month
    if cbm.height == 0:
        return None
    mi = np.asarray([month_index(m) for m in cbm["month"].to_list()], dtype=np.int64)
    first = int(mi.min())
    n_months = int(mi.max()) - first + 1
    months = [month_label(m) for m in range(first, first + n_months)]
    pcode = {p: i for i, p in enumerate(providers)}
    pi = cbm["provider"].replace_strict(pcode, return_dtype=pl.Int64).to_numpy()
    usd = cbm["cost_usd"].to_numpy()
    flat = np.bincount(pi * n_months + (mi - first), usd, minlength=len(providers) * n_months)
    grid: FArray = flat.reshape(len(providers), n_months).astype(np.float64)
    per = Periods.spanning(first, first + n_months - 1)
    by_pc = (
        cbm.group_by(["provider", "workload_class"])
        .agg(pl.col("cost_usd").sum(), pl.col("jobs").sum())
        .sort(["provider", "workload_class"])
        .select("provider", "workload_class", "cost_usd", "jobs")
    )
    return Cost(
        months, grid, PerPeriod(per, list(providers), per.sum(grid)), float(usd.sum()), by_pc
    )


def rofr_per_period(result: SimResult) -> PerPeriod | None:
    """Right-of-first-refusal outcomes (:data:`ROFR_KINDS`) per calendar period: in a
    scenario run, of the capacity requests by the month they were decided (an offer's
    answer, and a part released at once, as the summary counts them); on a fleet, of jobs by
    the period they arrived. ``None`` when nothing went through one."""
    import polars as pl

    proc = result.procurement
    if proc is not None:
        return _rofr_requests_per_period(proc.rows)
    offers = result.jobs.filter(pl.col("rofr").is_in(list(ROFR_KINDS)))
    if offers.height == 0:
        return None
    k = offers["rofr"].replace_strict({kd: i for i, kd in enumerate(ROFR_KINDS)}).to_numpy()
    arr = offers["arrival_s"].to_numpy()
    stamp = np.datetime64(window(result).t0, "us") + np.round(arr * 1e6).astype("timedelta64[us]")
    month = stamp.astype("datetime64[M]").astype(np.int64)
    m0 = int(month.min())
    nm = int(month.max()) - m0 + 1
    per = Periods.spanning(m0, m0 + nm - 1)
    grid = per.sum(
        np.bincount(k * nm + (month - m0), minlength=len(ROFR_KINDS) * nm)
        .reshape(len(ROFR_KINDS), nm)
        .astype(np.float64)
    )
    return PerPeriod(per, list(ROFR_KINDS), grid)


def _rofr_requests_per_period(rows: Sequence[ProcurementRow]) -> PerPeriod | None:
    """Capacity requests by outcome per month of decision (months summed into periods)."""
    kind_of = {"accepted": 0, "declined": 1, "expired": 2, "released_unmet": 3}
    seen: set[tuple[str, int]] = set()
    hits: list[tuple[int, int]] = []
    for r in rows:
        k = kind_of.get(r.rofr)
        if k is None or (r.request_id, k) in seen:
            continue
        seen.add((r.request_id, k))
        hits.append((k, (r.decided_on.year - 1970) * 12 + r.decided_on.month - 1))
    if not hits:
        return None
    months = [m for _, m in hits]
    m0, nm = min(months), max(months) - min(months) + 1
    grid = np.zeros((len(ROFR_KINDS), nm))
    for k, m in hits:
        grid[k, m - m0] += 1
    per = Periods.spanning(m0, m0 + nm - 1)
    return PerPeriod(per, list(ROFR_KINDS), per.sum(grid))


# --------------------------------------------------------------------------- procurement


@dataclass(frozen=True)
class HeldSeries:
    """Reference accelerators the lab holds by provider on each procurement period's last
    day (``x``: days from the run's start)."""

    x: FArray
    days: list[str]
    providers: list[str]
    reference: FArray  # [provider, period]
    accelerators: FArray  # [provider, period]


def held_series(result: SimResult) -> HeldSeries | None:
    """The summary's ``capacity_held`` as series by provider (None without procurement)."""
    held = result.summary.capacity_held
    if not held:
        return None
    days = sorted({h.period_end for h in held})
    provs = sorted({h.provider for h in held})
    pos_d = {d: i for i, d in enumerate(days)}
    pos_p = {p: i for i, p in enumerate(provs)}
    ref = np.zeros((len(provs), len(days)))
    acc = np.zeros((len(provs), len(days)))
    for h in held:
        ref[pos_p[h.provider], pos_d[h.period_end]] = h.reference_accelerators
        acc[pos_p[h.provider], pos_d[h.period_end]] = h.accelerators
    t0 = window(result).t0
    x = np.asarray(
        [(datetime.fromisoformat(d) - t0).total_seconds() / DAY_S for d in days], dtype=np.float64
    )
    return HeldSeries(x, days, provs, ref, acc)


def share_month_pairs(a: SimResult, b: SimResult) -> pl.DataFrame:
    """Each month's share by provider in both runs (columns ``month``, ``provider``, ``a``,
    ``b``), months where either run was busy."""
    import polars as pl

    frames = []
    for tag, r in (("a", a), ("b", b)):
        sbm = share_by_month(r)
        frames.append(
            sbm.select(
                "month",
                "provider",
                pl.col("share").fill_nan(0.0).alias(tag),
                pl.col("busy_accelerator_hours").alias(f"h_{tag}"),
            )
        )
    return (
        frames[0]
        .join(frames[1], on=["month", "provider"], how="full", coalesce=True)
        .fill_null(0.0)
        .filter((pl.col("h_a") > 0) | (pl.col("h_b") > 0))
        .sort(["month", "provider"])
        .select("month", "provider", "a", "b")
    )
