"""The result of a simulation: a typed summary (:class:`SimSummary`, whose JSON is
``summary.json`` and the ``--json`` output), and tables as Polars DataFrames built on first use.

Polars is imported only when a table is asked for, so a run that prints its summary starts
fast. The summary is deterministic for a seed: no wall-clock time in it (``wall_s`` is
separate), and ``summary_json()`` is byte-identical for the same inputs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from stargate.broker.capacity import ProcurementRecord
from stargate.domain.provenance import Provenance, for_scenario
from stargate.domain.units import SECONDS_PER_DAY, SECONDS_PER_HOUR
from stargate.sim.engine import (
    COMPLETED,
    QUEUED,
    QUEUED_PENDING,
    REJECTED,
    ROFR_ACCEPTED,
    ROFR_DECLINED,
    ROFR_EXPIRED,
    ROFR_NAMES,
    ROFR_RELEASED,
    RUNNING,
    STATUS_NAMES,
    SimState,
)

if TYPE_CHECKING:
    import polars as pl

    from stargate.broker.capacity import ProcurementRow
    from stargate.sim.procure import Procurement

DAY_S = SECONDS_PER_DAY


# --------------------------------------------------------------------------- the summary


class _Part(BaseModel):
    """A part of the summary: immutable, no unknown keys, no silent coercion (an int is never
    taken for a string or a bool for a number)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class JobCounts(_Part):
    submitted: int
    completed: int
    rejected: int
    skipped: int = Field(description="trace rows skipped under skip_bad_rows")
    running_at_end: int
    queued_at_end: int
    killed_runs: int = Field(description="runs an outage killed (a job killed twice counts twice)")
    rejected_by_reason: dict[str, int] = Field(
        description="the first word of each rejection reason → jobs rejected for it"
    )
    skipped_by_reason: dict[str, int]


class Stats(_Part):
    """Mean, median and 99th percentile, seconds, over completed jobs (``None`` when none)."""

    mean: float | None
    p50: float | None
    p99: float | None


class RofrVolume(_Part):
    """Capacity by ROFR outcome: ``offered`` = accepted + declined + expired; ``released``:
    released at once because the holder could not meet it."""

    offered: float
    accepted: float
    declined: float
    expired: float
    released: float


class RofrYear(_Part):
    """The ROFR's outcomes on the capacity requests decided in one year."""

    year: int
    offered: int
    accepted: int
    declined: int
    expired: int
    released_unmet: int
    reference_accelerators: RofrVolume
    power_mw: RofrVolume


class RofrCounts(_Part):
    """What the right of first refusal did. In a scenario run it acts when the lab procures
    capacity: the counts are of capacity requests (an offer's answer; a part released at once),
    with volumes and years. On a fleet for experiments nothing is offered (all 0); per-job
    offers are for ``stargate place``."""

    offered: int = Field(description="accepted + declined + expired")
    accepted: int
    declined: int
    expired: int
    released_unmet: int = Field(description="released at once: the holder could not meet")
    reference_accelerators: RofrVolume | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="reference accelerators by outcome (scenario runs)",
    )
    power_mw: RofrVolume | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="facility MW by outcome (scenario runs)",
    )
    by_year: list[RofrYear] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="per year of decision (scenario runs)",
    )


#: One row of a capacity decision of the procurement replay (the same schema as plan.json's
#: ``procurement`` rows): a part placed with a provider, or a part nobody could take.
ProcurementEntry = ProcurementRecord


class SiteHeld(_Part):
    """What the lab holds at one site of a provider (a part of :class:`CapacityHeld`)."""

    accelerators: int
    reference_accelerators: float
    power_mw: float


class CapacityHeld(_Part):
    """What the lab holds at a provider on the last day of a procurement period: its
    reservations in force and its own pools online."""

    period_end: str
    provider: str
    accelerators: int
    reference_accelerators: float
    power_mw: float = Field(description="facility power of the capacity held")
    by_site: dict[str, SiteHeld] = Field(
        default_factory=dict, description="the same by site of the provider"
    )


