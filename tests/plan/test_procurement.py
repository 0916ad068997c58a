"""The planner's procurement: the ROFR on new capacity (capacity models, caps per unit of
work, never more than the demand), one price rule for every rental, and the dated capacity
requests placed through the broker before the plan."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stargate.broker.capacity import CapacityBook, decide_capacity
from stargate.domain.costs import hourly_cost
from stargate.domain.model import Scenario
from stargate.plan import PlanResult, PlanStatus, plan
from tests.plan.factory import small

HOURS = 8760.0


def _plan(sc: Scenario, **kw: Any) -> PlanResult:
    res = plan(sc, horizon=(2025, 2026), gap=1e-9, shadow_prices=False, **kw)
    assert res.status == PlanStatus.optimal, res.explain()
    return res


def _row(accelerators: int, **extra: Any) -> dict[str, Any]:
    return {"accelerator": "a", "start": "2025-01-01", "accelerators": accelerators,
            "per": "year", "source": "test", **extra}  # fmt: skip


def _held(res: PlanResult, provider: str, source: str = "plan") -> dict[str, float]:
    df = res.capacity_held.filter((pl.col("provider") == provider) & (pl.col("source") == source))
    return dict(zip(df["period"], df["accelerators"], strict=True))


# ------------------------------------------------------------------- the ROFR in the plan


def test_a_holder_with_ten_times_the_demand_is_rented_no_more_than_the_demand() -> None:
    """The holder's capacity model offers ten times what the demand needs: the plan holds
    what the demand needs from it and no more — no take-or-pay on all it could offer — and
    builds nothing elsewhere while the holder can carry the work."""
    demand = (12e6, 20e6)
    need = [h / HOURS for h in demand]  # type a: throughput 1
    sc = small(demand_h=demand, rofr=True, capacity_model=[_row(round(10 * need[1]))])
    res = _plan(sc)
    held = _held(res, "cloud")
    for per, n in zip(("2025", "2026"), need, strict=True):
        assert held[per] <= n * (1 + 1e-6) + 1e-6
        assert held[per] >= n * (1 - 1e-6)
    assert res.builds.height == 0
    assert res.installs.height == 0
    # without the clause the owned sites are cheaper, and the holder is not used at all
    off = _plan(sc, without=("rofr",))
    assert off.installs.height > 0
    assert _held(off, "cloud") == {}
    assert off.objective_usd is not None
    assert res.objective_usd is not None
    assert off.objective_usd < res.objective_usd


def test_a_holder_with_ten_times_the_demand_in_pools_is_rented_no_more_either() -> None:
    """Without a capacity model the holder offers its pools: renting them all is never
    forced when they exceed the demand."""
    sc = small(demand_h=(12e6, 20e6), rofr=True, cloud_pools=25_000)
    res = _plan(sc)
    rented = res.rentals.group_by("period").agg(pl.col("accelerator_hours").sum())
    by_period = dict(zip(rented["period"], rented["accelerator_hours"], strict=True))
    assert by_period["2025"] == pytest.approx(12e6, rel=1e-6)
    assert by_period["2026"] == pytest.approx(20e6, rel=1e-6)


def test_a_small_holder_offer_is_bought_in_full_before_building_elsewhere() -> None:
    """The holder can offer 500 a year: each year's flow is bought (and kept: capacity sold
    in a period runs to the end), and the rest of the new capacity is built."""
    sc = small(demand_h=(12e6, 20e6), rofr=True, capacity_model=[_row(500)])
    res = _plan(sc)
    assert _held(res, "cloud") == pytest.approx({"2025": 500.0, "2026": 1000.0})
    assert res.installs.height > 0
    off = _plan(sc, without=("rofr",))
    assert _held(off, "cloud") == {}


def test_a_flow_not_bought_does_not_carry_over() -> None:
    """A capacity model row of 500 a year at $0.80/h, with no demand in 2025 and more in 2026
    than the owned sites and the row can carry (a second cloud at $9/h takes the rest). What
    is not sold in 2025 is gone: to hold 1,000 in 2026 the lab buys 500 in 2025 and pays for
    them unused. With ``carry_over`` 2025's offer is still there in 2026: 1,000 held from
    2026 only, for less."""
    base: dict[str, Any] = {"demand_h": (0.0, 70e6), "second_cloud_price": 9.0}
    row = _row(500, price_usd_per_accelerator_hour=0.8)
    flow = _plan(small(**base, capacity_model=[row]))
    assert _held(flow, "cloud") == pytest.approx({"2025": 500.0, "2026": 1000.0})
    carry = _plan(small(**base, capacity_model=[{**row, "carry_over": True}]))
    assert _held(carry, "cloud") == pytest.approx({"2026": 1000.0})
    assert carry.objective_usd is not None
    assert flow.objective_usd is not None
    assert carry.objective_usd < flow.objective_usd


@settings(max_examples=12)
@given(
    d25=st.floats(1e6, 15e6),
    growth=st.floats(1.0, 1.5),
    offer=st.integers(0, 6000),
    price=st.floats(2.0, 12.0),
    cap=st.one_of(st.none(), st.floats(3.0, 15.0)),
    model=st.booleans(),
)
def test_without_rofr_never_costs_more(
    d25: float, growth: float, offer: int, price: float, cap: float | None, model: bool
) -> None:
    """Switching the ROFR off only removes constraints: the plan never costs more (within
    the MIP gap), whatever the holder offers and at whatever price."""
    kw: dict[str, Any] = {"demand_h": (d25, d25 * growth), "rofr": True, "rofr_cap": cap,
                          "cloud_price": price}  # fmt: skip
    if model:
        kw["capacity_model"] = [_row(offer)] if offer else []
    else:
        kw["cloud_pools"] = offer or None  # None: no pools listed, unlimited
    sc = small(**kw)
    on = plan(sc, horizon=(2025, 2026), gap=1e-7, shadow_prices=False)
    off = plan(sc, horizon=(2025, 2026), gap=1e-7, shadow_prices=False, without=("rofr",))
    assert off.status == PlanStatus.optimal, off.explain()
    if on.status != PlanStatus.optimal:
        return  # the clause can make a plan infeasible; its absence never does
    assert on.objective_usd is not None
    assert off.objective_usd is not None
    assert off.objective_usd <= on.objective_usd * (1 + 1e-6) + 1e-3


# ------------------------------------------------------------------- one price rule


def test_a_rental_is_priced_by_the_price_rule_a_contract_price_beats_the_list_price() -> None:
    sc = small(exclusive=True, contract_price=2.0)
    res = _plan(sc)
    assert res.rentals.height > 0
    assert set(res.rentals["basis"]) == {"contract"}
    assert set(res.rentals["tier"]) == {"reserved"}
    for row in res.rentals.to_dicts():
        assert row["cost_usd"] == pytest.approx(row["accelerator_hours"] * 2.0, rel=1e-9)
    hc = hourly_cost(sc, sc.provider("cloud"), sc.site("cloud-east"), sc.accelerator("a"),
                     "reserved", requester=sc.lab_id())  # fmt: skip
    assert hc is not None
    assert hc.total_usd == Decimal("2.0")
    listed = _plan(small(exclusive=True))
    assert set(listed.rentals["basis"]) == {"reserved"}
    hours = float(listed.rentals["accelerator_hours"].sum())
    assert float(listed.rentals["cost_usd"].sum()) == pytest.approx(hours * 4.8, rel=1e-9)


def test_a_capacity_model_rows_price_stands_in_for_the_list_price() -> None:
    sc = small(exclusive=True, capacity_model=[_row(5000, price_usd_per_accelerator_hour=3.5)])
    res = _plan(sc)
    assert set(res.rentals["basis"]) == {"offer"}
    held = res.capacity_held
    assert (held["committed_usd"] >= held["used_usd"] - 1e-6).all()


def test_a_faster_dearer_type_wins_when_it_is_cheaper_per_unit_of_work() -> None:
    """b costs $8/h reserved against a's $4.80 but does twice the work: $4 per
    reference-hour. Confined to the cloud, the plan rents b."""
    res = _plan(small(exclusive=True, cloud_b_price=10.0))
    assert set(res.rentals["accelerator"]) == {"b"}
    dear = _plan(small(exclusive=True, cloud_b_price=13.0))  # $10.40: $5.20 per unit
    assert set(dear.rentals["accelerator"]) == {"a"}


# ------------------------------------------------------------------- dated capacity requests


def _dated(**extra: Any) -> dict[str, Any]:
    return {"id": "deal", "date": "2025-01-01", "requester": "lab", "workload_classes": ["train"],
            "accelerators": {"count": 1000, "types": ["a"]},
            "term": {"start": "2025-07-01", "end": "2026-12-31"}, "source": "test",
            **extra}  # fmt: skip


def test_dated_requests_are_placed_through_the_broker_and_held_in_the_plan() -> None:
    sc = small(capacity_requests=[_dated()], contract_price=2.5, cloud_pools=5000)
    res = _plan(sc)
    book = CapacityBook(sc)
    request = sc.capacity_requests[0]
    expected = decide_capacity(sc, request, request.date, book, source="scheduled")
    assert res.procurement.to_dicts() == [
        {k: v for k, v in row.to_dict().items() if k in res.procurement.columns}
        for row in expected.rows
    ]
    row = res.procurement.to_dicts()[0]
    assert Decimal(row["price_usd_per_accelerator_hour"]) == Decimal("2.5")  # the contract price
    held = res.capacity_held.filter(pl.col("source") == "scheduled")
    assert held["accelerators"].to_list() == pytest.approx([1000 * 184 / 365, 1000.0])
    # take-or-pay: what it costs is in the plan's cost whether used or not
    committed = float(held["committed_usd"].sum())
    assert committed == pytest.approx(1000 * (184 * 24 + HOURS) * 2.5, rel=1e-9)
    rental = float(res.cost_by_period["rental_usd"].sum())
    assert rental >= committed - 1e-3


def test_the_plan_and_the_broker_agree_on_price_and_verdict_for_the_same_request() -> None:
    """One request, one price: the plan's procurement row (placed by the broker's capacity
    decision), the price rule for the same requester, provider, site, type and tier, and the
    plan's price for the same capacity rented."""
    sc = small(capacity_requests=[_dated()], rofr=True, contract_price=2.5, cloud_pools=5000)
    res = _plan(sc)
    row = res.procurement.to_dicts()[0]
    hc = hourly_cost(sc, sc.provider(row["provider"]), sc.site(row["site"]),
                     sc.accelerator(row["accelerator"]), "reserved", requester="lab")  # fmt: skip
    assert hc is not None
    assert Decimal(row["price_usd_per_accelerator_hour"]) == hc.total_usd
    book = CapacityBook(sc)
    request = sc.capacity_requests[0]
    broker = decide_capacity(sc, request, request.date, book, source="scheduled").rows[0]
    assert row["rofr"] == broker.rofr
    assert row["decided_by"] == broker.decided_by
    rented = res.rentals.filter(pl.col("source") == "scheduled")
    for r in rented.to_dicts():
        assert r["cost_usd"] == pytest.approx(r["accelerator_hours"] * float(hc.total_usd))


