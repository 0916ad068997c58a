"""Trace loading and packing times on the real traces (../shared/data/traces).

Not part of the default test run. Run with ``python3 tasks.py bench -k trace`` (or
``.venv/bin/pytest benchmarks -s -k trace``); the figures go in docs/traces.md with the command
and the machine. Targets: the Alibaba pod list loads in well under 0.2 s (a whole
``stargate simulate`` of 20,000 jobs must stay within 1 s, start-up included).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TRACES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "traces"


def best_of(fn: Callable[[], Any], n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


@pytest.mark.benchmark
def test_trace_load_times() -> None:
    if not TRACES.is_dir():
        pytest.skip("../shared/data/traces is not present")
    from stargate.sim.packing import pack
    from stargate.sim.traces import load_fleet, load_workload

    fleet = load_fleet("alibaba-gpu-2023")
    pods = TRACES / "alibaba-gpu-2023" / "openb_pod_list_multigpu20.csv"
    result = {
        "alibaba_pods_s": best_of(lambda: load_workload("alibaba-gpu-2023")),
        "azure_llm_s": best_of(lambda: load_workload("azure-llm-2023")),
        "philly_jobs_s": best_of(lambda: load_workload("philly-2017")),
        "alibaba_nodes_s": best_of(lambda: load_fleet("alibaba-gpu-2023")),
        "spot_nodes_s": best_of(lambda: load_fleet("alibaba-spot-gpu-2026")),
        "pack_multigpu20_s": best_of(lambda: pack(pods, fleet), 3),
    }
    print(json.dumps({k: round(v, 4) for k, v in result.items()}))
    if os.environ.get("STARGATE_BENCH_ASSERT"):
        assert result["alibaba_pods_s"] < 0.2
        assert result["azure_llm_s"] < 0.2
