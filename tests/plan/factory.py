"""Small planning scenarios built from a few numbers (2-3 sites, 2 types, 2-3 periods)."""

from __future__ import annotations

from typing import Any

from stargate.domain.model import Scenario


def small(
    *,
    years: tuple[int, ...] = (2025, 2026),
    demand_h: tuple[float, ...] = (12e6, 20e6),
    budget_usd: float | None = None,
    budget_by: str = "2025-12-31",
    rofr: bool = False,
    exclusive: bool = False,
    third_site: bool = False,
    b_from: str = "2025-01-01",
    a_from: str = "2025-01-01",
    cloud_pools: int | None = None,
    cloud_price: float = 6.0,
    status: str = "planned",
) -> Scenario:
    """Two owned sites (s1: 2 MW from 2025, s2: 3 MW from 2026), types a and b, one cloud
    ('cloud', owned by 'cloudco'), one training class 'train' with ``demand_h``
    reference-accelerator-hours per year. The sites' phases have ``status`` (planned: the
    plan decides whether to build them)."""
    accelerators = [
        {"id": "a", "name": "A", "vendor": "V", "bf16_dense_tflops": 1, "memory_gb": 1,
         "tdp_w": 1000, "unit_price_usd": 20000, "available_from": a_from,
         "throughput": {"train": 1.0}},
        {"id": "b", "name": "B", "vendor": "V", "bf16_dense_tflops": 1, "memory_gb": 1,
         "tdp_w": 1500, "unit_price_usd": 50000, "available_from": b_from,
         "throughput": {"train": 2.0}},
    ]  # fmt: skip
    costs = {
        "facility_capex_usd_per_mw": 10_000_000,
        "facility_life_years": 10,
        "accelerator_life_years": 4,
        "opex_usd_per_mw_year": 100_000,
    }

    def site(sid: str, mw: float, online: str, price: float) -> dict[str, Any]:
        return {
            "id": sid, "name": sid, "provider": "own", "pue": 1.0,
            "energy_price_usd_per_mwh": price,
            "phases": [{"id": f"{sid}-1", "power_mw": mw, "online": online, "status": status}],
            "costs": costs,
        }  # fmt: skip

    sites = [site("s1", 2, "2025-01-01", 50), site("s2", 3, "2026-01-01", 40)]
    if third_site:
        sites.append(site("s3", 2, "2025-01-01", 60))
    cloud_site: dict[str, Any] = {"id": "cloud-east", "name": "Cloud East", "provider": "cloud"}
    if cloud_pools is not None:
        cloud_site["pools"] = [
            {"id": "ca", "accelerator": "a", "count": cloud_pools, "available_from": "2020-01-01"}
        ]
    sites.append(cloud_site)
    clauses: list[dict[str, Any]] = []
    if rofr:
        clauses.append(
            {"id": "rofr", "kind": "right_of_first_refusal", "holder": "cloudco",
             "beneficiary": "lab", "workload_classes": ["train"], "response_window_h": 24,
             "price_cap_usd_per_accelerator_hour": 20, "effective": {"start": "2020-01-01"}}
        )  # fmt: skip
    if exclusive:
        clauses.append(
            {"id": "excl", "kind": "exclusivity", "party": "lab", "workload_classes": ["train"],
             "provider": "cloud", "effective": {"start": "2020-01-01"}}
        )  # fmt: skip
    data: dict[str, Any] = {
        "version": 2, "id": "small", "name": "Small", "as_of": "2025-01-01",
        "horizon": {"start": "2025-01-01", "end": "2030-12-31"},
        "settings": {"reference_accelerator": "a", "server_overhead": 1.0,
                     "discount_rate": 0.1},
        "parties": [
            {"id": "lab", "name": "Lab", "roles": ["operator"]},
            {"id": "cloudco", "name": "CloudCo", "roles": ["cloud_provider"]},
        ],
        "accelerators": accelerators,
        "providers": [
            {"id": "cloud", "name": "Cloud", "kind": "cloud", "owner": "cloudco",
             "prices": [{"accelerator": "a", "on_demand_usd_per_accelerator_hour": cloud_price,
                         "reserved_usd_per_accelerator_hour": cloud_price * 0.8}]},
            {"id": "own", "name": "Own", "kind": "owned", "owner": "lab"},
        ],
        "sites": sites,
        "contracts": [
            {"id": "deal", "name": "Deal", "parties": ["lab", "cloudco"],
             "signed": "2020-01-01", "clauses": clauses}
        ] if clauses else [],
        "workload_classes": [{"id": "train", "name": "Train", "kind": "training"}],
        "workload_sources": [
            {"id": "fc", "kind": "forecast",
             "forecast": [{"year": y, "workload_class": "train", "accelerator_hours": h}
                          for y, h in zip(years, demand_h, strict=True)]}
        ],
    }  # fmt: skip
    if budget_usd is not None:
        data["budget"] = {"milestones": [{"id": "first", "by": budget_by, "capex_usd": budget_usd}]}
    return Scenario.model_validate(data)
