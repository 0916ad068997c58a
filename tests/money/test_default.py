"""The default scenario's figures, computed by hand from src/stargate/scenario/data/
stargate-2025.yaml.

Revenue (the `revenue:` rows, USD): 2023 chatgpt 0.7B + api 0.3B = 1.0B; 2024 2.7B + 1.0B =
3.7B; 2025 11.1B + 1.9B = 13.0B; 2026 21.5B + 5.5B + 1.0B = 28.0B; 2027 38 + 12 + 5 = 55B;
2028 60 + 25 + 15 = 100B; 2029 95 + 45 + 30 = 170B; 2030 140 + 85 + 60 = 285B.
`revenue-share-to-microsoft`: openai pays 20% of `openai-revenue` (the lab's whole revenue).
The October 2025 agreement (2025-10-28) adds `ends_on_agi` (AGI never verified: no effect), so
2025 splits 300 days (to 10-27) / 65 days: 2.6B × 300/365 = 2,136,986,301.369… → .37 and
2.6B × 65/365 = 463,013,698.630… → .63. The April 2026 agreement (2026-04-27) writes
`cap_usd: null` (capped, amount undisclosed): 2026 splits 116 / 249 days of 5.6B:
1,779,726,027.397… → .40 and 3,820,273,972.602… → .60, and from then on the figure is an
upper bound. `revenue-share-to-openai`: microsoft pays on `azure-openai-service`, Microsoft's
revenue, for which the scenario has no rows (unquantified); terminated from 2026-04-27.

Commitments are checked on a spend written by hand (not on a simulation, whose figures move
with the simulator): 365M USD a year with each provider, spread over the year's days (1M a day;
365M / 366 a day in 2028), so a whole year in a period draws 365M and a part of a year 1M a
day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from stargate.domain.model import Scenario
from stargate.money import Spend, commitments, revenue_shares

D = Decimal

TO_MICROSOFT = {
    2023: "200000000.00",
    2024: "740000000.00",
    2025: "2600000000.00",
    2026: "5600000000.00",
    2027: "11000000000.00",
    2028: "20000000000.00",
    2029: "34000000000.00",
    2030: "57000000000.00",
}


def test_revenue_share_to_microsoft(default_scenario: Scenario) -> None:
    r = revenue_shares(default_scenario)
    assert r.years == list(TO_MICROSOFT)
    for year, usd in TO_MICROSOFT.items():
        assert r.transfer("revenue-share-to-microsoft", year).transfer_usd == D(usd), year
    y25 = r.transfer("revenue-share-to-microsoft", 2025)
    assert [s.transfer_usd for s in y25.segments] == [D("2136986301.37"), D("463013698.63")]
    assert [s.agreement_id for s in y25.segments] == [None, "microsoft-openai-2025-10"]
    y26 = r.transfer("revenue-share-to-microsoft", 2026)
    assert [s.transfer_usd for s in y26.segments] == [D("1779726027.40"), D("3820273972.60")]
    assert [s.agreement_id for s in y26.segments] == [
        "microsoft-openai-2025-10",
        "microsoft-openai-2026-04",
    ]
    assert [s.cap for s in y26.segments] == ["none", "undisclosed"]
    assert y26.upper_bound
    assert not r.transfer("revenue-share-to-microsoft", 2025).upper_bound


def test_revenue_share_to_openai_is_unquantified_then_terminated(
    default_scenario: Scenario,
) -> None:
    r = revenue_shares(default_scenario)
    assert r.transfer("revenue-share-to-openai", 2025).transfer_usd is None
    y26 = r.transfer("revenue-share-to-openai", 2026)
    assert y26.segments[-1].start == date(2026, 4, 27)
    assert y26.segments[-1].reason == "terminated by microsoft-openai-2026-04 from 2026-04-27"
    assert r.transfer("revenue-share-to-openai", 2027).transfer_usd == D("0.00")
    net = {n.year: n for n in r.net}
    assert net[2025].complete is False
    # OpenAI pays the net; Microsoft's unknown share to it can only lower that: an upper bound.
    assert net[2025].bound == "upper"
    assert net[2024].bound == "upper"
    assert net[2027].complete is True
    assert net[2027].net_payer == "openai"
    assert net[2027].net_usd == D("11000000000.00")


def test_without_the_april_2026_agreement(default_scenario: Scenario) -> None:
    r = revenue_shares(default_scenario, without=["microsoft-openai-2026-04"])
    y27 = r.transfer("revenue-share-to-microsoft", 2027)
    assert y27.transfer_usd == D("11000000000.00")
    assert y27.upper_bound is False  # no undisclosed cap without the agreement
    assert y27.segments[0].agreement_id == "microsoft-openai-2025-10"
    # Microsoft's share to OpenAI stays in force (and unquantified) through 2030.
    assert r.transfer("revenue-share-to-openai", 2030).segments[0].in_force


def test_commitments_on_a_hand_written_spend(default_scenario: Scenario) -> None:
    providers = {p.id for p in default_scenario.providers}
    usd = {(y, p): D(365_000_000) for y in range(2023, 2031) for p in providers}
    c = commitments(default_scenario, Spend(date(2023, 1, 1), date(2030, 12, 31), usd))
    oracle = c.commitment("oracle-commitment")
    # Oracle owns `oci`: 2027..2030, four whole years in the period, 4 × 365M.
    assert oracle.providers == ["oci"]
    assert oracle.drawn_usd == D("1460000000.00")
    assert oracle.status == "open"  # the period runs to 2031-12-31, after the run
    assert oracle.shortfall_usd is None
    assert oracle.remaining_usd == D("298540000000.00")
    # Microsoft owns `azure`: from 2025-10-28, 65 days of 2025 (65M) and 2026..2030 (5 × 365M).
    azure = c.commitment("azure-incremental-commitment")
    assert azure.providers == ["azure"]
    assert azure.drawn_usd == D("1890000000.00")
    # CoreWeave: 1M a day shared by three commitments, the one ending first drawn first.
    # 2025-05 ($4B, 2025-07-01..2029-08-31) takes every day of its period: 184 days of 2025,
    # 2026..2028 whole (3 × 365M) and 243 days of 2029: 1,522M; 2025-03 ($11.9B) takes
    # 2025-04-01..06-30 (91 days) and 2029-09-01..2030-03-31 (122 + 90): 303M; 2025-09
    # ($6.5B) takes 2030-04-01..12-31: 275 days. All three fall short.
    cw = {k: c.commitment(f"coreweave-contract-2025-{k}") for k in ("03", "05", "09")}
    assert cw["05"].drawn_usd == D("1522000000.00")
    assert cw["03"].drawn_usd == D("303000000.00")
    assert cw["09"].drawn_usd == D("275000000.00")
    assert cw["05"].status == "shortfall"
    assert cw["05"].shortfall_usd == D("2478000000.00")
    assert cw["03"].shortfall_usd == D("11597000000.00")
    assert cw["09"].shortfall_usd == D("6225000000.00")
    # AWS: 2025-11 ($38B) ends before 2026-02 ($100B): it takes every day from 2025-11-03,
    # 59 days of 2025 and 2026..2030 whole: 59M + 5 × 365M; the later one gets nothing.
    assert c.commitment("aws-commitment-2025-11").drawn_usd == D("1884000000.00")
    assert c.commitment("aws-commitment-2026-02").drawn_usd == D("0.00")
