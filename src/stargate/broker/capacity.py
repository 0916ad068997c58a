"""Capacity requests: the lab procures capacity for a term, and a placed request becomes a
reservation.

This module holds the seller-side book (:class:`CapacityBook`: what each provider can still
offer, from its capacity model or, without one, from its pools; and what the lab holds), the
rows a decision produces (:class:`ProcurementRow`, the ``procurement`` table of summary.json),
and :func:`decide_capacity`, which places one capacity request.

GROUNDWORK: the first version places by price per unit of work only; exclusivity and the ROFR
at the procurement level are added on top (docs/concepts.md#the-rofr-on-capacity).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from stargate.broker.responders import Responder
from stargate.domain.capacity import delivery_site, period_of, rows_for
from stargate.domain.costs import facility_load_mw, hourly_cost, per_reference_hour
from stargate.domain.model import (
    CapacityRequest,
    CapacityRow,
    Provider,
    Reservation,
    Scenario,
    Term,
)

#: The ROFR outcome of one procurement row.
RofrVerdict = Literal["accepted", "declined", "expired", "released_unmet", "not_in_scope"]
#: Where a capacity request came from: the record (a dated request of the scenario), the
#: simulator's top-up for demand, or a user's request file / Python call.
RequestSource = Literal["scheduled", "demand", "request"]


@dataclass(frozen=True, slots=True)
class ProcurementRow:
    """One row of a capacity decision: a placed part (a reservation) or a part nobody could
    take (``placed`` False, no provider)."""

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


@dataclass
class CapacityDecision:
    """What happened to one capacity request."""

    request: CapacityRequest
    at: date
    rows: list[ProcurementRow] = field(default_factory=list)
    reservations: list[Reservation] = field(default_factory=list)

    @property
    def unmet_reference_accelerators(self) -> float:
        return sum(r.reference_accelerators for r in self.rows if not r.placed)


class CapacityBook:
    """What each provider can still offer and what the lab holds.

    A provider with a capacity model offers, for a term starting on day d, each row's flow of
    the calendar period containing d (with ``carry_over``: all it offered since the row's
    start) less what was sold from that row; one without a capacity model offers its pools of
    the type online by the term's start (``status: planned`` ones excluded) less what is
    reserved there for days of the term. Starting reservations of the scenario are held from
    the start."""

    def __init__(self, scenario: Scenario, *, starting: bool = True) -> None:
        self.scenario = scenario
        self.reservations: list[Reservation] = list(scenario.reservations) if starting else []
        self._sold: dict[tuple[str, int, date], int] = {}
        self._rows: dict[str, list[CapacityRow]] = {
            p.id: list(p.capacity_model) for p in scenario.providers
        }

    def _row_key(self, provider: Provider, row: CapacityRow, day: date) -> tuple[str, int, date]:
        idx = self._rows[provider.id].index(row)
        start = row.start if row.carry_over else period_of(day, row.per)[0]
        return provider.id, idx, start

    def offerable(self, provider_id: str, accelerator: str, term: Term) -> int:
        """Accelerators of a type a provider can still offer for a term."""
        provider = self.scenario.provider(provider_id)
        day = term.start
        if provider.capacity_model:
            total = 0
            for row in rows_for(provider, accelerator, day):
                total += max(0, self._row_left(provider, row, day))
            return total
        stock = 0
        for site in self.scenario.sites:
            if site.provider != provider_id:
                continue
            for pool in site.pools:
                if (
                    pool.accelerator == accelerator
                    and pool.status != "planned"
                    and site.pool_online(pool, day)
                ):
                    stock += pool.count
        held = sum(
            r.accelerators
            for r in self.reservations
            if r.provider == provider_id
            and r.accelerator == accelerator
            and r.term.start <= term.end
            and term.start <= r.term.end
        )
        return max(0, stock - held)

    def _row_left(self, provider: Provider, row: CapacityRow, day: date) -> int:
        from stargate.domain.capacity import flow_between

        key = self._row_key(provider, row, day)
        if row.carry_over:
            offered = flow_between(row, row.start, period_of(day, row.per)[1])
        else:
            p0, p1 = period_of(day, row.per)
            offered = flow_between(row, p0, p1)
        return math.floor(offered + 1e-9) - self._sold.get(key, 0)

    def reserve(self, reservation: Reservation) -> None:
        """Hold a reservation, taking it from the provider's offer."""
        provider = self.scenario.provider(reservation.provider)
        left = reservation.accelerators
        for row in rows_for(provider, reservation.accelerator, reservation.term.start):
            if left <= 0:
                break
            take = min(left, max(0, self._row_left(provider, row, reservation.term.start)))
            if take:
                key = self._row_key(provider, row, reservation.term.start)
                self._sold[key] = self._sold.get(key, 0) + take
                left -= take
        self.reservations.append(reservation)

    def held(self, day: date, provider: str | None = None) -> list[Reservation]:
        """Reservations in force on ``day`` (of one provider, or all)."""
        return [
            r
            for r in self.reservations
            if r.term.contains(day) and (provider is None or r.provider == provider)
        ]


