"""Small procurement scenarios built from a few numbers: one lab, two clouds, a campus of its
own, a forecast per year, and optional starting reservations, dated capacity requests, an
exclusivity and a right of first refusal."""

from __future__ import annotations

from typing import Any

from stargate.domain.model import Scenario

#: Hours in 2025, 2026 and 2027 (none is a leap year): a forecast of N × HOURS reference
#: accelerator-hours is a demand of N reference accelerators all year.
HOURS = 8760


def world(
    *,
    train: dict[int, float] | None = None,
    serve: dict[int, float] | None = None,
    cloud_model: list[dict[str, Any]] | None = None,
    cloud_pool: int = 0,
    other_pool: int = 0,
    own_pools: list[dict[str, Any]] | None = None,
    reservations: list[dict[str, Any]] | None = None,
    requests: list[dict[str, Any]] | None = None,
    clauses: list[dict[str, Any]] | None = None,
    horizon: tuple[str, str] = ("2025-01-01", "2027-12-31"),
    forecast: bool = True,
) -> Scenario:
    """A scenario of lab 'lab':

    * types ``a`` (throughput 1 for both classes: the reference) and ``b`` (2 for both), so
      reference accelerators count alike whatever the class;
    * classes ``train`` (training) and ``serve`` (inference, 1,000 tokens/s per reference
      accelerator);
    * ``cloud`` (owner cloudco): ``a`` at $3 reserved, ``b`` at $5 reserved ($2.50 per unit
      of work, the cheapest), a capacity model ``cloud_model`` (rows without ``source`` get
      one) or, without it, its pool of ``cloud_pool`` ``a`` on cloud-east;
    * ``other`` (owner otherco): ``a`` at $4 reserved, ``other_pool`` of them on other-west;
    * ``own`` (owned by the lab): campus ``own-campus`` with ``own_pools``, priced at cost;
    * a forecast of ``train`` (reference accelerators per year: N means N × 8,760
      reference-accelerator-hours) and ``serve`` (reference accelerators: N × 1,000
      tokens/s)."""
    train = {2025: 100.0, 2026: 100.0, 2027: 100.0} if train is None else train
    serve = {} if serve is None else serve
    acc = {"vendor": "V", "bf16_dense_tflops": 1, "memory_gb": 1, "available_from": "2020-01-01"}
    model = [{"source": "assumption: a test", **row} for row in (cloud_model or [])]
    sites: list[dict[str, Any]] = [
        {"id": "cloud-east", "name": "Cloud East", "provider": "cloud", "pue": 1.0,
         "pools": [{"id": "ca", "accelerator": "a", "count": cloud_pool,
                    "available_from": "2020-01-01"}] if cloud_pool else []},
        {"id": "other-west", "name": "Other West", "provider": "other", "pue": 1.0,
         "pools": [{"id": "oa", "accelerator": "a", "count": other_pool,
                    "available_from": "2020-01-01"}] if other_pool else []},
        {"id": "own-campus", "name": "Own campus", "provider": "own", "pue": 1.0,
         "energy_price_usd_per_mwh": 50,
         "costs": {"facility_capex_usd_per_mw": 10_000_000, "facility_life_years": 10,
                   "accelerator_life_years": 4, "opex_usd_per_mw_year": 100_000},
         "pools": own_pools or []},
    ]  # fmt: skip
    rows = [
        {"year": y, "workload_class": "train", "accelerator_hours": n * HOURS}
        for y, n in sorted(train.items())
    ] + [
        {"year": y, "workload_class": "serve", "tokens_per_s": n * 1000.0}
        for y, n in sorted(serve.items())
    ]
    data: dict[str, Any] = {
        "version": 2, "id": "world", "name": "World", "as_of": horizon[0],
        "horizon": {"start": horizon[0], "end": horizon[1]},
        "settings": {"reference_accelerator": "a", "reference_class": "train",
                     "server_overhead": 1.0, "reference_tokens_per_s": 1000},
        "parties": [
            {"id": "lab", "name": "Lab", "roles": ["operator", "ai_lab"]},
            {"id": "cloudco", "name": "CloudCo", "roles": ["cloud_provider"]},
            {"id": "otherco", "name": "OtherCo", "roles": ["cloud_provider"]},
        ],
        "accelerators": [
            {"id": "a", "name": "A", "tdp_w": 1000, "unit_price_usd": 20000,
             "throughput": {"train": 1.0, "serve": 1.0}, **acc},
            {"id": "b", "name": "B", "tdp_w": 1500, "unit_price_usd": 40000,
             "throughput": {"train": 2.0, "serve": 2.0}, **acc},
        ],
        "providers": [
            {"id": "cloud", "name": "Cloud", "kind": "cloud", "owner": "cloudco",
             "capacity_model": model,
             "prices": [
                 {"accelerator": "a", "on_demand_usd_per_accelerator_hour": 5,
                  "reserved_usd_per_accelerator_hour": 3},
                 {"accelerator": "b", "on_demand_usd_per_accelerator_hour": 8,
                  "reserved_usd_per_accelerator_hour": 5},
             ]},
            {"id": "other", "name": "Other", "kind": "cloud", "owner": "otherco",
             "prices": [{"accelerator": "a", "on_demand_usd_per_accelerator_hour": 6,
                         "reserved_usd_per_accelerator_hour": 4}]},
            {"id": "own", "name": "Own", "kind": "owned", "owner": "lab"},
        ],
        "sites": sites,
        "contracts": [
            {"id": "deal", "name": "Deal", "parties": ["lab", "cloudco"],
             "signed": "2020-01-01", "clauses": clauses}
        ] if clauses else [],
        "reservations": reservations or [],
        "capacity_requests": requests or [],
        "workload_classes": [
            {"id": "train", "name": "Train", "kind": "training"},
            {"id": "serve", "name": "Serve", "kind": "inference"},
        ],
        "workload_sources": [{"id": "fc", "kind": "forecast", "forecast": rows}]
        if forecast and rows else [],
    }  # fmt: skip
    return Scenario.model_validate(data)


def rofr(window_h: float = 72, **extra: Any) -> dict[str, Any]:
    """CloudCo's right of first refusal on the lab's ``train`` capacity."""
    return {
        "id": "cloud-rofr", "kind": "right_of_first_refusal", "holder": "cloudco",
        "beneficiary": "lab", "holder_providers": ["cloud"], "workload_classes": ["train"],
        "response_window_h": window_h, "effective": {"start": "2020-01-01"}, **extra,
    }  # fmt: skip


def exclusive_serve() -> dict[str, Any]:
    """The lab's ``serve`` runs only on ``other``."""
    return {
        "id": "serve-on-other", "kind": "exclusivity", "party": "lab",
        "workload_classes": ["serve"], "provider": "other", "effective": {"start": "2020-01-01"},
    }  # fmt: skip
