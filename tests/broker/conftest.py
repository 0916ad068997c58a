"""A small fleet for broker tests: a ROFR holder's cloud, a rival cloud and an owned campus.

    provider  owner     pools (type, count, $/accelerator-hour)
    holder    cloudco   hold-h100 (h100, 1,000, $10)      ← ROFR holder's provider
    rival     rivalco   rival-h100 (h100, 4,000, $11), rival-b200 (b200, 500, $20)
    campus    lab       campus-h100 (h100, 20,000, derived ~ $1.2)

Clauses (contract 'deal', lab × cloudco × rivalco): 'rofr' (holder cloudco, training classes,
24 h window, every requirement, price cap $12, 2025-01-01..2027-12-31) and 'excl' (inference
exclusive to rival).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from stargate.broker import Request
from stargate.domain.model import CapacityRequest, Scenario
from stargate.scenario.loader import validate_data

AT = datetime(2026, 1, 1)

FLEET: dict[str, Any] = {
    "version": 2,
    "id": "broker-test",
    "name": "Broker test fleet",
    "as_of": "2026-01-01",
    "horizon": {"start": "2025-01-01", "end": "2030-12-31"},
    "settings": {"reference_accelerator": "h100"},
    "parties": [
        {"id": "lab", "name": "Lab", "roles": ["operator"]},
        {"id": "cloudco", "name": "CloudCo", "roles": ["cloud_provider"]},
        {"id": "rivalco", "name": "RivalCo", "roles": ["cloud_provider"]},
    ],
    "accelerators": [
        {
            "id": "h100",
            "name": "H100",
            "vendor": "NVIDIA",
            "bf16_dense_tflops": 989,
            "memory_gb": 80,
            "tdp_w": 700,
            "unit_price_usd": 27500,
            "available_from": "2022-09-20",
            "throughput": {"training": 1.0, "research": 1.0, "inference": 1.0},
        },
        {
            "id": "b200",
            "name": "B200",
            "vendor": "NVIDIA",
            "bf16_dense_tflops": 2250,
            "memory_gb": 180,
            "tdp_w": 1000,
            "unit_price_usd": 35000,
            "available_from": "2025-01-01",
            "throughput": {"training": 2.0, "research": 2.0, "inference": 2.5},
        },
    ],
    "providers": [
        {
            "id": "holder",
            "name": "Holder cloud",
            "kind": "cloud",
            "owner": "cloudco",
            "prices": [{"accelerator": "h100", "on_demand_usd_per_accelerator_hour": 10}],
        },
        {
            "id": "rival",
            "name": "Rival cloud",
            "kind": "cloud",
            "owner": "rivalco",
            "prices": [
                {"accelerator": "h100", "on_demand_usd_per_accelerator_hour": 11},
                {"accelerator": "b200", "on_demand_usd_per_accelerator_hour": 20},
            ],
        },
        {"id": "campus", "name": "Own campus", "kind": "owned", "owner": "lab"},
    ],
    "sites": [
        {
            "id": "holder-east",
            "name": "Holder East",
            "provider": "holder",
            "pools": [
                {
                    "id": "hold-h100",
                    "accelerator": "h100",
                    "count": 1000,
                    "available_from": "2024-01-01",
                }
            ],
        },
        {
            "id": "rival-west",
            "name": "Rival West",
            "provider": "rival",
            "pools": [
                {
                    "id": "rival-h100",
                    "accelerator": "h100",
                    "count": 4000,
                    "available_from": "2024-01-01",
                },
                {
                    "id": "rival-b200",
                    "accelerator": "b200",
                    "count": 500,
                    "available_from": "2025-06-01",
                },
            ],
        },
        {
            "id": "campus-1",
            "name": "Campus",
            "provider": "campus",
            "power_capacity_mw": 100,
            "pue": 1.2,
            "energy_price_usd_per_mwh": 50,
            "pools": [
                {
                    "id": "campus-h100",
                    "accelerator": "h100",
                    "count": 20000,
                    "available_from": "2025-06-01",
                }
            ],
            "costs": {"facility_capex_usd_per_mw": 10000000},
        },
    ],
    "contracts": [
        {
            "id": "deal",
            "name": "Deal",
            "parties": ["lab", "cloudco", "rivalco"],
            "signed": "2025-01-01",
            "clauses": [
                {
                    "id": "rofr",
                    "kind": "right_of_first_refusal",
                    "holder": "cloudco",
                    "beneficiary": "lab",
                    "workload_classes": ["training", "research"],
                    "response_window_h": 24,
                    "price_cap_usd_per_accelerator_hour": 12,
                    "effective": {"start": "2025-01-01", "end": "2027-12-31"},
                },
                {
                    "id": "excl",
                    "kind": "exclusivity",
                    "party": "lab",
                    "workload_classes": ["inference"],
                    "provider": "rival",
                    "effective": {"start": "2025-01-01"},
                },
            ],
        },
    ],
    "workload_classes": [
        {"id": "training", "name": "Training", "kind": "training"},
        {"id": "research", "name": "Research", "kind": "training"},
        {"id": "inference", "name": "Inference", "kind": "inference"},
    ],
}


def fleet_data() -> dict[str, Any]:
    return copy.deepcopy(FLEET)


def build(data: dict[str, Any]) -> Scenario:
    result = validate_data(data)
    assert result.ok, [p.render() for p in result.problems]
    assert result.scenario is not None, [p.render() for p in result.problems]
    return result.scenario


@pytest.fixture(scope="session")
def fleet() -> Scenario:
    return build(fleet_data())


def req(**kw: Any) -> Request:
    """A training request for 100 H100-class accelerators for 10 h, overridable."""
    data: dict[str, Any] = {
        "id": "r1",
        "requester": "lab",
        "class": "training",
        "kind": "training",
        "accelerators": {"count": 100, "types": "any"},
        "duration_h": 10,
    }
    for key, value in kw.items():
        data[key] = value
    return Request.model_validate(data)


@pytest.fixture
def make_fleet() -> Callable[[Callable[[dict[str, Any]], None]], Scenario]:
    def make(edit: Callable[[dict[str, Any]], None]) -> Scenario:
        data = fleet_data()
        edit(data)
        return build(data)

    return make


# --------------------------------------------------------------------------- capacity requests
#
# The same fleet for capacity requests: the holder sells new capacity through a capacity model
# (1,200 H100 a year from 2025, reserved at $6), the rival from its pools (reserved $8 H100,
# $14 B200), the campus at cost. The ROFR caps the holder's price at $12 per accelerator-hour.

DAY = date(2026, 1, 1)


def capacity_fleet_data() -> dict[str, Any]:
    data = fleet_data()
    holder, rival = data["providers"][0], data["providers"][1]
    holder["prices"] = [
        {
            "accelerator": "h100",
            "on_demand_usd_per_accelerator_hour": 10,
            "reserved_usd_per_accelerator_hour": 6,
        }
    ]
    holder["capacity_model"] = [
        {"accelerator": "h100", "start": "2025-01-01", "accelerators": 1200, "per": "year"}
    ]
    rival["prices"] = [
        {
            "accelerator": "h100",
            "on_demand_usd_per_accelerator_hour": 11,
            "reserved_usd_per_accelerator_hour": 8,
        },
        {
            "accelerator": "b200",
            "on_demand_usd_per_accelerator_hour": 20,
            "reserved_usd_per_accelerator_hour": 14,
        },
    ]
    return data


@pytest.fixture(scope="session")
def capacity_fleet() -> Scenario:
    return build(capacity_fleet_data())


@pytest.fixture
def make_capacity_fleet() -> Callable[[Callable[[dict[str, Any]], None]], Scenario]:
    def make(edit: Callable[[dict[str, Any]], None]) -> Scenario:
        data = capacity_fleet_data()
        edit(data)
        return build(data)

    return make


def creq(**kw: Any) -> CapacityRequest:
    """A capacity request for 1,000 accelerators of any type for training in 2026."""
    data: dict[str, Any] = {
        "id": "c1",
        "kind": "capacity",
        "requester": "lab",
        "workload_classes": ["training"],
        "accelerators": {"count": 1000, "types": "any"},
        "term": {"start": "2026-01-01", "end": "2026-12-31"},
    }
    data.update(kw)
    return CapacityRequest.model_validate({k: v for k, v in data.items() if v is not None})
