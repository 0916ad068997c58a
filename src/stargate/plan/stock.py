"""What exists, and what can be bought, as the planner's numbers.

The planner starts from what the scenario says exists (docs/planner.md#what-exists):

* **fixed phases** — a site phase with ``status`` operational, under_construction or
  committed is built on its ``online`` date: its power counts from then, its capex is counted
  (committed ``construction_lead_years`` before), it is not a decision;
* **fixed pools** — a listed pool (any status but ``planned``) at an owned, joint-venture or
  colocation site is installed stock from the day it comes online (its ``available_from``, or
  its phase's ``online`` if later) until ``accelerator_life_years`` later, its capex counted
  on that day;
* **held capacity** — the lab's reservations (the scenario's starting reservations and what
  its dated capacity requests placed): hours it may use for the term, paid whether used or
  not (take-or-pay) at the reservation's price, else the price rule's;
* **offers** — what a cloud provider with a capacity model can still sell per period (each
  row's flow, less what the dated requests took), and the pools of a cloud provider without
  one (less what reservations hold there), rented by the hour.

Every date counts **pro rata**: in the period containing it, for the share of the period's
days from that day on (:func:`fraction`). Prices come from the one price rule,
:func:`stargate.domain.costs.hourly_cost`, on the ``reserved`` tier, for the lab.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from stargate.domain.capacity import delivery_site, flow_between, period_of
from stargate.domain.costs import hourly_cost
from stargate.domain.model import CapacityRow, Provider, ProviderKind, Reservation, Scenario, Site
from stargate.plan.units import days_from_years, k_from_accelerators, musd_from_usd

__all__ = [
    "FixedPhase",
    "FixedPool",
    "Held",
    "HeldSource",
    "Offer",
    "fraction",
    "in_service_until",
    "offers_of",
    "phase_capex_musd",
    "pool_online_day",
    "reservations_held",
    "row_flows",
]

Array = npt.NDArray[np.float64]
#: Where held capacity came from: the scenario's starting reservations, or a dated capacity
#: request of the record placed on its date.
HeldSource = Literal["starting", "scheduled"]


class _Period(Protocol):
    """What :func:`fraction` needs of a period (a :class:`~stargate.plan.data.PlanPeriod`)."""

    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date: ...


def fraction(period: _Period, start: date, end: date | None = None) -> float:
    """The share of ``period``'s days from ``start`` to ``end`` (both included; ``end`` None:
    to the period's end): 1 for something in service all period, 0 for something not yet (or
    no longer) in service, the share of days otherwise — a phase online on 2025-09-30 serves
    93 / 365 of 2025."""
    lo = max(period.start, start)
    hi = period.end if end is None else min(period.end, end)
    if hi < lo:
        return 0.0
    return ((hi - lo).days + 1) / ((period.end - period.start).days + 1)


def in_service_until(start: date, life_years: float) -> date:
    """The last day an asset in service from ``start`` serves, ``life_years`` later."""
    return start + timedelta(days=max(1, days_from_years(life_years)) - 1)


def pool_online_day(site: Site, pool_id: str) -> date:
    """The day a pool comes online: its ``available_from``, or its phase's ``online`` if
    later (as :meth:`~stargate.domain.model.Site.pool_online` reads it)."""
    pool = next(p for p in site.pools if p.id == pool_id)
    day = pool.available_from
    if pool.phase is not None:
        ph = site.phase(pool.phase)
        if ph is not None and ph.online > day:
            day = ph.online
    return day


@dataclass(frozen=True, slots=True)
class FixedPhase:
    """A phase that exists or is firmly on its way: built on ``online``, not a decision."""

    site: str
    phase: str
    power_mw: float
    online: date
    capex_musd: float  # facility capex, $M
    lead_years: float
    status: str


@dataclass(frozen=True, slots=True)
class FixedPool:
    """Listed stock at an owned, joint-venture or colocation site."""

    site: str
    pool: str
    accelerator: str
    count: int
    online: date
    until: date  # last day in service (accelerator_life_years after online)
    unit_price_usd: float
    status: str


@dataclass(frozen=True, slots=True)
class Held:
    """Capacity the lab holds for a term: usable hours, paid whether used or not."""

    id: str
    provider: str
    site: str
    accelerator: str
    accelerators: int
    start: date
    end: date
    price_usd: float  # per accelerator-hour
    basis: str  # the price's basis: contract (the reservation's own price) or the rule's
    classes: tuple[str, ...]  # the classes it serves; empty: any
    source: HeldSource


@dataclass(frozen=True, slots=True)
class Offer:
    """One capacity model row of a cloud provider: new capacity it can sell per period."""

    provider: str
    site: str
    accelerator: str
    row: int  # index in the provider's capacity_model
    carry_over: bool
    price_usd: float  # per accelerator-hour, by the price rule (contract > offer > list)
    basis: str
    source: str


def reservations_held(
    scenario: Scenario,
    reservations: Sequence[Reservation],
    placed_ids: frozenset[str],
    lab: str,
    notes: list[str],
) -> list[Held]:
    """The lab's reservations as :class:`Held`, priced by their own price, else the price rule
    (``reserved`` tier, for the holder). Reservations of other parties, or at sites or
    providers the scenario does not have, are left out (with a note for the latter)."""
    out: list[Held] = []
    for res in reservations:
        if res.holder != lab:
            continue
        try:
            provider = scenario.provider(res.provider)
            site = delivery_site(scenario, provider, res.accelerator, res.site)
            acc = scenario.accelerator(res.accelerator)
        except KeyError:
            notes.append(
                f"reservation '{res.id}' names a provider, site or type the scenario does not "
                "have: left out"
            )
            continue
        if res.price_usd_per_accelerator_hour is not None:
            price, basis = float(res.price_usd_per_accelerator_hour), "contract"
        else:
            hc = hourly_cost(scenario, provider, site, acc, "reserved", requester=res.holder)
            if hc is None:
                notes.append(f"reservation '{res.id}' has no price: counted at $0")
                price, basis = 0.0, "none"
            else:
                price, basis = float(hc.total_usd), hc.basis
        out.append(
            Held(
                res.id,
                provider.id,
                site.id,
                acc.id,
                res.accelerators,
                res.term.start,
                res.term.end,
                price,
                basis,
                tuple(res.workload_classes),
                "scheduled" if res.id in placed_ids else "starting",
            )
        )
    return out


def offers_of(scenario: Scenario, lab: str, types: Sequence[str], notes: list[str]) -> list[Offer]:
    """Every capacity model row of a cloud provider, priced by the price rule for the lab
    (the row's own price stands in for the list price; a contract price beats both)."""
    out: list[Offer] = []
    for provider in scenario.providers:
        if not provider.capacity_model:
            continue
        if provider.kind != ProviderKind.cloud:
            notes.append(
                f"provider '{provider.id}' is not a cloud: its capacity model is not used "
                "(the planner builds its sites)"
            )
            continue
        for i, row in enumerate(provider.capacity_model):
            if row.accelerator not in types:
                continue
            offer = _offer(scenario, provider, i, row, lab)
            if offer is None:
                notes.append(
                    f"capacity model row {i + 1} of '{provider.id}' ({row.accelerator}) has no "
                    "site or no price: not offered"
                )
                continue
            out.append(offer)
    return out


def _offer(
    scenario: Scenario, provider: Provider, i: int, row: CapacityRow, lab: str
) -> Offer | None:
    try:
        site = delivery_site(scenario, provider, row.accelerator, row.site)
    except KeyError:
        return None
    hc = hourly_cost(
        scenario,
        provider,
        site,
        scenario.accelerator(row.accelerator),
        "reserved",
        requester=lab,
        offer_price=row.price_usd_per_accelerator_hour,
    )
    if hc is None:
        return None
    return Offer(
        provider.id, site.id, row.accelerator, i, row.carry_over, float(hc.total_usd), hc.basis,
        row.source or "",
    )  # fmt: skip


def row_flows(
    row: CapacityRow,
    provider_id: str,
    index: int,
    periods: Sequence[_Period],
    sold: dict[tuple[str, int, date], int],
) -> tuple[Array, Array]:
    """(flow, cumulative) thousands of accelerators a capacity model row still offers: per
    plan period, its flow over the period's days (pro rata), each of the row's own calendar
    periods scaled by the share left after what was ``sold`` in it; and, for a ``carry_over``
    row, everything offered from the row's start to each period's end less all that was sold
    (what a plan may hold by then)."""
    n = len(periods)
    flow = np.zeros(n)
    cum = np.zeros(n)
    if row.carry_over:
        sold_total = sum(v for (p, i, _), v in sold.items() if p == provider_id and i == index)
        for j, per in enumerate(periods):
            offered = flow_between(row, row.start, per.end) if per.end >= row.start else 0.0
            cum[j] = k_from_accelerators(max(0.0, offered - sold_total))
        flow[:] = np.diff(cum, prepend=0.0).clip(min=0.0)
        return flow, cum
    for j, per in enumerate(periods):
        day = max(per.start, row.start)
        last = per.end if row.end is None else min(per.end, row.end)
        total = 0.0
        while day <= last:
            p0, p1 = period_of(day, row.per)
            seg_end = min(p1, last)
            offered = flow_between(row, p0, p1)
            left = max(0.0, math.floor(offered + 1e-9) - sold.get((provider_id, index, p0), 0))
            share = left / offered if offered > 0 else 0.0
            total += flow_between(row, day, seg_end) * share
            day = seg_end + timedelta(days=1)
        flow[j] = k_from_accelerators(total)
    cum[:] = np.cumsum(flow)
    return flow, cum


def phase_capex_musd(site: Site, power_mw: float) -> float:
    """Facility capex of a phase, $M: capex per MW of IT load × the phase's facility power /
    PUE."""
    assert site.costs is not None
    return musd_from_usd(float(site.costs.facility_capex_usd_per_mw) * power_mw / site.pue)
