"""The price of one accelerator-hour, by one rule that every engine calls.

:func:`hourly_cost` answers "what does ``requester`` pay for an hour of ``accelerator`` at
``site`` of ``provider``, on price ``tier``?" (docs/concepts.md#one-price-basis):

1. **A price row** for the type — the site's own row, else the provider's — prices the hour:
   a contract price for the requester, if the row carries one; else the tier's list price
   (``reserved`` falls back to ``on_demand`` where the row has no reserved price). A capacity
   model row's own price (``offer_price``) stands in for the list price, never for a contract
   price. This covers clouds, and leased sites sold by their lessee (Abilene as OCI capacity).
2. **Else a cost basis** (``costs`` of an owned, joint-venture or colocation site) prices it at
   cost, the capital charged at the site's cost of capital:

   * accelerator capex: unit price × CRF(r, ``accelerator_life_years``) / 8,760;
   * facility capex: ``facility_capex_usd_per_mw`` × IT load × CRF(r, ``facility_life_years``)
     / 8,760, the IT load being ``tdp_w × server_overhead``;
   * opex: ``opex_usd_per_mw_year`` × IT load / 8,760;
   * energy: the facility's draw (IT load × PUE) × ``energy_price_usd_per_mwh``;

   where CRF(r, n) = r(1+r)ⁿ / ((1+r)ⁿ − 1) is the capital recovery factor (the level annual
   payment that repays 1 over n years at rate r; 1/n at r = 0) and r is the site's ``wacc``,
   else the scenario's ``discount_rate``.
3. **Else** the hour has no price (None): engines treat the pool as unpriced.

Tiers: ``on_demand`` for a job placed without a reservation, ``reserved`` for capacity held
for a term (capacity requests, reservations, the planner's rentals).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from stargate.domain.model import Accelerator, CloudPrice, Provider, Scenario, Site

HOURS_PER_YEAR = Decimal(8760)
Pricing = Literal["on_demand", "reserved"]
#: Where an hourly price came from.
Basis = Literal["contract", "offer", "reserved", "on_demand", "cost"]


@dataclass(frozen=True, slots=True)
class HourlyCost:
    """USD per accelerator-hour, by component, the facility energy it draws, and the basis of
    the price (``contract``, ``offer``, ``reserved``, ``on_demand`` or ``cost``)."""

    accelerator_capex_usd: Decimal
    facility_capex_usd: Decimal
    opex_usd: Decimal
    energy_usd: Decimal
    rental_usd: Decimal
    energy_mwh: Decimal
    basis: Basis = "on_demand"
    source: str | None = None

    @property
    def total_usd(self) -> Decimal:
        return (
            self.accelerator_capex_usd
            + self.facility_capex_usd
            + self.opex_usd
            + self.energy_usd
            + self.rental_usd
        )


def it_load_mw(scenario: Scenario, accelerator: Accelerator) -> Decimal:
    """IT load of one accelerator with its share of server and network, in MW."""
    return (
        Decimal(str(accelerator.tdp_w))
        * Decimal(str(scenario.settings.server_overhead))
        / Decimal(1_000_000)
    )


def facility_load_mw(scenario: Scenario, site: Site, accelerator: Accelerator) -> Decimal:
    """Grid draw of one accelerator at a site (IT load × PUE), in MW."""
    return it_load_mw(scenario, accelerator) * Decimal(str(site.pue))


def capital_recovery_factor(rate: Decimal, years: Decimal) -> Decimal:
    """CRF(r, n) = r(1+r)ⁿ / ((1+r)ⁿ − 1): the level yearly payment that repays 1 over n years
    at rate r (1/n when r is 0)."""
    if years <= 0:
        raise ValueError("a life of 0 years has no capital recovery factor")
    if rate == 0:
        return 1 / years
    growth = (1 + rate) ** years
    return rate * growth / (growth - 1)


def cost_of_capital(scenario: Scenario, site: Site) -> Decimal:
    """The rate at which a site's capital is charged: its ``wacc``, else the discount rate."""
    rate = site.wacc if site.wacc is not None else scenario.settings.discount_rate
    return Decimal(str(rate))


def price_row(provider: Provider, site: Site, accelerator_id: str) -> CloudPrice | None:
    """The price row for a type at a site: the site's own, else the provider's."""
    row = next((p for p in site.prices if p.accelerator == accelerator_id), None)
    return row or provider.price_for(accelerator_id)


def hourly_cost(
    scenario: Scenario,
    provider: Provider,
    site: Site,
    accelerator: Accelerator,
    pricing: Pricing = "on_demand",
    *,
    requester: str | None = None,
    offer_price: Decimal | None = None,
) -> HourlyCost | None:
    """What ``requester`` pays for one hour of ``accelerator`` at ``site``, on tier ``pricing``
    (the rule in this module's docstring); None when nothing prices it."""
    energy_mwh = facility_load_mw(scenario, site, accelerator)
    zero = Decimal(0)
    row = price_row(provider, site, accelerator.id)
    if row is not None or offer_price is not None:
        contract = row.contract_price_for(requester) if row is not None else None
        if contract is not None:
            return HourlyCost(
                zero,
                zero,
                zero,
                zero,
                contract.usd_per_accelerator_hour,
                energy_mwh,
                "contract",
                contract.source,
            )
        if offer_price is not None:
            return HourlyCost(zero, zero, zero, zero, offer_price, energy_mwh, "offer")
        assert row is not None
        if pricing == "reserved" and row.reserved_usd_per_accelerator_hour is not None:
            return HourlyCost(
                zero,
                zero,
                zero,
                zero,
                row.reserved_usd_per_accelerator_hour,
                energy_mwh,
                "reserved",
                row.source,
            )
        return HourlyCost(
            zero,
            zero,
            zero,
            zero,
            row.on_demand_usd_per_accelerator_hour,
            energy_mwh,
            "on_demand",
            row.source,
        )
    costs = site.costs
    if costs is None:
        return None
    unit_price = costs.accelerator_unit_price_usd.get(accelerator.id, accelerator.unit_price_usd)
    rate = cost_of_capital(scenario, site)
    it_mw = it_load_mw(scenario, accelerator)
    acc = (
        unit_price
        * capital_recovery_factor(rate, Decimal(str(costs.accelerator_life_years)))
        / HOURS_PER_YEAR
    )
    fac = (
        costs.facility_capex_usd_per_mw
        * it_mw
        * capital_recovery_factor(rate, Decimal(str(costs.facility_life_years)))
        / HOURS_PER_YEAR
    )
    opex = costs.opex_usd_per_mw_year * it_mw / HOURS_PER_YEAR
    energy = energy_mwh * (site.energy_price_usd_per_mwh or zero)
    return HourlyCost(acc, fac, opex, energy, zero, energy_mwh, "cost", costs.source)


def reference_throughput(scenario: Scenario, accelerator: Accelerator) -> float:
    """The throughput of a type for the scenario's reference class: one accelerator of it is
    that many reference accelerators."""
    return accelerator.throughput_for(scenario.reference_class_id())


def per_reference_hour(price: Decimal, throughput: float) -> Decimal | None:
    """A price per accelerator-hour as a price per reference-accelerator-hour of work (None
    where the type cannot do the work)."""
    if throughput <= 0:
        return None
    return price / Decimal(str(throughput))
