"""Capacity requests: the lab procures capacity for a term, and a placed request becomes a
reservation.

This module is the interface of procurement, shared by ``stargate place``, the simulator's
procurement replay and the planner:

* :class:`CapacityBook` — the seller-side book: what each provider can still offer (from its
  capacity model or, without one, from its pools) and what the lab holds;
* :class:`ProcurementRow` — one row of a decision, the ``procurement`` table of summary.json;
* :class:`CapacityDecision` — what happened to one capacity request: its rows and
  reservations, the candidates considered, the offers made to a ROFR holder, the paragraph;
* :func:`decide_capacity` — places one capacity request (the steps are in
  :mod:`stargate.broker.procure`: exclusivity, then the right of first refusal, then the
  objective; docs/concepts.md#the-rofr-on-capacity);
* :func:`capacity_price` — the price of capacity for a term, by the one price rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from stargate.broker.money import CENT, hours_decimal, price_usd
from stargate.domain.capacity import delivery_site, flow_between, period_of
from stargate.domain.costs import HourlyCost, hourly_cost
from stargate.domain.model import (
    CapacityRequest,
    CapacityRow,
    Pool,
    Provider,
    Reservation,
    Scenario,
    Term,
)
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


# --------------------------------------------------------------------------- the book


@dataclass(frozen=True, slots=True)
class Source:
    """Where a provider's capacity of one type at one site comes from: capacity model rows
    (``rows``, by their position in the provider's model) or pools (``pools``)."""

    provider: str
    site: str
    accelerator: str
    rows: tuple[int, ...]
    pools: tuple[Pool, ...]
    online: tuple[date, ...]  # each pool's first day online (its phase's, if later)
    counts: tuple[int, ...]  # each pool's accelerators


class CapacityBook:
    """What each provider can still offer and what the lab holds.

    A provider with a capacity model offers, for a term starting on day d, each row's flow of
    the calendar period containing d (with ``carry_over``: all it offered since the row's
    start) less what was sold from that row; one without a capacity model offers its pools of
    the type online by the term's start (``status: planned`` ones excluded) less what is
    reserved there for days of the term. Starting reservations of the scenario are held from
    the start (they were sold before the horizon: they take nothing from a capacity model's
    flow, and they do take pool stock).

    Capacity is by site: a capacity model row is delivered at its ``site`` (else the
    provider's first site with pools of the type, else its first site); ``site=`` narrows
    :meth:`offerable` to one site, and a reservation takes from its own site's rows."""

    def __init__(self, scenario: Scenario, *, starting: bool = True) -> None:
        self.scenario = scenario
        self.reservations: list[Reservation] = []
        self._sold: dict[tuple[str, int, date], int] = {}
        self._rows: dict[str, list[CapacityRow]] = {
            p.id: list(p.capacity_model) for p in scenario.providers
        }
        self._providers = {p.id: p for p in scenario.providers}
        self.sites_by_id = {site.id: site for site in scenario.sites}
        self.accelerators_by_id = {a.id: a for a in scenario.accelerators}
        self._held: dict[tuple[str, str], list[Reservation]] = {}
        self._held_at: dict[tuple[str, str, str | None], list[Reservation]] = {}
        self._by_type: dict[tuple[str, str], list[Source]] = {}
        self._by_site: dict[tuple[str, str, str], Source] = {}
        self._row_site: dict[tuple[str, int], str | None] = {}
        self._sources: list[Source] | None = None
        #: Per-book caches for the decisions (static facts of the scenario).
        self.cache: dict[Any, Any] = {}
        if starting:
            for r in scenario.reservations:
                self._hold(r)

    # -- where capacity comes from ---------------------------------------------------------
    def provider(self, provider_id: str) -> Provider:
        return self._providers[provider_id]

    def offer_price(
        self, provider_id: str, site_id: str, accelerator: str, day: date
    ) -> Decimal | None:
        """The price of the provider's capacity model row for a type at a site in force on
        ``day`` (the first with a price), as :func:`capacity_price` reads it."""
        return _offer_price(
            self._providers[provider_id],
            accelerator,
            site_id,
            day,
            lambda i: self.row_site(provider_id, i),
        )

    def row_site(self, provider_id: str, index: int) -> str | None:
        """The site a capacity model row delivers at (None: the provider has no site)."""
        key = (provider_id, index)
        if key not in self._row_site:
            provider = self._providers[provider_id]
            row = self._rows[provider_id][index]
            try:
                site: str | None = delivery_site(
                    self.scenario, provider, row.accelerator, row.site
                ).id
            except KeyError:
                site = None
            self._row_site[key] = site
        return self._row_site[key]

    def sources(self) -> list[Source]:
        """Every (provider, site, type) with capacity: rows of a capacity model, or (for a
        provider without one) pools that are not ``planned``; in (provider, site, type) order."""
        if self._sources is None:
            out: dict[tuple[str, str, str], tuple[list[int], list[Pool], list[date]]] = {}
            for p in self.scenario.providers:
                if p.capacity_model:
                    for i, row in enumerate(p.capacity_model):
                        site = self.row_site(p.id, i)
                        if site is not None:
                            out.setdefault((p.id, site, row.accelerator), ([], [], []))[0].append(i)
                    continue
                for s in self.scenario.sites:
                    if s.provider != p.id:
                        continue
                    for pool in s.pools:
                        if pool.status == "planned":
                            continue
                        entry = out.setdefault((p.id, s.id, pool.accelerator), ([], [], []))
                        entry[1].append(pool)
                        day = pool.available_from
                        if pool.phase is not None:
                            ph = s.phase(pool.phase)
                            if ph is not None and ph.online > day:
                                day = ph.online
                        entry[2].append(day)
            self._sources = [
                Source(
                    k[0],
                    k[1],
                    k[2],
                    tuple(v[0]),
                    tuple(v[1]),
                    tuple(v[2]),
                    tuple(p.count for p in v[1]),
                )
                for k, v in sorted(out.items())
            ]
            for src in self._sources:
                self._by_type.setdefault((src.provider, src.accelerator), []).append(src)
                self._by_site[(src.provider, src.accelerator, src.site)] = src
        return self._sources

    # -- what is left ----------------------------------------------------------------------
    def _row_key(self, provider_id: str, index: int, day: date) -> tuple[str, int, date]:
        row = self._rows[provider_id][index]
        start = row.start if row.carry_over else period_of(day, row.per)[0]
        return provider_id, index, start

    def _row_left(self, provider_id: str, index: int, day: date) -> int:
        row = self._rows[provider_id][index]
        if not (row.start <= day and (row.end is None or day <= row.end)):
            return 0
        key = self._row_key(provider_id, index, day)
        if row.carry_over:
            offered = flow_between(row, row.start, period_of(day, row.per)[1])
        else:
            p0, p1 = period_of(day, row.per)
            offered = flow_between(row, p0, p1)
        return max(0, math.floor(offered + 1e-9) - self._sold.get(key, 0))

    def _row_indexes(self, provider_id: str, accelerator: str, site: str | None) -> list[int]:
        return [
            i
            for i, row in enumerate(self._rows[provider_id])
            if row.accelerator == accelerator
            and (site is None or self.row_site(provider_id, i) == site)
        ]

    def offerable(
        self,
        provider_id: str,
        accelerator: str,
        term: Term,
        *,
        site: str | None = None,
        online_by: date | None = None,
    ) -> int:
        """Accelerators of a type a provider can still offer for a term (at one ``site``, or
        at any). ``online_by``: count only capacity online by that day (a capacity model row
        that started by then, a pool online by then) — a request's deadline."""
        provider = self._providers[provider_id]
        day = term.start
        if provider.capacity_model:
            total = 0
            for i in self._row_indexes(provider_id, accelerator, site):
                if online_by is not None and self._rows[provider_id][i].start > online_by:
                    continue
                total += self._row_left(provider_id, i, day)
            return total
        by = day if online_by is None else min(day, online_by)
        stock = 0
        if self._sources is None:
            self.sources()
        if site is None:
            srcs: Iterable[Source] = self._by_type.get((provider_id, accelerator), ())
        else:
            one = self._by_site.get((provider_id, accelerator, site))
            srcs = () if one is None else (one,)
        for src in srcs:
            for count, on in zip(src.counts, src.online, strict=True):
                if on <= by:
                    stock += count
        if stock == 0:
            return 0
        held_list = (
            self._held.get((provider_id, accelerator), ())
            if site is None
            else self._held_at.get((provider_id, accelerator, site), ())
        )
        start, end = term.start, term.end
        held = 0
        for r in held_list:
            if r.term.start <= end and start <= r.term.end:
                held += r.accelerators
        return max(0, stock - held)

    def _site_of(self, r: Reservation) -> str | None:
        if r.site is not None:
            return r.site
        key = ("site-of", r.provider, r.accelerator)
        if key not in self.cache:
            try:
                self.cache[key] = delivery_site(
                    self.scenario, self._providers[r.provider], r.accelerator, None
                ).id
            except KeyError:
                self.cache[key] = None
        site: str | None = self.cache[key]
        return site

    # -- holding ---------------------------------------------------------------------------
    def _hold(self, reservation: Reservation) -> None:
        self.reservations.append(reservation)
        self._held.setdefault((reservation.provider, reservation.accelerator), []).append(
            reservation
        )
        key = (reservation.provider, reservation.accelerator, self._site_of(reservation))
        self._held_at.setdefault(key, []).append(reservation)

    def reserve(self, reservation: Reservation) -> None:
        """Hold a reservation, taking it from the provider's offer (the capacity model rows of
        its site, in order, for the period of its term's start)."""
        pid = reservation.provider
        left = reservation.accelerators
        day = reservation.term.start
        if self._providers[pid].capacity_model:
            for i in self._row_indexes(pid, reservation.accelerator, self._site_of(reservation)):
                if left <= 0:
                    break
                take = min(left, self._row_left(pid, i, day))
                if take:
                    key = self._row_key(pid, i, day)
                    self._sold[key] = self._sold.get(key, 0) + take
                    left -= take
        self._hold(reservation)

    def held(self, day: date, provider: str | None = None) -> list[Reservation]:
        """Reservations in force on ``day`` (of one provider, or all)."""
        return [
            r
            for r in self.reservations
            if r.term.contains(day) and (provider is None or r.provider == provider)
        ]


# --------------------------------------------------------------------------- prices


def _offer_price(
    provider: Provider,
    accelerator: str,
    site_id: str,
    day: date,
    site_of_row: Callable[[int], str | None],
) -> Decimal | None:
    for i, row in enumerate(provider.capacity_model):
        if (
            row.accelerator == accelerator
            and row.price_usd_per_accelerator_hour is not None
            and row.start <= day
            and (row.end is None or day <= row.end)
            and site_of_row(i) == site_id
        ):
            return row.price_usd_per_accelerator_hour
    return None


def capacity_price(
    scenario: Scenario,
    requester: str | None,
    provider: Provider,
    site_id: str,
    accelerator: str,
    day: date,
) -> HourlyCost | None:
    """What ``requester`` pays per accelerator-hour for capacity of a type at a site held for
    a term from ``day``: the one price rule (:func:`~stargate.domain.costs.hourly_cost`) on
    tier ``reserved``, with the price of the provider's capacity model row in force on ``day``
    at that site (the first with a price) standing in for the list price. The simulator and
    the planner call this too, so every engine prices a capacity request the same."""

    def site_of_row(index: int) -> str | None:
        row = provider.capacity_model[index]
        try:
            return delivery_site(scenario, provider, row.accelerator, row.site).id
        except KeyError:
            return None

    offer = _offer_price(provider, accelerator, site_id, day, site_of_row)
    return hourly_cost(
        scenario,
        provider,
        scenario.site(site_id),
        scenario.accelerator(accelerator),
        "reserved",
        requester=requester,
        offer_price=offer,
    )


# --------------------------------------------------------------------------- the decision


def decide_capacity(
    scenario: Scenario,
    request: CapacityRequest,
    at: date,
    book: CapacityBook,
    *,
    without: Iterable[str] = (),
    source: RequestSource = "request",
    responder: Responder | None = None,
    objective: str | Objective = "cost",
    provenance: Provenance | None = None,
) -> CapacityDecision:
    """Place one capacity request on day ``at``: exclusivity, then the right of first refusal
    (the holder's capacity model judged for the request's term; the part it can meet offered
    to it, the rest released at once), then the objective among the other providers; capacity
    is taken from ``book`` as it is reserved. ``without`` switches clauses off (ids, kinds such
    as ``rofr``, contract ids); ``responder`` answers the holder's offers (default
    ``capacity-limited``); ``objective`` ranks candidates (``cost``: cheapest per unit of
    work). See :mod:`stargate.broker.procure` for the steps."""
    from stargate.broker.procure import Procurement

    day = at.date() if isinstance(at, datetime) else at
    return Procurement(
        scenario,
        request,
        day,
        book,
        without=without,
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
    "capacity_price",
    "committed_usd",
    "decide_capacity",
    "term_hours",
]
