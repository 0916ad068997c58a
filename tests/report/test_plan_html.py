"""The planner's HTML report: one self-contained, escaped, deterministic page with a chart in
every chart section, the plan's key figures beside the public ones, the conflicts of an
infeasible plan, and a comparison only when one is given."""

from __future__ import annotations

import re
from html import escape

import pytest

from stargate.domain.model import Scenario
from stargate.plan import PlanResult, PlanStatus, plan
from stargate.report.plan_html import render_plan_report
from stargate.scenario.loader import load_scenario
from tests.plan.factory import small

CHART_SECTIONS = (
    "independence", "compute-cost", "demand", "builds", "installs", "capacity-held", "rentals",
    "cost",
)  # fmt: skip
EVIL = "<script>alert(1)</script>"


def _with_figure(sc: Scenario, name: str = "Small") -> Scenario:
    data = sc.model_dump(mode="json")
    data["name"] = name
    data["figures"] = [
        {"id": "lab-compute-cost-2026", "value": 0.5, "unit": "USD bn per year",
         "date": "2025-01-01", "source": "announcement"},
        {"id": "lab-loss-2026", "value": 5, "unit": "USD bn", "source": "announcement"},
    ]  # fmt: skip
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return _with_figure(
        small(years=(2025, 2026), demand_h=(12e6, 20e6), rofr=True, cloud_pools=500)
    )


@pytest.fixture(scope="module")
def result(scenario: Scenario) -> PlanResult:
    res = plan(scenario, horizon=(2025, 2026))
    assert res.status == PlanStatus.optimal
    return res


@pytest.fixture(scope="module")
def without_rofr(scenario: Scenario) -> PlanResult:
    return plan(scenario, horizon=(2025, 2026), without=["rofr"])


@pytest.fixture(scope="module")
def page(result: PlanResult, scenario: Scenario) -> str:
    return render_plan_report(result, scenario, horizon=(2025, 2026), period="year", without=[])


def _section(html: str, anchor: str) -> str:
    m = re.search(rf'<section id="{anchor}".*?</section>', html, re.S)
    assert m, f"no section {anchor}"
    return m.group(0)


def test_one_self_contained_document(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<html") == 1
    assert page.rstrip().endswith("</html>")
    assert "<script" not in page
    assert not re.search(r"<link\b", page)
    assert not re.search(r"\b(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert "@import" not in page
    assert "url(" not in page


def test_a_chart_in_every_chart_section(page: str) -> None:
    for anchor in CHART_SECTIONS:
        assert "<svg" in _section(page, anchor), anchor


def test_header_and_key_figures(page: str, result: PlanResult, scenario: Scenario) -> None:
    head = page[: page.index("<nav")]
    for text in ("small", "2025–2026", "year (2 periods)", "optimal",
                 f"{result.variables:,} variables", f"{result.constraints:,} constraints",
                 "none — every clause in force"):  # fmt: skip
        assert text in head, text
    from stargate.report.sim_html import usd_compact

    assert usd_compact(result.objective_usd or 0.0) in head
    # every phase built is listed with its period and MW
    builds = _section(page, "builds")
    for row in result.builds.to_dicts():
        assert row["phase"] in builds
        assert row["period"] in builds
    # each year's compute cost appears
    cost = _section(page, "compute-cost")
    for row in result.annual_compute_cost.to_dicts():
        assert usd_compact(row["compute_cost_usd"]) in cost
    # shadow prices: a row per owned site
    prices = _section(page, "shadow-prices")
    assert "s1" in prices
    assert "s2" in prices


def test_the_public_figure_is_shown_beside_the_plan(page: str) -> None:
    cost = _section(page, "compute-cost")
    assert "lab-compute-cost-2026" in cost
    assert "$500M" in cost
    assert 'class="markers"' in cost  # drawn on the chart as a level
    assert "lab-loss-2026" not in cost  # not a compute cost


def test_comparison_only_when_given(
    page: str, result: PlanResult, without_rofr: PlanResult, scenario: Scenario
) -> None:
    assert 'id="comparison"' not in page
    both = render_plan_report(result, scenario, without_rofr, "without rofr")
    cmp_ = _section(both, "comparison")
    assert "without rofr" in cmp_
    assert "this plan" in cmp_
    # the cost of both, and each plan's shares by provider side by side
    assert cmp_.count("<svg") == 3
    assert 'id="cmp-share-base"' in cmp_ or "cmp-share-base" in cmp_
    assert "cmp-share-alt" in cmp_
    assert "not recorded" in both  # clauses off unknown when not passed nor on the result


def test_infeasible_plan_shows_its_conflicts() -> None:
    sc = small(budget_usd=1e6, cloud_pools=100)
    res = plan(sc, horizon=(2025, 2026))
    assert res.status == PlanStatus.infeasible
    assert res.conflicts
    html = render_plan_report(res, sc)
    conflicts = _section(html, "conflicts")
    for c in res.conflicts:
        assert escape(c.message, quote=True) in conflicts
    assert "budget" in conflicts
    assert 'id="independence"' not in html
    assert "<script" not in html


def test_names_are_escaped(result: PlanResult) -> None:
    sc = _with_figure(small(rofr=True, cloud_pools=500), name=EVIL)
    html = render_plan_report(result, sc, result, EVIL)
    assert EVIL not in html
    assert "&lt;script&gt;" in html


def test_deterministic(result: PlanResult, without_rofr: PlanResult, scenario: Scenario) -> None:
    a = render_plan_report(result, scenario, without_rofr, "without rofr")
    b = render_plan_report(result, scenario, without_rofr, "without rofr")
    assert a == b


def test_stargate_2025_as_it_happened() -> None:
    sc = load_scenario()
    res = plan(sc, horizon=(2025, 2027), shadow_prices=False)
    assert res.status in (PlanStatus.optimal, PlanStatus.feasible)
    html = render_plan_report(res, sc)
    cost = _section(html, "compute-cost")
    assert "openai-compute-spend-2026" in cost
    assert "$50B" in cost
    assert "within" in cost  # the figure checked against its tolerance
    assert "fixed: the record" in cost
    assert "azure" in _section(html, "independence")
    # what exists and what the record placed, as such
    procurement = _section(html, "procurement")
    assert "abilene-phase-1" in procurement
    assert "$4.34" in procurement  # Abilene as OCI capacity at OpenAI's contract price
    builds = _section(html, "builds")
    assert "fixed (under_construction)" in builds
    assert "milam-1" in builds
    assert "decided by the plan" not in builds
    held = _section(html, "capacity-held")
    assert "scheduled" in held
    assert "starting" in held
    assert "the plan adds nothing" in _section(html, "demand")
