"""Every benchmark run once at its smallest size, in the default test run, so a benchmark can
never rot unnoticed (issue #9: ``plan_bench.py`` failed for months before anyone ran it).

No timing is asserted here: speed is measured only by the benchmarks themselves
(docs/benchmarks.md). Each smoke run checks that the benchmark's code path runs and returns
its figures; the sizes are a second's work, not the benchmark's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import (
    plan_bench,
    sim_bench,
    test_broker_bench,
    test_procure_bench,
    test_synthetic_bench,
    test_trace_load_bench,
)


def test_plan_bench_scenario_passes_the_scenario_checks() -> None:
    """The benchmark's scenario at every size is valid: inference demand in tokens/s,
    training demand in accelerator-hours (the forecast-unit check)."""
    from stargate.plan.bench import synthetic_planning_scenario

    sc = synthetic_planning_scenario(10, types=8, seed=0)
    kinds = {c.id: str(c.kind) for c in sc.workload_classes}
    rows = [r for src in sc.workload_sources for r in src.forecast]
    assert rows
    for r in rows:
        if kinds[r.workload_class] == "inference":
            assert r.tokens_per_s is not None
            assert r.accelerator_hours is None
        else:
            assert r.accelerator_hours is not None
            assert r.tokens_per_s is None


def test_plan_bench_one_plan() -> None:
    out = plan_bench.smoke()
    assert out["status"] == "optimal"
    assert isinstance(out["variables"], int)
    assert out["variables"] > 0
    assert isinstance(out["phases_built"], int)
    assert out["phases_built"] > 0


def test_sim_bench_one_process() -> None:
    out = sim_bench.run(
        ["simulate", "--fleet", "pool:100", "--workload", "synthetic?jobs=100&seed=1"]
    )
    assert out["jobs"] == 100
    assert isinstance(out["events"], int)
    assert out["events"] > 0


def test_procure_bench_smallest() -> None:
    from stargate.sim.bench import run_procurement_bench

    out = run_procurement_bench(pools=test_procure_bench.POOLS[0], accelerators=10_000)
    assert out["pools"] == 10
    assert out["periods"] == 72
    assert isinstance(out["requests"], int)
    assert out["requests"] > 0


def test_broker_bench_curve_smallest() -> None:
    from stargate.broker.bench import run_bench

    out = run_bench(pools=test_broker_bench.POOLS[0], accelerators=10_000, decisions=500)
    assert out["decisions"] == 500
    assert out["pools"] == 10
    assert out["accelerators"] == 10_000


def test_broker_bench_place_batch(tmp_path: Path) -> None:
    out = test_broker_bench._place_batch(tmp_path, 20, "json")
    assert out["requests"] == 20


def test_synthetic_bench_smallest() -> None:
    from stargate.sim.synthetic import generate, generate_inference

    assert test_synthetic_bench.best_of(1, generate, jobs=100) >= 0
    assert test_synthetic_bench.best_of(1, generate_inference, minutes=60) >= 0


def test_trace_load_bench_smallest() -> None:
    if not test_trace_load_bench.TRACES.is_dir():
        pytest.skip("../shared/data/traces is not present (the trace benchmark reads it)")
    from stargate.sim.traces import load_fleet

    assert test_trace_load_bench.best_of(lambda: load_fleet("alibaba-gpu-2023"), n=1) >= 0


@pytest.mark.parametrize("sites", plan_bench.SIZES)
def test_plan_bench_inputs_are_accepted_at_every_size(sites: int) -> None:
    """Every size's scenario and supply pass the checks the planner runs before it builds a
    model (the 200-site supply once exceeded the 10,000,000 limit of issue #8)."""
    from stargate.plan.bench import bench_supply, synthetic_planning_scenario
    from stargate.plan.overrides import check_overrides

    sc = synthetic_planning_scenario(sites, types=8, seed=0)
    checked, problems = check_overrides({"supply_per_year": bench_supply(sites)}, sc)
    assert checked is not None, [p.render() for p in problems]


def test_ledger_bench_runs(tmp_path: Path) -> None:
    from benchmarks.ledger_bench import run_ledger_bench

    result = run_ledger_bench(
        f"sqlite:///{tmp_path / 'l.sqlite3'}", entries=300, batch=100, singles=5, proofs=5
    )
    assert result["entries"] == 305
    assert {"appends_batched_per_s", "verify_s", "proof_p99_ms"} <= set(result)


def test_governance_bench_runs() -> None:
    from benchmarks.governance_bench import run_governance_bench

    result = run_governance_bench(checks=20)
    assert result["checks"] == 20
    assert result["batch_requests"] > 0
    assert result["rules_per_policy"] >= 1
