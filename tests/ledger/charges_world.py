"""The small scenario the charge and FOCUS tests simulate with ``--db``: tests/sim/factory.py's
world with a starting reservation, a pool of the lab's own, CloudCo's right of first refusal, an
inference class and a committed-spend clause with CloudCo that ends in the run short of its
amount (so every kind of entry and FOCUS row occurs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from stargate.cli.main import app
from tests.sim.factory import rofr, world

HORIZON = "2025..2026"
#: CloudCo's committed spend: $5M over 2025 (the lab spends about $3.7M there that year).
COMMITMENT_USD = 5_000_000


def scenario_file(folder: Path) -> Path:
    start = {
        "id": "start-res", "holder": "lab", "provider": "cloud", "site": "cloud-east",
        "accelerator": "a", "accelerators": 40,
        "term": {"start": "2024-01-01", "end": "2025-06-30"}, "source": "test",
    }  # fmt: skip
    commitment = {
        "id": "cloud-commit", "kind": "committed_spend", "buyer": "lab", "seller": "cloudco",
        "amount_usd": COMMITMENT_USD, "period": {"start": "2025-01-01", "end": "2025-12-31"},
        "effective": {"start": "2020-01-01"},
    }  # fmt: skip
    own = [{"id": "own-a", "accelerator": "a", "count": 30, "available_from": "2024-01-01"}]
    sc = world(
        cloud_pool=1000,
        other_pool=50,
        own_pools=own,
        serve={2025: 20.0, 2026: 20.0},
        reservations=[start],
        clauses=[rofr(), commitment],
        horizon=("2025-01-01", "2026-12-31"),
    )
    path = folder / "world.yaml"
    data = sc.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def simulate_into(url: str, folder: Path, *extra: str) -> dict[str, Any]:
    """``stargate simulate`` of the scenario with ``--db url --json``: the summary printed."""
    res = CliRunner().invoke(
        app,
        [
            "simulate",
            "--scenario",
            str(scenario_file(folder)),
            "--horizon",
            HORIZON,
            "--db",
            url,
            "--json",
            *extra,
        ],
    )
    assert res.exit_code == 0, res.output
    summary: dict[str, Any] = json.loads(res.stdout)
    return summary
