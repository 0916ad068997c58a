"""Governance benchmark: access checks on the default scenario (docs/benchmarks.md).

Not part of the default test run. Run with ``.venv/bin/pytest benchmarks -k governance -s``.
No target is set by the issue; the figures are written down for comparison.
"""

from __future__ import annotations

import json
import os

import pytest

from benchmarks.governance_bench import run_governance_bench

CHECKS = int(os.environ.get("STARGATE_BENCH_GOVERNANCE_CHECKS", "2000"))


@pytest.mark.benchmark
def test_governance() -> None:
    result = run_governance_bench(checks=CHECKS)
    print(json.dumps(result))
    assert result["checks"] == CHECKS
    assert 0 < result["allowed"] < CHECKS
