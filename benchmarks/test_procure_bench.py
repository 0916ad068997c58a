"""Procurement benchmark: a six-year monthly procurement replay (2025–2030, 72 periods) on a
synthetic fleet of 10, 100 and 1,000 pools (``stargate.sim.bench``). Target (issue #10): ≤ 5 s
at 1,000 pools, on one core.

Not part of the default test run (``testpaths = tests``). Run with
``python3 tasks.py bench -k procure`` (or ``taskset -c 0 .venv/bin/pytest benchmarks -k procure
-s``); the figures go in docs/benchmarks.md with the command and the machine.
"""

from __future__ import annotations

import json
import os

import pytest

from stargate.sim.bench import run_procurement_bench

POOLS = [10, 100, 1000]


@pytest.mark.benchmark
@pytest.mark.parametrize("pools", POOLS)
def test_procurement_replay(pools: int) -> None:
    result = run_procurement_bench(pools)
    print(json.dumps(result))
    assert result["pools"] == pools
    assert result["periods"] == 72
    assert result["requests"] > 0
    if pools == 1000 and os.environ.get("STARGATE_BENCH_ASSERT"):
        assert result["replay_s"] <= 5.0