def _types(scenario: Scenario, request: CapacityRequest) -> list[str]:
    ask = request.accelerators
    if ask is None or ask.types == "any":
        return [a.id for a in scenario.accelerators]
    return list(ask.types)


def _throughput(scenario: Scenario, request: CapacityRequest, accelerator: str) -> float:
    """Work per accelerator of a type for a capacity request: its throughput for the
    request's first class (every class it serves must be able to run on the type)."""
    acc = scenario.accelerator(accelerator)
    if any(acc.throughput_for(c) <= 0 for c in request.workload_classes):
        return 0.0
    return acc.throughput_for(request.workload_classes[0])


def decide_capacity(
    scenario: Scenario,
    request: CapacityRequest,
    at: date,
    book: CapacityBook,
    *,
    without: Iterable[str] = (),
    source: RequestSource = "request",
    responder: Responder | None = None,
) -> CapacityDecision:
    """Place one capacity request on ``at`` (GROUNDWORK: cheapest per unit of work first)."""
    del without, responder
    term = request.term_from(at)
    decision = CapacityDecision(request, at)
    providers = request.providers or [p.id for p in scenario.providers]
    options: list[tuple[Decimal, str, str, str, float, Decimal]] = []
    for pid in sorted(providers):
        provider = scenario.provider(pid)
        for acc_id in _types(scenario, request):
            thr = _throughput(scenario, request, acc_id)
            if thr <= 0:
                continue
            rows = rows_for(provider, acc_id, term.start)
            offer_price = next(
                (
                    r.price_usd_per_accelerator_hour
                    for r in rows
                    if r.price_usd_per_accelerator_hour
                ),
                None,
            )
            try:
                site = delivery_site(scenario, provider, acc_id, rows[0].site if rows else None)
            except KeyError:
                continue
            hc = hourly_cost(
                scenario,
                provider,
                site,
                scenario.accelerator(acc_id),
                "reserved",
                requester=request.requester,
                offer_price=offer_price,
            )
            if hc is None:
                continue
            unit = per_reference_hour(hc.total_usd, thr)
            assert unit is not None
            options.append((unit, pid, site.id, acc_id, thr, hc.total_usd))
    options.sort()
    want_ref = _wanted_reference(scenario, request, options)
    left_ref = want_ref
    for unit, pid, site_id, acc_id, thr, price in options:
        if left_ref <= 1e-9:
            break
        del unit
        can = book.offerable(pid, acc_id, term)
        n = min(can, math.ceil(left_ref / thr - 1e-9))
        if n <= 0:
            continue
        site = scenario.site(site_id)
        acc = scenario.accelerator(acc_id)
        mw = float(facility_load_mw(scenario, site, acc)) * n
        res = Reservation(
            id=f"{request.id}-{len(decision.reservations) + 1}",
            holder=request.requester,
            provider=pid,
            site=site_id,
            accelerator=acc_id,
            accelerators=n,
            term=term,
            price_usd_per_accelerator_hour=price,
            workload_classes=list(request.workload_classes),
            source=f"capacity request '{request.id}' placed on {at.isoformat()}",
        )
        book.reserve(res)
        decision.reservations.append(res)
        decision.rows.append(
            ProcurementRow(
                request.id,
                at,
                pid,
                site_id,
                acc_id,
                n,
                n * thr,
                mw,
                term.start,
                term.end,
                price,
                "not_in_scope",
                "objective:cost",
                source,
                True,
            )
        )
        left_ref -= n * thr
    if left_ref > 1e-9:
        decision.rows.append(
            ProcurementRow(
                request.id,
                at,
                None,
                None,
                None,
                0,
                left_ref,
                0.0,
                term.start,
                term.end,
                None,
                "not_in_scope",
                "infeasible",
                source,
                False,
                "no provider can offer the rest",
            )
        )
    return decision


def _wanted_reference(
    scenario: Scenario,
    request: CapacityRequest,
    options: list[tuple[Decimal, str, str, str, float, Decimal]],
) -> float:
    """How much the request asks for, in reference accelerators of the best option's type."""
    ask = request.accelerators
    if ask is not None:
        if ask.unit == "reference" or not options:
            return float(ask.count)
        return float(ask.count) * options[0][4]
    assert request.power_mw is not None
    if not options:
        return 0.0
    _, _, site_id, acc_id, thr, _ = options[0]
    per = float(facility_load_mw(scenario, scenario.site(site_id), scenario.accelerator(acc_id)))
    return math.floor(request.power_mw / per) * thr if per > 0 else 0.0
