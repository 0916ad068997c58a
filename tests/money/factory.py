"""Small scenarios for the money tests: the minimal scenario of tests/conftest.py with revenue
rows and revenue_share / committed_spend clauses, so every figure can be computed by hand.

The lab is ``lab`` (the minimal scenario's operator); ``cloudco`` owns provider ``cloud``.
A stream of 3,650,000 USD a year accrues 10,000 USD a day (2,000 in a leap year would not be
round: the years used, 2025 and 2026, have 365 days)."""

from __future__ import annotations

from typing import Any

import yaml

from stargate.domain.model import Scenario
from stargate.scenario.loader import load_scenario_text
from tests.conftest import minimal


def scenario(
    clauses: list[dict[str, Any]],
    *,
    revenue: list[dict[str, Any]] | None = None,
    agreements: list[dict[str, Any]] | None = None,
) -> Scenario:
    data = minimal()
    data["contracts"] = [
        {
            "id": "money-deal",
            "name": "Money deal",
            "parties": ["lab", "cloudco"],
            "signed": "2024-01-01",
            "clauses": clauses,
            "agreements": agreements or [],
        }
    ]
    data["revenue"] = (
        revenue
        if revenue is not None
        else [
            {"stream": "chatgpt", "year": 2025, "usd": 3650000},
            {"stream": "api", "year": 2025, "usd": 730000},
            {"stream": "chatgpt", "year": 2026, "usd": 7300000},
        ]
    )
    return load_scenario_text(yaml.safe_dump(data, sort_keys=False), "money.yaml")


def share(
    cid: str = "share",
    *,
    payer: str = "lab",
    payee: str = "cloudco",
    stream: str = "chatgpt",
    percent: float | str = 10,
    start: str = "2024-01-01",
    **more: Any,
) -> dict[str, Any]:
    return {
        "id": cid,
        "kind": "revenue_share",
        "payer": payer,
        "payee": payee,
        "revenue_stream": stream,
        "percent": percent,
        "effective": {"start": start},
        **more,
    }


def commitment(
    cid: str,
    amount: int,
    start: str,
    end: str | None,
    *,
    buyer: str = "lab",
    seller: str = "cloudco",
) -> dict[str, Any]:
    return {
        "id": cid,
        "kind": "committed_spend",
        "buyer": buyer,
        "seller": seller,
        "amount_usd": amount,
        "period": {"start": start, "end": end},
        "effective": {"start": "2024-01-01"},
    }
