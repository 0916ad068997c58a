"""Planner benchmark: build and solve time, variables and constraints of the plan for 10, 50
and 200 candidate sites x 8 accelerator types x 24 quarters (2025-2030), to a 1% MIP gap.

Each size runs as its own process pinned to one core (``taskset -c 0``) on the synthetic
scenario of :func:`stargate.plan.bench.synthetic_planning_scenario` (seed 0), planned with the
supply cap of :func:`stargate.plan.bench.bench_supply`. Run:
``.venv/bin/python benchmarks/plan_bench.py [--sites 10,50] [--time-limit S]``; results go to
stdout as JSON lines, and into docs/benchmarks.md by hand with the command and the machine.
Without ``--time-limit``, 200 sites run with a 600 s limit (status ``feasible`` with the gap
reached if it is hit); the smaller sizes have none.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = [10, 50, 200]
LIMIT_200 = 600.0


def one(
    sites: int, time_limit_s: float | None, types: int = 8, period: str = "quarter"
) -> dict[str, object]:
    """One plan, in this process (the benchmark's sizes use 8 types and quarters)."""
    from stargate.plan import plan
    from stargate.plan.bench import bench_supply, synthetic_planning_scenario

    t0 = time.perf_counter()
    scenario = synthetic_planning_scenario(sites, types=types, seed=0)
    gen_s = time.perf_counter() - t0
    res = plan(
        scenario,
        horizon=(2025, 2030),
        period=period,
        gap=0.01,
        time_limit_s=time_limit_s,
        supply_per_year=bench_supply(sites, types),
        shadow_prices=False,
    )
    built = res.builds["site"].n_unique() if res.builds.height else 0
    return {
        "sites": sites,
        "types": types,
        "periods": 6 * (4 if period == "quarter" else 1),
        "gen_s": round(gen_s, 3),
        "build_s": round(res.build_s, 2),
        "solve_s": round(res.solve_s, 2),
        "variables": res.variables,
        "constraints": res.constraints,
        "status": str(res.status),
        "mip_gap": None if res.mip_gap is None else round(res.mip_gap, 5),
        "objective_usd": None if res.objective_usd is None else round(res.objective_usd),
        "phases_built": res.builds.height,
        "sites_built": built,
        "time_limit_s": time_limit_s,
    }


def smoke() -> dict[str, object]:
    """The smoke run of the default test run (tests/benchmarks/test_smoke.py): the same code
    path as :func:`one` at one site, planned by year, a second's work."""
    return one(1, None, types=8, period="year")


def run(sites: int, time_limit_s: float | None) -> dict[str, object]:
    """One plan in a fresh process pinned to core 0 (unpinned, and said so, without taskset)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(sites)]
    if time_limit_s is not None:
        cmd += ["--time-limit", str(time_limit_s)]
    pinned = shutil.which("taskset") is not None
    if pinned:
        cmd = ["taskset", "-c", "0", *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    out: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = round(time.perf_counter() - t0, 2)
    out["pinned"] = "taskset -c 0" if pinned else "no (taskset not found)"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", default=",".join(map(str, SIZES)))
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.time_limit)), flush=True)
        return
    for n in (int(s) for s in args.sites.split(",")):
        limit = args.time_limit
        if limit is None and n >= 200:
            limit = LIMIT_200
        print(json.dumps(run(n, limit)), flush=True)


if __name__ == "__main__":
    main()
