"""Capacity requests: the lab procures capacity for a term, and a placed request becomes a
reservation.

This module is the interface of procurement, shared by ``stargate place``, the simulator's
procurement replay and the planner:

* :class:`CapacityBook` — the seller-side book: what each provider can still offer (from its
  capacity model or, without one, from its pools) and what the lab holds (in
  :mod:`stargate.broker.book`);
* :class:`ProcurementRow` — one row of a decision, the ``procurement`` table of summary.json;
* :class:`CapacityDecision` — what happened to one capacity request: its rows and
  reservations, the candidates considered, the offers made to a ROFR holder, the paragraph;
* :func:`decide_capacity` — places one capacity request (the steps are in
  :mod:`stargate.broker.procure`: exclusivity, then the right of first refusal, then the
  objective; docs/concepts.md#the-rofr-on-capacity);
* :func:`capacity_price` — the price of capacity for a term, by the one price rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from stargate.broker.book import CapacityBook, Source, capacity_price
from stargate.broker.money import CENT, hours_decimal, price_usd
from stargate.domain.model import CapacityRequest, Reservation, Scenario, Term
from stargate.domain.provenance import Provenance

if TYPE_CHECKING:
    from stargate.broker.objective import Objective
    from stargate.broker.responders import Responder

#: The ROFR outcome of one procurement row.
RofrVerdict = Literal["accepted", "declined", "expired", "released_unmet", "not_in_scope"]
ROFR_VERDICTS: tuple[str, ...] = (
    "accepted",
    "declined",
    "expired",
    "released_unmet",
    "not_in_scope",
)
#: Where a capacity request came from: the record (a dated request of the scenario), the
#: simulator's top-up for demand, or a user's request file / Python call.
RequestSource = Literal["scheduled", "demand", "request"]
#: How much of a capacity request the ROFR holder can meet.
CanMeet = Literal["all", "part", "none"]


@dataclass(frozen=True, slots=True)
class ProcurementRow:
    """One row of a capacity decision: a placed part (a reservation) or a part nobody could
    take (``placed`` False, no provider).

    ``rofr`` says how the part got where it is: ``accepted`` (the holder took it),
    ``declined`` / ``expired`` (offered to the holder, who declined or did not answer in the
    window; then placed elsewhere from the release on), ``released_unmet`` (the holder could
    not meet it: released at once; ``reason`` names the requirement), ``not_in_scope`` (no
    ROFR applied)."""

    request_id: str
    decided_on: date
    provider: str | None
    site: str | None
    accelerator: str | None
    accelerators: int
    reference_accelerators: float
    power_mw: float
    term_start: date
    term_end: date
    price_usd_per_accelerator_hour: Decimal | None
    rofr: RofrVerdict
    decided_by: str
    source: RequestSource
    placed: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The row as summary.json's ``procurement`` table writes it (money as a string)."""
        price = self.price_usd_per_accelerator_hour
        return {
            "request": self.request_id,
            "date": self.decided_on.isoformat(),
            "provider": self.provider,
            "site": self.site,
            "accelerator": self.accelerator,
            "accelerators": self.accelerators,
            "reference_accelerators": round(self.reference_accelerators, 3),
            "power_mw": round(self.power_mw, 3),
            "term_start": self.term_start.isoformat(),
            "term_end": self.term_end.isoformat(),
            "price_usd_per_accelerator_hour": None if price is None else str(price),
            "rofr": self.rofr,
            "decided_by": self.decided_by,
            "source": self.source,
            "placed": self.placed,
            "reason": self.reason,
        }

    @property
    def committed_usd(self) -> Decimal:
        """What the part commits the holder of the reservation to over its term (take-or-pay):
        price × accelerators × hours of the term, to the cent."""
        price = self.price_usd_per_accelerator_hour
        if not self.placed or price is None:
            return Decimal(0)
        return committed_usd(price, self.accelerators, self.term_start, self.term_end)


def term_hours(start: date, end: date) -> int:
    """Hours of a term, both days included."""
    return ((end - start).days + 1) * 24


def committed_usd(price: Decimal, accelerators: int, start: date, end: date) -> Decimal:
    """Price × accelerators × the term's hours, to the cent (half up, as every cost)."""
    from decimal import ROUND_HALF_UP

    exact = price * accelerators * hours_decimal(float(term_hours(start, end)))
    return exact.quantize(CENT, ROUND_HALF_UP)


