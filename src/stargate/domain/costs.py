"""Cost and energy of one accelerator-hour at a site.

Clouds price accelerator-hours directly (on-demand or reserved). Owned and joint-venture sites
price them through their cost basis:

* accelerator capex: unit price spread evenly over ``accelerator_life_years``;
* facility capex: ``facility_capex_usd_per_mw`` (per MW of IT load) × the accelerator's IT
  load (``tdp_w × server_overhead``), spread over ``facility_life_years``;
* opex: ``opex_usd_per_mw_year`` × the IT load;
* energy: the facility's draw (IT load × PUE) × ``energy_price_usd_per_mwh``.

Straight-line, undiscounted amortisation: the broker compares providers at one moment and needs
a stable hourly figure; the planner (``stargate.plan``) does its own discounted accounting.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from stargate.domain.model import Accelerator, Provider, ProviderKind, Scenario, Site

HOURS_PER_YEAR = Decimal(8760)
Pricing = Literal["on_demand", "reserved"]


@dataclass(frozen=True, slots=True)
class HourlyCost:
    """USD per accelerator-hour, by component, and the facility energy it draws."""

    accelerator_capex_usd: Decimal
    facility_capex_usd: Decimal
    opex_usd: Decimal
    energy_usd: Decimal
    rental_usd: Decimal
    energy_mwh: Decimal

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


def hourly_cost(
    scenario: Scenario,
    provider: Provider,
    site: Site,
    accelerator: Accelerator,
    pricing: Pricing = "on_demand",
) -> HourlyCost | None:
    """Cost of one accelerator-hour of ``accelerator`` at ``site``; None when the site has no
    price for it (a cloud without a price row, or an owned site without a cost basis)."""
    energy_mwh = facility_load_mw(scenario, site, accelerator)
    zero = Decimal(0)
    if provider.kind == ProviderKind.cloud:
        price = next((p for p in site.prices if p.accelerator == accelerator.id), None)
        price = price or provider.price_for(accelerator.id)
        if price is None:
            return None
        rate = price.on_demand_usd_per_accelerator_hour
        if pricing == "reserved" and price.reserved_usd_per_accelerator_hour is not None:
            rate = price.reserved_usd_per_accelerator_hour
        return HourlyCost(zero, zero, zero, zero, rate, energy_mwh)
    costs = site.costs
    if costs is None:
        return None
    unit_price = costs.accelerator_unit_price_usd.get(accelerator.id, accelerator.unit_price_usd)
    it_mw = it_load_mw(scenario, accelerator)
    acc = unit_price / (Decimal(str(costs.accelerator_life_years)) * HOURS_PER_YEAR)
    fac = (
        costs.facility_capex_usd_per_mw
        * it_mw
        / (Decimal(str(costs.facility_life_years)) * HOURS_PER_YEAR)
    )
    opex = costs.opex_usd_per_mw_year * it_mw / HOURS_PER_YEAR
    energy = energy_mwh * (site.energy_price_usd_per_mwh or zero)
    return HourlyCost(acc, fac, opex, energy, zero, energy_mwh)
