"""The report ``stargate money report`` prints: revenue shares and commitments together, with
the provenance of the scenario and of the run the spend came from."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from stargate.contracts import resolve_without
from stargate.domain.model import Scenario
from stargate.domain.provenance import Provenance, for_scenario
from stargate.money.commitments import Commitments, Spend, SummaryLike, commitments
from stargate.money.revenue import RevenueShares, revenue_shares


class MoneyReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    revenue_shares: RevenueShares
    commitments: Commitments
    spend_source: str
    provenance: Provenance

    def to_dict(self) -> dict[str, Any]:
        """JSON data: money as decimal strings, dates as ISO strings."""
        data: dict[str, Any] = self.model_dump(mode="json")
        return data


def money_report(
    scenario: Scenario,
    summary: SummaryLike | Spend,
    *,
    without: Iterable[str] = (),
    years: Iterable[int] | None = None,
    spend_source: str = "simulation",
    seed: int | None = None,
) -> MoneyReport:
    """:func:`revenue_shares` and :func:`commitments` of one scenario under one ``without``."""
    sels = list(without)
    resolved = resolve_without(scenario, sels)
    return MoneyReport(
        revenue_shares=revenue_shares(scenario, years, without=sels),
        commitments=commitments(scenario, summary, without=sels),
        spend_source=spend_source,
        provenance=for_scenario(
            scenario,
            seed=seed,
            clauses_off=sorted(resolved.clause_ids),
            amendments_off=list(resolved.voided),
        ),
    )
