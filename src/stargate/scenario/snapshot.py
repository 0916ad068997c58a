"""A scenario as it stands on one day: what `stargate scenario show` prints.

Returns a plain pydantic object (rendering to tables lives in the CLI), so the JSON form is the
same object that Python users get.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from stargate.contracts.state import (
    agi_clauses_in_force,
    clause_state,
    describe,
    resolve_without,
)
from stargate.domain.capacity import delivery_site, flow_between, period_of
from stargate.domain.costs import (
    Basis,
    HourlyCost,
    cost_of_capital,
    hourly_cost,
    reference_throughput,
)
from stargate.domain.model import (
    Accelerator,
    CloudPrice,
    DatedCapacityRequest,
    Provider,
    Reservation,
    Scenario,
    Site,
)
from stargate.domain.provenance import Provenance, for_scenario

CENT = Decimal("0.01")


class PartyView(BaseModel):
    id: str
    name: str
    roles: list[str]


#: What a price shown for the lab rests on: its own contract price, a list price, or the
#: site's cost basis (``owned_cost``); a reservation may also carry its own price.
PriceBasis = Literal["contract", "offer", "reserved", "on_demand", "owned_cost", "reservation"]


class PoolView(BaseModel):
    id: str
    accelerator: str
    count: int
    status: str = Field(description="operational, under_construction, committed or planned")
    online: bool
    available_from: date
    in_outage: bool
    price_usd_per_accelerator_hour: str | None = Field(
        description="What the scenario's lab pays for an hour on demand, by the price rule"
    )
    price_basis: PriceBasis | None


class PhaseView(BaseModel):
    id: str
    power_mw: float
    online: date
    status: str
    online_on_day: bool


class LeaseView(BaseModel):
    developer: str | None
    lessee: str = Field(description="The site's provider, which leases and operates it")
    start: date
    term_years: float
    end: date


class SiteView(BaseModel):
    id: str
    name: str
    provider: str
    location: str
    power_capacity_mw: float | None
    online_power_mw: float | None
    pue: float
    accelerators_online: int
    developer: str | None
    lease: LeaseView | None
    wacc: float | None
    install_only_listed_types: bool
    phases: list[PhaseView]
    pools: list[PoolView]


class OwnedCostView(BaseModel):
    """The at-cost hour of a type at a site with a cost basis, by component (USD strings to
    the cent, each rounded on its own), with the capital charge it includes."""

    site: str
    provider: str
    accelerator: str
    cost_of_capital: float = Field(description="The site's wacc, else the discount rate")
    cost_of_capital_from: Literal["wacc", "discount_rate"]
    accelerator_capex_usd: str
    facility_capex_usd: str
    opex_usd: str
    energy_usd: str
    total_usd: str
    straight_line_usd: str = Field(description="The same hour with no cost of capital")
    capital_charge_usd: str = Field(description="total_usd - straight_line_usd")
    lab_price_usd: str | None = Field(
        description="What the lab pays where the site's provider sells it (leased capacity)"
    )
    lab_price_basis: PriceBasis | None


class CapacityModelView(BaseModel):
    provider: str
    accelerator: str
    site: str | None = Field(description="Where it is delivered (resolved when not given)")
    start: date
    end: date | None
    accelerators: int
    per: str
    carry_over: bool
    reference_accelerators: float = Field(description="accelerators × reference throughput")
    price_usd_per_accelerator_hour: str | None
    in_force: bool
    offered_in_period: float = Field(
        description="Accelerators the row offers in the calendar period containing the day"
    )
    source: str | None


class ReservationView(BaseModel):
    id: str
    holder: str
    provider: str
    site: str | None
    accelerator: str
    accelerators: int
    reference_accelerators: float
    term_start: date
    term_end: date
    held: bool = Field(description="The term contains the day shown")
    price_usd_per_accelerator_hour: str | None
    price_basis: PriceBasis | None
    workload_classes: list[str]
    source: str | None


class CapacityRequestView(BaseModel):
    id: str
    date: dt.date
    date_reached: bool = Field(description="The request's date is on or before the day shown")
    requester: str
    workload_classes: list[str]
    accelerators: int | None
    types: list[str] | Literal["any"] | None
    unit: str | None
    power_mw: float | None
    term_start: dt.date | None
    term_end: dt.date | None
    term_years: float | None
    providers: list[str]
    sites: list[str]
    price_cap_usd_per_accelerator_hour: str | None
    price_cap_usd_per_reference_hour: str | None
    deadline: dt.date | None
    source: str | None


class ProviderView(BaseModel):
    id: str
    name: str
    kind: str
    owner: str
    sites: list[str]
    accelerators_online: int


class CapacityRow(BaseModel):
    """Accelerators online on the day, by provider and type."""

    provider: str
    accelerator: str
    count: int


class ClauseView(BaseModel):
    contract: str
    id: str
    kind: str
    name: str | None
    status: str
    reason: str
    amendment: str | None
    summary: str


class ContractPriceView(BaseModel):
    party: str
    usd_per_accelerator_hour: str


class PriceView(BaseModel):
    provider: str
    site: str | None
    accelerator: str
    on_demand_usd_per_accelerator_hour: str
    reserved_usd_per_accelerator_hour: str | None
    contract_prices: list[ContractPriceView]


class MilestoneView(BaseModel):
    id: str
    by: date
    capex_usd: str


class Snapshot(BaseModel):
    scenario: str
    name: str
    at: date
    horizon_start: date
    horizon_end: date | None
    lab: str = Field(description="The lab whose procurement the engines replay")
    reference_class: str = Field(description="The class that weighs reference accelerators")
    parties: list[PartyView]
    providers: list[ProviderView]
    sites: list[SiteView]
    owned_costs: list[OwnedCostView]
    capacity: list[CapacityRow]
    capacity_by_provider: dict[str, int]
    capacity_by_accelerator: dict[str, int]
    total_accelerators: int
    capacity_models: list[CapacityModelView]
    reservations: list[ReservationView]
    capacity_requests: list[CapacityRequestView]
    clauses_in_force: list[ClauseView]
    clauses_not_in_force: list[ClauseView]
    prices: list[PriceView]
    budget: list[MilestoneView]
    provenance: Provenance


def _cents(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def _basis(basis: Basis) -> PriceBasis:
    return "owned_cost" if basis == "cost" else basis


def _pool_price(
    scenario: Scenario, provider: Provider | None, site: Site, accelerator_id: str
) -> tuple[str | None, PriceBasis | None]:
    """What the scenario's lab pays for one accelerator-hour of a pool on demand, to the cent,
    and on what basis, by the one price rule (:func:`stargate.domain.costs.hourly_cost`): its
    contract price, else the list price, else the site's cost."""
    acc = next((a for a in scenario.accelerators if a.id == accelerator_id), None)
    if provider is None or acc is None:
        return None, None
    cost = hourly_cost(scenario, provider, site, acc, requester=scenario.lab_id())
    if cost is None:
        return None, None
    return _cents(cost.total_usd), _basis(cost.basis)


