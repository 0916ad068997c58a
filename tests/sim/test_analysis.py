"""The series a report draws, computed from a result without any HTML: they add up to the
result's own tables and summary, and agree with what hand-built runs must give."""

from __future__ import annotations

import numpy as np
import pytest

from stargate.sim import analysis
from stargate.sim.analysis import BUCKETS, MAX_POINTS, Periods
from stargate.sim.api import simulate
from stargate.sim.result import SimResult
from stargate.sim.workload import FleetPool, FleetSpec, JobTable
from tests.conftest import ANNOUNCED

HORIZON = "2026-01-01..2026-03-31"


def one_node() -> FleetSpec:
    return FleetSpec(
        name="one-node",
        pools=[FleetPool(id="p", accelerator="h100", nodes=1, per_node=8)],
        any_type=True,
    )


def three_full_node_jobs() -> JobTable:
    """Three jobs that each need the whole node for an hour, all arriving at once: they run
    one after the other."""
    return JobTable(
        arrival_s=np.zeros(3),
        duration_s=np.full(3, 3600.0),
        gpus=np.full(3, 8.0),
        allowed=[None] * 3,
        workload_class=["x"] * 3,
        source="hand",
    )


def h100_crowd(n: int = 300, gpus: float = 12_000.0, seed: int = 1) -> JobTable:
    """``n`` five-day jobs of ``gpus`` H100 each, arriving at random over the first quarter of
    2026: more at once, now and then, than the 250,000 H100 the lab holds at Azure then, so
    some wait (on the fixture scenario announced-2025, whose Azure H100 these are)."""
    rng = np.random.default_rng(seed)
    return JobTable(
        arrival_s=np.sort(rng.uniform(0, 89 * 86400.0, n)),
        duration_s=np.full(n, 5 * 86400.0),
        gpus=np.full(n, gpus),
        allowed=[("h100",)] * n,
        workload_class=["research-training"] * n,
        source="hand",
    )


@pytest.fixture(scope="module")
def scenario_run() -> SimResult:
    return simulate(ANNOUNCED, [h100_crowd()], horizon=HORIZON)


@pytest.fixture(scope="module")
def priced_run() -> SimResult:
    return simulate(None, ["synthetic?jobs=300&seed=4"], "pool:64", price="2.5")


# --------------------------------------------------------------------------- pure helpers


def test_buckets_put_an_edge_in_the_bucket_it_closes() -> None:
    counts = analysis.buckets(np.array([0.0, 0.5, 1.0, 1.5, 60.0, 1e9]))
    assert counts.tolist() == [1, 2, 1, 1, 0, 0, 0, 0, 0, 1]
    assert len(counts) == len(BUCKETS)


def test_step_max_keeps_the_level_entering_a_bin() -> None:
    # 1 from t=0, 3 from t=5, 0 from t=10; bins of 5 over [0, 20)
    peaks = analysis.step_max(np.array([0.0, 5.0, 10.0]), np.array([1.0, 3.0, 0.0]), 20.0, 4)
    assert peaks.tolist() == [1.0, 3.0, 3.0, 0.0]
    assert analysis.step_max(np.zeros(0), np.zeros(0), 10.0, 3).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("months", "unit", "first_label", "n"),
    [(12, "month", "2026-01", 12), (61, "quarter", "2026 Q1", 21), (181, "year", "2026", 16)],
)
def test_periods_become_coarser_over_long_spans(
    months: int, unit: str, first_label: str, n: int
) -> None:
    first = analysis.month_index("2026-01")
    per = Periods.spanning(first, first + months - 1)
    assert per.unit == unit
    assert per.labels[0] == first_label
    assert len(per.labels) == n
    summed = per.sum(np.ones((2, months)))
    assert summed.shape == (2, n)
    assert summed.sum() == 2 * months


def test_month_index_and_label_are_inverse() -> None:
    assert analysis.month_index("1970-01") == 0
    assert analysis.month_label(analysis.month_index("2031-12")) == "2031-12"


# --------------------------------------------------------------------------- from a result


def test_queue_of_jobs_that_run_one_after_the_other() -> None:
    r = simulate(None, [three_full_node_jobs()], one_node())
    q = analysis.queue(r)
    assert q is not None
    minute = 60 / 86400
    assert q.width_days == pytest.approx(minute)
    assert len(q.x) <= MAX_POINTS
    assert q.running.max() == 1.0
    # two wait in the first hour, one in the second, none in the third
    assert set(q.queued[:60]) == {2.0}
    assert set(q.queued[61:120]) == {1.0}
    assert set(q.queued[121:]) == {0.0}


def test_queue_from_jobs_alone_matches_the_event_log() -> None:
    logged = analysis.queue(simulate(None, [three_full_node_jobs()], one_node()))
    unlogged_run = simulate(None, [three_full_node_jobs()], one_node(), log_events=False)
    assert unlogged_run.events.height == 0
    unlogged = analysis.queue(unlogged_run)
    assert logged is not None
    assert unlogged is not None
    assert np.array_equal(logged.queued, unlogged.queued)
    assert np.array_equal(logged.running, unlogged.running)


