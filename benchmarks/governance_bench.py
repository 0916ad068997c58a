"""Access decisions' cost on the default scenario (docs/benchmarks.md): compiling the policy
for a day, one ``check`` end to end (compile, Cedar, explanation), and Cedar's batch evaluation
of every (party, artifact, action) request under one compiled policy."""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from typing import Any

from stargate.governance import ACTIONS, check, compile_policy, evaluate
from stargate.scenario.loader import load_scenario


def run_governance_bench(checks: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Figures for ``checks`` seeded random checks (party, artifact, day in 2023-2033)."""
    scenario = load_scenario()
    rng = random.Random(seed)
    parties = [p.id for p in scenario.parties]
    artifacts = [a.id for a in scenario.artifacts]
    start = date(2023, 1, 1)
    cases = [
        (rng.choice(parties), rng.choice(artifacts), start + timedelta(days=rng.randrange(3650)))
        for _ in range(checks)
    ]
    check(scenario, *cases[0][:2], day=cases[0][2])  # imports, caches

    t0 = time.perf_counter()
    policies = [compile_policy(scenario, day) for _, _, day in cases]
    compile_s = time.perf_counter() - t0

    lat = []
    allowed = 0
    for party, artifact, day in cases:
        t = time.perf_counter()
        allowed += check(scenario, party, artifact, day=day).allowed
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()

    policy = policies[0]
    requests = [(p, a, act) for p in parties for a in artifacts for act in ACTIONS]
    t0 = time.perf_counter()
    answers = evaluate(policy, scenario, requests)
    batch_s = time.perf_counter() - t0
    return {
        "checks": checks,
        "allowed": allowed,
        "rules_per_policy": round(statistics.mean(len(p.rules) for p in policies), 1),
        "compile_ms_mean": round(compile_s / checks * 1000, 3),
        "check_p50_ms": round(lat[len(lat) // 2], 3),
        "check_p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 3),
        "batch_requests": len(requests),
        "batch_requests_per_s": round(len(answers) / batch_s),
    }
