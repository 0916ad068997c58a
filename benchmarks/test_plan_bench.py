"""Planner benchmark: build and solve time for 10, 50 and 200 candidate sites x 8 accelerator
types x 24 quarters, to a 1% MIP gap.

Not part of the default test run (``testpaths = tests``). Run with
``python3 tasks.py bench -k plan`` (or ``taskset -c 0 .venv/bin/pytest benchmarks -k plan -s``);
``benchmarks/plan_bench.py`` runs each size in its own pinned process. The figures go in
docs/benchmarks.md with the command and the machine.
"""

from __future__ import annotations

import json
import os

import pytest

from stargate.plan import PlanStatus, plan
from stargate.plan.bench import bench_supply, synthetic_planning_scenario

SITES = [10, 50, 200]


@pytest.mark.benchmark
@pytest.mark.parametrize("sites", SITES)
def test_plan_curve(sites: int) -> None:
    scenario = synthetic_planning_scenario(sites, types=8, seed=0)
    res = plan(
        scenario,
        horizon=(2025, 2030),
        period="quarter",
        gap=0.01,
        time_limit_s=600.0 if sites >= 200 else None,
        supply_per_year=bench_supply(sites),
        shadow_prices=False,
    )
    print(
        json.dumps(
            {"sites": sites, "build_s": round(res.build_s, 2), "solve_s": round(res.solve_s, 2),
             "variables": res.variables, "constraints": res.constraints,
             "status": str(res.status), "mip_gap": res.mip_gap,
             "objective_usd": res.objective_usd}
        )
    )  # fmt: skip
    assert res.status in (PlanStatus.optimal, PlanStatus.feasible)
    assert res.builds.height > 0
    if sites <= 50:
        assert res.status == PlanStatus.optimal
        assert res.mip_gap is not None
        assert res.mip_gap <= 0.01 + 1e-9
    if sites == 50 and os.environ.get("STARGATE_BENCH_ASSERT"):
        assert res.solve_s + res.build_s <= 60.0
