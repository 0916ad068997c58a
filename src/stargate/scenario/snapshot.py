"""A scenario as it stands on one day: what `stargate scenario show` prints.

Returns a plain pydantic object (rendering to tables lives in the CLI), so the JSON form is the
same object that Python users get.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from stargate.contracts.state import agi_clauses_in_force, clause_state, describe
from stargate.domain.costs import hourly_cost
from stargate.domain.model import CloudPrice, Provider, ProviderKind, Scenario, Site
from stargate.domain.provenance import Provenance, for_scenario

CENT = Decimal("0.01")


class PartyView(BaseModel):
    id: str
    name: str
    roles: list[str]


class PoolView(BaseModel):
    id: str
    accelerator: str
    count: int
    online: bool
    available_from: date
    in_outage: bool
    price_usd_per_accelerator_hour: str | None
    price_basis: Literal["on_demand", "owned_cost"] | None


class SiteView(BaseModel):
    id: str
    name: str
    provider: str
    location: str
    power_capacity_mw: float | None
    online_power_mw: float | None
    pue: float
    accelerators_online: int
    pools: list[PoolView]


class ProviderView(BaseModel):
    id: str
    name: str
    kind: str
    owner: str
    sites: list[str]
    accelerators_online: int


class CapacityRow(BaseModel):
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


class PriceView(BaseModel):
    provider: str
    site: str | None
    accelerator: str
    on_demand_usd_per_accelerator_hour: str
    reserved_usd_per_accelerator_hour: str | None


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
    parties: list[PartyView]
    providers: list[ProviderView]
    sites: list[SiteView]
    capacity: list[CapacityRow]
    capacity_by_provider: dict[str, int]
    capacity_by_accelerator: dict[str, int]
    total_accelerators: int
    clauses_in_force: list[ClauseView]
    clauses_not_in_force: list[ClauseView]
    prices: list[PriceView]
    budget: list[MilestoneView]
    provenance: Provenance


def _pool_price(
    scenario: Scenario, provider: Provider | None, site: Site, accelerator_id: str
) -> tuple[str | None, Literal["on_demand", "owned_cost"] | None]:
    """What the broker charges for one accelerator-hour of a pool, to the cent, and on what
    basis: a cloud's on-demand price, or an owned site's cost (capex, opex and energy)."""
    acc = next((a for a in scenario.accelerators if a.id == accelerator_id), None)
    if provider is None or acc is None:
        return None, None
    cost = hourly_cost(scenario, provider, site, acc)
    if cost is None:
        return None, None
    basis: Literal["on_demand", "owned_cost"] = (
        "on_demand" if provider.kind == ProviderKind.cloud else "owned_cost"
    )
    return str(cost.total_usd.quantize(CENT)), basis


def _price_view(provider: str, site: str | None, price: CloudPrice) -> PriceView:
    reserved = price.reserved_usd_per_accelerator_hour
    return PriceView(
        provider=provider,
        site=site,
        accelerator=price.accelerator,
        on_demand_usd_per_accelerator_hour=str(price.on_demand_usd_per_accelerator_hour),
        reserved_usd_per_accelerator_hour=None if reserved is None else str(reserved),
    )


def snapshot(scenario: Scenario, at: date | None = None) -> Snapshot:
    """The scenario on ``at`` (default: its ``as_of`` date)."""
    day = at or scenario.as_of
    by_pa: dict[tuple[str, str], int] = defaultdict(int)
    sites: list[SiteView] = []
    per_provider: dict[str, int] = defaultdict(int)
    providers_by_id = {p.id: p for p in scenario.providers}
    for site in scenario.sites:
        pools = []
        online_count = 0
        for pool in site.pools:
            online = site.pool_online(pool, day)
            outage = online and site.in_outage(pool.id, day)
            price, basis = _pool_price(
                scenario, providers_by_id.get(site.provider), site, pool.accelerator
            )
            pools.append(
                PoolView(
                    id=pool.id,
                    accelerator=pool.accelerator,
                    count=pool.count,
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
                online_power_mw=site.online_power_mw(day),
                pue=site.pue,
                accelerators_online=online_count,
                pools=pools,
            )
        )
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
        view = ClauseView(
            contract=contract.id,
            id=clause.id,
            kind=clause.kind,
            name=clause.name,
            status=st.status,
            reason=st.reason,
            amendment=st.amendment,
            summary=describe(shown),
        )
        (in_force if st.in_force else not_in_force).append(view)
    return Snapshot(
        scenario=scenario.id,
        name=scenario.name,
        at=day,
        horizon_start=scenario.horizon.start,
        horizon_end=scenario.horizon.end,
        parties=[
            PartyView(id=p.id, name=p.name, roles=[str(r) for r in p.roles])
            for p in scenario.parties
        ],
        providers=providers,
        sites=sites,
        capacity=capacity,
        capacity_by_provider={p.id: per_provider.get(p.id, 0) for p in scenario.providers},
        capacity_by_accelerator=dict(sorted(by_acc.items())),
        total_accelerators=sum(by_pa.values()),
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
