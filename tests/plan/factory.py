"""Small planning scenarios built from a few numbers (2-3 sites, 2 types, 2-3 periods)."""

from __future__ import annotations

from typing import Any

from stargate.domain.model import Scenario

#: The factory's types: MW per thousand (TDP x overhead 1 x PUE 1), throughput, $ each.
MW_PER_K = {"a": 1.0, "b": 1.5}
THROUGHPUT = {"a": 1.0, "b": 2.0}
UNIT_PRICE = {"a": 20_000.0, "b": 50_000.0}
#: The owned sites: (MW, default online date, energy $/MWh).
SITES = {
    "s1": (2.0, "2025-01-01", 50.0),
    "s2": (3.0, "2026-01-01", 40.0),
    "s3": (2.0, "2025-01-01", 60.0),
}


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
    phases: dict[str, tuple[str, str]] | None = None,
    owned_pools: dict[str, list[dict[str, Any]]] | None = None,
    reservations: list[dict[str, Any]] | None = None,
    capacity_model: list[dict[str, Any]] | None = None,
    capacity_requests: list[dict[str, Any]] | None = None,
    contract_price: float | None = None,
    cloud_b_price: float | None = None,
    rofr_cap: float | None = 20.0,
    rofr_cap_ref: float | None = None,
    second_cloud_price: float | None = None,
) -> Scenario:
    """Two owned sites (s1: 2 MW from 2025, s2: 3 MW from 2026), types a and b, one cloud
    ('cloud', owned by 'cloudco'), one training class 'train' with ``demand_h``
    reference-accelerator-hours per year.

    The sites' phases have ``status`` (planned: the plan decides whether to build them);
    ``phases`` overrides a site's (online, status). ``owned_pools`` lists pools by site;
    ``reservations``, ``capacity_model`` (the cloud's) and ``capacity_requests`` go into the
    scenario as given; ``contract_price`` is the lab's contract price for type a at the
    cloud; ``cloud_b_price`` offers type b at the cloud too (on demand; reserved at 80%);
    ``second_cloud_price`` adds a cloud 'other' (owned by 'otherco', unlimited type a at that
    reserved price)."""
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

    def site(sid: str) -> dict[str, Any]:
        mw, online, price = SITES[sid]
        on, st = (phases or {}).get(sid, (online, status))
        out: dict[str, Any] = {
            "id": sid, "name": sid, "provider": "own", "pue": 1.0,
            "energy_price_usd_per_mwh": price,
            "phases": [{"id": f"{sid}-1", "power_mw": mw, "online": on, "status": st}],
            "costs": costs,
        }  # fmt: skip
        if owned_pools and sid in owned_pools:
            out["pools"] = owned_pools[sid]
        return out

    sites = [site("s1"), site("s2")]
    if third_site:
        sites.append(site("s3"))
    cloud_site: dict[str, Any] = {"id": "cloud-east", "name": "Cloud East", "provider": "cloud"}
    if cloud_pools is not None:
        cloud_site["pools"] = [
            {"id": "ca", "accelerator": "a", "count": cloud_pools, "available_from": "2020-01-01"}
        ]
    sites.append(cloud_site)
    clauses: list[dict[str, Any]] = []
    if rofr:
        clause: dict[str, Any] = {
            "id": "rofr", "kind": "right_of_first_refusal", "holder": "cloudco",
            "beneficiary": "lab", "workload_classes": ["train"], "response_window_h": 24,
            "effective": {"start": "2020-01-01"},
        }  # fmt: skip
        if rofr_cap is not None:
            clause["price_cap_usd_per_accelerator_hour"] = rofr_cap
        if rofr_cap_ref is not None:
            clause["price_cap_usd_per_reference_hour"] = rofr_cap_ref
        clauses.append(clause)
    if exclusive:
        clauses.append(
            {"id": "excl", "kind": "exclusivity", "party": "lab", "workload_classes": ["train"],
             "provider": "cloud", "effective": {"start": "2020-01-01"}}
        )  # fmt: skip
    price_a: dict[str, Any] = {
        "accelerator": "a", "on_demand_usd_per_accelerator_hour": cloud_price,
        "reserved_usd_per_accelerator_hour": cloud_price * 0.8,
    }  # fmt: skip
    if contract_price is not None:
        price_a["contract_prices"] = [
            {"party": "lab", "usd_per_accelerator_hour": contract_price, "source": "test"}
        ]
    prices = [price_a]
    if cloud_b_price is not None:
        prices.append(
            {"accelerator": "b", "on_demand_usd_per_accelerator_hour": cloud_b_price,
             "reserved_usd_per_accelerator_hour": cloud_b_price * 0.8}
        )  # fmt: skip
    cloud: dict[str, Any] = {"id": "cloud", "name": "Cloud", "kind": "cloud", "owner": "cloudco",
                             "prices": prices}  # fmt: skip
    if capacity_model is not None:
        cloud["capacity_model"] = capacity_model
    providers = [cloud, {"id": "own", "name": "Own", "kind": "owned", "owner": "lab"}]
    parties = [
        {"id": "lab", "name": "Lab", "roles": ["operator"]},
        {"id": "cloudco", "name": "CloudCo", "roles": ["cloud_provider"]},
    ]
    if second_cloud_price is not None:
        parties.append({"id": "otherco", "name": "OtherCo", "roles": ["cloud_provider"]})
        providers.append(
            {"id": "other", "name": "Other", "kind": "cloud", "owner": "otherco",
             "prices": [{"accelerator": "a",
                         "on_demand_usd_per_accelerator_hour": second_cloud_price / 0.8,
                         "reserved_usd_per_accelerator_hour": second_cloud_price}]}
        )  # fmt: skip
        sites.append({"id": "other-west", "name": "Other West", "provider": "other"})
    data: dict[str, Any] = {
        "version": 2, "id": "small", "name": "Small", "as_of": "2025-01-01",
        "horizon": {"start": "2025-01-01", "end": "2030-12-31"},
        "settings": {"reference_accelerator": "a", "server_overhead": 1.0,
                     "discount_rate": 0.1},
        "parties": parties,
        "accelerators": accelerators,
        "providers": providers,
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
    if reservations:
        data["reservations"] = reservations
    if capacity_requests:
        data["capacity_requests"] = capacity_requests
    if budget_usd is not None:
        data["budget"] = {"milestones": [{"id": "first", "by": budget_by, "capex_usd": budget_usd}]}
    return Scenario.model_validate(data)