def cost_basis(
    scenario: Scenario, site: Site, accelerator: Accelerator, *, wacc: float | None = None
) -> HourlyCost | None:
    """The at-cost hour of a type at a site with ``costs``, whoever sells it: the price rule's
    cost branch, the site's and its provider's price rows set aside (a leased site sold at a
    contract price has a cost basis too). ``wacc`` overrides the site's cost of capital
    (0: straight-line, as format 1 had it). None when the site has no cost basis."""
    if site.costs is None:
        return None
    provider = scenario.provider(site.provider).model_copy(update={"prices": []})
    update: dict[str, object] = {"prices": []}
    if wacc is not None:
        update["wacc"] = wacc
    return hourly_cost(scenario, provider, site.model_copy(update=update), accelerator)


def owned_cost_view(scenario: Scenario, site: Site, accelerator: Accelerator) -> OwnedCostView:
    """One row of the owned-cost table (the site has ``costs``)."""
    cost = cost_basis(scenario, site, accelerator)
    flat = cost_basis(scenario, site, accelerator, wacc=0.0)
    assert cost is not None  # the site has costs
    assert flat is not None
    provider = scenario.provider(site.provider)
    sold = hourly_cost(scenario, provider, site, accelerator, requester=scenario.lab_id())
    resold = sold if sold is not None and sold.basis != "cost" else None
    return OwnedCostView(
        site=site.id,
        provider=site.provider,
        accelerator=accelerator.id,
        cost_of_capital=float(cost_of_capital(scenario, site)),
        cost_of_capital_from="wacc" if site.wacc is not None else "discount_rate",
        accelerator_capex_usd=_cents(cost.accelerator_capex_usd),
        facility_capex_usd=_cents(cost.facility_capex_usd),
        opex_usd=_cents(cost.opex_usd),
        energy_usd=_cents(cost.energy_usd),
        total_usd=_cents(cost.total_usd),
        straight_line_usd=_cents(flat.total_usd),
        capital_charge_usd=_cents(cost.total_usd - flat.total_usd),
        lab_price_usd=None if resold is None else _cents(resold.total_usd),
        lab_price_basis=None if resold is None else _basis(resold.basis),
    )