def test_dated_requests_after_the_plan_are_not_placed() -> None:
    later_deal = _dated(date="2027-03-01", term={"start": "2027-03-01", "end": "2028-12-31"})
    sc = small(capacity_requests=[later_deal], cloud_pools=5000)
    res = _plan(sc)
    assert res.procurement.height == 0
    later = plan(sc, horizon=(2025, 2027), gap=1e-6, shadow_prices=False)
    assert later.procurement.height == 1


def test_the_plan_and_its_procurement_are_deterministic() -> None:
    sc = small(capacity_requests=[_dated()], rofr=True, capacity_model=[_row(700)])
    a, b = _plan(sc).to_dict(), _plan(sc).to_dict()
    for doc in (a, b):
        for key in ("solve_s", "build_s"):
            doc.pop(key)
    assert a == b


def test_what_a_dated_request_takes_from_a_capacity_model_the_plan_cannot_buy() -> None:
    """The seller's book sold 600 of the row's 1,000 for 2025 to the dated request: the plan
    may buy 400 more in 2025 and the full 1,000 in 2026 (a flow, per calendar year)."""
    from stargate.plan.data import prepare

    deal = _dated(accelerators={"count": 600, "types": ["a"]})
    sc = small(capacity_requests=[deal], capacity_model=[_row(1000)])
    d = prepare(sc, horizon=(2025, 2026), period="year", without=(), budget_usd=None,
                supply_per_year=None)  # fmt: skip
    assert [r.accelerators for r in d.procurement if r.placed] == [600]
    assert d.offer_flow_k[0].tolist() == pytest.approx([0.4, 1.0])
    q = prepare(sc, horizon=(2025, 2026), period="quarter", without=(), budget_usd=None,
                supply_per_year=None)  # fmt: skip
    days = (90, 91, 92, 92)
    expected = [0.4 * n / 365 for n in days] + [1.0 * n / 365 for n in days]
    assert q.offer_flow_k[0].tolist() == pytest.approx(expected)