def test_daily_series_add_up_to_the_utilization_table(scenario_run: SimResult) -> None:
    providers = analysis.providers(scenario_run)
    daily = analysis.daily(scenario_run, providers)
    assert daily is not None
    assert daily.providers == providers
    u = scenario_run.utilization
    assert (daily.busy * daily.days).sum() == pytest.approx(u["busy_accelerator_hours"].sum())
    assert (daily.cap * daily.days).sum() == pytest.approx(u["capacity_accelerator_hours"].sum())
    assert daily.width == 1
    assert len(daily.x) == 90  # January to March, one point a day


def test_waits_count_every_completed_job(scenario_run: SimResult) -> None:
    w = analysis.waits(scenario_run)
    done = scenario_run.summary.jobs.completed
    assert w.wait_counts.sum() == w.jct_counts.sum() == done == w.wait_s.size
    assert float(w.wait_s.mean()) == pytest.approx(scenario_run.summary.wait_s.mean, abs=1e-3)


def test_by_class_adds_up_to_the_summary(priced_run: SimResult) -> None:
    figures = analysis.by_class(priced_run)
    s = priced_run.summary
    assert sum(c.jobs for c in figures) == s.jobs.submitted
    assert sum(c.completed for c in figures) == s.jobs.completed
    assert sum(c.rejected for c in figures) == s.jobs.rejected
    assert s.cost_usd is not None
    # the jobs table holds each job's cost to the cent: sums differ by at most ½ cent a job
    assert sum(c.cost_usd for c in figures) == pytest.approx(s.cost_usd, abs=0.005 * 300)


def test_cost_per_period_adds_up_to_the_summary(priced_run: SimResult) -> None:
    c = analysis.cost(priced_run, analysis.providers(priced_run))
    assert c is not None
    assert priced_run.summary.cost_usd is not None
    # the jobs table holds each job's cost to the cent: sums differ by at most ½ cent a job
    assert c.total_usd == pytest.approx(priced_run.summary.cost_usd, abs=0.005 * 300)
    assert c.by_month.sum() == pytest.approx(c.total_usd)
    assert c.per_period.values.sum() == pytest.approx(c.total_usd)
    assert c.months[0] == "2026-01"
    assert c.per_period.periods.unit == "month"
    assert c.by_provider_and_class["cost_usd"].sum() == pytest.approx(c.total_usd)


def test_an_unpriced_run_costs_nothing_per_period() -> None:
    r = simulate(None, [three_full_node_jobs()], one_node())
    c = analysis.cost(r, analysis.providers(r))
    assert c is not None
    assert c.total_usd == 0.0


def test_shares_per_period_sum_to_one(scenario_run: SimResult) -> None:
    providers = analysis.providers(scenario_run)
    span = analysis.month_span(scenario_run)
    assert span == (analysis.month_index("2026-01"), analysis.month_index("2026-03"))
    shares = analysis.share_per_period(scenario_run, providers, span)
    assert shares.names == providers
    assert shares.periods.labels == ["2026-01", "2026-02", "2026-03"]
    assert shares.values.sum(axis=0) == pytest.approx(np.ones(3))


def test_rofr_outcomes_per_period_match_the_summary(
    scenario_run: SimResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.sim.test_procure import verdicts_by_request

    monkeypatch.setattr(
        "stargate.sim.procure.decide_capacity",
        verdicts_by_request(["accepted", "declined", "expired", "released_unmet"]),
    )
    run = simulate(ANNOUNCED, ["synthetic?jobs=50&seed=1"], horizon=HORIZON)
    out = analysis.rofr_per_period(run)
    ro = run.summary.rofr
    assert out is not None
    assert ro.offered > 0
    assert out.names == list(analysis.ROFR_KINDS)
    by_kind = dict(zip(out.names, out.values.sum(axis=1).tolist(), strict=True))
    assert by_kind == {
        "accepted": ro.accepted,
        "declined": ro.declined,
        "expired": ro.expired,
        "released": ro.released_unmet,
    }
    assert analysis.rofr_per_period(simulate(None, [three_full_node_jobs()], one_node())) is None


def test_longest_waits_are_sorted_and_positive(scenario_run: SimResult) -> None:
    top = analysis.longest_waits(scenario_run, 5)
    waits = top["wait_s"].to_list()
    assert 0 < len(waits) <= 5
    assert waits == sorted(waits, reverse=True)
    assert min(waits) > 0
    assert top.columns[:3] == ["job", "workload_class", "pool"]


def test_comparing_a_run_with_itself_changes_no_share(scenario_run: SimResult) -> None:
    pairs = analysis.share_month_pairs(scenario_run, scenario_run)
    assert pairs.height > 0
    assert pairs["a"].to_list() == pairs["b"].to_list()


def test_tiny_utilization_is_not_rounded_to_none(scenario_run: SimResult) -> None:
    assert analysis.utilization(scenario_run) == scenario_run.summary.utilization > 0
    # two one-second jobs ten days apart on ten million accelerators: 2.3e-13 rounds to 0
    jobs = JobTable(
        arrival_s=np.array([0.0, 10 * 86400.0]),
        duration_s=np.ones(2),
        gpus=np.ones(2),
        allowed=[None] * 2,
        workload_class=["x"] * 2,
        source="hand",
    )
    r = simulate(None, [jobs], "pool:10000000")
    assert r.summary.utilization == 0.0
    assert r.summary.accelerator_hours.served > 0
    table = r.utilization
    busy = float(table["busy_accelerator_hours"].sum())
    exact = busy / float(table["capacity_accelerator_hours"].sum())
    assert analysis.utilization(r) == pytest.approx(exact)
    assert exact > 0