def _online_power_mw(site: Site, day: date) -> float | None:
    """Facility power online on ``day``: the phases online by then and not cancelled, planned
    ones (candidates) left out; the full capacity when the site has no phases."""
    if not site.phases:
        return site.power_capacity_mw
    return sum(ph.power_mw for ph in site.phases if ph.exists_on(day) and ph.status != "planned")


def _lease_view(site: Site) -> LeaseView | None:
    lease = site.lease
    if lease is None:
        return None
    days = round(lease.term_years * 365.25)
    return LeaseView(
        developer=site.developer,
        lessee=site.provider,
        start=lease.start,
        term_years=lease.term_years,
        end=lease.start + timedelta(days=max(days, 1) - 1),
    )


def _capacity_models(scenario: Scenario, day: date) -> list[CapacityModelView]:
    out: list[CapacityModelView] = []
    for prov in scenario.providers:
        for row in prov.capacity_model:
            acc = scenario.accelerator(row.accelerator)
            try:
                site: str | None = delivery_site(scenario, prov, row.accelerator, row.site).id
            except KeyError:
                site = None
            p0, p1 = period_of(day, row.per)
            price = row.price_usd_per_accelerator_hour
            out.append(
                CapacityModelView(
                    provider=prov.id,
                    accelerator=row.accelerator,
                    site=site,
                    start=row.start,
                    end=row.end,
                    accelerators=row.accelerators,
                    per=row.per,
                    carry_over=row.carry_over,
                    reference_accelerators=round(
                        row.accelerators * reference_throughput(scenario, acc), 3
                    ),
                    price_usd_per_accelerator_hour=None if price is None else str(price),
                    in_force=row.span().contains(day),
                    offered_in_period=round(flow_between(row, p0, p1), 3),
                    source=row.source,
                )
            )
    return out


def reservation_price(
    scenario: Scenario, res: Reservation
) -> tuple[Decimal | None, PriceBasis | None]:
    """A reservation's price per accelerator-hour: its own, else the price rule's on the
    reserved tier for its holder (a contract price, else the reserved list price)."""
    if res.price_usd_per_accelerator_hour is not None:
        return res.price_usd_per_accelerator_hour, "reservation"
    prov = scenario.provider(res.provider)
    acc = scenario.accelerator(res.accelerator)
    site = delivery_site(scenario, prov, res.accelerator, res.site)
    cost = hourly_cost(scenario, prov, site, acc, "reserved", requester=res.holder)
    if cost is None:
        return None, None
    return cost.total_usd, _basis(cost.basis)


