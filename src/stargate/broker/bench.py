"""A synthetic fleet at the announcement's scale, and the broker benchmark run on it.

`synthetic_fleet(pools, accelerators)` spreads accelerators over pools at 100+ sites of four
providers (two clouds, one of them the ROFR holder, a third cloud, and a joint-venture campus
operator) with the clauses of the Stargate terms (ROFR, API exclusivity). `run_bench` times
decisions one by one on one core: ``decisions_per_s``, ``p50_ms`` and ``p99_ms`` time the
engine's decision (``Broker.choose``: every pool evaluated, clauses applied, the holder asked,
capacity consumed), which is what the simulator calls; ``explained_*`` time ``Broker.decide``,
which also builds the explained Decision with the ten best candidates ("summary" detail).
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from stargate.broker.engine import Broker
from stargate.broker.request import Request
from stargate.domain.model import Scenario
from stargate.errors import InternalError
from stargate.scenario.integrity import check_integrity

TYPES = {  # id: (tflops, memory, tdp, price, training throughput, inference throughput)
    "a100": (312, 80, 400, 15000, 0.3, 0.35),
    "h100": (989, 80, 700, 27500, 1.0, 1.0),
    "h200": (989, 141, 700, 35000, 1.1, 1.5),
    "b200": (2250, 180, 1000, 35000, 2.2, 2.5),
    "gb200": (2500, 186, 1200, 43000, 2.5, 3.0),
    "mi300x": (1307, 192, 750, 17500, 0.9, 1.3),
}
CLOUD_PRICE = {"a100": 4.1, "h100": 12.29, "h200": 10.0, "b200": 14.0, "gb200": 16.0, "mi300x": 6.0}
CLASSES = [
    ("training", "training"),
    ("research", "training"),
    ("chat", "inference"),
    ("api", "inference"),
]
PROVIDERS = [
    ("azure", "cloud", "msft"),
    ("oci", "cloud", "orcl"),
    ("aws", "cloud", "amzn"),
    ("campus", "joint_venture", "jv"),
]


def synthetic_fleet(pools: int, accelerators: int, seed: int = 0) -> Scenario:
    """A valid scenario with ``pools`` pools holding ``accelerators`` in all."""
    rng = random.Random(seed)
    n_sites = max(1, min(pools, max(100, pools // 10)))
    per_pool = max(1, accelerators // pools)
    extra = max(0, accelerators - per_pool * pools)
    sites: list[dict[str, Any]] = []
    for s in range(n_sites):
        prov = PROVIDERS[s % len(PROVIDERS)]
        site: dict[str, Any] = {
            "id": f"site-{s}",
            "name": f"Site {s}",
            "provider": prov[0],
            "pue": 1.2,
            "pools": [],
        }
        if prov[1] != "cloud":
            site.update(
                energy_price_usd_per_mwh=50 + s % 30,
                costs={"facility_capex_usd_per_mw": 9_300_000 + 10_000 * (s % 50)},
            )
        sites.append(site)
    for p in range(pools):
        acc = rng.choice(list(TYPES))
        count = per_pool + (1 if p < extra else 0)
        online = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 900))
        sites[p % n_sites]["pools"].append(
            {"id": f"pool-{p}", "accelerator": acc, "count": count, "available_from": online}
        )
    data = {
        "version": 2,
        "id": "bench",
        "name": "Synthetic benchmark fleet",
        "as_of": date(2026, 1, 1),
        "horizon": {"start": date(2024, 1, 1), "end": date(2030, 12, 31)},
        "settings": {"reference_accelerator": "h100"},
        "parties": [{"id": o, "name": o, "roles": ["cloud_provider"]} for _, _, o in PROVIDERS]
        + [{"id": "lab", "name": "Lab", "roles": ["operator"]}],
        "accelerators": [
            {
                "id": a,
                "name": a,
                "vendor": "x",
                "bf16_dense_tflops": t[0],
                "memory_gb": t[1],
                "tdp_w": t[2],
                "unit_price_usd": t[3],
                "available_from": date(2020, 1, 1),
                "throughput": {"training": t[4], "research": t[4], "chat": t[5], "api": t[5]},
            }
            for a, t in TYPES.items()
        ],
        "providers": [
            {
                "id": pid,
                "name": pid,
                "kind": kind,
                "owner": owner,
                "prices": [
                    {
                        "accelerator": a,
                        "on_demand_usd_per_accelerator_hour": round(
                            CLOUD_PRICE[a] * (1 + 0.1 * i), 2
                        ),
                    }
                    for a in TYPES
                ]
                if kind == "cloud"
                else [],
            }
            for i, (pid, kind, owner) in enumerate(PROVIDERS)
        ],
        "sites": sites,
        "contracts": [
            {
                "id": "terms",
                "name": "Terms",
                "parties": ["msft", "lab"],
                "signed": date(2025, 1, 1),
                "clauses": [
                    {
                        "id": "rofr",
                        "kind": "right_of_first_refusal",
                        "holder": "msft",
                        "beneficiary": "lab",
                        "workload_classes": ["training", "research", "chat"],
                        "response_window_h": 72,
                        "price_cap_usd_per_accelerator_hour": 14,
                        "effective": {"start": date(2025, 1, 1), "end": date(2030, 12, 31)},
                    },
                    {
                        "id": "api-excl",
                        "kind": "exclusivity",
                        "party": "lab",
                        "workload_classes": ["api"],
                        "provider": "azure",
                        "effective": {"start": date(2025, 1, 1)},
                    },
                ],
            }
        ],
        "workload_classes": [{"id": c, "name": c, "kind": k} for c, k in CLASSES],
    }
    scenario = Scenario.model_validate(data)
    problems = check_integrity(scenario)
    if problems:
        raise InternalError("synthetic fleet is invalid: " + problems[0].render())
    return scenario


def synthetic_requests(n: int, seed: int = 0) -> list[Request]:
    rng = random.Random(seed + 1)
    out = []
    start = datetime(2026, 1, 1)
    for i in range(n):
        cls, kind = rng.choices(CLASSES, weights=[3, 3, 3, 1])[0]
        types: Any = "any" if rng.random() < 0.6 else rng.sample(list(TYPES), 2)
        count = rng.choice([8, 16, 64, 256, 1024])
        data: dict[str, Any] = {
            "id": f"r{i}",
            "requester": "lab",
            "class": cls,
            "kind": kind,
            "accelerators": {"count": count, "types": types},
        }
        if kind == "training":
            data["duration_h"] = rng.choice([1, 6, 24, 168, 720])
            if rng.random() < 0.3:
                data["deadline"] = start + timedelta(days=rng.choice([2, 10, 60]))
        else:
            data["period"] = {
                "start": start,
                "end": start + timedelta(hours=rng.choice([1, 24, 720])),
            }
        if rng.random() < 0.2:
            data["max_price_usd_per_accelerator_hour"] = rng.choice([3, 8, 15])
        out.append(Request.model_validate(data))
    return out


def run_bench(
    pools: int = 1000,
    accelerators: int = 1_000_000,
    decisions: int = 20_000,
    seed: int = 0,
    detail: str = "summary",
) -> dict[str, Any]:
    """Time ``decisions`` decisions one by one; returns the ``--json`` fields."""
    scenario = synthetic_fleet(pools, accelerators, seed)
    requests = synthetic_requests(min(decisions, 5000), seed)
    broker = Broker(scenario, detail=detail)
    at = datetime(2026, 1, 1)
    full = broker.free.copy()
    for r in requests[:200]:  # warm the caches (type masks, clause sets)
        broker.choose(r, at, commit=False)
    lat = np.empty(decisions, dtype=np.float64)
    clock = time.perf_counter
    t_all = clock()
    for k in range(decisions):
        if k % 1000 == 0:
            broker.free[:] = full  # refill so capacity never runs out in long runs
        t0 = clock()
        broker.choose(requests[k % len(requests)], at)
        lat[k] = clock() - t0
    wall = clock() - t_all
    # the same decisions with their explanation built (ranked candidates, reasons, text)
    n_explained = min(decisions, 2000)
    lat_x = np.empty(n_explained, dtype=np.float64)
    broker.free[:] = full
    for k in range(n_explained):
        t0 = clock()
        broker.decide(requests[k % len(requests)], at)
        lat_x[k] = clock() - t0
    return {
        "pools": pools,
        "accelerators": int(full.sum()),
        "sites": len(scenario.sites),
        "providers": len(scenario.providers),
        "decisions": decisions,
        "decisions_per_s": round(decisions / wall, 1),
        "p50_ms": round(float(np.percentile(lat, 50)) * 1000, 4),
        "p99_ms": round(float(np.percentile(lat, 99)) * 1000, 4),
        "explained_p50_ms": round(float(np.percentile(lat_x, 50)) * 1000, 4),
        "explained_p99_ms": round(float(np.percentile(lat_x, 99)) * 1000, 4),
        "detail": detail,
    }


def request_file_items(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` seeded requests for the embedded ``stargate-2025`` scenario, as file data: a mix
    of training (some with deadlines, type constraints or price caps) and inference periods,
    for the large-batch benchmark of ``stargate place`` (benchmarks/test_broker_bench.py)."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    day0 = date(2026, 1, 1)
    for i in range(n):
        start = day0 + timedelta(days=rng.randrange(0, 700))
        kind = rng.random()
        item: dict[str, Any] = {"id": f"req-{i}", "requester": "openai"}
        if kind < 0.6:
            item |= {
                "class": rng.choice(["frontier-training", "research-training"]),
                "kind": "training",
                "accelerators": {
                    "count": rng.choice([8, 64, 512, 2048]),
                    "types": rng.choice(["any", ["h100"], ["gb200", "h100"]]),
                },
                "duration_h": rng.choice([2, 24, 100, 500]),
                "earliest_start": f"{start.isoformat()}T00:00:00Z",
            }
            if rng.random() < 0.3:
                item["deadline"] = f"{(start + timedelta(days=60)).isoformat()}T00:00:00Z"
            if rng.random() < 0.2:
                item["max_price_usd_per_accelerator_hour"] = rng.choice([5, 10, 20])
        else:
            end = start + timedelta(days=rng.choice([1, 7, 30]))
            item |= {
                "class": "api-inference",
                "kind": "inference",
                "accelerators": {"count": rng.choice([16, 128, 1024])},
                "period": {"start": f"{start.isoformat()}T00:00:00Z", "end": f"{end}T00:00:00Z"},
            }
        items.append(item)
    return items
