"""The planner against exhaustive enumeration, monotonicity, infeasibility and the scenario."""

from __future__ import annotations

import itertools
import math

import polars as pl
import pytest

from stargate.domain.model import Scenario
from stargate.plan import PlanStatus, plan
from tests.plan.factory import small

H = 8760.0
DAYS = 365.25


def _enumerate(demand: tuple[float, float], budget: float | None) -> float:
    """Least cost of the factory's 2-period instance by brute force over phase builds and
    whole-thousand installs; rentals (uncapped, one class) fill the rest at the cheapest price."""
    r = 0.1
    t = [0.0, 365 / DAYS]
    horizon = 730 / DAYS
    end: float = (1 + r) ** -horizon
    disc: list[float] = [(1 + r) ** -tp for tp in t]

    def capex_factor(p: int, life: float) -> float:
        return disc[p] - end * max(0.0, 1 - (horizon - t[p]) / life)

    mw = {"a": 1.0, "b": 1.5}  # MW per thousand (tdp x overhead 1 x PUE 1)
    thr = {"a": 1.0, "b": 2.0}
    price = {"a": 20e6, "b": 50e6}  # per thousand
    energy = {"s1": 50.0, "s2": 40.0}
    rent = 6.0 * 0.8  # reserved, per reference hour
    best = float("inf")
    keys = [(s, ty, v) for s in ("s1", "s2") for ty in ("a", "b") for v in (0, 1)]
    for b1, b2 in itertools.product((None, 0, 1), (None, 1)):
        online = [
            (2.0 if b1 is not None and b1 <= p else 0.0)
            + (3.0 if b2 is not None and b2 <= p else 0.0)
            for p in (0, 1)
        ]
        site_mw = {
            "s1": [2.0 if b1 is not None and b1 <= p else 0.0 for p in (0, 1)],
            "s2": [3.0 if b2 is not None and b2 <= p else 0.0 for p in (0, 1)],
        }
        fac = (20e6 * capex_factor(b1, 10) if b1 is not None else 0.0) + (
            30e6 * capex_factor(b2, 10) if b2 is not None else 0.0
        )
        fac_spent = [(20e6 if b1 == p else 0.0) + (30e6 if b2 == p else 0.0) for p in (0, 1)]
        del online
        for counts in itertools.product(range(3), repeat=len(keys)):
            x = dict(zip(keys, counts, strict=True))
            ok = True
            for s in ("s1", "s2"):
                for p in (0, 1):
                    load = sum(
                        x[(s, ty, v)] * mw[ty] for ty in ("a", "b") for v in (0, 1) if v <= p
                    )
                    if load > site_mw[s][p] + 1e-9:
                        ok = False
            if not ok:
                continue
            spent = [sum(x[(s, ty, p)] * price[ty] for s in ("s1", "s2") for ty in ("a", "b"))
                     + fac_spent[p] for p in (0, 1)]  # fmt: skip
            if budget is not None and spent[0] > budget + 1e-6:
                continue
            cost = fac + sum(x[k] * price[k[1]] * capex_factor(k[2], 4) for k in keys)
            for p in (0, 1):
                work = 0.0
                for s in ("s1", "s2"):
                    for ty in ("a", "b"):
                        stock = sum(x[(s, ty, v)] for v in (0, 1) if v <= p)
                        work += stock * 1000 * H * thr[ty]
                        cost += stock * mw[ty] * (H * energy[s] + 100_000) * disc[p]
                cost += max(0.0, demand[p] - work) * rent * disc[p]
            best = min(best, cost)
    return best


@pytest.mark.parametrize(
    ("demand", "budget"),
    [((12e6, 20e6), 45e6), ((30e6, 60e6), None), ((5e6, 9e6), 25e6)],
)
def test_matches_enumeration(demand: tuple[float, float], budget: float | None) -> None:
    sc = small(demand_h=demand, budget_usd=budget)
    res = plan(sc, horizon=(2025, 2026), gap=1e-9, integer_installs=True, shadow_prices=False)
    assert res.status == PlanStatus.optimal
    assert res.objective_usd == pytest.approx(_enumerate(demand, budget), rel=1e-6)