def _reservation_view(scenario: Scenario, res: Reservation, day: date) -> ReservationView:
    price, basis = reservation_price(scenario, res)
    acc = scenario.accelerator(res.accelerator)
    site = delivery_site(scenario, scenario.provider(res.provider), res.accelerator, res.site)
    return ReservationView(
        id=res.id,
        holder=res.holder,
        provider=res.provider,
        site=site.id,
        accelerator=res.accelerator,
        accelerators=res.accelerators,
        reference_accelerators=round(res.accelerators * reference_throughput(scenario, acc), 3),
        term_start=res.term.start,
        term_end=res.term.end,
        held=res.term.contains(day),
        price_usd_per_accelerator_hour=None if price is None else _cents(price),
        price_basis=basis,
        workload_classes=list(res.workload_classes),
        source=res.source,
    )


def _request_view(req: DatedCapacityRequest, day: date) -> CapacityRequestView:
    acc = req.accelerators
    cap_acc = req.price_cap_usd_per_accelerator_hour
    cap_ref = req.price_cap_usd_per_reference_hour
    return CapacityRequestView(
        id=req.id,
        date=req.date,
        date_reached=req.date <= day,
        requester=req.requester,
        workload_classes=list(req.workload_classes),
        accelerators=None if acc is None else acc.count,
        types=None if acc is None else (acc.types if acc.types == "any" else list(acc.types)),
        unit=None if acc is None else acc.unit,
        power_mw=req.power_mw,
        term_start=None if req.term is None else req.term.start,
        term_end=None if req.term is None else req.term.end,
        term_years=req.term_years,
        providers=list(req.providers),
        sites=list(req.sites),
        price_cap_usd_per_accelerator_hour=None if cap_acc is None else str(cap_acc),
        price_cap_usd_per_reference_hour=None if cap_ref is None else str(cap_ref),
        deadline=req.deadline,
        source=req.source,
    )


def _price_view(provider: str, site: str | None, price: CloudPrice) -> PriceView:
    reserved = price.reserved_usd_per_accelerator_hour
    return PriceView(
        provider=provider,
        site=site,
        accelerator=price.accelerator,
        on_demand_usd_per_accelerator_hour=str(price.on_demand_usd_per_accelerator_hour),
        reserved_usd_per_accelerator_hour=None if reserved is None else str(reserved),
        contract_prices=[
            ContractPriceView(
                party=c.party, usd_per_accelerator_hour=str(c.usd_per_accelerator_hour)
            )
            for c in price.contract_prices
        ],
    )


