"""The procurement benchmark: a six-year monthly procurement replay on a fleet of N pools.

`procurement_scenario(pools)` is the broker benchmark's synthetic fleet
(:func:`stargate.broker.bench.synthetic_fleet`: 100+ sites of three clouds and a campus
operator, the ROFR and the API's exclusivity) made into a lab's world: the campus is the lab's
own, the ROFR holder's cloud has a capacity model per type, the lab holds two starting
reservations and signs a dated capacity request, and a forecast of its four classes grows
every year 2025–2030. `run_procurement_bench` times :func:`stargate.sim.procure.replay` over
2025-01-01..2030-12-31, month by month (docs/benchmarks.md).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from stargate.domain.model import (
    CapacityRow,
    DatedCapacityRequest,
    ForecastRow,
    Reservation,
    Scenario,
    WorkloadSource,
)

FIRST, LAST = date(2025, 1, 1), date(2030, 12, 31)


def procurement_scenario(pools: int, accelerators: int = 1_000_000, seed: int = 0) -> Scenario:
    """The synthetic fleet of ``pools`` pools as a lab's world to procure in (see the module
    docstring); every figure is made up for the benchmark."""
    from stargate.broker.bench import synthetic_fleet

    sc = synthetic_fleet(pools, accelerators, seed)
    note = "assumption: made up for the benchmark"
    providers = []
    for p in sc.providers:
        if p.id == "campus":
            providers.append(p.model_copy(update={"operator": "lab"}))
        elif p.id == "azure":
            model = [
                CapacityRow(
                    accelerator=a.id,
                    start=FIRST,
                    accelerators=max(1, accelerators // 50),
                    per="quarter",
                    source=note,
                )
                for a in sc.accelerators
            ]
            providers.append(p.model_copy(update={"capacity_model": model}))
        else:
            providers.append(p)
    scale = accelerators / 1_000_000
    forecast = []
    for k, year in enumerate(range(FIRST.year, LAST.year + 1)):
        growth = 1.5**k
        for cls, hours, tps in (
            ("training", 2e9, None),
            ("research", 8e8, None),
            ("chat", None, 3e8),
            ("api", None, 1e8),
        ):
            forecast.append(
                ForecastRow(
                    year=year,
                    workload_class=cls,
                    accelerator_hours=None if hours is None else hours * scale * growth,
                    tokens_per_s=None if tps is None else tps * scale * growth,
                    source=note,
                )
            )
    reservations = [
        Reservation.model_validate(
            {"id": f"start-{a}", "holder": "lab", "provider": "azure", "accelerator": a,
             "accelerators": max(1, accelerators // 20),
             "term": {"start": "2024-01-01", "end": end}, "source": note}
        )
        for a, end in (("h100", "2026-12-31"), ("a100", "2025-12-31"))
    ]  # fmt: skip
    request: dict[str, Any] = {
        "id": "campus-deal", "date": "2025-03-01", "requester": "lab",
        "workload_classes": ["training", "research", "chat"],
        "accelerators": {"count": max(1, accelerators // 10), "types": ["gb200"]},
        "term": {"start": "2025-09-01", "end": "2030-12-31"}, "providers": ["oci"],
        "source": note,
    }  # fmt: skip
    return sc.model_copy(
        update={
            "horizon": sc.horizon.model_copy(update={"start": date(2024, 1, 1)}),
            "providers": providers,
            "reservations": reservations,
            "capacity_requests": [DatedCapacityRequest.model_validate(request)],
            "workload_sources": [
                WorkloadSource(id="demand", kind="forecast", forecast=forecast, source=note)
            ],
        }
    )


def run_procurement_bench(pools: int, accelerators: int = 1_000_000) -> dict[str, Any]:
    """Time one monthly replay over 2025–2030 on ``procurement_scenario(pools)``; returns the
    figures docs/benchmarks.md records."""
    from stargate.sim.procure import replay

    sc = procurement_scenario(pools, accelerators)
    t0 = time.perf_counter()
    proc = replay(sc, FIRST, LAST, every="month")
    wall = time.perf_counter() - t0
    return {
        "pools": sum(len(s.pools) for s in sc.sites),
        "periods": len(proc.periods),
        "requests": len(proc.requests),
        "rows": len(proc.rows),
        "held": len(proc.held),
        "unmet_rows": len(proc.unmet),
        "replay_s": round(wall, 3),
    }