def test_continuous_installs_relax_the_integer_plan() -> None:
    sc = small()
    cont = plan(sc, horizon=(2025, 2026), gap=1e-9)
    whole = plan(sc, horizon=(2025, 2026), gap=1e-9, integer_installs=True)
    assert cont.objective_usd is not None
    assert whole.objective_usd is not None
    assert cont.objective_usd <= whole.objective_usd + 1e-3


def _cost(sc: Scenario, **kw: object) -> float:
    res = plan(sc, horizon=(2025, 2027), gap=1e-9, shadow_prices=False, **kw)  # type: ignore[arg-type]
    assert res.status == PlanStatus.optimal, res.explain()
    assert res.objective_usd is not None
    return res.objective_usd


@pytest.mark.parametrize("pools", [None, 1000])
def test_rofr_off_never_costs_more(pools: int | None) -> None:
    sc = small(years=(2025, 2026, 2027), demand_h=(12e6, 20e6, 30e6), rofr=True, cloud_pools=pools)
    assert _cost(sc, without=("rofr",)) <= _cost(sc) + 1e-3


def test_rofr_holder_offer_is_used_up_first() -> None:
    sc = small(years=(2025, 2026, 2027), demand_h=(12e6, 20e6, 30e6), rofr=True, cloud_pools=1000)
    res = plan(sc, horizon=(2025, 2027), gap=1e-9)
    rented = res.rentals.group_by("period").agg(pl.col("accelerator_hours").sum())
    by_period = dict(zip(rented["period"], rented["accelerator_hours"], strict=True))
    for per in ("2025", "2026", "2027"):
        owned = res.share_by_provider.filter(
            (res.share_by_provider["period"] == per) & (res.share_by_provider["provider"] == "own")
        )
        if owned.height and owned["reference_hours"][0] > 1:
            assert by_period.get(per, 0.0) == pytest.approx(1000 * 8760, rel=1e-6)


def test_raising_the_budget_never_costs_more() -> None:
    sc = small(years=(2025, 2026, 2027), demand_h=(12e6, 20e6, 30e6))
    costs = [_cost(sc, budget_usd=b) for b in (30e6, 120e6, 1e9)]
    assert all(later <= earlier + 1e-3 for earlier, later in itertools.pairwise(costs))


def test_removing_a_site_never_costs_less() -> None:
    sc = small(years=(2025, 2026, 2027), demand_h=(12e6, 20e6, 30e6), third_site=True)
    fewer = sc.model_copy(update={"sites": [s for s in sc.sites if s.id != "s3"]})
    assert _cost(fewer) >= _cost(sc) - 1e-3


def test_exclusivity_keeps_work_on_its_provider() -> None:
    res = plan(small(exclusive=True), horizon=(2025, 2026), gap=1e-9)
    assert res.installs.height == 0
    assert set(res.share_by_provider["provider"]) == {"cloud"}


def test_budget_too_small_names_the_budget() -> None:
    sc = small(budget_usd=1e6, cloud_pools=100)
    res = plan(sc, horizon=(2025, 2026))
    assert res.status == PlanStatus.infeasible
    kinds = {c.kind for c in res.conflicts}
    assert "budget" in kinds
    assert "demand" not in kinds
    assert "milestone first" in res.explain()


def test_power_too_small_names_the_site() -> None:
    sc = small(demand_h=(100e6, 20e6), cloud_pools=100)
    res = plan(sc, horizon=(2025, 2026))
    assert res.status == PlanStatus.infeasible
    # the shortfall is in 2025, before s2 can be built; the slack lands on a site's power
    assert {c.kind for c in res.conflicts} == {"power"}
    assert "2025" in {c.period for c in res.conflicts}
    assert "MW more than its phases provide" in res.explain()


def test_demand_before_any_chip_names_the_demand() -> None:
    sc = small(a_from="2026-01-01", b_from="2026-01-01")
    res = plan(sc, horizon=(2025, 2026))
    assert res.status == PlanStatus.infeasible
    assert [(c.kind, c.name, c.period) for c in res.conflicts] == [("demand", "train", "2025")]
    assert "no accelerator that can run it" in res.explain()


