"""Scenarios and AGI events the governance tests share."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from stargate.contracts import resolve_without
from stargate.domain.model import Contract, Scenario
from stargate.governance import AgiEvent
from stargate.scenario.loader import load_scenario

# The ledger's fixtures: a SQLite file, or a fresh PostgreSQL schema (skipped, saying why,
# where PostgreSQL does not answer).
from tests.ledger.conftest import any_url, pg_database, pg_url  # noqa: F401

#: Under the January 2025 terms: the nonprofit declares AGI on 2025-06-01.
DECLARED_JAN = AgiEvent("declaration", "agi-clause", "openai-nonprofit", date(2025, 6, 1), "e-1")
#: Under the October 2025 terms: declared 2026-01-01, verified by the panel 2026-02-01.
DECLARED_OCT = AgiEvent(
    "declaration", "agi-expert-panel", "openai-nonprofit", date(2026, 1, 1), "e-2"
)
VERIFIED_OCT = AgiEvent(
    "verification", "agi-expert-panel", "independent-expert-panel", date(2026, 2, 1), "e-3"
)


def with_contract(scenario: Scenario, data: dict[str, Any]) -> Scenario:
    """``scenario`` with one more contract (validated)."""
    return scenario.model_copy(
        update={"contracts": [*scenario.contracts, Contract.model_validate(data)]}
    )


def stake(investor: str, investee: str, start: str = "2025-01-01") -> dict[str, Any]:
    """A contract holding one investment of ``investor`` in ``investee``."""
    return {
        "id": f"{investor}-{investee}-stake",
        "name": "Stake",
        "parties": [investor, investee],
        "signed": start,
        "source": "assumption: a test",
        "clauses": [
            {
                "id": f"{investor}-in-{investee}",
                "kind": "investment",
                "investor": investor,
                "investee": investee,
                "amount_usd": 1000000000,
                "date": start,
                "effective": {"start": start},
            }
        ],
    }


@pytest.fixture(scope="session")
def october() -> Scenario:
    """The default scenario: the October 2025 terms from 2025-10-28."""
    return load_scenario()


@pytest.fixture(scope="session")
def january(october: Scenario) -> Scenario:
    """The default scenario without the October 2025 agreement: the January 2025 terms hold."""
    return resolve_without(october, ["microsoft-openai-2025-10"]).scenario
