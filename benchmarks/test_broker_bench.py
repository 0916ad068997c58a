"""Broker benchmark: decisions per second and latency from 10 to 10,000 pools.

Not part of the default test run (``testpaths = tests``). Run with
``python3 tasks.py bench -k broker`` (or ``.venv/bin/pytest benchmarks -s``); the figures go in
docs/benchmarks.md with the command and the machine.
"""

from __future__ import annotations

import json
import os

import pytest

from stargate.broker.bench import run_bench

POOLS = [10, 100, 1000, 10_000]


@pytest.mark.benchmark
@pytest.mark.parametrize("pools", POOLS)
def test_broker_curve(pools: int) -> None:
    result = run_bench(pools=pools, accelerators=1_000_000, decisions=20_000, seed=0)
    print(json.dumps(result))
    assert result["accelerators"] == 1_000_000
    if pools == 1000 and os.environ.get("STARGATE_BENCH_ASSERT"):
        assert result["p99_ms"] <= 1.0
        assert result["decisions_per_s"] >= 20_000
