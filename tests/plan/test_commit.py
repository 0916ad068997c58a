"""Committed spend in the plan (issue #12, 4): take-or-pay minimum purchases from a seller,
their draw-down, shortfall and shadow price (stargate.plan.commit, docs/planner.md)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stargate.domain.model import Scenario
from stargate.plan import PlanResult, plan
from stargate.plan.units import years_from_days
from tests.plan.factory import small

#: The committed cloud rents type a at 4.80 $/h (reserved); the other cloud at 4.00 $/h.
COMMITTED_USD_PER_H = 6.0 * 0.8
CHEAPER_USD_PER_H = 4.0
#: Owned sites come online only in 2030: the two clouds are the only capacity in 2025-2026.
LATE = {"s1": ("2030-01-01", "planned"), "s2": ("2030-01-01", "planned")}


def committed(
    amount_usd: float,
    *,
    start: str = "2025-01-01",
    end: str = "2026-12-31",
    clause_id: str = "commit",
    extra: list[dict[str, Any]] | None = None,
    **kw: Any,
) -> Scenario:
    """The factory's two clouds, with a committed_spend of the lab with cloudco (the owner of
    the dearer cloud) of ``amount_usd`` over ``start..end``."""
    kw.setdefault("second_cloud_price", CHEAPER_USD_PER_H)
    kw.setdefault("phases", LATE)
    data = small(**kw).model_dump(mode="json")
    clauses = [
        {"id": clause_id, "kind": "committed_spend", "buyer": "lab", "seller": "cloudco",
         "amount_usd": amount_usd, "period": {"start": start, "end": end},
         "effective": {"start": "2020-01-01"}},
        *(extra or []),
    ]  # fmt: skip
    data["contracts"].append(
        {"id": "commitment", "name": "Commitment", "parties": ["lab", "cloudco"],
         "signed": "2020-01-01", "clauses": clauses}
    )  # fmt: skip
    return Scenario.model_validate(data)


def one(r: PlanResult, clause: str = "commit") -> Any:
    (row,) = [c for c in r.commitments if c.clause == clause]
    return row


def committed_spend_usd(r: PlanResult) -> Decimal:
    return sum(
        (Decimal(str(d["spend_with_seller_usd"])) for d in one(r).draws),
        Decimal(0),
    )


def test_no_commitment_the_cheaper_cloud_takes_everything() -> None:
    r = plan(committed(30e6), horizon="2025..2026", without=["commit"])
    assert r.commitments == []
    assert set(r.rentals["provider"].to_list()) == {"other"}


def test_a_commitment_buys_from_its_seller_up_to_the_amount_and_not_beyond() -> None:
    amount = Decimal("30000000")
    r = plan(committed(float(amount)), horizon="2025..2026")
    c = one(r)
    assert c.due_usd == amount
    assert c.drawn_usd == amount
    assert c.shortfall_usd == Decimal("0.00")
    # what the plan spends with the seller is the commitment, to within the solver's noise
    assert abs(committed_spend_usd(r) - amount) <= Decimal("1.00")
    # the rest goes to the cheaper cloud: demand 12M + 20M hours
    other = r.rentals.filter(r.rentals["provider"] == "other")["accelerator_hours"].sum()
    bought = float(amount) / COMMITTED_USD_PER_H
    assert other == pytest.approx(32e6 - bought, rel=1e-6)


def test_the_shadow_price_of_a_binding_commitment_is_the_premium_it_forces() -> None:
    """One more dollar committed makes the plan buy a dollar more from the dearer cloud
    instead of the cheaper one: it pays the premium (1 − 4.00/4.80) on a dollar, in the period
    where that is cheapest in present value (2026), counted in settlement-day dollars."""
    r = plan(committed(30e6), horizon="2025..2026")
    c = one(r)
    disc_2026 = 1.1 ** -years_from_days(365)
    disc_settle = 1.1 ** -years_from_days(730)
    premium = 1 - CHEAPER_USD_PER_H / COMMITTED_USD_PER_H
    assert c.shadow_price == pytest.approx(premium * disc_2026 / disc_settle, rel=1e-4)
    assert c.shadow_price_pv == pytest.approx(premium * disc_2026, rel=1e-4)


def test_a_commitment_beyond_what_the_plan_can_buy_falls_short_at_shadow_price_one() -> None:
    # the committed cloud has 1,000 accelerators: at most 8,760,000 hours a year
    r = plan(committed(1e9, cloud_pools=1000), horizon="2025..2026")
    c = one(r)
    assert c.shortfall_usd > 0
    assert c.drawn_usd + c.shortfall_usd == c.due_usd
    assert float(c.drawn_usd) == pytest.approx(2 * 1000 * 8760 * COMMITTED_USD_PER_H, rel=1e-6)
    assert c.shadow_price == pytest.approx(1.0)
    assert any("fall short" in n for n in r.notes)


def test_a_commitment_met_by_the_record_has_shadow_price_zero() -> None:
    term = {"start": "2025-01-01", "end": "2026-12-31"}
    held = [{"id": "r", "holder": "lab", "provider": "cloud", "accelerator": "a",
             "accelerators": 500, "term": term}]  # fmt: skip
    # 500 held all 2025-2026 at 4.80 $/h: about $42M, take-or-pay; commit $10M
    r = plan(committed(10e6, reservations=held), horizon="2025..2026")
    c = one(r)
    assert c.drawn_usd == Decimal("10000000.00")
    assert c.shortfall_usd == Decimal("0.00")
    assert c.shadow_price == 0.0
    assert committed_spend_usd(r) > Decimal("40000000")
    # the record carries the commitment: nothing new is rented from the dearer cloud
    new = r.rentals.filter(r.rentals["source"] == "plan")
    assert set(new["provider"].to_list()) == {"other"}


def test_commitments_of_one_seller_share_its_spend() -> None:
    """Two commitments with one seller cannot both count the same dollar: with pools that
    allow at most ~$84M of spend, $60M + $60M leaves about $36M short."""
    second = {"id": "commit-2", "kind": "committed_spend", "buyer": "lab",
              "seller": "cloudco", "amount_usd": 60e6,
              "period": {"start": "2025-01-01", "end": "2026-12-31"},
              "effective": {"start": "2020-01-01"}}  # fmt: skip
    r = plan(committed(60e6, cloud_pools=1000, extra=[second]), horizon="2025..2026")
    a, b = one(r), one(r, "commit-2")
    spend = 2 * 1000 * 8760 * COMMITTED_USD_PER_H
    assert float(a.drawn_usd + b.drawn_usd) == pytest.approx(spend, rel=1e-6)
    assert float(a.shortfall_usd + b.shortfall_usd) == pytest.approx(120e6 - spend, rel=1e-6)


def test_a_period_past_the_horizon_is_pro_rated_and_says_so() -> None:
    r = plan(committed(100e6, end="2028-12-31"), horizon="2025..2026")
    c = one(r)
    assert c.amount_usd == Decimal("100000000.00")
    assert c.due_usd == (Decimal(100_000_000) * 730 / 1461).quantize(Decimal("0.01"))
    assert any("pro-rated" in n and "730 of 1,461" in n for n in c.notes)
    assert c.settle.isoformat() == "2026-12-31"


def test_a_period_before_the_horizon_takes_its_share_as_drawn() -> None:
    r = plan(committed(90e6, start="2024-01-01"), horizon="2025..2026")
    c = one(r)
    assert c.due_usd == (Decimal(90_000_000) * 730 / 1096).quantize(Decimal("0.01"))
    assert any("taken as drawn" in n for n in c.notes)


def test_quarters_and_years_agree_on_what_is_due() -> None:
    sc = committed(100e6, start="2025-03-15", end="2027-06-30")
    y = one(plan(sc, horizon="2025..2026"))
    q = one(plan(sc, horizon="2025..2026", period="quarter"))
    assert y.due_usd == q.due_usd
    assert sum(int(d["drawable_days"]) for d in q.draws) == sum(
        int(d["drawable_days"]) for d in y.draws
    )
    assert q.drawn_usd + q.shortfall_usd == q.due_usd


def test_without_the_clause_the_commitment_is_gone_and_the_plan_is_cheaper() -> None:
    r = plan(committed(30e6), horizon="2025..2026", without=["commit"], baseline=True)
    assert r.commitments == []
    assert r.baseline is not None
    assert [c.clause for c in r.baseline.commitments] == ["commit"]
    assert r.cost_difference_usd is not None
    assert r.cost_difference_usd < 0


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amount_musd=st.integers(min_value=1, max_value=400))
def test_drawn_and_shortfall_add_up_and_the_price_is_a_fraction(amount_musd: int) -> None:
    r = plan(committed(amount_musd * 1e6, cloud_pools=1000), horizon="2025..2026")
    c = one(r)
    assert c.drawn_usd + c.shortfall_usd == c.due_usd
    assert c.drawn_usd <= committed_spend_usd(r) + Decimal("1.00")
    assert c.shadow_price is not None
    assert 0.0 <= c.shadow_price <= 1.0
    assert (c.shortfall_usd > Decimal("1.00")) <= (c.shadow_price == pytest.approx(1.0))


def test_without_shadow_prices_the_price_is_null() -> None:
    r = plan(committed(30e6), horizon="2025..2026", shadow_prices=False)
    assert one(r).shadow_price is None
    assert one(r).drawn_usd == Decimal("30000000.00")


def test_the_json_fields(tmp_path: Path) -> None:
    from tests.plan.test_cli_plan import dump, run

    path = dump(committed(30e6, end="2028-12-31"), tmp_path / "c.yaml")
    code, out = run("plan", "-s", str(path), "--horizon", "2025..2026", "--json")
    assert code == 0, out
    (c,) = json.loads(out)["commitments"]
    assert set(c) == {
        "clause", "contract", "seller", "providers", "amount_usd", "period_start",
        "period_end", "due_usd", "drawn_usd", "shortfall_usd", "shadow_price",
        "shadow_price_pv", "settle", "draws", "notes",
    }  # fmt: skip
    assert c["clause"] == "commit"
    assert c["seller"] == "cloudco"
    assert c["providers"] == ["cloud"]
    for key in ("amount_usd", "due_usd", "drawn_usd", "shortfall_usd"):
        assert isinstance(c[key], str)
        Decimal(c[key])  # a decimal string
    assert c["amount_usd"] == "30000000.00"
    assert isinstance(c["shadow_price"], float)
    assert {d["period"] for d in c["draws"]} == {"2025", "2026"}
    assert any("pro-rated" in n for n in c["notes"])


def test_the_text_output_names_the_commitment(tmp_path: Path) -> None:
    from tests.plan.test_cli_plan import dump, run

    path = dump(committed(1e9, cloud_pools=1000), tmp_path / "c.yaml")
    code, out = run("plan", "-s", str(path), "--horizon", "2025..2026")
    assert code == 0, out
    assert "Committed spend" in out
    assert "commit" in out
    assert "shadow price 1.00" in out


def test_the_default_scenario_honours_its_commitments(default_scenario: Scenario) -> None:
    r = plan(default_scenario, shadow_prices=True)
    ids = {c.clause for c in r.commitments}
    assert {"oracle-commitment", "azure-incremental-commitment"} <= ids
    for c in r.commitments:
        assert c.drawn_usd + c.shortfall_usd == c.due_usd
        assert c.due_usd <= c.amount_usd
    # the Oracle commitment runs 2027-2031: four of its five years are within 2023..2030
    oracle = one(r, "oracle-commitment")
    assert any("pro-rated" in n for n in oracle.notes)
    (check,) = [c for c in r.public_figure_checks if c["id"] == "openai-compute-spend-2026"]
    assert check["within"] is True


def test_the_plan_report_has_a_committed_spend_section() -> None:
    from stargate.report.plan_html import render_plan_report

    sc = committed(1e9, cloud_pools=1000, end="2028-12-31")
    page = render_plan_report(plan(sc, horizon="2025..2026"), sc)
    assert 'id="commitments"' in page
    assert "Committed spend (take-or-pay), by clause" in page
    assert "pro-rated" in page
    # without a commitment there is no such section
    bare = small(second_cloud_price=CHEAPER_USD_PER_H, phases=LATE)
    assert 'id="commitments"' not in render_plan_report(plan(bare, horizon="2025..2026"), bare)


def test_cli_without_removes_the_commitment_and_compares(tmp_path: Path) -> None:
    from tests.plan.test_cli_plan import dump, run

    path = dump(committed(30e6), tmp_path / "c.yaml")
    code, out = run(
        "plan", "-s", str(path), "--horizon", "2025..2026", "--without", "commit", "--json"
    )
    assert code == 0, out
    d = json.loads(out)
    assert d["commitments"] == []
    assert [c["clause"] for c in d["baseline"]["commitments"]] == ["commit"]
    assert d["cost_difference_usd"] < 0
