"""What exists, against exhaustive enumeration: fixed phases, fixed pools, held reservations
and pro-rata dates give the same least cost as brute force over the remaining decisions
(phase builds and whole-thousand installs) on the factory's two-year instances."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from stargate.plan import PlanStatus, plan
from tests.plan.factory import MW_PER_K, SITES, THROUGHPUT, UNIT_PRICE, small

R = 0.1
H0 = date(2025, 1, 1)
PERIODS = ((date(2025, 1, 1), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 12, 31)))
DAYS = 365.25
HORIZON = 730 / DAYS
RENT = 6.0 * 0.8  # the cloud's reserved price for type a (throughput 1): per reference-hour


def years(day: date) -> float:
    return (day - H0).days / DAYS


def frac(p: int, start: date, end: date | None = None) -> float:
    lo = max(PERIODS[p][0], start)
    hi = PERIODS[p][1] if end is None else min(PERIODS[p][1], end)
    if hi < lo:
        return 0.0
    return ((hi - lo).days + 1) / ((PERIODS[p][1] - PERIODS[p][0]).days + 1)


def hours(p: int) -> float:
    return ((PERIODS[p][1] - PERIODS[p][0]).days + 1) * 24.0


def disc(p: int) -> float:
    return float((1 + R) ** -years(PERIODS[p][0]))


def capex_factor(at_years: float, life: float) -> float:
    end: float = (1 + R) ** -HORIZON
    return float((1 + R) ** -at_years - end * max(0.0, 1 - (HORIZON - at_years) / life))


def period_of(day: date) -> int | None:
    for p, (a, b) in enumerate(PERIODS):
        if a <= day <= b:
            return p
    return None


@dataclass
class Instance:
    demand: tuple[float, float]
    phases: dict[str, tuple[date, str]]  # site -> (online, status)
    pools: dict[str, list[tuple[str, int, date]]] = field(default_factory=dict)  # site -> pools
    reservations: list[tuple[int, date, date, float | None]] = field(default_factory=list)
    budget: float | None = None
    budget_by: date = date(2025, 12, 31)
    max_k: int = 2  # the most thousands installed per site, type and period in the search

    def scenario_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "demand_h": self.demand,
            "phases": {s: (d.isoformat(), st) for s, (d, st) in self.phases.items()},
            "owned_pools": {
                s: [
                    {"id": f"{s}-p{i}", "accelerator": t, "count": n,
                     "available_from": d.isoformat()}
                    for i, (t, n, d) in enumerate(rows)
                ]
                for s, rows in self.pools.items()
            },
            "reservations": [
                {"id": f"res-{i}", "holder": "lab", "provider": "cloud", "site": "cloud-east",
                 "accelerator": "a", "accelerators": n,
                 "term": {"start": a.isoformat(), "end": b.isoformat()},
                 **({"price_usd_per_accelerator_hour": q} if q is not None else {})}
                for i, (n, a, b, q) in enumerate(self.reservations)
            ],
        }  # fmt: skip
        if self.budget is not None:
            kw["budget_usd"] = self.budget
            kw["budget_by"] = self.budget_by.isoformat()
        return kw


def enumerate_least_cost(ins: Instance) -> float:
    """Least cost by brute force over planned phase builds and installs of 0 to ``max_k``
    thousand per site, type and period; rentals (type a, uncapped) fill the rest at the
    reserved price."""
    energy = {s: SITES[s][2] for s in ("s1", "s2")}
    opex = 100_000.0
    # phase options: fixed -> its one option; planned -> not built, or built in a period that
    # ends on or after its online date
    options: dict[str, list[date | None]] = {}
    for s, (online, status) in ins.phases.items():
        if status != "planned":
            options[s] = [online]
        else:
            options[s] = [None] + [
                max(online, PERIODS[v][0]) for v in (0, 1) if PERIODS[v][1] >= online
            ]
    # constants: pools, reservations
    pool_k = {s: {t: [0.0, 0.0] for t in ("a", "b")} for s in ("s1", "s2")}
    const = 0.0
    pool_spent: list[tuple[date, float]] = []
    for s, rows in ins.pools.items():
        for t, n, day in rows:
            for p in (0, 1):
                pool_k[s][t][p] += n / 1000 * frac(p, day)
            const += n * UNIT_PRICE[t] * capex_factor(years(day), 4)
            pool_spent.append((day, n * UNIT_PRICE[t]))
    held_work = [0.0, 0.0]
    for n, a, b, q in ins.reservations:
        price = q if q is not None else RENT
        for p in (0, 1):
            h = n * frac(p, a, b) * hours(p)
            const += h * price * disc(p)
            held_work[p] += h * THROUGHPUT["a"]
    for s in ("s1", "s2"):
        for t in ("a", "b"):
            for p in (0, 1):
                const += pool_k[s][t][p] * MW_PER_K[t] * (hours(p) * energy[s] + opex) * disc(p)
    keys = [(s, t, v) for s in ("s1", "s2") for t in ("a", "b") for v in (0, 1)]
    best = float("inf")
    for served in itertools.product(*(options[s] for s in ("s1", "s2"))):
        mw = {s: [0.0, 0.0] for s in ("s1", "s2")}
        fac = 0.0
        spent: list[tuple[date, float]] = list(pool_spent)
        for s, when in zip(("s1", "s2"), served, strict=True):
            if when is None:
                continue
            power = SITES[s][0]
            for p in (0, 1):
                mw[s][p] = power * frac(p, when)
            fac += power * 10e6 * capex_factor(years(when), 10)
            spent.append((when, power * 10e6))
        budget_ok_base = ins.budget is None or (
            sum(c for d, c in spent if d <= ins.budget_by) <= ins.budget + 1e-6
        )
        if not budget_ok_base:
            continue
        for counts in itertools.product(range(ins.max_k + 1), repeat=len(keys)):
            x = dict(zip(keys, counts, strict=True))
            ok = True
            for s in ("s1", "s2"):
                for p in (0, 1):
                    load = sum(
                        (sum(x[(s, t, v)] for v in (0, 1) if v <= p) + pool_k[s][t][p])
                        * MW_PER_K[t]
                        for t in ("a", "b")
                    )
                    if load > mw[s][p] + 1e-9:
                        ok = False
            if not ok:
                continue
            if ins.budget is not None:
                installs = sum(
                    x[(s, t, v)] * 1000 * UNIT_PRICE[t]
                    for s, t, v in keys
                    if PERIODS[v][0] <= ins.budget_by
                )
                committed = sum(c for d, c in spent if d <= ins.budget_by)
                if installs + committed > ins.budget + 1e-6:
                    continue
            cost = const + fac
            cost += sum(
                x[k] * 1000 * UNIT_PRICE[k[1]] * capex_factor(years(PERIODS[k[2]][0]), 4)
                for k in keys
            )
            for p in (0, 1):
                work = held_work[p]
                for s in ("s1", "s2"):
                    for t in ("a", "b"):
                        stock = sum(x[(s, t, v)] for v in (0, 1) if v <= p)
                        work += (stock + pool_k[s][t][p]) * 1000 * hours(p) * THROUGHPUT[t]
                        cost += stock * MW_PER_K[t] * (hours(p) * energy[s] + opex) * disc(p)
                cost += max(0.0, ins.demand[p] - work) * RENT * disc(p)
            best = min(best, cost)
    return best


JAN = date(2025, 1, 1)
CASES = {
    # the original instance: both phases decisions
    "planned": Instance(
        (12e6, 20e6), {"s1": (JAN, "planned"), "s2": (date(2026, 1, 1), "planned")}
    ),
    # s1 exists: built, its capex counted, not optional
    "fixed-phase": Instance(
        (12e6, 20e6), {"s1": (JAN, "operational"), "s2": (date(2026, 1, 1), "planned")}
    ),
    # s2 can come online part-way through 2025: built then (as here) it serves 184/365 of 2025
    "pro-rata-planned": Instance(
        (20e6, 30e6), {"s1": (JAN, "planned"), "s2": (date(2025, 7, 1), "planned")}
    ),
    # both phases fixed, s1 online on 2025-09-30 (93/365 of 2025), s2 under construction
    "pro-rata-fixed": Instance(
        (6e6, 25e6),
        {"s1": (date(2025, 9, 30), "under_construction"), "s2": (date(2026, 1, 1), "committed")},
        max_k=3,
    ),
    # listed stock: 1,000 of b at s1 from 2025-09-30, on a fixed phase
    "fixed-pool": Instance(
        (12e6, 20e6),
        {"s1": (JAN, "operational"), "s2": (date(2026, 1, 1), "planned")},
        pools={"s1": [("b", 1000, date(2025, 9, 30))]},
    ),
    # a starting reservation of 500 a, take-or-pay at $3/h, for part of each year
    "reservation": Instance(
        (12e6, 20e6),
        {"s1": (JAN, "planned"), "s2": (date(2026, 1, 1), "planned")},
        reservations=[(500, date(2025, 4, 1), date(2026, 6, 30), 3.0)],
    ),
    # the same at the price rule's price (the reserved list price)
    "reservation-priced-by-rule": Instance(
        (12e6, 20e6),
        {"s1": (JAN, "planned"), "s2": (date(2026, 1, 1), "planned")},
        reservations=[(800, date(2024, 1, 1), date(2025, 6, 30), None)],
    ),
    # a budget that the fixed phase's and pool's capex already use most of
    "budget-after-fixed": Instance(
        (12e6, 20e6),
        {"s1": (JAN, "operational"), "s2": (date(2026, 1, 1), "planned")},
        pools={"s1": [("a", 500, date(2025, 3, 1))]},
        budget=45e6,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_enumeration(case: str) -> None:
    ins = CASES[case]
    sc = small(**ins.scenario_kwargs())
    res = plan(sc, horizon=(2025, 2026), gap=1e-9, integer_installs=True, shadow_prices=False)
    assert res.status == PlanStatus.optimal, res.explain()
    assert res.objective_usd == pytest.approx(enumerate_least_cost(ins), rel=1e-6)


def test_fixed_phases_and_pools_are_listed_as_built_with_their_status() -> None:
    ins = CASES["fixed-pool"]
    res = plan(small(**ins.scenario_kwargs()), horizon=(2025, 2026), gap=1e-9)
    builds = {r["phase"]: r for r in res.builds.to_dicts()}
    assert builds["s1-1"]["status"] == "operational"
    assert builds["s1-1"]["period"] == "2025"
    installs = [r for r in res.installs.to_dicts() if r["status"] != "planned"]
    assert [(r["site"], r["accelerator"], r["count"], r["period"]) for r in installs] == [
        ("s1", "b", 1000.0, "2025")
    ]
    assert installs[0]["capex_usd"] == pytest.approx(50e6)


def test_a_fixed_phase_is_built_even_when_nothing_needs_it() -> None:
    """Under construction is not optional: with no demand at all the phase is still built
    and paid for."""
    sc = small(
        demand_h=(0.0, 0.0),
        phases={"s1": ("2025-01-01", "under_construction"), "s2": ("2026-01-01", "planned")},
    )
    res = plan(sc, horizon=(2025, 2026), gap=1e-9)
    assert [(r["phase"], r["status"]) for r in res.builds.to_dicts()] == [
        ("s1-1", "under_construction")
    ]
    assert res.objective_usd == pytest.approx(20e6 * capex_factor(0.0, 10), rel=1e-9)


def test_pro_rata_in_quarters() -> None:
    """A phase online on 2025-09-30 serves 1/92 of 2025Q3 and all of 2025Q4: the power it
    gives each quarter bounds the stock there."""
    from stargate.plan.data import prepare

    sc = small(phases={"s1": ("2025-09-30", "operational"), "s2": ("2026-01-01", "planned")})
    d = prepare(sc, horizon=(2025, 2025), period="quarter", without=(), budget_usd=None,
                supply_per_year=None)  # fmt: skip
    s1 = d.owned.index("s1")
    assert d.fixed_mw[s1].tolist() == pytest.approx([0.0, 0.0, 2.0 / 92, 2.0])
    y = prepare(sc, horizon=(2025, 2025), period="year", without=(), budget_usd=None,
                supply_per_year=None)  # fmt: skip
    assert y.fixed_mw[s1].tolist() == pytest.approx([2.0 * 93 / 365])


def test_a_reservation_counts_for_its_terms_days() -> None:
    from stargate.plan.data import prepare

    sc = small(
        reservations=[{"id": "r", "holder": "lab", "provider": "cloud", "accelerator": "a",
                       "accelerators": 365, "term": {"start": "2025-12-31",
                                                     "end": "2026-01-01"}}]
    )  # fmt: skip
    d = prepare(sc, horizon=(2025, 2026), period="year", without=(), budget_usd=None,
                supply_per_year=None)  # fmt: skip
    assert d.held_k[0].tolist() == pytest.approx([0.001, 0.001])
    assert d.held[0].site == "cloud-east"  # the provider's first site
    assert d.held[0].basis == "reserved"  # no price of its own: the price rule's


def test_install_only_listed_types() -> None:
    """A site that installs only the types its pools name never installs another, even when
    that one is cheaper per unit of work."""
    sc = small(
        demand_h=(30e6, 40e6),
        owned_pools={"s1": [{"id": "p", "accelerator": "a", "count": 1, "available_from":
                             "2025-01-01", "status": "planned"}]},
    )  # fmt: skip
    data = sc.model_dump(mode="json")
    data["sites"][0]["install_only_listed_types"] = True
    from stargate.domain.model import Scenario

    only = Scenario.model_validate(data)
    free = plan(sc, horizon=(2025, 2026), gap=1e-9)
    res = plan(only, horizon=(2025, 2026), gap=1e-9)
    assert "b" in set(free.installs.filter(free.installs["site"] == "s1")["accelerator"])
    assert set(res.installs.filter(res.installs["site"] == "s1")["accelerator"]) <= {"a"}
    assert res.objective_usd is not None
    assert free.objective_usd is not None
    assert res.objective_usd >= free.objective_usd - 1e-3


def test_stock_before_the_horizon_is_sunk() -> None:
    """A pool online before the horizon's first day serves, its capex is not counted (not
    in installs, not in capex), its running cost is."""
    early = small(
        phases={"s1": ("2024-01-01", "operational"), "s2": ("2026-01-01", "planned")},
        owned_pools={"s1": [{"id": "old", "accelerator": "a", "count": 1000,
                             "available_from": "2024-06-01"}]},
    )  # fmt: skip
    res = plan(early, horizon=(2025, 2026), gap=1e-9)
    assert res.installs.filter(res.installs["status"] != "planned").height == 0
    assert res.builds.filter(res.builds["phase"] == "s1-1").height == 0
    assert any("before the horizon" in n for n in res.notes)
    s1 = res.cost_by_period.filter(res.cost_by_period["provider"] == "own")
    assert float(s1["energy_usd"].sum()) > 0
    assert float(s1["depreciation_usd"].sum()) > 0