class ProcurementRecord(BaseModel):
    """A procurement row as summary.json and plan.json write it (:meth:`ProcurementRow.to_dict`):
    one schema for the simulator's and the planner's ``procurement`` table. Money is a decimal
    string of USD; dates are ISO dates. Later versions may add keys."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    request: str
    date: str
    provider: str | None
    site: str | None
    accelerator: str | None
    accelerators: int
    reference_accelerators: float
    power_mw: float
    term_start: str
    term_end: str
    price_usd_per_accelerator_hour: str | None = Field(description="USD, as a decimal string")
    rofr: RofrVerdict = Field(
        description="accepted, declined, expired, released_unmet or not_in_scope"
    )
    decided_by: str
    source: str = Field(
        description="scheduled (a dated request of the record), demand (a "
        "top-up) or request (a request file)"
    )
    placed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class CapacityCandidate:
    """One (provider, site, type) considered for a capacity request, as the decision day saw
    it: what it could still offer for the term, at what price (per accelerator-hour and per
    reference-accelerator-hour of the request's work), and why it was not used (``reasons``,
    each starting with a reason code)."""

    rank: int | None
    chosen: bool
    provider: str
    site: str
    accelerator: str
    holder: bool
    offerable: int
    accelerators: int
    price_usd_per_accelerator_hour: Decimal | None
    price_usd_per_reference_hour: Decimal | None
    basis: str | None
    throughput: float
    feasible: bool
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        price = self.price_usd_per_accelerator_hour
        unit = self.price_usd_per_reference_hour
        return {
            "rank": self.rank,
            "chosen": self.chosen,
            "provider": self.provider,
            "site": self.site,
            "accelerator": self.accelerator,
            "holder": self.holder,
            "offerable": self.offerable,
            "accelerators": self.accelerators,
            "price_usd_per_accelerator_hour": None if price is None else str(price_usd(price)),
            "price_usd_per_reference_hour": None if unit is None else str(price_usd(unit)),
            "basis": self.basis,
            "throughput": self.throughput,
            "feasible": self.feasible,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class CapacityOffer:
    """One part of a capacity request offered to the ROFR holder, and its answer: ``accept``,
    ``decline`` or ``none`` (no answer in the window, or a late one: ``expired``)."""

    provider: str
    site: str
    accelerator: str
    accelerators: int
    reference_accelerators: float
    power_mw: float
    price_usd_per_accelerator_hour: Decimal
    price_usd_per_reference_hour: Decimal | None
    answer: Literal["accept", "decline", "none"]
    answered_on: date | None
    expired: bool

    def to_dict(self) -> dict[str, Any]:
        unit = self.price_usd_per_reference_hour
        return {
            "provider": self.provider,
            "site": self.site,
            "accelerator": self.accelerator,
            "accelerators": self.accelerators,
            "reference_accelerators": round(self.reference_accelerators, 3),
            "power_mw": round(self.power_mw, 3),
            "price_usd_per_accelerator_hour": str(self.price_usd_per_accelerator_hour),
            "price_usd_per_reference_hour": None if unit is None else str(price_usd(unit)),
            "answer": self.answer,
            "answered_on": None if self.answered_on is None else self.answered_on.isoformat(),
            "expired": self.expired,
        }


@dataclass(slots=True)
class CapacityRofr:
    """What a right of first refusal did to a capacity request: how much the holder could
    meet (``all``, ``part``, ``none``), the requirements it failed, and the offers made."""

    clause: str
    holder: str
    holder_providers: list[str]
    response_window_h: float
    can_meet: CanMeet
    unmet_requirements: list[str] = field(default_factory=list)
    offers: list[CapacityOffer] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "applies": True,
            "clause": self.clause,
            "holder": self.holder,
            "holder_providers": list(self.holder_providers),
            "response_window_h": self.response_window_h,
            "can_meet": self.can_meet,
            "unmet_requirements": list(self.unmet_requirements),
            "offers": [o.to_dict() for o in self.offers],
        }


@dataclass
class CapacityDecision:
    """What happened to one capacity request: the rows (placed parts and the parts nobody
    could take), the reservations made, the candidates considered, the ROFR's offers and one
    paragraph. :meth:`to_dict` is the item ``stargate place --json`` prints for it."""

    request: CapacityRequest
    at: date
    rows: list[ProcurementRow] = field(default_factory=list)
    reservations: list[Reservation] = field(default_factory=list)
    source: RequestSource = "request"
    term: Term | None = None
    rofr: CapacityRofr | None = None
    exclusivity: list[str] = field(default_factory=list)  # the exclusivity clauses that bound it
    exclusive_to: list[str] | None = None  # the providers exclusivity allows (None: any)
    objective: str = "cost"
    without: list[str] = field(default_factory=list)
    reference_class: str = ""  # the class in which reference accelerators are counted
    explanation: str = ""
    provenance: Provenance | None = None
    #: Builds the candidate list on first use (the simulator's replay never reads it).
    candidates_from: Callable[[], list[CapacityCandidate]] | None = field(
        default=None, repr=False, compare=False
    )
    _candidates: list[CapacityCandidate] | None = field(default=None, repr=False, compare=False)

    @property
    def candidates(self) -> list[CapacityCandidate]:
        """Every (provider, site, type) considered, best first (built on first use)."""
        if self._candidates is None:
            self._candidates = self.candidates_from() if self.candidates_from else []
            self.candidates_from = None
        return self._candidates

    @property
    def request_id(self) -> str:
        return self.request.id

    @property
    def placed(self) -> bool:
        """Whether any part was placed (a reservation made)."""
        return any(r.placed for r in self.rows)

    @property
    def unmet_reference_accelerators(self) -> float:
        return sum(r.reference_accelerators for r in self.rows if not r.placed)

    @property
    def cost_usd(self) -> Decimal:
        """What the reservations commit the requester to over their terms (take-or-pay)."""
        return sum((r.committed_usd for r in self.rows), Decimal(0))

    @property
    def decided_by(self) -> str:
        """The clause (or objective) that decided the largest placed part; ``infeasible``
        when nothing was placed."""
        placed = [r for r in self.rows if r.placed]
        if not placed:
            return self.rows[0].decided_by if self.rows else "infeasible"
        return max(placed, key=lambda r: r.reference_accelerators).decided_by

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON data: one item of ``stargate place --json``."""
        term = self.term or self.request.term_from(self.at)
        return {
            "request_id": self.request.id,
            "kind": "capacity",
            "requester": self.request.requester,
            "workload_classes": list(self.request.workload_classes),
            "at": self.at.isoformat(),
            "term_start": term.start.isoformat(),
            "term_end": term.end.isoformat(),
            "placed": self.placed,
            "decided_by": self.decided_by,
            "objective": self.objective,
            "source": self.source,
            "committed_usd": str(self.cost_usd),
            "reference_class": self.reference_class,
            "rows": [r.to_dict() for r in self.rows],
            "reservations": [r.model_dump(mode="json") for r in self.reservations],
            "rofr": self.rofr.to_dict() if self.rofr is not None else {"applies": False},
            "exclusivity": {
                "applies": bool(self.exclusivity),
                "clauses": list(self.exclusivity),
                "providers": None if self.exclusive_to is None else list(self.exclusive_to),
            },
            "candidates": [c.to_dict() for c in self.candidates],
            "without": list(self.without),
            "explanation": self.explanation,
            "provenance": None
            if self.provenance is None
            else self.provenance.model_dump(mode="json"),
        }

    def headline(self) -> str:
        """One line: what was reserved where (or why not), and the deciding clause."""
        placed = [r for r in self.rows if r.placed]
        if not placed:
            return f"{self.request.id}: not placed; decided by {self.decided_by}"
        where = ", ".join(
            f"{r.accelerators:,} × {r.accelerator} at {r.site} ({r.provider})" for r in placed
        )
        return f"{self.request.id}: reserved {where}; decided by {self.decided_by}"

    def __repr__(self) -> str:
        return f"CapacityDecision({self.headline()})"