def snapshot(
    scenario: Scenario, at: date | None = None, *, without: Iterable[str] = ()
) -> Snapshot:
    """The scenario on ``at`` (default: its ``as_of`` date). ``without``: selectors as for
    the engines (:func:`~stargate.contracts.state.resolve_without`): agreements and amendments
    named are voided, clauses named are shown as ``switched_off``."""
    resolved = resolve_without(scenario, without)
    scenario = resolved.scenario
    day = at or scenario.as_of
    by_pa: dict[tuple[str, str], int] = defaultdict(int)
    sites: list[SiteView] = []
    owned: list[OwnedCostView] = []
    per_provider: dict[str, int] = defaultdict(int)
    providers_by_id = {p.id: p for p in scenario.providers}
    for site in scenario.sites:
        pools = []
        online_count = 0
        for pool in site.pools:
            # A planned pool is a candidate, not stock: it is never capacity online.
            online = pool.status != "planned" and site.pool_online(pool, day)
            outage = online and site.in_outage(pool.id, day)
            price, basis = _pool_price(
                scenario, providers_by_id.get(site.provider), site, pool.accelerator
            )
            pools.append(
                PoolView(
                    id=pool.id,
                    accelerator=pool.accelerator,
                    count=pool.count,
                    status=pool.status,
                    online=online,
                    available_from=pool.available_from,
                    in_outage=outage,
                    price_usd_per_accelerator_hour=price,
                    price_basis=basis,
                )
            )
            if online and not outage:  # a pool in an outage serves nothing that day
                online_count += pool.count
                by_pa[(site.provider, pool.accelerator)] += pool.count
        per_provider[site.provider] += online_count
        loc = ", ".join(
            x for x in (site.location.city, site.location.region, site.location.country) if x
        )
        sites.append(
            SiteView(
                id=site.id,
                name=site.name,
                provider=site.provider,
                location=loc,
                power_capacity_mw=site.power_capacity_mw,
                online_power_mw=_online_power_mw(site, day),
                pue=site.pue,
                accelerators_online=online_count,
                developer=site.developer,
                lease=_lease_view(site),
                wacc=site.wacc,
                install_only_listed_types=site.install_only_listed_types,
                phases=[
                    PhaseView(
                        id=ph.id,
                        power_mw=ph.power_mw,
                        online=ph.online,
                        status=ph.status,
                        online_on_day=ph.status != "planned" and ph.online <= day,
                    )
                    for ph in site.phases
                ],
                pools=pools,
            )
        )
        if site.costs is not None:
            types = dict.fromkeys(p.accelerator for p in site.pools)  # in pool order, once
            owned.extend(owned_cost_view(scenario, site, scenario.accelerator(a)) for a in types)
    providers = [
        ProviderView(
            id=p.id,
            name=p.name,
            kind=str(p.kind),
            owner=p.owner,
            sites=[s.id for s in scenario.sites if s.provider == p.id],
            accelerators_online=per_provider.get(p.id, 0),
        )
        for p in scenario.providers
    ]
    capacity = [
        CapacityRow(provider=p, accelerator=a, count=n) for (p, a), n in sorted(by_pa.items())
    ]
    by_acc: dict[str, int] = defaultdict(int)
    for (_, a), n in by_pa.items():
        by_acc[a] += n
    in_force: list[ClauseView] = []
    not_in_force: list[ClauseView] = []
    agi = agi_clauses_in_force(scenario, day)
    for contract, clause in scenario.clauses():
        st = clause_state(contract.id, clause, day, agi)
        shown = st.version
        if shown is None:  # not in force: still say what the clause reads that day, as amended
            am = clause.active_amendment(day)
            shown = clause.amended(am) if am is not None and am.action == "modify" else clause
        off = clause.id in resolved.clause_ids
        view = ClauseView(
            contract=contract.id,
            id=clause.id,
            kind=clause.kind,
            name=clause.name,
            status="switched_off" if off else st.status,
            reason="switched off (--without)" if off else st.reason,
            amendment=st.amendment,
            summary=describe(shown),
        )
        (in_force if st.in_force and not off else not_in_force).append(view)
    return Snapshot(
        scenario=scenario.id,
        name=scenario.name,
        at=day,
        horizon_start=scenario.horizon.start,
        horizon_end=scenario.horizon.end,
        lab=scenario.lab_id(),
        reference_class=scenario.reference_class_id(),
        parties=[
            PartyView(id=p.id, name=p.name, roles=[str(r) for r in p.roles])
            for p in scenario.parties
        ],
        providers=providers,
        sites=sites,
        owned_costs=owned,
        capacity=capacity,
        capacity_by_provider={p.id: per_provider.get(p.id, 0) for p in scenario.providers},
        capacity_by_accelerator=dict(sorted(by_acc.items())),
        total_accelerators=sum(by_pa.values()),
        capacity_models=_capacity_models(scenario, day),
        reservations=[_reservation_view(scenario, r, day) for r in scenario.reservations],
        capacity_requests=[_request_view(r, day) for r in scenario.capacity_requests],
        clauses_in_force=in_force,
        clauses_not_in_force=not_in_force,
        prices=[
            *(_price_view(p.id, None, price) for p in scenario.providers for price in p.prices),
            *(
                _price_view(site.provider, site.id, price)
                for site in scenario.sites
                for price in site.prices
            ),
        ],
        budget=[
            MilestoneView(id=m.id, by=m.by, capex_usd=str(m.capex_usd))
            for m in scenario.budget.milestones
        ],
        provenance=for_scenario(scenario),
    )
