"""A synthetic planning scenario at any number of candidate sites, for the planner benchmark.

``synthetic_planning_scenario(sites, types=8, seed=0)`` builds a valid scenario shaped like
stargate-2025: ``sites`` owned or joint-venture candidate campuses (2-3 ``planned`` phases
each — decisions, not fixed stock — 200-1,500 MW,
online dates spread over 2025-2030, a cost basis and an energy price), up to eight accelerator
types with staggered first-available dates, two or three clouds (one of them owned by the ROFR
holder, with finite pools), a ROFR with a price cap on four of five workload classes and an API
exclusivity clause, two budget milestones and a yearly demand forecast for 2025-2030.

Demand is sized from a feasibility certificate so that every instance has a plan: each year's
owned share is ~55% of what the campuses online by the year's start could hold with H100-class
accelerators, bounded by what the supply cap of :func:`bench_supply` lets the plan install by
then; the API class, exclusive to the holder's cloud, asks for a quarter of that cloud's
capacity. So a good share of the sites has to be built, and budget milestones sit ~10% above
the certificate's capex. The same ``seed`` gives the same scenario.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from stargate.domain.limits import MAX_ACCELERATORS
from stargate.domain.model import Scenario
from stargate.errors import InternalError
from stargate.plan.units import (
    HOURS_PER_YEAR,
    accelerators_from_k,
    hours_in_year,
    k_from_accelerators,
    years_from_days,
)
from stargate.scenario.integrity import check_integrity

YEARS = range(2025, 2031)
#: id: (tflops, memory GB, TDP W, unit price $, available from, training throughput,
#: inference throughput); throughput is per reference (H100) accelerator.
TYPES: dict[str, tuple[float, float, float, float, date, float, float]] = {
    "a100": (312, 80, 400, 15_000, date(2020, 11, 16), 0.3, 0.35),
    "h100": (989, 80, 700, 27_500, date(2022, 9, 20), 1.0, 1.0),
    "mi300x": (1307, 192, 750, 17_500, date(2023, 12, 6), 0.9, 1.3),
    "h200": (989, 141, 700, 35_000, date(2024, 5, 1), 1.1, 1.5),
    "b200": (2250, 180, 1000, 35_000, date(2025, 1, 1), 2.2, 2.5),
    "gb200": (2500, 186, 1200, 43_000, date(2025, 6, 1), 2.5, 3.0),
    "xpu": (1500, 216, 900, 20_000, date(2026, 7, 1), 0.0, 2.0),  # inference only
    "vr200": (5000, 288, 1800, 60_000, date(2027, 7, 1), 5.0, 6.0),
}
CLOUD_PRICE = {  # on-demand $/accelerator-hour; reserved at 60%
    "a100": 4.1, "h100": 12.29, "mi300x": 6.0, "h200": 10.0, "b200": 14.0, "gb200": 16.0,
    "xpu": 9.0, "vr200": 24.0,
}  # fmt: skip
#: id, kind, demand share of the owned certificate (the API class is sized on the holder's cloud)
CLASSES = [
    ("frontier-training", "training", 0.30),
    ("research-training", "training", 0.10),
    ("chatgpt-inference", "inference", 0.12),
    ("batch-inference", "inference", 0.03),
    ("api-inference", "inference", 0.0),
]
CLOUDS = [  # provider, owner, site, price factor
    ("azure", "microsoft", "azure-us", 1.0),
    ("oci", "oracle", "oci-us", 0.9),
    ("aws", "amazon", "aws-us", 1.1),
]
#: The certificate's accelerators: every class runs on them, each is worth >= 1 H100 per kW.
CERT_TYPES = ("h100", "h200", "b200")
CERT_KW = 0.7 * 1.4  # kW of server per H100 (TDP x server overhead), before PUE
#: Accelerators of each type installable per year and candidate site (see :func:`bench_supply`)
SUPPLY_PER_SITE_YEAR = 60_000.0
#: Tokens per second one reference accelerator serves (the scenario's setting).
REFERENCE_TOKENS_PER_S = 2400.0


def bench_supply(sites: int, types: int = 8) -> dict[str, float]:
    """The ``supply_per_year`` to plan the synthetic scenario with: 60,000 accelerators per
    type, year and candidate site, at most :data:`~stargate.domain.limits.MAX_ACCELERATORS`
    (10,000,000, the most Stargate represents; reached from 167 sites). The planner's default
    (1,000,000 per type and year) would bind long before 50 campuses of 200-1,500 MW are
    full, and leave most sites unbuilt."""
    return dict.fromkeys(list(TYPES)[:types], _supply_per_type(sites))


def _supply_per_type(sites: int) -> float:
    return min(SUPPLY_PER_SITE_YEAR * sites, float(MAX_ACCELERATORS))


def synthetic_planning_scenario(sites: int, types: int = 8, seed: int = 0) -> Scenario:
    """A valid planning scenario with ``sites`` candidate campuses and ``types`` accelerator
    types (2-8; the first ``types`` of :data:`TYPES`, which always include H100)."""
    if sites < 1 or not 2 <= types <= len(TYPES):
        raise ValueError(f"need sites >= 1 and 2 <= types <= {len(TYPES)}")
    rng = random.Random(seed)
    type_ids = list(TYPES)[:types]
    classes = [c for c, _, _ in CLASSES]
    n_clouds = 2 + rng.randrange(2)

    # campuses ---------------------------------------------------------------------------
    site_rows: list[dict[str, Any]] = []
    phase_rows: list[tuple[date, float, float, float]] = []  # online, MW, pue, capex $
    for s in range(sites):
        power = float(rng.randrange(200, 1501, 10))
        n_ph = 2 + rng.randrange(2)
        cuts = sorted(rng.uniform(0.25, 0.75) for _ in range(n_ph - 1))
        shares = [b - a for a, b in zip([0.0, *cuts], [*cuts, 1.0], strict=True)]
        online = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 4 * 365))
        pue = round(rng.uniform(1.1, 1.35), 2)
        capex_mw = rng.randrange(8_500_000, 11_000_001, 100_000)
        costs: dict[str, Any] = {
            "facility_capex_usd_per_mw": capex_mw,
            "facility_life_years": rng.choice([12, 14, 15]),
            "accelerator_life_years": 5,
            "opex_usd_per_mw_year": rng.randrange(300_000, 500_001, 10_000),
        }
        if rng.random() < 0.2:
            tid = rng.choice(type_ids)
            costs["accelerator_unit_price_usd"] = {tid: round(TYPES[tid][3] * 0.9)}
        phases: list[dict[str, Any]] = []
        done = 0.0
        for k, share in enumerate(shares):
            mw = round(power * share, 1) if k < n_ph - 1 else round(power - done, 1)
            done += mw
            phases.append(
                {"id": f"site-{s}-{k + 1}", "power_mw": mw, "online": online, "status": "planned"}
            )
            phase_rows.append((online, mw, pue, capex_mw * mw / pue))
            online = min(online + timedelta(days=rng.randrange(180, 550)), date(2030, 9, 30))
        site_rows.append(
            {
                "id": f"site-{s}",
                "name": f"Candidate site {s}",
                "provider": "campus" if s % 3 else "lab-owned",
                "power_capacity_mw": power,
                "pue": pue,
                "energy_price_usd_per_mwh": round(rng.uniform(35.0, 80.0), 2),
                "announced": date(2025, 1, 1),
                "phases": phases,
                "costs": costs,
            }
        )

    # the certificate: what the campuses could hold at the start of each year -----------------
    def cert_k(day: date) -> float:
        """Thousands of H100-equivalents installable and powered by ``day``."""
        power_k = sum(mw / (CERT_KW * pue) for on, mw, pue, _ in phase_rows if on <= day)
        years = min(years_from_days((day - date(2025, 1, 1)).days) + 0.25, 4.75)
        supply_k = k_from_accelerators(len(CERT_TYPES) * _supply_per_type(sites)) * years
        return min(power_k, supply_k)

    owned_k = {y: cert_k(date(y, 2, 14)) for y in YEARS}

    # clouds -------------------------------------------------------------------------------
    cloud_scale = max(1, round(accelerators_from_k(sum(owned_k.values()) / len(owned_k)) * 0.04))
    providers: list[dict[str, Any]] = []
    holder_ref = dict.fromkeys(YEARS, 0.0)  # holder's capacity serving inference, ref units
    for i, (pid, owner, site_id, factor) in enumerate(CLOUDS[:n_clouds]):
        providers.append(
            {
                "id": pid,
                "name": pid.upper(),
                "kind": "cloud",
                "owner": owner,
                "prices": [
                    {
                        "accelerator": t,
                        "on_demand_usd_per_accelerator_hour": round(CLOUD_PRICE[t] * factor, 2),
                        "reserved_usd_per_accelerator_hour": round(
                            CLOUD_PRICE[t] * factor * 0.6, 2
                        ),
                    }
                    for t in type_ids
                ],
            }
        )
        pools = []
        for t in type_ids:
            if rng.random() < 0.35 and t != "h100":
                continue
            start = max(TYPES[t][4], date(2024, 1, 1)) + timedelta(days=rng.randrange(0, 365))
            count = max(1000, round(cloud_scale * rng.uniform(0.5, 1.5)))
            pools.append(
                {"id": f"{site_id}-{t}", "accelerator": t, "count": count, "available_from": start}
            )
            if i == 0:
                for y in YEARS:
                    if start <= date(y, 2, 14):
                        holder_ref[y] += count * TYPES[t][6]
        site_rows.append(
            {"id": site_id, "name": f"{pid.upper()} US", "provider": pid, "pue": 1.2,
             "pools": pools}
        )  # fmt: skip
    # demand and budget -------------------------------------------------------------------------
    # training demand in accelerator-hours, inference demand in tokens/s (the unit the
    # scenario check asks of each kind); a rate of ``hours / hours_in_year`` reference
    # accelerators serves REFERENCE_TOKENS_PER_S tokens/s each, the same demand either way
    forecast: list[dict[str, Any]] = []
    for y in YEARS:
        for cid, kind, share in CLASSES:
            if cid == "api-inference":
                hours = 0.25 * holder_ref[y] * HOURS_PER_YEAR
            else:
                hours = share * accelerators_from_k(owned_k[y]) * HOURS_PER_YEAR
            row: dict[str, Any] = {"year": y, "workload_class": cid}
            if kind == "training":
                row["accelerator_hours"] = round(hours, -3)
            else:
                year_h = hours_in_year(y)
                row["tokens_per_s"] = round(hours / year_h * REFERENCE_TOKENS_PER_S, 3)
            forecast.append(row)
    need_share = sum(share for _, _, share in CLASSES)

    def certificate_capex(by: date) -> float:
        facility = sum(c for on, _, _, c in phase_rows if on <= by + timedelta(days=92))
        need_k = max(owned_k[y] for y in YEARS if date(y, 1, 1) <= by) * need_share
        return facility + accelerators_from_k(need_k) * TYPES["h100"][3]

    milestones = [
        {"id": "initial", "by": date(2025, 12, 31),
         "capex_usd": round(1.1 * certificate_capex(date(2025, 12, 31)) + 1e9, -6)},
        {"id": "four-year", "by": date(2029, 1, 21),
         "capex_usd": round(1.1 * certificate_capex(date(2029, 1, 21)) + 1e9, -6)},
    ]  # fmt: skip

    data: dict[str, Any] = {
        "version": 2,
        "id": f"plan-bench-{sites}",
        "name": f"Synthetic planning scenario, {sites} candidate sites",
        "as_of": date(2025, 1, 1),
        "horizon": {"start": date(2025, 1, 1), "end": date(2030, 12, 31)},
        "settings": {"reference_accelerator": "h100", "server_overhead": 1.4,
                     "discount_rate": 0.08, "reference_tokens_per_s": REFERENCE_TOKENS_PER_S},
        "parties": [
            {"id": "lab", "name": "Lab", "roles": ["operator", "ai_lab"]},
            {"id": "jv", "name": "Campus JV", "roles": ["developer", "operator"]},
            *({"id": o, "name": o, "roles": ["cloud_provider"]} for _, o, _, _ in
              CLOUDS[:n_clouds]),
        ],
        "accelerators": [
            {
                "id": t, "name": t.upper(), "vendor": "synthetic",
                "bf16_dense_tflops": v[0], "memory_gb": v[1], "tdp_w": v[2],
                "unit_price_usd": v[3], "available_from": v[4],
                "throughput": {
                    c: (v[5] if kind == "training" else v[6])
                    for c, kind, _ in CLASSES
                    if (v[5] if kind == "training" else v[6]) > 0
                },
            }
            for t, v in TYPES.items()
            if t in type_ids
        ],
        "providers": [
            *providers,
            {"id": "campus", "name": "Campus JV", "kind": "joint_venture", "owner": "jv",
             "operator": "lab"},
            {"id": "lab-owned", "name": "Lab-owned", "kind": "owned", "owner": "lab"},
        ],
        "sites": site_rows,
        "contracts": [
            {
                "id": "terms", "name": "Cloud terms", "parties": ["microsoft", "lab"],
                "signed": date(2025, 1, 1),
                "clauses": [
                    {"id": "rofr", "kind": "right_of_first_refusal", "holder": "microsoft",
                     "beneficiary": "lab", "holder_providers": ["azure"],
                     "workload_classes": [c for c in classes if c != "api-inference"],
                     "response_window_h": 72, "price_cap_usd_per_accelerator_hour": 14.0,
                     "effective": {"start": date(2025, 1, 21), "end": date(2030, 12, 31)}},
                    {"id": "api-exclusivity", "kind": "exclusivity", "party": "lab",
                     "workload_classes": ["api-inference"], "provider": "azure",
                     "effective": {"start": date(2025, 1, 21), "end": date(2030, 12, 31)}},
                ],
            }
        ],
        "workload_classes": [{"id": c, "name": c, "kind": k} for c, k, _ in CLASSES],
        "workload_sources": [
            {"id": "demand", "kind": "forecast", "workload_classes": classes,
             "forecast": forecast}
        ],
        "budget": {"milestones": milestones},
    }  # fmt: skip
    scenario = Scenario.model_validate(data)
    problems = check_integrity(scenario)
    if problems:
        raise InternalError("synthetic planning scenario is invalid: " + problems[0].render())
    return scenario
