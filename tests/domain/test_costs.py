"""The one price rule (stargate.domain.costs.hourly_cost) and the capital charge."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stargate.domain.costs import capital_recovery_factor, hourly_cost, per_reference_hour
from stargate.domain.model import Scenario
from stargate.scenario.loader import load_scenario
from tests.conftest import ANNOUNCED


@pytest.fixture(scope="module")
def sc() -> Scenario:
    """The announced-2025 fixture: the rule's mechanics, on prices that do not move with the
    default scenario's data."""
    return load_scenario(ANNOUNCED)


def test_capital_recovery_factor_is_the_annuity_and_straight_line_at_zero() -> None:
    # 1 repaid over 5 years at 8%: 0.08 * 1.08^5 / (1.08^5 - 1) = 0.250456...
    assert float(capital_recovery_factor(Decimal("0.08"), Decimal(5))) == pytest.approx(
        0.2504564545, rel=1e-9
    )
    assert capital_recovery_factor(Decimal(0), Decimal(5)) == Decimal("0.2")
    # five level payments repay the principal with interest: their present value is 1
    crf = capital_recovery_factor(Decimal("0.08"), Decimal(5))
    pv = sum(crf / Decimal("1.08") ** k for k in range(1, 6))
    assert float(pv) == pytest.approx(1, rel=1e-12)
    with pytest.raises(ValueError, match="0 years"):
        capital_recovery_factor(Decimal("0.08"), Decimal(0))


def test_the_rule_contract_then_offer_then_tier_then_cost(sc: Scenario) -> None:
    oci, abilene, gb200 = sc.provider("oci"), sc.site("abilene"), sc.accelerator("gb200")
    azure, azure_us = sc.provider("azure"), sc.site("azure-us")
    contract = hourly_cost(sc, oci, abilene, gb200, "reserved", requester="openai")
    assert contract is not None
    assert (contract.basis, contract.total_usd) == ("contract", Decimal("3.07"))
    # another party pays the list price; a capacity row's price stands in for it
    listed = hourly_cost(sc, oci, abilene, gb200, "reserved", requester="xai")
    assert listed is not None
    assert (listed.basis, listed.total_usd) == ("on_demand", Decimal("16.00"))  # no reserved
    offer = hourly_cost(sc, oci, abilene, gb200, "reserved", offer_price=Decimal("5"))
    assert offer is not None
    assert (offer.basis, offer.total_usd) == ("offer", Decimal("5"))
    # a contract price beats an offer price
    both = hourly_cost(
        sc, oci, abilene, gb200, "reserved", requester="openai", offer_price=Decimal("5")
    )
    assert both is not None
    assert both.basis == "contract"
    reserved = hourly_cost(sc, azure, azure_us, gb200, "reserved")
    on_demand = hourly_cost(sc, azure, azure_us, gb200, "on_demand")
    assert reserved is not None
    assert on_demand is not None
    assert (reserved.basis, reserved.total_usd) == ("reserved", Decimal("9.60"))
    assert (on_demand.basis, on_demand.total_usd) == ("on_demand", Decimal("16.00"))


def test_owned_capacity_carries_a_capital_charge_at_the_sites_rate(sc: Scenario) -> None:
    jv, site, gb200 = sc.provider("stargate"), sc.site("shackelford"), sc.accelerator("gb200")
    at_cost = hourly_cost(sc, jv, site, gb200)
    straight = hourly_cost(sc, jv, site.model_copy(update={"wacc": 0.0}), gb200)
    dearer = hourly_cost(sc, jv, site.model_copy(update={"wacc": 0.15}), gb200)
    assert at_cost is not None
    assert straight is not None
    assert dearer is not None
    assert at_cost.basis == "cost"
    assert straight.total_usd < at_cost.total_usd < dearer.total_usd
    # straight line at 0%: unit price over its life in hours
    assert float(straight.accelerator_capex_usd) == pytest.approx(43000 / (5 * 8760), rel=1e-12)
    # at 8%: about $1.64 an hour in all for a GB200 on the campus basis (docs/concepts.md)
    assert float(at_cost.total_usd) == pytest.approx(1.64, abs=0.01)


def test_per_reference_hour_divides_by_throughput() -> None:
    assert per_reference_hour(Decimal("9.60"), 2.5) == Decimal("3.84")
    assert per_reference_hour(Decimal("9.60"), 0.0) is None
