"""Money between the parties: revenue shares each way and committed spend (docs/money.md).

Two pure functions over a scenario — :func:`revenue_shares` (the transfers of the
revenue_share clauses in force, per year, and the net) and :func:`commitments` (the draw-down
of each committed_spend clause from the lab's spend in a simulation summary, what remains and
the shortfall) — and :func:`money_report`, both together, which ``stargate money report``
prints. Results are pydantic models; money in them is :class:`~decimal.Decimal` to the cent
(decimal strings in JSON). The engine runs no simulation itself: the caller passes the
summary (``stargate.sim.api.simulate(...).summary``) or a :class:`Spend`.
"""

from __future__ import annotations

from stargate.money.commitments import (
    Commitment,
    Commitments,
    CommitmentTerm,
    CommitmentYear,
    SellerYear,
    Spend,
    SummaryLike,
    commitment_terms,
    commitments,
)
from stargate.money.report import MoneyReport, money_report
from stargate.money.revenue import NetYear, RevenueShares, ShareSegment, ShareYear, revenue_shares
from stargate.money.where import locate

__all__ = [
    "Commitment",
    "CommitmentTerm",
    "CommitmentYear",
    "Commitments",
    "MoneyReport",
    "NetYear",
    "RevenueShares",
    "SellerYear",
    "ShareSegment",
    "ShareYear",
    "Spend",
    "SummaryLike",
    "commitment_terms",
    "commitments",
    "locate",
    "money_report",
    "revenue_shares",
]
