"""Commitments computed by hand: under-drawn (a shortfall), over-drawn (none), a period that
spans two years pro-rated by days, two commitments with one seller (the one ending first is
drawn first), a period beyond the run (open), a buyer other than the lab, --without."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stargate.errors import InputError
from stargate.money import Spend, commitment_terms, commitments
from tests.money.factory import commitment, scenario

D = Decimal
RUN = (date(2025, 1, 1), date(2026, 12, 31))


def spend(**by_year: int) -> Spend:
    """Spend with provider ``cloud`` (owned by cloudco), e.g. ``spend(y2025=365000)``."""
    return Spend(*RUN, {(int(k[1:]), "cloud"): D(v) for k, v in by_year.items()})


def test_under_drawn_leaves_a_shortfall() -> None:
    sc = scenario([commitment("c", 1_000_000, "2025-01-01", "2025-12-31")])
    c = commitments(sc, spend(y2025=600_000)).commitment("c")
    assert c.providers == ["cloud"]
    assert c.drawn_usd == D("600000.00")
    assert c.remaining_usd == D("400000.00")
    assert c.shortfall_usd == D("400000.00")
    assert c.status == "shortfall"


def test_over_drawn_owes_nothing_and_the_rest_is_uncommitted() -> None:
    sc = scenario([commitment("c", 1_000_000, "2025-01-01", "2025-12-31")])
    result = commitments(sc, spend(y2025=1_500_000))
    c = result.commitment("c")
    assert c.drawn_usd == D("1000000.00")
    assert c.shortfall_usd == D("0.00")
    assert c.status == "met"
    (row,) = [r for r in result.sellers if r.year == 2025]
    assert row.seller == "cloudco"
    assert row.uncommitted_usd == D("500000.00")


def test_a_period_spanning_two_years_is_pro_rated_by_days() -> None:
    # 2025: 730,000 (2,000 a day) × 184 days from 07-01; 2026: 365,000 (1,000 a day) × 181
    # days to 06-30. Drawn 368,000 + 181,000 = 549,000 of 1,000,000.
    sc = scenario([commitment("c", 1_000_000, "2025-07-01", "2026-06-30")])
    c = commitments(sc, spend(y2025=730_000, y2026=365_000)).commitment("c")
    assert [(y.year, y.period_days, y.in_period_usd, y.drawn_usd) for y in c.years] == [
        (2025, 184, D("368000.00"), D("368000.00")),
        (2026, 181, D("181000.00"), D("181000.00")),
    ]
    assert c.shortfall_usd == D("451000.00")


def test_the_commitment_that_ends_first_is_drawn_first() -> None:
    # 1,000 a day: `short` (100,000 by 06-30) fills on 2025-04-10; `long` gets the other
    # 265 days of 2025 and 365 of 2026.
    sc = scenario(
        [
            commitment("long", 1_000_000, "2025-01-01", "2026-12-31"),
            commitment("short", 100_000, "2025-01-01", "2025-06-30"),
        ]
    )
    result = commitments(sc, spend(y2025=365_000, y2026=365_000))
    assert result.commitment("short").status == "met"
    long = result.commitment("long")
    assert long.drawn_usd == D("630000.00")
    assert long.shortfall_usd == D("370000.00")
    assert all(r.uncommitted_usd == 0 for r in result.sellers)


def test_a_period_ending_after_the_run_is_open() -> None:
    sc = scenario([commitment("c", 1_000_000, "2025-01-01", "2027-12-31")])
    c = commitments(sc, spend(y2025=365_000)).commitment("c")
    assert c.status == "open"
    assert c.shortfall_usd is None
    assert c.remaining_usd == D("635000.00")
    assert "after the run's last day 2026-12-31" in c.notes[0]


def test_a_buyer_other_than_the_lab_is_not_drawn() -> None:
    sc = scenario(
        [commitment("c", 1_000, "2025-01-01", "2025-12-31", buyer="cloudco", seller="lab")]
    )
    c = commitments(sc, spend(y2025=365_000)).commitment("c")
    assert c.status == "not_drawn"
    assert c.drawn_usd == D("0.00")


def test_a_seller_without_providers_says_so() -> None:
    data = [commitment("c", 1_000, "2025-01-01", "2025-12-31", seller="lab")]
    c = commitments(scenario(data), Spend(*RUN, {(2025, "cloud"): D(5)})).commitment("c")
    # `lab` owns the `own` campus, which has no spend here: nothing drawn.
    assert c.providers == ["own"]
    assert c.shortfall_usd == D("1000.00")


def test_without_the_clause_it_is_void() -> None:
    sc = scenario([commitment("c", 1_000_000, "2025-01-01", "2025-12-31")])
    c = commitments(sc, spend(y2025=600_000), without=["c"]).commitment("c")
    assert c.status == "void"
    assert c.shortfall_usd is None


def test_ended_by_an_agreement_before_its_period() -> None:
    ag = {"id": "ag", "date": "2025-07-01", "changes": [{"clause": "c", "action": "terminate"}]}
    sc = scenario([commitment("c", 1_000_000, "2025-01-01", "2025-12-31")], agreements=[ag])
    c = commitments(sc, spend(y2025=365_000)).commitment("c")
    assert c.drawn_usd == D("181000.00")  # January to June
    assert c.status == "ended"
    assert c.shortfall_usd is None


def test_a_summary_without_spend_is_refused() -> None:
    class Run:
        start = "2025-01-01T00:00:00"
        end = None

    class Summary:
        spend_by_year = None
        run = Run()

    sc = scenario([commitment("c", 1, "2025-01-01", "2025-12-31")])
    with pytest.raises(InputError, match="no spend_by_year"):
        commitments(sc, Summary())


@given(
    amounts=st.lists(st.integers(min_value=1, max_value=2_000_000), min_size=1, max_size=4),
    ends=st.lists(st.integers(min_value=0, max_value=729), min_size=4, max_size=4),
    y25=st.integers(min_value=0, max_value=3_000_000),
    y26=st.integers(min_value=0, max_value=3_000_000),
)
def test_draw_down_conserves_spend(amounts: list[int], ends: list[int], y25: int, y26: int) -> None:
    """Nothing is counted twice: per seller-year, drawn + uncommitted = spend; drawn never
    exceeds an amount; drawn + remaining = amount."""
    from datetime import timedelta

    clauses = [
        commitment(f"c{i}", a, "2025-01-01", (date(2025, 1, 1) + timedelta(days=e)).isoformat())
        for i, (a, e) in enumerate(zip(amounts, ends, strict=False))
    ]
    result = commitments(scenario(clauses), spend(y2025=y25, y2026=y26))
    for row in result.sellers:
        assert row.drawn_usd + row.uncommitted_usd == row.spend_usd
        assert row.uncommitted_usd >= 0
    total = sum((c.drawn_usd for c in result.commitments), D(0))
    assert abs(total - sum((r.drawn_usd for r in result.sellers), D(0))) <= D("0.01") * len(
        result.sellers
    )
    for c in result.commitments:
        assert c.drawn_usd <= c.amount_usd
        assert c.drawn_usd + c.remaining_usd == c.amount_usd
        assert sum((y.drawn_usd for y in c.years), D(0)) == c.drawn_usd


def test_commitment_terms_for_a_caller_without_spend() -> None:
    """What the planner reads: the seller's providers, the amount and the drawable days."""
    ag = {"id": "ag", "date": "2025-07-01", "changes": [{"clause": "c", "action": "terminate"}]}
    sc = scenario(
        [
            commitment("c", 1_000_000, "2025-01-01", "2026-12-31"),
            commitment("later", 5, "2027-01-01", "2027-12-31"),
        ],
        agreements=[ag],
    )
    (term,) = commitment_terms(sc, *RUN)  # `later` has no day in the window
    assert term.clause_id == "c"
    assert term.providers == ["cloud"]
    assert term.amount_usd == D("1000000.00")
    assert term.days_by_year == {2025: 181}  # terminated from 2025-07-01
    (whole,) = commitment_terms(sc, *RUN, without=["ag"])
    assert whole.days_by_year == {2025: 365, 2026: 365}
