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
from stargate.plan.procure import Placed
from stargate.plan.units import (
    days_from_years,
    hours_from_days,
    k_from_accelerators,
    mh_from_k_hours,
    musd_from_usd,
    mw_per_k_from_w_each,
)

__all__ = [
    "CloudPools",
    "FixedPhase",
    "FixedPool",
    "Held",
    "HeldSource",
    "Offer",
    "Offers",
    "OwnedStock",
    "PhaseCandidate",
    "fraction",
    "held_share",
    "in_service_until",
    "offers_of",
    "phase_capex_musd",
    "pool_online_day",
    "read_cloud_pools",
    "read_offers",
    "read_owned",
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


def pool_gone_day(site: Site, pool_id: str) -> date | None:
    """The day a pool is gone because its phase was cancelled (None: it is not)."""
    pool = next(p for p in site.pools if p.id == pool_id)
    ph = site.phase(pool.phase) if pool.phase is not None else None
    return None if ph is None else ph.cancelled


@dataclass(frozen=True, slots=True)
class PhaseCandidate:
    """A ``planned`` phase: the plan decides whether and when to build it."""

    site: str
    phase: str
    power_mw: float
    online: date
    capex_musd: float  # facility capex, $M
    order: int  # position among the site's planned phases: phase k+1 needs phase k
    lead_years: float = 0.0  # capex is committed this long before the phase comes online


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


# --------------------------------------------------------------------------- readers


@dataclass
class OwnedStock:
    """Owned, joint-venture and colocation sites with a cost basis: what exists there and
    what the plan may build (arrays by site, type and period, pro rata)."""

    phases: list[PhaseCandidate]
    fixed_phases: list[FixedPhase]
    fixed_pools: list[FixedPool]
    fixed_mw: Array  # [S, P] facility MW of fixed phases
    fixed_k: Array  # [S, T, P] thousands of fixed stock in service
    install_ok: npt.NDArray[np.bool_]  # [S, T]
    phase_frac: Array  # [F, P] share of each period from a planned phase's online date


def read_owned(
    scenario: Scenario,
    sites: Sequence[Site],
    periods: Sequence[_Period],
    types: Sequence[str],
    notes: list[str],
) -> OwnedStock:
    """Fixed phases and pools (status other than ``planned``), planned phases (a site with
    power but no phases: one planned phase of it all, from its announcement) and the types
    each site may install."""
    accs = {a.id: a for a in scenario.accelerators}
    n_s, n_t, n_p = len(sites), len(types), len(periods)
    first = periods[0].start
    out = OwnedStock([], [], [], np.zeros((n_s, n_p)), np.zeros((n_s, n_t, n_p)),
                     np.ones((n_s, n_t), dtype=bool), np.zeros((0, n_p)))  # fmt: skip
    for s, site in enumerate(sites):
        assert site.costs is not None
        costs = site.costs
        lead = costs.construction_lead_years
        if not site.phases and site.power_capacity_mw is not None:
            online = site.announced or scenario.horizon.start
            capex = phase_capex_musd(site, site.power_capacity_mw)
            out.phases.append(
                PhaseCandidate(site.id, f"{site.id}-all", site.power_capacity_mw, online, capex,
                               0, lead)
            )  # fmt: skip
        if not site.phases and site.power_capacity_mw is None:
            notes.append(f"site '{site.id}' has neither phases nor power: nothing to build")
        order = 0
        for ph in sorted(site.phases, key=lambda x: (x.online, x.id)):
            capex = phase_capex_musd(site, ph.power_mw)
            if ph.cancelled is not None and (ph.status == "planned" or ph.never_online()):
                notes.append(
                    f"phase '{ph.id}' was cancelled on {ph.cancelled.isoformat()}: neither "
                    "stock nor a candidate"
                )
                continue
            if ph.status == "planned":
                out.phases.append(
                    PhaseCandidate(site.id, ph.id, ph.power_mw, ph.online, capex, order, lead)
                )
                order += 1
                continue
            out.fixed_phases.append(
                FixedPhase(site.id, ph.id, ph.power_mw, ph.online, capex, lead, ph.status)
            )
            until = None if ph.cancelled is None else ph.cancelled - timedelta(days=1)
            out.fixed_mw[s] += [ph.power_mw * fraction(p, ph.online, until) for p in periods]
            if ph.online < first:
                notes.append(
                    f"phase '{ph.id}' ({ph.status}) was online before the horizon: its power "
                    "counts, its capex is sunk"
                )
        life = float(costs.accelerator_life_years)
        for pool in site.pools:
            if pool.accelerator not in types or pool.status == "planned":
                continue
            t = types.index(pool.accelerator)
            online = pool_online_day(site, pool.id)
            until = in_service_until(online, life)
            gone = pool_gone_day(site, pool.id)
            if gone is not None:
                if gone <= online:
                    continue  # its phase was cancelled before it came online
                until = min(until, gone - timedelta(days=1))
            unit = costs.accelerator_unit_price_usd.get(
                pool.accelerator, accs[pool.accelerator].unit_price_usd
            )
            out.fixed_pools.append(
                FixedPool(site.id, pool.id, pool.accelerator, pool.count, online, until,
                          float(unit), pool.status)
            )  # fmt: skip
            share = np.array([fraction(p, online, until) for p in periods])
            out.fixed_k[s, t] += k_from_accelerators(pool.count) * share
        if site.install_only_listed_types:
            named = {p.accelerator for p in site.pools}
            out.install_ok[s] = [t in named for t in types]
    if out.phases:
        out.phase_frac = np.array([[fraction(p, ph.online) for p in periods] for ph in out.phases])
    return out


@dataclass
class CloudPools:
    """Sites of cloud providers without a capacity model: capacity rented by the hour."""

    usd_per_hour: Array  # [K, T] the price rule's price (nan: not offered)
    basis: list[list[str]]  # [K][T] the price rule's basis
    #: [K, T, P] million hours: pools online, or for a site with phases but no pools what its
    #: phases' power can hold (each type alone); inf: the site lists neither
    cap_mh: Array


def read_cloud_pools(
    scenario: Scenario,
    sites: Sequence[Site],
    periods: Sequence[_Period],
    types: Sequence[str],
    reservations: Sequence[Reservation],
    lab: str,
) -> CloudPools:
    """Each site's price for the lab (``reserved`` tier) and its pools online (pro rata, until
    their phase is cancelled) less what every holder's reservations hold there, in million
    hours per period; a site with phases but no pools offers what its phases' power holds
    (:func:`_power_bound_k`), a site with neither is unlimited."""
    accs = {a.id: a for a in scenario.accelerators}
    n_k, n_t, n_p = len(sites), len(types), len(periods)
    hours = np.array([hours_from_days((p.end - p.start).days + 1) for p in periods])
    out = CloudPools(np.full((n_k, n_t), np.nan), [["" for _ in types] for _ in sites],
                     np.full((n_k, n_t, n_p), np.inf))  # fmt: skip
    reserved_k = np.zeros((n_k, n_t, n_p))
    ids = [s.id for s in sites]
    for res in reservations:
        try:
            where = delivery_site(scenario, scenario.provider(res.provider), res.accelerator,
                                  res.site)  # fmt: skip
        except KeyError:
            continue
        if where.id in ids and res.accelerator in types:
            k, t = ids.index(where.id), types.index(res.accelerator)
            share = np.array([fraction(p, res.term.start, res.term.end) for p in periods])
            reserved_k[k, t] += k_from_accelerators(res.accelerators) * share
    for k, site in enumerate(sites):
        prov = scenario.provider(site.provider)
        for t, tid in enumerate(types):
            hc = hourly_cost(scenario, prov, site, accs[tid], "reserved", requester=lab)
            if hc is not None:
                out.usd_per_hour[k, t] = float(hc.total_usd)
                out.basis[k][t] = hc.basis
            if not site.pools:
                if site.phases:  # a campus without listed pools: what its power can hold
                    on_offer = _power_bound_k(scenario, site, tid, periods)
                    free = np.clip(on_offer - reserved_k[k, t], 0.0, None)
                    out.cap_mh[k, t] = free * mh_from_k_hours(hours)
                continue
            on_offer = np.zeros(n_p)
            for pool in site.pools:
                if pool.accelerator == tid and pool.status != "planned":
                    day = pool_online_day(site, pool.id)
                    gone = pool_gone_day(site, pool.id)
                    until = None if gone is None else gone - timedelta(days=1)
                    share = np.array([fraction(p, day, until) for p in periods])
                    on_offer += k_from_accelerators(pool.count) * share
            free = np.clip(on_offer - reserved_k[k, t], 0.0, None)
            out.cap_mh[k, t] = free * mh_from_k_hours(hours)
    return out


def _power_bound_k(
    scenario: Scenario, site: Site, accelerator: str, periods: Sequence[_Period]
) -> Array:
    """[P] thousands of ``accelerator`` the power of a cloud site's phases can hold, pro rata:
    a phase counts from its ``online`` date to its ``cancelled`` date, and a ``planned`` phase
    never (the cloud decides to build it, not the plan) — so a campus announced and then
    dropped offers nothing, rather than the unlimited capacity of a cloud site that names
    neither pools nor phases."""
    acc = next(a for a in scenario.accelerators if a.id == accelerator)
    per_k_mw = mw_per_k_from_w_each(acc.tdp_w * scenario.settings.server_overhead * site.pue)
    out: Array = np.zeros(len(periods))
    for ph in site.phases:
        if ph.status == "planned" or ph.never_online():
            continue
        until = None if ph.cancelled is None else ph.cancelled - timedelta(days=1)
        share = np.array([fraction(p, ph.online, until) for p in periods])
        out += ph.power_mw / per_k_mw * share
    return out


@dataclass
class Offers:
    """Capacity model rows of cloud providers and what each still offers per period."""

    offers: list[Offer]
    flow_k: Array  # [O, P] thousands a period's purchases may reach
    cum_k: Array  # [O, P] thousands all holdings may reach by the period (carry_over rows)


def read_offers(
    scenario: Scenario,
    lab: str,
    types: Sequence[str],
    periods: Sequence[_Period],
    placed: Placed,
    notes: list[str],
) -> Offers:
    """Every capacity model row (:func:`offers_of`) and its flows (:func:`row_flows`), less
    what the dated requests' reservations took from it."""
    offers = offers_of(scenario, lab, types, notes)
    sold = placed.sold
    out = Offers(offers, np.zeros((len(offers), len(periods))),
                 np.zeros((len(offers), len(periods))))  # fmt: skip
    for o, off in enumerate(offers):
        row = scenario.provider(off.provider).capacity_model[off.row]
        out.flow_k[o], out.cum_k[o] = row_flows(row, off.provider, off.row, periods, sold)
    return out


def held_share(held: Sequence[Held], periods: Sequence[_Period]) -> Array:
    """[H, P] thousands of accelerators each reservation holds, averaged over each period
    (the term's days in it)."""
    out: Array = np.array(
        [[k_from_accelerators(h.accelerators) * fraction(p, h.start, h.end) for p in periods]
         for h in held]
    ).reshape(len(held), len(periods))  # fmt: skip
    return out
