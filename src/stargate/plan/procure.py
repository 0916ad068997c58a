"""The capacity contracts of the record, placed before the plan is solved.

A scenario's dated capacity requests (``capacity_requests``: the contracts on the public
record, each on its signing date) go through the broker's capacity decision
(:func:`stargate.broker.capacity.decide_capacity`) in date order, on one
:class:`~stargate.broker.capacity.CapacityBook` that starts from the scenario's starting
reservations, with the clauses in force on each date (``without`` switches clauses off, as
for the plan). What they place becomes held capacity, fixed in the plan; their rows are the
plan's ``procurement`` table, the same rows the simulator writes, so the planner, the broker
and the simulator give the same price and the same ROFR verdict for the same request.

Every request dated on or before the plan's last day is placed, including those signed
before its first day: what they placed is part of what exists when the plan starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from stargate.broker.capacity import CapacityBook, ProcurementRow, decide_capacity
from stargate.domain.model import Reservation, Scenario

__all__ = ["Placed", "place_dated_requests"]


@dataclass
class Placed:
    """The outcome of placing the dated requests: every reservation the lab holds (starting
    ones first), which of them the requests placed, and the procurement rows."""

    reservations: list[Reservation]
    placed_ids: frozenset[str]
    rows: list[ProcurementRow] = field(default_factory=list)
    #: What the placed reservations took from capacity model rows, as the seller's book
    #: counts it (:meth:`~stargate.broker.book.CapacityBook.sold`).
    sold: dict[tuple[str, int, date], int] = field(default_factory=dict)


def place_dated_requests(scenario: Scenario, last_day: date, without: Iterable[str]) -> Placed:
    """Place the scenario's capacity requests dated on or before ``last_day`` (date order,
    then id), with the clauses ``without`` switched off."""
    off = sorted(without)
    book = CapacityBook(scenario, starting=True)
    rows: list[ProcurementRow] = []
    placed: list[str] = []
    for request in sorted(scenario.capacity_requests, key=lambda r: (r.date, r.id)):
        if request.date > last_day:
            continue
        decision = decide_capacity(
            scenario, request, request.date, book, without=off, source="scheduled"
        )
        rows.extend(decision.rows)
        placed.extend(r.id for r in decision.reservations)
    return Placed(list(book.reservations), frozenset(placed), rows, book.sold())
