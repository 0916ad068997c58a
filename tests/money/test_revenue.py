"""Revenue shares computed by hand: shares each way, a running cap reached on a day, a clause
ended by an agreement, ends_on_agi with a verified date, --without an agreement, and the
default scenario's figures from its YAML.

The factory's streams: chatgpt 3,650,000 USD in 2025 (10,000 a day) and 7,300,000 in 2026
(20,000 a day); api 730,000 in 2025 (2,000 a day). 2025 and 2026 have 365 days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stargate.errors import InputError
from stargate.money import revenue_shares
from tests.money.factory import scenario, share

D = Decimal


def test_shares_each_way_and_the_net() -> None:
    # lab pays cloudco 10% of its whole revenue (chatgpt + api); cloudco pays lab 5% of api.
    sc = scenario(
        [
            share("to-cloudco", stream="lab-revenue", percent=10),
            share("to-lab", payer="cloudco", payee="lab", stream="api", percent=5),
        ]
    )
    r = revenue_shares(sc, [2025])
    to_cloudco = r.transfer("to-cloudco", 2025)
    assert to_cloudco.transfer_usd == D("438000.00")  # 10% of 3,650,000 + 730,000
    assert to_cloudco.streams == ["api", "chatgpt"]
    assert r.transfer("to-lab", 2025).transfer_usd == D("36500.00")  # 5% of 730,000
    (net,) = r.net
    assert (net.party_a, net.party_b) == ("cloudco", "lab")
    assert net.a_to_b_usd == D("36500.00")
    assert net.b_to_a_usd == D("438000.00")
    assert net.net_usd == D("401500.00")
    assert net.net_payer == "lab"
    assert net.complete
    assert net.bound == "exact"


def test_the_lab_id_names_its_whole_revenue_and_years_default_to_the_rows() -> None:
    r = revenue_shares(scenario([share(stream="lab")]))
    assert r.years == [2025, 2026]
    assert r.transfer("share", 2025).transfer_usd == D("438000.00")
    assert r.transfer("share", 2026).transfer_usd == D("730000.00")


def test_a_cap_is_reached_mid_year_on_a_named_day() -> None:
    # 10% of 10,000 a day = 1,000 a day; a 100,000 cap is reached on the 100th day, 2025-04-10.
    r = revenue_shares(scenario([share(cap_usd=100000)]), [2025, 2026])
    y25 = r.transfer("share", 2025)
    assert y25.transfer_usd == D("100000.00")
    assert y25.segments[0].cap == "set"
    assert y25.segments[0].cap_reached_on == date(2025, 4, 10)
    assert r.transfer("share", 2026).transfer_usd == D("0.00")


def test_a_cap_runs_across_years() -> None:
    # 2025 pays 365,000; 35,000 remain of 400,000; 2026 pays 2,000 a day: reached on day 18
    # (17.5 days' worth), 2026-01-18.
    r = revenue_shares(scenario([share(cap_usd=400000)]), [2025, 2026])
    assert r.transfer("share", 2025).transfer_usd == D("365000.00")
    y26 = r.transfer("share", 2026)
    assert y26.transfer_usd == D("35000.00")
    assert y26.segments[0].cap_reached_on == date(2026, 1, 18)


def test_the_cap_counts_years_before_those_shown() -> None:
    r = revenue_shares(scenario([share(cap_usd=400000)]), [2026])
    assert r.years == [2026]
    assert r.transfer("share", 2026).transfer_usd == D("35000.00")


AG_END = {
    "id": "ag-end",
    "date": "2025-07-01",
    "changes": [{"clause": "share", "action": "terminate"}],
}


def test_a_clause_ended_by_an_agreement_and_without_that_agreement() -> None:
    sc = scenario([share()], agreements=[AG_END])
    y = revenue_shares(sc, [2025]).transfer("share", 2025)
    # January to June: 181 days × 1,000.
    assert y.transfer_usd == D("181000.00")
    first, second = y.segments
    assert (first.start, first.end, first.in_force) == (date(2025, 1, 1), date(2025, 6, 30), True)
    assert first.version == "as signed"
    assert second.in_force is False
    assert second.reason == "terminated by ag-end from 2025-07-01"
    assert second.agreement_id == "ag-end"
    assert revenue_shares(sc, [2026]).transfer("share", 2026).transfer_usd == D("0.00")
    # Without the agreement the clause runs all year.
    back = revenue_shares(sc, [2025], without=["ag-end"])
    assert back.transfer("share", 2025).transfer_usd == D("365000.00")
    assert back.without == ["ag-end"]


def test_an_agreement_that_changes_the_percent_names_itself() -> None:
    ag = {
        "id": "ag-more",
        "date": "2025-10-01",
        "changes": [{"clause": "share", "action": "modify", "changes": {"percent": 20}}],
    }
    y = revenue_shares(scenario([share()], agreements=[ag]), [2025]).transfer("share", 2025)
    # 273 days × 1,000 + 92 days × 2,000.
    assert y.transfer_usd == D("457000.00")
    assert [s.version for s in y.segments] == ["as signed", "ag-more--share"]
    assert [s.agreement_id for s in y.segments] == [None, "ag-more"]
    assert [s.percent for s in y.segments] == [D(10), D(20)]


def agi(verified_on: str | None, declared_on: str | None = "2025-01-15") -> dict[str, object]:
    return {
        "id": "agi",
        "kind": "agi_clause",
        "declared_by": "lab",
        "control_passes_to": "lab",
        "verified_by": "panel",
        "declared_on": declared_on,
        "verified_on": verified_on,
        "effective": {"start": "2024-01-01"},
    }


def test_ends_on_agi_ends_the_share_on_the_verified_day() -> None:
    sc = scenario([share(ends_on_agi="agi"), agi("2025-03-01")])
    y = revenue_shares(sc, [2025]).transfer("share", 2025)
    # January and February: 59 days × 1,000.
    assert y.transfer_usd == D("59000.00")
    assert y.segments[1].reason == "ended: AGI verified on 2025-03-01 (agi)"


def test_a_declaration_without_verification_ends_nothing() -> None:
    sc = scenario([share(ends_on_agi="agi"), agi(None)])
    assert revenue_shares(sc, [2025]).transfer("share", 2025).transfer_usd == D("365000.00")


def test_an_agreement_that_sets_cap_usd_null_means_an_undisclosed_cap() -> None:
    ag = {
        "id": "ag-cap",
        "date": "2026-01-01",
        "changes": [{"clause": "share", "action": "modify", "changes": {"cap_usd": None}}],
    }
    r = revenue_shares(scenario([share()], agreements=[ag]), [2025, 2026])
    assert r.transfer("share", 2025).upper_bound is False
    y26 = r.transfer("share", 2026)
    assert y26.transfer_usd == D("730000.00")
    assert y26.upper_bound is True
    assert y26.segments[0].cap == "undisclosed"


def test_another_partys_stream_is_unquantified_never_zero() -> None:
    sc = scenario([share(), share("back", payer="cloudco", payee="lab", stream="cloud-ai-service")])
    r = revenue_shares(sc, [2025])
    back = r.transfer("back", 2025)
    assert back.transfer_usd is None
    assert back.quantified is False
    assert "cloudco's revenue" in (back.segments[0].note or "")
    (net,) = r.net
    assert net.complete is False
    assert net.unquantified == ["back"]
    assert net.bound == "upper"  # the lab pays the net; cloudco's unknown share lowers it


def test_a_year_without_revenue_rows_is_unquantified() -> None:
    y = revenue_shares(scenario([share(stream="api")]), [2026]).transfer("share", 2026)
    assert y.transfer_usd is None
    assert "no revenue row for api in 2026" in (y.segments[0].note or "")


def test_rounding_to_the_cent_adds_up() -> None:
    # Two versions in one year: the parts are rounded so that they sum to the year's total.
    ag = {
        "id": "ag",
        "date": "2025-02-10",
        "changes": [{"clause": "share", "action": "modify", "changes": {"percent": "7.77"}}],
    }
    y = revenue_shares(scenario([share(percent="3.333")], agreements=[ag]), [2025]).transfer(
        "share", 2025
    )
    parts = [s.transfer_usd for s in y.segments]
    assert sum(p for p in parts if p is not None) == y.transfer_usd
    # 40 days × 333.30 + 325 days × 777.00 = 13,332 + 252,525.
    assert y.transfer_usd == D("265857.00")


# --------------------------------------------------------------------------- bad input


def test_a_stream_for_an_unknown_party_is_located() -> None:
    with pytest.raises(InputError, match=r"unknown party 'cloudcoo'") as e:
        revenue_shares(scenario([share(stream="cloudcoo-revenue")]))
    (p,) = e.value.problems
    assert p.path == "contracts[0].clauses[0].revenue_stream"
    assert p.hint == "did you mean 'cloudco'?"


def test_an_unknown_stream_of_the_lab_is_located_with_a_suggestion() -> None:
    with pytest.raises(InputError, match=r"unknown revenue stream 'chatgtp'") as e:
        revenue_shares(scenario([share(stream="chatgtp")]))
    assert e.value.problems[0].hint == "did you mean 'chatgpt'?"


def test_a_revenue_row_given_twice_is_refused() -> None:
    rows = [
        {"stream": "chatgpt", "year": 2025, "usd": 1},
        {"stream": "chatgpt", "year": 2025, "usd": 2},
    ]
    with pytest.raises(InputError, match="second revenue row") as e:
        revenue_shares(scenario([share()], revenue=rows))
    assert e.value.problems[0].path == "revenue[1]"


def test_an_unknown_without_name_is_refused() -> None:
    with pytest.raises(InputError, match="nosuch"):
        revenue_shares(scenario([share()]), without=["nosuch"])


# --------------------------------------------------------------------------- an invariant


@given(
    percent=st.decimals(min_value="0.01", max_value="100", places=2),
    cap=st.one_of(st.none(), st.integers(min_value=1, max_value=3_000_000)),
    end_day=st.integers(min_value=0, max_value=729),
)
def test_total_paid_is_the_capped_share_of_the_revenue_in_force(
    percent: Decimal, cap: int | None, end_day: int
) -> None:
    """Oracle: the share of each day's revenue while the clause is in force, summed over both
    years, capped at ``cap``; the rows, rounded to the cent, add up to it."""
    from datetime import timedelta

    end = date(2025, 1, 1) + timedelta(days=end_day)
    clause = share(percent=str(percent), cap_usd=cap)
    clause["effective"] = {"start": "2025-01-01", "end": end.isoformat()}
    r = revenue_shares(scenario([clause]), [2025, 2026])
    days25 = min(end_day + 1, 365)
    days26 = max(0, end_day + 1 - 365)
    exact = (D(10000) * days25 + D(20000) * days26) * percent / 100
    if cap is not None:
        exact = min(exact, D(cap))
    paid = sum((t.transfer_usd or D(0) for t in r.transfers), D(0))
    assert paid == exact.quantize(D("0.01"), rounding="ROUND_HALF_UP")
    for t in r.transfers:
        assert sum((s.transfer_usd or D(0) for s in t.segments), D(0)) == t.transfer_usd
