"""The ``forecast`` workload source: training jobs and inference demand from the scenario's
demand forecast, summing to it, growing with it, deterministic, bounded in job count, and the
default of a scenario run (issue #11, point 3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pytest

from stargate.errors import InputError
from stargate.sim import synthetic as syn
from stargate.sim.api import simulate
from stargate.sim.traces import load_workload

T0 = datetime(2025, 1, 1)
YEAR_S = 365 * 86400.0


@dataclass(frozen=True)
class Row:
    year: int
    workload_class: str
    accelerator_hours: float | None = None
    tokens_per_s: float | None = None


ROWS = [
    Row(2025, "frontier-training", accelerator_hours=1.0e9),
    Row(2026, "frontier-training", accelerator_hours=4.0e9),
    Row(2025, "research-training", accelerator_hours=2.0e9),
    Row(2026, "research-training", accelerator_hours=6.0e9),
    Row(2025, "api-inference", tokens_per_s=6.0e7),
    Row(2026, "api-inference", tokens_per_s=4.2e8),
]


def _make(**kw: object) -> syn.ForecastWorkload:
    return syn.generate_forecast(ROWS, T0, 2 * YEAR_S, **kw)  # type: ignore[arg-type]


def _hours(w: syn.ForecastWorkload, cls: str, year: int) -> float:
    j = w.jobs
    lo = (datetime(year, 1, 1) - T0).total_seconds()
    hi = (datetime(year + 1, 1, 1) - T0).total_seconds()
    mask = (
        np.asarray([c == cls for c in j.workload_class], dtype=bool)
        & (j.arrival_s >= lo)
        & (j.arrival_s < hi)
    )
    return float(np.dot(j.gpus[mask], j.duration_s[mask]) / 3600)


@pytest.mark.parametrize("cls", ["frontier-training", "research-training"])
@pytest.mark.parametrize("year", [2025, 2026])
def test_training_hours_sum_to_the_forecast_row(cls: str, year: int) -> None:
    w = _make()
    row = next(r for r in ROWS if r.workload_class == cls and r.year == year)
    assert _hours(w, cls, year) == pytest.approx(row.accelerator_hours, rel=1e-9)


def test_scale_multiplies_every_row() -> None:
    w = _make(scale=0.5)
    assert _hours(w, "research-training", 2026) == pytest.approx(3.0e9, rel=1e-9)
    assert w.demands[0].tokens_per_s.mean() < _make().demands[0].tokens_per_s.mean()


def test_a_part_year_gets_its_share() -> None:
    w = syn.generate_forecast(ROWS, T0, YEAR_S / 2)
    got = _hours(w, "frontier-training", 2025)
    assert got == pytest.approx(1.0e9 * (YEAR_S / 2) / YEAR_S, rel=1e-9)
    assert _hours(w, "frontier-training", 2026) == 0.0
    assert float(w.jobs.arrival_s.max()) < YEAR_S / 2


def test_deterministic_for_a_seed() -> None:
    a, b, c = _make(seed=3), _make(seed=3), _make(seed=4)
    assert np.array_equal(a.jobs.gpus, b.jobs.gpus)
    assert np.array_equal(a.jobs.arrival_s, b.jobs.arrival_s)
    assert np.array_equal(a.demands[0].tokens_per_s, b.demands[0].tokens_per_s)
    assert not np.array_equal(a.jobs.arrival_s, c.jobs.arrival_s)


def test_job_count_is_bounded_by_aggregation() -> None:
    w = _make(jobs_per_year=100)
    for cls in ("frontier-training", "research-training"):
        for year in (2025, 2026):
            n = sum(
                1
                for c, t in zip(w.jobs.workload_class, w.jobs.arrival_s, strict=True)
                if c == cls
                and (datetime(year, 1, 1) - T0).total_seconds() <= t
                and t < (datetime(year + 1, 1, 1) - T0).total_seconds()
            )
            assert 1 <= n <= 100
    # fewer jobs allowed: more real jobs per simulated one (a power of two), wider jobs
    loose = _make()
    assert w.aggregation["research-training"][2026] > loose.aggregation["research-training"][2026]
    agg = w.aggregation["research-training"][2026]
    assert agg & (agg - 1) == 0
    assert w.jobs.gpus.mean() > loose.jobs.gpus.mean()


def test_no_job_wider_than_its_share_of_the_class_year() -> None:
    w = _make()
    widest_2025 = syn.FORECAST_MAX_SHARE * 1.0e9 / (YEAR_S / 3600)
    frontier = np.asarray([c == "frontier-training" for c in w.jobs.workload_class])
    first = frontier & (w.jobs.arrival_s < YEAR_S)
    assert float(w.jobs.gpus[first].max()) <= widest_2025


def test_inference_follows_the_yearly_levels() -> None:
    d = _make().demands[0]
    assert d.workload_class == "api-inference"
    tps = d.tokens_per_s
    minutes_per_day = 1440
    jul = (datetime(2025, 7, 2) - T0).days * minutes_per_day
    mid_2025 = float(tps[jul - 7 * minutes_per_day : jul + 7 * minutes_per_day].mean())
    assert mid_2025 == pytest.approx(6.0e7, rel=0.1)
    # growing as the forecast grows: the second year's demand is far above the first's
    first, second = tps[: 365 * minutes_per_day].mean(), tps[365 * minutes_per_day :].mean()
    assert second > 3 * first
    assert np.all(d.requests_per_min >= 0)


def test_training_only_when_asked() -> None:
    assert _make(inference=0).demands == []


def test_forecast_needs_a_scenario_run() -> None:
    with pytest.raises(InputError, match="demand forecast of a scenario run"):
        load_workload("forecast")
    with pytest.raises(InputError, match="unknown forecast parameter 'sed'"):
        load_workload("forecast?sed=1")
    with pytest.raises(InputError, match="invalid value for forecast parameter 'scale'"):
        load_workload("forecast?scale=-1")


def test_default_scenario_run_uses_the_forecast_from_the_horizon_start() -> None:
    r = simulate(horizon="..2024-12-31")
    s = r.summary
    # the scenario's first day (the history starts in 2023), not as_of (2025-01-21)
    assert s.run.start.startswith("2023-01-01")
    assert s.inference is not None
    classes = {c.workload_class for c in s.inference.classes}
    assert {"chatgpt-inference", "api-inference"} <= classes
    assert set(r.state.jobs.workload_class) <= {"frontier-training", "research-training"}
    assert r.state.jobs.source == "forecast"


def test_explicit_workloads_and_fleet_runs_keep_their_defaults() -> None:
    # a fleet for experiments, even with a scenario that has a forecast: the synthetic jobs
    fleet = simulate("stargate-2025", fleet="pool:65536")
    assert fleet.state.jobs.source == "synthetic"
    assert fleet.summary.inference is None


def test_synthetic_md_lists_the_forecast_parameters() -> None:
    from tests.conftest import ROOT
    from tests.sim.test_param_docs import _doc_rows, _row, _synthetic_section

    text = _synthetic_section(
        (ROOT / "docs" / "synthetic.md").read_text(),
        "## Forecast: the main job",
        "**Training.**",
    )
    documented = {n.strip("`"): (v, m, d) for n, v, m, d in _doc_rows(text, 4)}
    assert documented == {name: _row(p) for name, p in syn.FORECAST_PARAM_TABLE.items()}


def test_utilization_is_busy_over_held_in_reference_hours() -> None:
    """Busy ÷ held: recomputed from the tables (jobs' busy hours weighted by the reference
    class's throughput, plus inference served) it matches the summary, and doubling the
    demand raises it."""
    r = simulate(horizon="..2025-06-30")
    s, st = r.summary, r.state
    thr = st.pools.thr["frontier-training"]  # the scenario's reference class
    busy = float(np.dot(st.busy_acc_s, thr))
    assert s.inference is not None
    busy += 3600 * sum(c.served_reference_accelerator_hours or 0 for c in s.inference.classes)
    held = sum(v * float(thr[p]) for (p, _), v in st.cap_by_day.items())
    assert s.utilization == pytest.approx(busy / held, rel=1e-6)
    assert 0 < s.utilization
    more = simulate(None, ["forecast?scale=2"], horizon="..2025-06-30").summary.utilization
    assert more > s.utilization


def test_huge_demand_runs_longer_not_wider_than_a_pool() -> None:
    rows = [Row(2025, "research-training", accelerator_hours=5.0e10)]
    w = syn.generate_forecast(rows, T0, YEAR_S, jobs_per_year=500)
    assert float(w.jobs.gpus.max()) <= syn.FORECAST_MAX_GPUS
    assert len(w.jobs) == 500
    assert float(np.dot(w.jobs.gpus, w.jobs.duration_s)) / 3600 == pytest.approx(5.0e10)


def test_the_default_scenario_stays_within_50000_jobs() -> None:
    from stargate.sim.api import _forecast_rows, scenario_of

    sc = scenario_of(None)
    start = datetime.combine(sc.horizon.start, datetime.min.time())
    assert sc.horizon.end is not None
    end_s = (datetime.combine(sc.horizon.end, datetime.min.time()) - start).total_seconds()
    w = syn.generate_forecast(_forecast_rows(sc), start, end_s + 86400, inference=0)
    assert 0 < len(w.jobs) <= 50_000


def test_api_exclusivity_binds_the_default_runs_inference() -> None:
    """Each year's API serving request is decided under the clauses in force on its first day
    (the agreements applied): on the default, Azure's exclusivity for all workloads holds on
    the first days of 2023–2025 (it ends 2025-01-21), the API exclusivity of the January 2025
    terms on 2026-01-01 (it ends 2026-04-27, agreement microsoft-openai-2026-04); from 2027 no
    exclusivity binds and the broker decides on cost."""
    from stargate.domain.model import Exclusivity

    r = simulate()
    sc = r._scenario
    assert sc is not None
    assert r.summary.inference is not None
    api = next(c for c in r.summary.inference.classes if c.workload_class == "api-inference")
    assert api.by_year is not None
    clauses = [
        cl
        for _, cl in sc.clauses()  # type: ignore[attr-defined]
        if isinstance(cl, Exclusivity) and "api-inference" in cl.workload_classes
    ]
    assert {cl.id for cl in clauses} == {"azure-exclusivity", "api-exclusivity"}
    for y in api.by_year:
        day = datetime.fromisoformat(y.start).date()
        binding = [cl for cl in clauses if cl.in_force(day)]
        if binding:
            assert y.decided_by == binding[0].id, y
            assert y.provider in (binding[0].provider, None), y
        else:
            assert y.decided_by not in {cl.id for cl in clauses}, y
    assert [(y.start[:4], y.decided_by) for y in api.by_year][:4] == [
        ("2023", "azure-exclusivity"),
        ("2024", "azure-exclusivity"),
        ("2025", "azure-exclusivity"),
        ("2026", "api-exclusivity"),
    ]
    assert {y.provider for y in api.by_year[:4]} == {"azure"}
    assert len(api.by_year) == 8  # 2023..2030
    assert all(y.decided_by == "objective:cost" for y in api.by_year[4:])


def test_forecast_on_a_fleet_for_experiments_is_refused() -> None:
    with pytest.raises(InputError, match="on its own fleet"):
        simulate("stargate-2025", ["forecast"], "pool:512")