class SpendYear(_Part):
    """What the lab pays a provider in a year of the run: ``committed_usd`` for all it holds,
    used or not (reservations take-or-pay, own capacity at cost); ``used_usd`` for the
    accelerator-hours its jobs kept busy; ``idle_usd`` = committed − used. Decimal strings of
    USD, to the cent."""

    year: int
    provider: str
    committed_usd: str
    used_usd: str
    idle_usd: str
    committed_by_site_usd: dict[str, str] = Field(
        default_factory=dict,
        description="committed_usd by site of the provider (they sum to committed_usd)",
    )


class UnmetDemand(_Part):
    """Demand of a class that what the lab held on a period's first day did not cover, in
    reference accelerators (without headroom)."""

    period_start: str
    period_end: str
    workload_class: str
    demand_reference_accelerators: float
    held_reference_accelerators: float
    unmet_reference_accelerators: float


class AcceleratorHours(_Part):
    served: float
    killed: float = Field(description="run by killed runs: lost + checkpointed")
    lost: float
    checkpointed: float


class RunInfo(_Part):
    """What was run: the scenario or fleet, the settings, the window and the fleet's size."""

    scenario: str | None
    fleet: str = Field(description="'scenario' for the scenario's own fleet, else its name")
    policy: str
    granularity: str
    seed: int
    without: list[str] = Field(description="ids of the clauses switched off")
    start: str = Field(description="ISO instant the run starts")
    end: str | None = Field(description="ISO instant the run stops (exclusive); null: open")
    pools: int
    accelerators: int
    pools_online_at_start: int
    accelerators_online_at_start: int
    pools_online_during_run: int
    accelerators_online_during_run: int
    procure_every: str | None = Field(
        default=None, exclude_if=lambda v: v is None, description="scenario runs: month|quarter"
    )
    procure_from: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="scenario runs: forecast|workload",
    )


class Serving(_Part):
    """Where an inference class is served."""

    placed: bool
    provider: str | None
    pool: str | None
    accelerator: str | None
    #: only on a scenario run, where the broker places the capacity
    decided_by: str | None = Field(default=None, exclude_if=lambda v: v is None)


class InferenceYear(_Part):
    """Serving capacity requested for one calendar year of a demand spanning several."""

    start: str
    mean_tokens_per_s: float
    provisioned_accelerators: int
    provider: str | None
    accelerator: str | None
    decided_by: str | None = Field(default=None, exclude_if=lambda v: v is None)


class InferenceMonth(_Part):
    """Demand and what was served in one calendar month (scenario runs spanning months)."""

    month: str = Field(description="YYYY-MM")
    mean_tokens_per_s: float
    served_tokens_per_s: float = Field(description="mean of min(demand, capacity) per minute")


class InferenceClass(_Part):
    workload_class: str
    source: str
    minutes: int
    mean_tokens_per_s: float
    p99_tokens_per_s: float
    tokens_per_s_per_accelerator: float
    provisioned_accelerators: int
    serving: Serving
    slo_attainment: float | None
    latency_tier_utilization: float
    latency_violation_minutes: int
    accelerators_for_99pct: int | None
    skipped: dict[str, int]
    #: only for a demand spanning more than one calendar year (requested year by year)
    by_year: list[InferenceYear] | None = Field(default=None, exclude_if=lambda v: v is None)
    by_month: list[InferenceMonth] | None = Field(default=None, exclude_if=lambda v: v is None)
    #: only on a scenario run: tokens served ÷ ``reference_tokens_per_s``, in hours — the
    #: reference-accelerator-hours the demand kept busy (counted in ``utilization``)
    served_reference_accelerator_hours: float | None = Field(
        default=None, exclude_if=lambda v: v is None
    )


class InferenceSummary(_Part):
    classes: list[InferenceClass]


