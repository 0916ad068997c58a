"""Broker benchmarks: decisions per second and latency from 10 to 10,000 pools; a whole
``stargate place`` process on 100,000 requests (wall time and peak memory).

Not part of the default test run (``testpaths = tests``). Run with
``python3 tasks.py bench -k broker`` (or ``.venv/bin/pytest benchmarks -s``); the figures go in
docs/benchmarks.md with the command and the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from stargate.broker.bench import request_file_items, run_bench

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


def _place_batch(tmp_path: Path, n: int, fmt: str) -> dict[str, float]:
    """Write ``n`` seeded requests and time a whole ``stargate place FILE --json`` process:
    wall time and peak RSS of the child (resource.getrusage of the children)."""
    items = request_file_items(n, seed=0)
    f = tmp_path / f"requests-{n}.{fmt}"
    if fmt == "json":
        f.write_text(json.dumps({"requests": items}))
    else:
        f.write_text(yaml.safe_dump({"requests": items}, sort_keys=False))
    exe = Path(sys.executable).with_name("stargate")
    out = tmp_path / "decisions.json"
    t0 = time.perf_counter()
    with out.open("w") as sink:
        child = subprocess.Popen([str(exe), "place", str(f), "--json"], stdout=sink)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS and CPU time
    wall_s = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0
    decisions = json.loads(out.read_text())
    assert len(decisions) == n
    assert all({"pool", "cost_usd", "decided_by", "reason_code"} <= d.keys() for d in decisions)
    peak_mb = usage.ru_maxrss / 1024
    return {
        "requests": n,
        "format": fmt,
        "file_mb": round(f.stat().st_size / 1e6, 1),
        "wall_s": round(wall_s, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(peak_mb),
        "placed": sum(d["placed"] for d in decisions),
    }


@pytest.mark.benchmark
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_place_100k_requests(tmp_path: Path, fmt: str) -> None:
    """Issue #8: 100,000 requests decided in ≤ 30 s and ≤ 2 GB peak RSS, each with its summary
    (chosen pool, cost, deciding clause, reason code)."""
    result = _place_batch(tmp_path, 100_000, fmt)
    print(json.dumps(result))
    if os.environ.get("STARGATE_BENCH_ASSERT") and fmt == "json":
        assert result["wall_s"] <= 30
        assert result["peak_rss_mb"] <= 2048
