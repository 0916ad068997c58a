"""The result of a simulation: a typed summary (:class:`SimSummary`, whose JSON is
``summary.json`` and the ``--json`` output), and tables as Polars DataFrames built on first use.

Polars is imported only when a table is asked for, so a run that prints its summary starts
fast. The summary is deterministic for a seed: no wall-clock time in it (``wall_s`` is
separate), and ``summary_json()`` is byte-identical for the same inputs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cached_property
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, JsonValue

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


class RofrCounts(_Part):
    offered: int = Field(description="accepted + declined + expired")
    accepted: int
    declined: int
    expired: int
    released_unmet: int = Field(description="released at once: the holder could not meet")


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


class Serving(_Part):
    """Where an inference class is served."""

    placed: bool
    provider: str | None
    pool: str | None
    accelerator: str | None
    #: only on a scenario run, where the broker places the capacity
    decided_by: str | None = Field(default=None, exclude_if=lambda v: v is None)


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


class InferenceSummary(_Part):
    classes: list[InferenceClass]


class SimSummary(_Part):
    """The summary of a run (docs/cli.md lists the fields). Its JSON — :meth:`to_dict` —
    keeps the keys of the dict it replaced, in the same order, plus ``provenance``."""

    jobs: JobCounts
    wait_s: Stats
    jct_s: Stats
    makespan_s: float = Field(description="last finish − first arrival, seconds")
    utilization: float = Field(description="busy ÷ online capacity accelerator-seconds")
    cost_usd: float | None = Field(description="null on an unpriced fleet for experiments")
    energy_mwh: float
    rofr: RofrCounts
    exclusivity_bound: int
    share_by_provider: dict[str, float]
    events: int
    accelerator_hours: AcceleratorHours
    run: RunInfo
    inference: InferenceSummary | None = Field(default=None, exclude_if=lambda v: v is None)
    provenance: Provenance

    def to_dict(self) -> dict[str, JsonValue]:
        """The summary as JSON data (the ``--json`` output, without ``wall_s``)."""
        data: dict[str, JsonValue] = self.model_dump(mode="json")
        return data

    def to_json(self) -> str:
        """``summary.json``: sorted keys, two-space indent, a final newline."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


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
    ) -> None:
        self.state = state
        self.inference = (
            None
            if inference is None
            else inference
            if isinstance(inference, InferenceSummary)
            else InferenceSummary.model_validate(inference, strict=False)
        )
        self._scenario = scenario

    @property
    def priced(self) -> bool:
        """Whether any pool has a price (a fleet for experiments has none unless given one)."""
        return bool(np.isfinite(self.state.pools.price_h).any())

    @property
    def wall_s(self) -> float:
        return self.state.wall_s

    # -- per-job figures ------------------------------------------------------------------
    @cached_property
    def _cost(self) -> np.ndarray:
        s = self.state
        price = np.where(np.isnan(s.pools.price_h), 0.0, s.pools.price_h)
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
                    * s.pools.energy_mw[np.where(s.pool >= 0, s.pool, 0)],
                    0.0,
                )
            )
        )
        rofr = s.rofr
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
            utilization=round(busy_total / cap_total, 9) if cap_total else 0.0,
            cost_usd=round(float(cost.sum()), 2) if self.priced else None,
            energy_mwh=round(energy, 3),
            rofr=RofrCounts(
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
            ),
            inference=self.inference,
            provenance=self.provenance,
        )

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