def test_stargate_2025_smoke(default_scenario: Scenario) -> None:
    res = plan(default_scenario, horizon=(2025, 2030), period="year")
    assert res.status in (PlanStatus.optimal, PlanStatus.feasible)
    assert res.objective_usd is not None
    assert res.objective_usd > 0
    assert res.variables > 0
    assert res.constraints > 0
    assert set(res.annual_compute_cost["year"]) == set(range(2025, 2031))


def test_construction_lead_time_charges_capex_earlier() -> None:
    """A lead time moves a phase's capex before it comes online: discounted less, so the
    plan costs more; the builds table says when the capex was committed."""

    def with_lead(sc: Scenario, years: float) -> Scenario:
        sites = [
            s.model_copy(
                update={"costs": s.costs.model_copy(update={"construction_lead_years": years})}
            )
            if s.costs is not None
            else s
            for s in sc.sites
        ]
        return sc.model_copy(update={"sites": sites})

    base = small()
    r0 = plan(base, horizon=(2025, 2026))
    r1 = plan(with_lead(base, 1.0), horizon=(2025, 2026))
    assert r0.builds.height > 0
    assert r1.builds.height == r0.builds.height
    assert r1.objective_usd is not None
    assert r0.objective_usd is not None
    assert r1.objective_usd > r0.objective_usd
    for row in r1.builds.iter_rows(named=True):
        assert int(row["capex_committed"][:4]) == int(row["period"][:4]) - 1


def test_solver_noise_is_cleaned_at_the_boundary() -> None:
    from stargate.plan.api import clean_table

    noisy = pl.DataFrame(
        {"period": ["2025", "2025", "2026"], "provider": ["a", "b", "a"],
         "reference_hours": [93750.00000000004, 1e-12, 5.0], "share": [1.0, 6.1e-15, -1e-13]}
    )  # fmt: skip
    out = clean_table("share_by_provider", noisy)
    assert out["reference_hours"].to_list() == [93750.0, 5.0]  # the row with no work is dropped
    shares = out["share"].to_list()
    assert shares == [1.0, 0.0]
    assert all(math.copysign(1, v) == 1 for v in shares)  # no -0.0
    # a provider that holds capacity but does no work keeps its row; one with neither does not
    held = noisy.with_columns(
        pl.Series("capacity_reference_hours", [1e5, 2e5, 1e-12]),
        pl.Series("capacity_share", [0.25, 0.75, 0.0]),
    )
    out = clean_table("share_by_provider", held)
    assert out["provider"].to_list() == ["a", "b", "a"]
    assert out["reference_hours"].to_list() == [93750.0, 0.0, 5.0]
    out = clean_table(
        "share_by_provider", held.with_columns(pl.lit(0.0).alias("capacity_reference_hours"))
    )
    assert out["reference_hours"].to_list() == [93750.0, 5.0]


def test_result_tables_carry_no_noise() -> None:
    res = plan(small(rofr=True), horizon=(2025, 2026))
    for name, digits in (("installs", {"count": 3, "capex_usd": 2}),
                         ("share_by_provider", {"share": 6, "reference_hours": 3})):  # fmt: skip
        df = getattr(res, name)
        for col, n in digits.items():
            assert all(v == round(v, n) for v in df[col].to_list()), (name, col)
    assert res.objective_usd == round(res.objective_usd or 0.0, 2)


def test_default_horizon_and_limits() -> None:
    from stargate.errors import InputError
    from stargate.plan.data import default_horizon, periods_for

    sc = small()  # horizon 2025-01-01..2030-12-31
    assert default_horizon(sc) == (2025, 2030)
    part = Scenario.model_validate(
        {**sc.model_dump(mode="json"), "horizon": {"start": "2025-07-01", "end": "2028-06-30"}}
    )
    assert default_horizon(part) == (2026, 2027)
    assert plan(sc, shadow_prices=False).horizon == (2025, 2030)
    with pytest.raises(InputError, match="outside the range Stargate represents"):
        periods_for((9998, 9999), "quarter")