# --------------------------------------------------------------------------- the decision


def decide_capacity(
    scenario: Scenario,
    request: CapacityRequest,
    at: date,
    book: CapacityBook,
    *,
    without: Iterable[str] = (),
    voided: Iterable[str] = (),
    source: RequestSource = "request",
    responder: Responder | None = None,
    objective: str | Objective = "cost",
    provenance: Provenance | None = None,
) -> CapacityDecision:
    """Place one capacity request on day ``at``: exclusivity, then the right of first refusal
    (the holder's capacity model judged for the request's term; the part it can meet offered
    to it, the rest released at once), then the objective among the other providers; capacity
    is taken from ``book`` as it is reserved. ``without`` switches clauses off (ids, kinds such
    as ``rofr``, contract ids, agreement and amendment ids: see
    :func:`stargate.contracts.state.resolve_without`); ``voided``: names of agreements and
    amendments already voided in ``scenario``, listed in the decision's ``without``;
    ``responder`` answers the holder's offers (default ``capacity-limited``); ``objective``
    ranks candidates (``cost``: cheapest per unit of work). See :mod:`stargate.broker.procure`
    for the steps."""
    from stargate.broker.procure import Procurement

    day = at.date() if isinstance(at, datetime) else at
    return Procurement(
        scenario,
        request,
        day,
        book,
        without=without,
        voided=voided,
        source=source,
        responder=responder,
        objective=objective,
        provenance=provenance,
    ).run()


__all__ = [
    "ROFR_VERDICTS",
    "CanMeet",
    "CapacityBook",
    "CapacityCandidate",
    "CapacityDecision",
    "CapacityOffer",
    "CapacityRofr",
    "ProcurementRow",
    "RequestSource",
    "RofrVerdict",
    "Source",
    "capacity_price",
    "committed_usd",
    "decide_capacity",
    "term_hours",
]
