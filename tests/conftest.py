"""Shared fixtures: the default scenario, a minimal valid scenario as data, and a runner."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings

from stargate.domain.model import Scenario
from stargate.scenario.loader import load_scenario

# Hypothesis profiles. "ci" (the default, and what .ci/run uses) is derandomized: the examples
# are a fixed function of each test, so a clean clone's CI never depends on a random draw.
# "fuzz" draws fresh random examples, many more of them, for the longer runs under the `fuzz`
# marker (HYPOTHESIS_PROFILE=fuzz python3 tasks.py test -m fuzz).
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
#: The default scenario as it was before issue #11 (the terms as announced in January 2025):
#: tests of mechanics use it, so that they do not move with the default scenario's data.
ANNOUNCED = ROOT / "tests" / "data" / "scenarios" / "announced-2025" / "announced-2025.yaml"

MINIMAL: dict[str, Any] = {
    "version": 2,
    "id": "mini",
    "name": "Minimal",
    "as_of": "2026-01-01",
    "horizon": {"start": "2025-01-01", "end": "2030-12-31"},
    "settings": {"reference_accelerator": "h100"},
    "parties": [
        {"id": "lab", "name": "Lab", "roles": ["operator"]},
        {"id": "cloudco", "name": "CloudCo", "roles": ["cloud_provider"]},
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
            "throughput": {"training": 1.0, "inference": 1.0},
        }
    ],
    "providers": [
        {
            "id": "cloud",
            "name": "Cloud",
            "kind": "cloud",
            "owner": "cloudco",
            "prices": [{"accelerator": "h100", "on_demand_usd_per_accelerator_hour": 10}],
        },
        {"id": "own", "name": "Own campus", "kind": "owned", "owner": "lab"},
    ],
    "sites": [
        {
            "id": "cloud-east",
            "name": "Cloud East",
            "provider": "cloud",
            "pools": [
                {
                    "id": "east-h100",
                    "accelerator": "h100",
                    "count": 1000,
                    "available_from": "2024-01-01",
                }
            ],
        },
        {
            "id": "campus",
            "name": "Campus",
            "provider": "own",
            "power_capacity_mw": 100,
            "pue": 1.2,
            "energy_price_usd_per_mwh": 50,
            "phases": [{"id": "campus-1", "power_mw": 50, "online": "2025-06-01"}],
            "pools": [
                {
                    "id": "campus-h100",
                    "accelerator": "h100",
                    "count": 20000,
                    "available_from": "2025-06-01",
                    "phase": "campus-1",
                }
            ],
            "costs": {"facility_capex_usd_per_mw": 10000000},
        },
    ],
    "contracts": [
        {
            "id": "deal",
            "name": "Deal",
            "parties": ["lab", "cloudco"],
            "signed": "2025-01-01",
            "clauses": [
                {
                    "id": "rofr",
                    "kind": "right_of_first_refusal",
                    "holder": "cloudco",
                    "beneficiary": "lab",
                    "workload_classes": ["training"],
                    "response_window_h": 24,
                    "effective": {"start": "2025-01-01", "end": "2027-12-31"},
                },
                {
                    "id": "excl",
                    "kind": "exclusivity",
                    "party": "lab",
                    "workload_classes": ["inference"],
                    "provider": "cloud",
                    "effective": {"start": "2025-01-01"},
                },
            ],
        }
    ],
    "workload_classes": [
        {"id": "training", "name": "Training", "kind": "training"},
        {"id": "inference", "name": "Inference", "kind": "inference"},
    ],
}


def minimal() -> dict[str, Any]:
    """A fresh deep copy of a small valid scenario, to break in tests."""
    return copy.deepcopy(MINIMAL)


def write_scenario(tmp_path: Path, data: dict[str, Any] | str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text)
    return path


@pytest.fixture(scope="session")
def default_scenario() -> Scenario:
    return load_scenario()


@pytest.fixture(scope="session")
def announced_scenario() -> Scenario:
    """The fixture scenario of :data:`ANNOUNCED`."""
    return load_scenario(ANNOUNCED)


@pytest.fixture
def shared_traces() -> Path:
    path = SHARED / "data" / "traces"
    if not path.is_dir():
        pytest.skip("../shared/data/traces is not present")
    return path


@pytest.fixture(autouse=True)
def _no_terminal_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test sees output as a pipe would, whatever terminal ran pytest: COLUMNS and LINES
    (which pytest-xdist sets to 80 × 24 in its workers) are removed; a test that wants a width
    gives it to the CliRunner."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
