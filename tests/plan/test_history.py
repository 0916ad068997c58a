"""`stargate plan` on the default scenario, a history from 2023 (issue #11 point 6): what the
record holds is stock, not a decision; the 2026 compute cost sits within the public figure's
tolerance; switching the October 2025 agreement off takes its $250B of Azure tranches out of
2027-2030, and the report shows both plans; one colour per provider.

The mechanics the history relies on (the record carries work first, the demand the record
leaves unmet is visible, a dropped campus offers nothing) are checked on small scenarios."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stargate.domain.model import Scenario
from stargate.plan import PlanResult, PlanStatus, plan
from stargate.plan.data import prepare
from stargate.report.palette import provider_colors
from stargate.report.plan_html import render_plan_report
from stargate.scenario.loader import load_scenario
from tests.plan.factory import small

AGREEMENT = "microsoft-openai-2025-10"
TRANCHES = ("azure-2027-vr200", "azure-2028-vr200", "azure-2029-vr200", "azure-2030-vr200")


@pytest.fixture(scope="module")
def history() -> Scenario:
    return load_scenario()


@pytest.fixture(scope="module")
def without(history: Scenario) -> PlanResult:
    """The plan without the October 2025 agreement, with the plan of the record as baseline
    (what ``stargate plan --without`` solves)."""
    res = plan(history, without=[AGREEMENT], baseline=True, shadow_prices=False)
    assert res.status == PlanStatus.optimal
    assert res.baseline is not None
    assert res.baseline.status == PlanStatus.optimal
    return res


@pytest.fixture(scope="module")
def record(without: PlanResult) -> PlanResult:
    assert without.baseline is not None
    return without.baseline


def _annual(r: PlanResult) -> dict[int, dict[str, Any]]:
    return {int(row["year"]): row for row in r.annual_compute_cost.to_dicts()}


# --------------------------------------------------------------------------- the default


def test_the_2026_compute_cost_is_within_the_public_figure(
    record: PlanResult, history: Scenario
) -> None:
    figure = next(f for f in history.figures if f.id == "openai-compute-spend-2026")
    assert figure.tolerance is not None
    cost = _annual(record)[2026]["compute_cost_usd"]
    assert abs(cost / 50e9 - 1) <= figure.tolerance
    # public_figures keeps its shape (USD by year); the checks say the same
    assert record.public_figures == {"2024": 7e9, "2026": 50e9}
    check = next(c for c in record.public_figure_checks if c["id"] == figure.id)
    assert check["within"] is True
    assert check["plan_usd"] == pytest.approx(cost, abs=0.01)
    assert check["tolerance"] == figure.tolerance
    assert all(c["within"] for c in record.public_figure_checks)


def test_what_the_record_holds_is_stock_not_a_decision(record: PlanResult) -> None:
    # the owned campuses' phases and pools are fixed at their status; nothing is built or
    # installed by the plan where the record already has a site
    assert record.builds.height > 0
    assert set(record.builds["status"]) <= {"operational", "under_construction", "committed"}
    assert set(record.installs["status"]) <= {"operational", "under_construction", "committed"}
    assert {"lordstown-1", "milam-1", "milam-2"} <= set(record.builds["phase"])
    # nothing rented or bought beyond what the record placed
    assert "plan" not in set(record.capacity_held["source"])
    assert "plan" not in set(record.rentals["source"])
    # all 33 dated requests are placed through the broker, as the record has them
    assert record.procurement.height >= 33
    assert set(TRANCHES) <= set(record.procurement["request"])
    # so the whole cost is the record's, and the record carries the whole forecast
    for row in record.annual_compute_cost.to_dicts():
        assert row["decided_compute_cost_usd"] == 0.0
        assert row["fixed_compute_cost_usd"] == pytest.approx(row["compute_cost_usd"], abs=0.05)
    assert float(record.demand["decided_reference_hours"].sum()) == 0.0
    demand = record.demand.to_dicts()
    for row in demand:
        assert row["fixed_reference_hours"] == pytest.approx(
            row["demand_reference_hours"], rel=1e-6, abs=1.0
        )
    assert any("the plan decides nothing" in n for n in record.notes)


def test_shares_of_capacity_count_what_is_held_used_or_not(record: PlanResult) -> None:
    """In 2030 the record holds more than the forecast needs, so which of it the work runs on
    is the solver's choice; the share of capacity is not: AWS's Trainium and GB200 are held
    (take-or-pay) whether or not work runs there."""
    shares = record.share_by_provider.filter(record.share_by_provider["period"] == "2030")
    assert sum(shares["capacity_share"]) == pytest.approx(1.0, abs=1e-5)
    assert sum(shares["share"]) == pytest.approx(1.0, abs=1e-5)
    by = {r["provider"]: r for r in shares.to_dicts()}
    assert by["aws"]["capacity_share"] > 0.05
    held = record.capacity_held.filter(
        (record.capacity_held["period"] == "2030") & (record.capacity_held["provider"] == "aws")
    )
    # the reference accelerators held, over the year's hours (trainium3 counts 0.9, gb200 2.5)
    assert by["aws"]["capacity_reference_hours"] == pytest.approx(
        float(held["reference_accelerators"].sum()) * 8760, rel=1e-6
    )


def test_without_the_october_agreement_its_tranches_leave_2027_to_2030(
    without: PlanResult, record: PlanResult
) -> None:
    assert without.clauses_off == [AGREEMENT]
    assert not set(TRANCHES) & set(without.procurement["request"])
    a, b = _annual(record), _annual(without)
    for year in (2023, 2024, 2025, 2026):  # before the tranches: the same history
        assert b[year]["compute_cost_usd"] == pytest.approx(a[year]["compute_cost_usd"], rel=1e-9)
    for year in (2027, 2028, 2029, 2030):
        assert b[year]["compute_cost_usd"] < a[year]["compute_cost_usd"] - 1e9, year
    # where the record then falls short (the API, which only Azure's capacity serves), the
    # plan's decisions carry it, and that is visible, not silently bought
    short = without.demand.filter(without.demand["decided_reference_hours"] > 0)
    assert short.height > 0
    assert set(short["period"]) <= {"2027", "2028", "2029", "2030"}
    decided = sum(b[y]["decided_compute_cost_usd"] for y in b)
    assert decided > 0
    assert "plan" in set(without.capacity_held["source"])
    assert without.cost_difference_usd is not None
    assert without.cost_difference_usd < 0


def test_the_report_shows_both_plans_and_the_name_switched_off(
    without: PlanResult, history: Scenario
) -> None:
    assert without.baseline is not None
    html = render_plan_report(
        without,
        history,
        without.baseline,
        "every clause in force",
        label=f"without {AGREEMENT}",
        without=without.clauses_off,
    )
    m = re.search(r'<section id="comparison".*?</section>', html, re.S)
    assert m
    cmp_ = m.group(0)
    assert f"With and without {AGREEMENT}" in cmp_
    assert f"change with {AGREEMENT} off" in cmp_
    # the run with every clause in force first, the one without second, side by side
    head = re.findall(r'<th scope="col" class="num">([^<]*)</th>', cmp_)
    assert head[:3] == [
        "every clause in force",
        f"without {AGREEMENT}",
        f"change with {AGREEMENT} off",
    ]
    assert "cmp-share-base" in cmp_
    assert "cmp-share-alt" in cmp_
    for year in ("2027", "2030"):
        assert f'<th scope="row">{year}</th>' in cmp_
    assert "Demand beyond the record" in cmp_


def test_one_colour_per_provider(without: PlanResult, history: Scenario) -> None:
    assert without.baseline is not None
    html = render_plan_report(without, history, without.baseline, "every clause in force")
    palette = provider_colors([p.id for p in history.providers])
    seen: dict[str, set[str]] = {}
    for color, provider in re.findall(r'fill="(#[0-9A-Fa-f]{6})"><title>[^<]*? · ([a-z0-9-]+):',
                                      html):  # fmt: skip
        if provider in palette:  # not a series of sources ("fixed", "decided by the plan")
            seen.setdefault(provider, set()).add(color.upper())
    assert {"azure", "oci", "aws", "coreweave", "stargate-campuses"} <= set(seen)
    for provider, colors in seen.items():
        assert colors == {palette[provider].upper()}, provider


# --------------------------------------------------------------------------- the mechanics


def test_the_record_carries_work_first_and_the_rest_is_the_plans() -> None:
    """A reservation that covers half the demand: it carries that half (fixed), the plan's
    own capacity the other half (decided), and their costs are told apart."""
    res_ = [{"id": "held", "holder": "lab", "provider": "cloud", "site": "cloud-east",
             "accelerator": "a", "accelerators": 685,
             "term": {"start": "2025-01-01", "end": "2026-12-31"}}]  # fmt: skip
    sc = small(years=(2025,), demand_h=(12e6,), cloud_pools=5000, reservations=res_)
    r = plan(sc, horizon=(2025, 2025), shadow_prices=False)
    assert r.status == PlanStatus.optimal
    row = r.demand.to_dicts()[0]
    held_hours = 685 * 8760.0  # type a: throughput 1
    assert row["demand_reference_hours"] == pytest.approx(12e6)
    assert row["fixed_reference_hours"] == pytest.approx(held_hours, rel=1e-6)
    assert row["decided_reference_hours"] == pytest.approx(12e6 - held_hours, rel=1e-6)
    assert row["decided_share"] == pytest.approx(1 - held_hours / 12e6, rel=1e-6)
    annual = r.annual_compute_cost.to_dicts()[0]
    held_cost = float(r.capacity_held["committed_usd"].sum())
    assert annual["fixed_compute_cost_usd"] == pytest.approx(held_cost, rel=1e-9)
    assert annual["decided_compute_cost_usd"] > 0
    assert annual["fixed_compute_cost_usd"] + annual["decided_compute_cost_usd"] == pytest.approx(
        annual["compute_cost_usd"]
    )
    # the held capacity is used in full before anything new is
    assert float(r.capacity_held["idle_usd"].sum()) == pytest.approx(0.0, abs=1.0)
    # the tie-break that prefers the record is not part of the reported objective
    again = plan(sc, horizon=(2025, 2025), shadow_prices=False)
    assert again.objective_usd == r.objective_usd


def test_a_history_says_where_the_record_falls_short() -> None:
    data = small(years=(2025,), demand_h=(12e6,), cloud_pools=5000).model_dump(mode="json")
    data["settings"]["top_up"] = False
    r = plan(Scenario.model_validate(data), horizon=(2025, 2025), shadow_prices=False)
    note = next(n for n in r.notes if n.startswith("settings.top_up is false"))
    assert "12,000,000 reference-accelerator-hours in 2025" in note


def test_a_history_leaves_demand_nothing_can_carry_unmet_and_says_so() -> None:
    """Exclusive to a cloud whose pools hold 500 accelerators: in a history the rest of the
    demand is left unmet and reported, and the plan is still a plan; in a scenario that tops
    up, the same inputs have no plan."""
    base = small(years=(2025,), demand_h=(12e6,), cloud_pools=500, exclusive=True)
    assert plan(base, horizon=(2025, 2025), shadow_prices=False).status == PlanStatus.infeasible
    data = base.model_dump(mode="json")
    data["settings"]["top_up"] = False
    r = plan(Scenario.model_validate(data), horizon=(2025, 2025), shadow_prices=False)
    assert r.status == PlanStatus.optimal
    row = r.demand.to_dicts()[0]
    carried = 500 * 8760.0
    assert row["decided_reference_hours"] == pytest.approx(carried, rel=1e-6)
    assert row["unmet_reference_hours"] == pytest.approx(12e6 - carried, rel=1e-6)
    # the penalty that makes unmet demand the last resort is not a cost: the objective is what
    # the 500 accelerators rented for the year cost (the cloud's reserved price, $4.80/h)
    assert r.objective_usd == pytest.approx(carried * 4.8, rel=1e-6)
    note = next(n for n in r.notes if n.startswith("settings.top_up is false"))
    assert "left unmet" in note


def test_a_dropped_campus_offers_nothing() -> None:
    """A cloud site with phases and no pools offers what its phases' power holds while they
    stand: nothing once its only phase is cancelled, and nothing for a planned phase (the
    cloud decides to build it, not the plan)."""

    def cap(phase: dict[str, Any]) -> Any:
        data = small(years=(2025, 2026, 2027), demand_h=(1e6, 1e6, 1e6)).model_dump(mode="json")
        cloud = next(s for s in data["sites"] if s["id"] == "cloud-east")
        cloud.update(
            {
                "power_capacity_mw": 10.0,
                "pue": 1.0,
                "phases": [{"id": "p1", "power_mw": 10.0, **phase, "source": "t"}],
            }
        )
        sc = Scenario.model_validate(data)
        d = prepare(sc, horizon=(2025, 2027), period="year", without=(), budget_usd=None,
                    supply_per_year=None)  # fmt: skip
        k, t = d.clouds.index("cloud-east"), d.types.index("a")
        return d.rent_cap_mh[k, t]

    standing = cap({"online": "2025-01-01", "status": "operational"})
    # 10 MW / (1,000 W x overhead 1 x PUE 1) = 10,000 accelerators of type a, all year
    assert standing[0] == pytest.approx(10_000 * 8760 / 1e6)
    dropped = cap({"online": "2025-01-01", "status": "operational", "cancelled": "2026-01-01",
                   "announced": "2024-06-01"})  # fmt: skip
    assert dropped[0] == pytest.approx(standing[0])
    assert list(dropped[1:]) == [0.0, 0.0]
    never = cap({"online": "2026-06-30", "status": "planned", "cancelled": "2026-03-06",
                 "announced": "2025-09-23"})  # fmt: skip
    assert list(never) == [0.0, 0.0, 0.0]