class SimSummary(_Part):
    """The summary of a run (docs/cli.md lists the fields). Its JSON — :meth:`to_dict` —
    keeps the keys of the dict it replaced, in the same order, plus ``provenance``."""

    jobs: JobCounts
    wait_s: Stats
    jct_s: Stats
    makespan_s: float = Field(description="last finish − first arrival, seconds")
    utilization: float = Field(
        description="scenario run: busy ÷ held, reference-accelerator-hours used ÷ held; "
        "fleet for experiments: busy ÷ available accelerator-seconds"
    )
    cost_usd: float | None = Field(description="null on an unpriced fleet for experiments")
    energy_mwh: float
    rofr: RofrCounts
    exclusivity_bound: int
    share_by_provider: dict[str, float]
    events: int
    accelerator_hours: AcceleratorHours
    run: RunInfo
    inference: InferenceSummary | None = Field(default=None, exclude_if=lambda v: v is None)
    procurement: list[ProcurementEntry] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="scenario runs: one row per capacity request (and released remainder)",
    )
    capacity_held: list[CapacityHeld] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="scenario runs: per provider and procurement period",
    )
    spend_by_year: list[SpendYear] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="scenario runs: per year and provider",
    )
    unmet_demand: list[UnmetDemand] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="scenario runs: per period and class with a shortfall",
    )
    provenance: Provenance

    def to_dict(self) -> dict[str, JsonValue]:
        """The summary as JSON data (the ``--json`` output, without ``wall_s``)."""
        data: dict[str, JsonValue] = self.model_dump(mode="json")
        return data

    def to_json(self) -> str:
        """``summary.json``: sorted keys, two-space indent, a final newline."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


_VERDICTS = ("accepted", "declined", "expired")


def _volume(rows: Sequence[ProcurementRow], measure: str) -> RofrVolume:
    by: dict[str, float] = {}
    for r in rows:
        by[r.rofr] = by.get(r.rofr, 0.0) + float(getattr(r, measure))
    got = {k: round(by.get(k, 0.0), 3) for k in (*_VERDICTS, "released_unmet")}
    return RofrVolume(
        offered=round(sum(got[k] for k in _VERDICTS), 3),
        accepted=got["accepted"],
        declined=got["declined"],
        expired=got["expired"],
        released=got["released_unmet"],
    )


def _request_counts(rows: Sequence[ProcurementRow]) -> dict[str, int]:
    """Capacity requests by outcome: an offer's answer (accepted, declined, expired) and
    whether a part was released at once (released_unmet)."""
    by_request: dict[str, set[str]] = {}
    for r in rows:
        by_request.setdefault(r.request_id, set()).add(r.rofr)
    counts = {k: 0 for k in (*_VERDICTS, "released_unmet")}
    for verdicts in by_request.values():
        for k in counts:
            counts[k] += k in verdicts
    return counts


def rofr_of_rows(rows: Sequence[ProcurementRow]) -> RofrCounts:
    """The ROFR's counters over the procurement replay's rows (docs/cli.md#stargate-simulate):
    capacity requests by outcome, capacity by outcome, and the same per year of decision."""
    counts = _request_counts(rows)
    years = []
    for year in sorted({r.decided_on.year for r in rows}):
        these = [r for r in rows if r.decided_on.year == year]
        c = _request_counts(these)
        years.append(
            RofrYear(
                year=year,
                offered=sum(c[k] for k in _VERDICTS),
                accepted=c["accepted"],
                declined=c["declined"],
                expired=c["expired"],
                released_unmet=c["released_unmet"],
                reference_accelerators=_volume(these, "reference_accelerators"),
                power_mw=_volume(these, "power_mw"),
            )
        )
    return RofrCounts(
        offered=sum(counts[k] for k in _VERDICTS),
        accepted=counts["accepted"],
        declined=counts["declined"],
        expired=counts["expired"],
        released_unmet=counts["released_unmet"],
        reference_accelerators=_volume(rows, "reference_accelerators"),
        power_mw=_volume(rows, "power_mw"),
        by_year=years,
    )


def _stats(values: np.ndarray) -> Stats:
    if values.size == 0:
        return Stats(mean=None, p50=None, p99=None)
    return Stats(
        mean=round(float(values.mean()), 3),
        p50=round(float(np.percentile(values, 50)), 3),
        p99=round(float(np.percentile(values, 99)), 3),
    )


def capacity_phrase(run: RunInfo | Mapping[str, Any]) -> str:
    """What the fleet had online, from a summary's ``run``: '2,000 accelerators in 3 pools
    online at the start; 2 pools (1,000 accelerators) come online during the run, 1 after it'.
    """
    r = run.model_dump() if isinstance(run, RunInfo) else run

    def pools(n: int) -> str:
        return f"{n:,} pool{'' if n == 1 else 's'}"

    def acc(n: int) -> str:
        return f"{n:,} accelerator{'' if n == 1 else 's'}"

    total = int(r.get("pools", 0))
    start = int(r.get("pools_online_at_start", total))
    during = int(r.get("pools_online_during_run", 0))
    a_start = int(r.get("accelerators_online_at_start", r.get("accelerators", 0)))
    a_during = int(r.get("accelerators_online_during_run", 0))
    text = f"{acc(a_start)} in {pools(start)} online at the start"
    if during:
        text += f"; {pools(during)} ({acc(a_during)}) come online during the run"
    after = total - start - during
    if after:
        text += f"{',' if during else ';'} {pools(after)} only after it"
    return text


class SimResult:
    """What a run produced: :attr:`stats` (the typed summary, deterministic for a seed; no
    wall-clock time in it, ``wall_s`` is separate) and the tables.

    ``scenario``, when the run simulated one, gives the provenance its content hash; a run on
    a fleet for experiments (``--fleet``) has no scenario hash (``scenario_sha256`` null, and
    ``scenario_id`` null unless a scenario was named for its workload classes)."""

    def __init__(
        self,
        state: SimState,
        inference: InferenceSummary | Mapping[str, object] | None = None,
        scenario: BaseModel | None = None,
        procurement: Procurement | None = None,
        inference_used_usd: Mapping[tuple[int, str], float] | None = None,
    ) -> None:
        self.state = state
        #: (year, provider) → USD of serving capacity inference kept busy (scenario runs)
        self._inference_used = dict(inference_used_usd or {})
        #: the procurement replay of a scenario run (None on a fleet for experiments)
        self.procurement = procurement
        self.inference = (
            None
            if inference is None
            else inference
            if isinstance(inference, InferenceSummary)
            else InferenceSummary.model_validate(inference, strict=False)
        )
        self._scenario = scenario

    @property
    def scenario(self) -> BaseModel | None:
        """The scenario the run simulated (agreements and amendments named in ``without``
        voided); None on a fleet for experiments."""
        return self._scenario

    @property
    def priced(self) -> bool:
        """Whether the run has prices: a scenario run always (what the lab holds is priced, and
        holding nothing costs nothing); a fleet for experiments when any pool has a price (none
        unless given one)."""
        return self.procurement is not None or bool(np.isfinite(self.state.pools.price_h).any())

    @property
    def wall_s(self) -> float:
        return self.state.wall_s

    # -- per-job figures ------------------------------------------------------------------
    @cached_property
    def _cost(self) -> np.ndarray:
        s = self.state
        # one more slot (0) so that a fleet of no pools (a lab that holds nothing) indexes too
        price = np.r_[np.where(np.isnan(s.pools.price_h), 0.0, s.pools.price_h), 0.0]
        p = np.where(s.pool >= 0, s.pool, 0)
        acc_s = self._served_acc_s + s.wasted_acc_s
        return np.where(s.pool >= 0, acc_s / SECONDS_PER_HOUR * price[p], 0.0)

    @cached_property
    def _served_acc_s(self) -> np.ndarray:
        """Work kept per job: all of a completed job's; of any other, what earlier runs kept
        at their checkpoints, and a running job's current run so far. Lost work is not in it."""
        s = self.state
        current = np.where(s.status == RUNNING, (s.end_s - np.nan_to_num(s.start_s)) * s.need, 0.0)
        return np.where(s.status == COMPLETED, s.run_s * s.need, current + s.kept_acc_s)

    @cached_property
    def _wait_s(self) -> np.ndarray:
        """Start (of the last run) − arrival − the time earlier runs ran before they were
        killed: only time spent waiting (queued, or for a ROFR answer) counts."""
        s = self.state
        return s.start_s - s.jobs.arrival_s - s.killed_run_s

    def _utilization(self, busy_total: float, cap_total: float) -> float:
        """On a scenario run, busy ÷ held: reference-accelerator-hours used ÷ those held (each
        pool — a reservation held — weighted by its throughput for the reference class); on a
        fleet for experiments, busy ÷ available accelerator-seconds (every type counts 1)."""
        s = self.state
        settings = getattr(self._scenario, "settings", None)
        ref = getattr(settings, "reference_class", None)
        thr = s.pools.thr.get(ref) if isinstance(ref, str) else None
        if thr is not None:
            busy_total = float(np.dot(s.busy_acc_s, thr))
            cap_total = sum(v * float(thr[p]) for (p, _), v in s.cap_by_day.items())
            if self.inference is not None:
                busy_total += SECONDS_PER_HOUR * sum(
                    c.served_reference_accelerator_hours or 0.0 for c in self.inference.classes
                )
        return round(busy_total / cap_total, 9) if cap_total else 0.0

    # -- the summary ------------------------------------------------------------------------
    @cached_property
    def provenance(self) -> Provenance:
        s = self.state
        if self._scenario is not None:
            return for_scenario(self._scenario, seed=s.seed, clauses_off=s.without)
        return Provenance(scenario_id=s.scenario_id, seed=s.seed, clauses_off=sorted(s.without))

    @cached_property
    def summary(self) -> SimSummary:
        """The summary, typed: ``result.summary.jobs.completed``, ``result.summary.run.policy``."""
        s = self.state
        st = s.status
        done = st == COMPLETED
        wait = self._wait_s[done]
        jct = (s.finish_s - s.jobs.arrival_s)[done]
        makespan = float(np.max(s.finish_s[done]) - np.min(s.jobs.arrival_s)) if done.any() else 0.0
        cap_total = sum(s.cap_by_day.values())
        busy_total = float(s.busy_acc_s.sum())
        providers = sorted(set(s.pools.provider))
        by_provider = {pr: 0.0 for pr in providers}
        for p, b in enumerate(s.busy_acc_s):
            by_provider[s.pools.provider[p]] += float(b)
        share = {
            pr: round(v / busy_total, 6) if busy_total else 0.0 for pr, v in by_provider.items()
        }
        cost = self._cost
        energy = float(
            np.sum(
                np.where(
                    s.pool >= 0,
                    (self._served_acc_s + s.wasted_acc_s)
                    / SECONDS_PER_HOUR
                    * np.r_[s.pools.energy_mw, 0.0][np.where(s.pool >= 0, s.pool, 0)],
                    0.0,
                )
            )
        )
        rofr = s.rofr
        proc = self.procurement
        at_start = s.pools.online_s <= 0
        during = (s.pools.online_s > 0) & (s.pools.online_s < s.end_s)
        skipped = dict(sorted(s.jobs.skipped.items()))
        return SimSummary(
            jobs=JobCounts(
                submitted=len(st),
                completed=int(done.sum()),
                rejected=int((st == REJECTED).sum()),
                skipped=int(sum(skipped.values())),
                running_at_end=int((st == RUNNING).sum()),
                queued_at_end=int(((st == QUEUED) | (st == QUEUED_PENDING)).sum()),
                killed_runs=int(s.killed_runs),
                rejected_by_reason=dict(
                    sorted(Counter(r.split(":")[0] for r in s.reject_reason.values()).items())
                ),
                skipped_by_reason=skipped,
            ),
            wait_s=_stats(wait),
            jct_s=_stats(jct),
            makespan_s=round(makespan, 3),
            utilization=self._utilization(busy_total, cap_total),
            cost_usd=round(float(cost.sum()), 2) if self.priced else None,
            energy_mwh=round(energy, 3),
            rofr=rofr_of_rows(proc.rows)
            if proc is not None
            else RofrCounts(
                offered=int(
                    (
                        (rofr == ROFR_ACCEPTED) | (rofr == ROFR_DECLINED) | (rofr == ROFR_EXPIRED)
                    ).sum()
                ),
                accepted=int((rofr == ROFR_ACCEPTED).sum()),
                declined=int((rofr == ROFR_DECLINED).sum()),
                expired=int((rofr == ROFR_EXPIRED).sum()),
                released_unmet=int((rofr == ROFR_RELEASED).sum()),
            ),
            exclusivity_bound=int(s.exclusivity_bound),
            share_by_provider=share,
            events=int(s.events),
            accelerator_hours=AcceleratorHours(
                served=round(float(self._served_acc_s.sum()) / SECONDS_PER_HOUR, 3),
                killed=round(float((s.wasted_acc_s + s.kept_acc_s).sum()) / SECONDS_PER_HOUR, 3),
                lost=round(float(s.wasted_acc_s.sum()) / SECONDS_PER_HOUR, 3),
                checkpointed=round(float(s.kept_acc_s.sum()) / SECONDS_PER_HOUR, 3),
            ),
            run=RunInfo(
                scenario=s.scenario_id,
                fleet=s.fleet_name,
                policy=s.policy,
                granularity=s.granularity,
                seed=s.seed,
                without=list(s.without),
                start=s.t0.isoformat(),
                end=(s.t0 + timedelta(seconds=s.end_s)).isoformat()
                if np.isfinite(s.end_s)
                else None,
                pools=s.pools.size,
                accelerators=int(s.pools.count.sum()),
                pools_online_at_start=int(at_start.sum()),
                accelerators_online_at_start=int(s.pools.count[at_start].sum()),
                pools_online_during_run=int(during.sum()),
                accelerators_online_during_run=int(s.pools.count[during].sum()),
                procure_every=None if proc is None else proc.every,
                procure_from=None if proc is None else proc.source,
            ),
            inference=self.inference,
            procurement=None
            if proc is None
            else [ProcurementEntry.model_validate(r.to_dict()) for r in proc.rows],
            capacity_held=None
            if proc is None
            else [
                CapacityHeld(
                    period_end=h.period_end.isoformat(),
                    provider=h.provider,
                    accelerators=h.accelerators,
                    reference_accelerators=round(h.reference_accelerators, 3),
                    power_mw=round(h.power_mw, 3),
                    by_site={
                        site: SiteHeld(
                            accelerators=n, reference_accelerators=round(r, 3), power_mw=round(m, 3)
                        )
                        for site, (n, r, m) in h.by_site.items()
                    },
                )
                for h in proc.capacity_held
            ],
            spend_by_year=None if proc is None else self._spend(proc),
            unmet_demand=None
            if proc is None
            else [
                UnmetDemand(
                    period_start=u.period_start.isoformat(),
                    period_end=u.period_end.isoformat(),
                    workload_class=u.workload_class,
                    demand_reference_accelerators=round(u.demand_reference_accelerators, 3),
                    held_reference_accelerators=round(u.held_reference_accelerators, 3),
                    unmet_reference_accelerators=round(u.unmet_reference_accelerators, 3),
                )
                for u in proc.unmet
            ],
            provenance=self.provenance,
        )

    def _spend(self, proc: Procurement) -> list[SpendYear]:
        """Committed (all held, used or not), used (busy accelerator-hours × the pool's price,
        jobs' and inference's: a serving placement's cost × the share of its capacity the
        demand used) and idle spend, per year of the run and provider."""
        from stargate.sim.held import committed_by_year, usd_text

        s = self.state
        first = s.t0.date()
        last = (s.t0 + timedelta(seconds=s.end_s) - timedelta(microseconds=1)).date()
        by_site = committed_by_year(proc.held, first, last)
        committed: dict[tuple[int, str], Decimal] = {}
        sites: dict[tuple[int, str], dict[str, str]] = {}
        for (year, provider, site), usd in by_site.items():
            committed[(year, provider)] = committed.get((year, provider), Decimal(0)) + usd
            sites.setdefault((year, provider), {})[site] = usd_text(usd)
        used_f: dict[tuple[int, str], float] = {}
        price = s.pools.price_h
        for (p, d), busy in s.busy_by_day.items():
            if not np.isfinite(price[p]):
                continue
            key = ((s.t0 + timedelta(days=d)).year, s.pools.provider[p])
            used_f[key] = used_f.get(key, 0.0) + busy / SECONDS_PER_HOUR * float(price[p])
        for key, served_usd in self._inference_used.items():
            used_f[key] = used_f.get(key, 0.0) + served_usd
        rows = []
        for key in sorted(set(committed) | set(used_f)):
            c = committed.get(key, Decimal(0))
            u = min(Decimal(f"{float(used_f.get(key, 0.0)):.2f}"), c)
            rows.append(
                SpendYear(
                    year=key[0],
                    provider=key[1],
                    committed_usd=usd_text(c),
                    used_usd=usd_text(u),
                    idle_usd=usd_text(c - u),
                    committed_by_site_usd=sites.get(key, {}),
                )
            )
        return rows

    def to_dict(self) -> dict[str, JsonValue]:
        """The summary as JSON data: ``summary.json`` as a dict (the ``--json`` output
        without ``wall_s`` and ``baseline``)."""
        return self.summary.to_dict()

    def summary_json(self) -> str:
        """``summary.json``: byte-identical for the same inputs and seed."""
        return self.summary.to_json()

    # -- display ----------------------------------------------------------------------------
    def _figures(self) -> list[tuple[str, str]]:
        """(label, value) of the figures a repr shows: scenario, horizon, jobs, utilization,
        cost."""
        st = self.summary
        r, j = st.run, st.jobs
        start = datetime.fromisoformat(r.start)
        if r.end is None:
            horizon = f"{start.date().isoformat()}.."
        else:
            end = datetime.fromisoformat(r.end)
            last = end - timedelta(days=1) if end.time() == datetime.min.time() else end
            horizon = f"{start.date().isoformat()}..{last.date().isoformat()}"
        cost = "not priced" if st.cost_usd is None else f"${st.cost_usd:,.2f}"
        return [
            ("scenario", r.scenario or f"fleet {r.fleet}"),
            ("horizon", horizon),
            (
                "jobs",
                f"{j.submitted:,} submitted, {j.completed:,} completed, {j.rejected:,} rejected",
            ),
            ("utilization", f"{st.utilization:.1%}"),
            ("cost", cost),
        ]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._figures())
        return f"SimResult({inner})"

    def _repr_html_(self) -> str:
        """A small table for notebooks (escaped)."""
        rows = "".join(
            f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>'
            for k, v in self._figures()
        )
        return f"<table><caption>SimResult</caption><tbody>{rows}</tbody></table>"

    # -- tables -----------------------------------------------------------------------------
    @cached_property
    def jobs(self) -> pl.DataFrame:
        """One row per job: where, when, how long it waited, what it cost."""
        import polars as pl

        s = self.state
        names = s.jobs.name or [f"job-{i}" for i in range(len(s.jobs))]
        pool_ids = np.asarray([*s.pools.ids, ""], dtype=object)
        prov = np.asarray([*s.pools.provider, ""], dtype=object)
        acc = np.asarray([*s.pools.accelerator, ""], dtype=object)
        p = np.where(s.pool >= 0, s.pool, s.pools.size)
        return pl.DataFrame(
            {
                "job": names,
                "workload_class": [s.class_ids[int(c)] for c in s.job_class],
                "gpus": s.need,
                "pool": pool_ids[p].tolist(),
                "provider": prov[p].tolist(),
                "accelerator": acc[p].tolist(),
                "arrival_s": s.jobs.arrival_s,
                "ready_s": s.ready_s,
                "start_s": s.start_s,
                "finish_s": s.finish_s,
                "run_s": s.run_s,
                "wait_s": self._wait_s,
                "jct_s": s.finish_s - s.jobs.arrival_s,
                "status": [STATUS_NAMES[int(x)] for x in s.status],
                "restarts": s.restarts,
                "killed_run_s": s.killed_run_s,
                "lost_accelerator_hours": s.wasted_acc_s / SECONDS_PER_HOUR,
                "rofr": [ROFR_NAMES[int(x)] for x in s.rofr],
                "cost_usd": pl.Series(
                    np.round(self._cost, 2) if self.priced else [None] * len(s.need),
                    dtype=pl.Float64,
                ),
            },
            strict=False,
        )

    @cached_property
    def events(self) -> pl.DataFrame:
        import polars as pl

        log = self.state.event_log
        return pl.DataFrame(
            {
                "time_s": [e[0] for e in log],
                "event": [e[1] for e in log],
                "job": [e[2] for e in log],
                "pool": [self.state.pools.ids[e[3]] if e[3] >= 0 else None for e in log],
            },
            schema={"time_s": pl.Float64, "event": pl.Utf8, "job": pl.Int64, "pool": pl.Utf8},
        )

    @cached_property
    def utilization(self) -> pl.DataFrame:
        """Per pool and day: busy and available accelerator-hours."""
        import polars as pl

        s = self.state
        keys = sorted(set(s.busy_by_day) | set(s.cap_by_day))
        days = [s.t0.date() + timedelta(days=d) for _, d in keys]
        return pl.DataFrame(
            {
                "day": pl.Series("day", days, dtype=pl.Date),
                "pool": pl.Series("pool", [s.pools.ids[p] for p, _ in keys], dtype=pl.Utf8),
                "provider": pl.Series([s.pools.provider[p] for p, _ in keys], dtype=pl.Utf8),
                "site": pl.Series([s.pools.site[p] for p, _ in keys], dtype=pl.Utf8),
                "busy_accelerator_hours": pl.Series(
                    [s.busy_by_day.get(k, 0.0) / SECONDS_PER_HOUR for k in keys], dtype=pl.Float64
                ),
                "capacity_accelerator_hours": pl.Series(
                    [s.cap_by_day.get(k, 0.0) / SECONDS_PER_HOUR for k in keys], dtype=pl.Float64
                ),
            }
        )

    @cached_property
    def cost_by_month(self) -> pl.DataFrame:
        """Cost by provider, class and the month the job started (or was routed)."""
        import polars as pl

        s = self.state
        t = np.where(np.isfinite(s.start_s), s.start_s, s.jobs.arrival_s)
        stamp = np.datetime64(s.t0, "us") + np.round(t * 1e6).astype("timedelta64[us]")
        month = pl.Series("month", stamp).dt.strftime("%Y-%m")
        df = self.jobs.with_columns(pl.Series("month", month))
        return (
            df.filter(pl.col("pool") != "")
            .group_by(["month", "provider", "workload_class"])
            .agg(pl.col("cost_usd").sum(), pl.len().alias("jobs"))
            .sort(["month", "provider", "workload_class"])
        )

    @cached_property
    def share_by_month(self) -> pl.DataFrame:
        """Share of busy accelerator-hours by provider and month."""
        import polars as pl

        u = self.utilization.with_columns(pl.col("day").dt.strftime("%Y-%m").alias("month"))
        g = u.group_by(["month", "provider"]).agg(pl.col("busy_accelerator_hours").sum())
        tot = g.group_by("month").agg(pl.col("busy_accelerator_hours").sum().alias("total"))
        return (
            g.join(tot, on="month")
            .with_columns(
                (pl.col("busy_accelerator_hours") / pl.col("total")).fill_nan(0.0).alias("share")
            )
            .sort(["month", "provider"])
        )

    # -- checks -----------------------------------------------------------------------------
    def conservation(self) -> dict[str, float]:
        """Accelerator-hours two ways: integrated over pools between events, and summed over
        jobs (served by completed and running jobs, checkpointed work included, + work lost
        by killed runs). They must agree."""
        s = self.state
        integrated = float(s.busy_acc_s.sum()) / SECONDS_PER_HOUR
        per_job = float(self._served_acc_s.sum() + s.wasted_acc_s.sum()) / SECONDS_PER_HOUR
        return {"integrated_accelerator_hours": integrated, "per_job_accelerator_hours": per_job}

    # -- output -----------------------------------------------------------------------------
    def write(self, out_dir: str | Path) -> list[Path]:
        """``jobs.parquet``, ``events.parquet``, ``utilization.parquet`` and ``summary.json``
        in ``out_dir`` (the HTML report is rendering: see :mod:`stargate.report.sim_html`)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, df in (
            ("jobs", self.jobs),
            ("events", self.events),
            ("utilization", self.utilization),
        ):
            path = out / f"{name}.parquet"
            df.write_parquet(path)
            paths.append(path)
        (out / "summary.json").write_text(self.summary_json())
        paths.append(out / "summary.json")
        return paths
