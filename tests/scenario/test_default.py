"""The embedded stargate-2025 scenario: valid, sourced, and saying what happened (a history
from 2023: the terms as they stood, then each public change on its date)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from stargate.contracts.state import resolve_without
from stargate.domain.model import CommittedSpend, ProviderKind, RightOfFirstRefusal, Scenario
from stargate.scenario.loader import check_scenario, embedded_scenarios
from stargate.scenario.snapshot import snapshot


def test_default_is_embedded_and_valid() -> None:
    assert "stargate-2025" in embedded_scenarios()
    result = check_scenario(None)
    assert result.ok, [p.render() for p in result.problems]
    assert result.warnings == []  # every figure-bearing item has a source


def test_parties_and_roles(default_scenario: Scenario) -> None:
    s = default_scenario
    roles = {p.id: {str(r) for r in p.roles} for p in s.parties}
    assert "operator" in roles["openai"]
    assert "financier" in roles["softbank"]
    for partner in ("oracle", "nvidia", "arm", "microsoft"):
        assert "technology_partner" in roles[partner]
    assert "nonprofit_board" in roles["openai-nonprofit"]
    assert "mgx" in roles
    chair = s.party("softbank").people[0]
    assert chair.name == "Masayoshi Son"
    assert "Chair" in chair.title


def test_budget_matches_announcement(default_scenario: Scenario) -> None:
    ms = {m.id: m for m in default_scenario.budget.milestones}
    assert ms["initial"].capex_usd == Decimal(100_000_000_000)
    assert ms["four-year"].capex_usd == Decimal(500_000_000_000)
    assert ms["four-year"].by == date(2029, 1, 21)


def test_the_horizon_is_a_history_from_2023(default_scenario: Scenario) -> None:
    assert default_scenario.id == "stargate-2025"
    assert default_scenario.horizon.start == date(2023, 1, 1)
    assert default_scenario.horizon.end == date(2030, 12, 31)
    # scenario show and place default to the announcement day, when the ROFR is in force
    assert default_scenario.as_of == date(2025, 1, 21)


def test_abilene_site(default_scenario: Scenario) -> None:
    abilene = default_scenario.site("abilene")
    assert abilene.location.city == "Abilene"
    assert abilene.location.region == "TX"
    assert abilene.power_capacity_mw == 1200
    assert {p.accelerator for p in abilene.pools} == {"gb200"}
    assert sum(p.count for p in abilene.pools) == 400_000
    # Crusoe develops it, Oracle leases it for 15 years and sells it to OpenAI as OCI capacity.
    oci = default_scenario.provider(abilene.provider)
    assert oci.id == "oci"
    assert oci.kind == ProviderKind.cloud
    assert oci.owner == "oracle"
    assert abilene.developer == "crusoe"
    assert abilene.lease is not None
    assert abilene.lease.term_years == 15
    # OpenAI pays Oracle's 4.5 GW contract rate there, the same as on OCI's own GB200 row.
    [row] = [p for p in abilene.prices if p.accelerator == "gb200"]
    contract = row.contract_price_for("openai")
    assert contract is not None
    assert contract.usd_per_accelerator_hour == Decimal("4.34")
    [oci_row] = [p for p in oci.prices if p.accelerator == "gb200"]
    oci_contract = oci_row.contract_price_for("openai")
    assert oci_contract is not None
    assert oci_contract.usd_per_accelerator_hour == contract.usd_per_accelerator_hour
    assert row.on_demand_usd_per_accelerator_hour == Decimal("16.00")
    # a cloud's capacity: no cost basis of its own (the campuses of OpenAI and SoftBank have one)
    assert abilene.costs is None
    assert default_scenario.site("milam").costs is not None


def test_abilene_capacity_is_on_the_record(default_scenario: Scenario) -> None:
    """The 400,000 GB200 are dated capacity requests at Abilene, one per phase, each from the
    day its pools come online; OpenAI held only Azure capacity when the history starts."""
    requests = {r.id: r for r in default_scenario.capacity_requests if r.sites == ["abilene"]}
    assert set(requests) == {"abilene-phase-1", "abilene-phase-2", "abilene-phase-3"}
    pools = {p.available_from: p.count for p in default_scenario.site("abilene").pools}
    total = 0
    for req in requests.values():
        assert req.providers == ["oci"]
        assert req.date == date(2025, 1, 21)  # the announcement
        assert req.accelerators is not None
        assert req.accelerators.types == ["gb200"]
        assert req.term is not None
        assert pools[req.term.start] == req.accelerators.count
        total += req.accelerators.count
    assert total == 400_000
    held = {r.id: (r.provider, r.accelerator) for r in default_scenario.reservations}
    assert held == {"azure-a100-2022": ("azure", "a100-80gb")}


def test_the_record_names_every_provider_of_openais_compute(default_scenario: Scenario) -> None:
    by_provider: dict[str, int] = {}
    for req in default_scenario.capacity_requests:
        for prov in req.providers:
            by_provider[prov] = by_provider.get(prov, 0) + 1
    assert set(by_provider) == {"azure", "oci", "coreweave", "google-cloud", "aws"}
    # before the January 2025 terms, every request went to Azure
    early = {
        p
        for r in default_scenario.capacity_requests
        if r.date < date(2025, 1, 21)
        for p in r.providers
    }
    assert early == {"azure"}
    aws = [r for r in default_scenario.capacity_requests if r.providers == ["aws"]]
    assert min(r.date for r in aws) == date(2025, 11, 3)


def test_custom_accelerator_from_2026(default_scenario: Scenario) -> None:
    xpu = default_scenario.accelerator("openai-xpu")
    assert xpu.available_from.year == 2026
    assert xpu.throughput_for("frontier-training") == 0
    assert xpu.throughput_for("chatgpt-inference") > 0
    assert "assumption" in (xpu.source or "")


def test_microsoft_terms(default_scenario: Scenario) -> None:
    kinds = {cl.id: cl.kind for _, cl in default_scenario.clauses()}
    assert kinds["azure-rofr"] == "right_of_first_refusal"
    assert kinds["api-exclusivity"] == "exclusivity"
    assert kinds["microsoft-ip-rights"] == "ip_rights"
    assert kinds["agi-clause"] == "agi_clause"
    assert kinds["microsoft-investment"] == "investment"
    shares = [cl for _, cl in default_scenario.clauses() if cl.kind == "revenue_share"]
    assert {(c.payer, c.payee) for c in shares} == {  # type: ignore[attr-defined]
        ("openai", "microsoft"),
        ("microsoft", "openai"),
    }
    rofr = next(cl for _, cl in default_scenario.clauses() if cl.id == "azure-rofr")
    assert isinstance(rofr, RightOfFirstRefusal)
    assert rofr.holder == "microsoft"
    assert rofr.beneficiary == "openai"


_SOURCE_KINDS = ("http", "announcement", "assumption", "derived", "calibrated", "fitted")


def _sourced(obj: object, path: str) -> Iterator[tuple[str, str | None, list[Any]]]:
    """Every model in the scenario that has a ``source`` field: its path, its source and the
    list it sits in (an ``as OTHER`` source names a sibling in that list)."""
    for name in type(obj).model_fields if isinstance(obj, BaseModel) else ():
        value = getattr(obj, name)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if not isinstance(item, BaseModel):
                continue
            where = f"{path}.{name}[{i}]" if isinstance(value, list) else f"{path}.{name}"
            if "source" in type(item).model_fields:
                yield where, item.source, items  # type: ignore[attr-defined]
            yield from _sourced(item, where)


def _key(item: Any) -> str:
    if getattr(item, "id", None):
        return str(item.id)
    return f"{getattr(item, 'stream', '')} {getattr(item, 'year', '')}".strip()


def test_every_figure_has_a_source(default_scenario: Scenario) -> None:
    """Every entry that can carry a source has one: a URL, the announcement, a derivation, a
    calibration or an assumption that says so, or ``as OTHER`` for a sibling that has one."""
    seen = list(_sourced(default_scenario, "scenario"))
    kinds = {type(item).__name__ for _, _, items in seen for item in items}
    for expected in (
        "Figure",
        "DatedCapacityRequest",
        "Reservation",
        "CapacityRow",
        "Pool",
        "Phase",
        "ContractPrice",
        "RevenueRow",
        "UsageRow",
        "Agreement",
        "SupplyAgreement",
        "ForecastRow",
        "CommittedSpend",
    ):
        assert expected in kinds, expected  # the walk reaches every number-bearing entry
    missing = [where for where, src, _ in seen if not src]
    assert missing == []
    for where, src, items in seen:
        chain = [where]
        while src is not None and src.startswith("as "):  # follow "as OTHER" to its source
            named = [_key(i) for i in items if src[3:].startswith(_key(i))]
            assert named, (chain, src)
            [other] = [i for i in items if _key(i) == max(named, key=len)]
            assert _key(other) not in chain, ("a cycle", chain)
            chain.append(_key(other))
            src = other.source
        assert src, chain
        assert src.startswith(_SOURCE_KINDS) or "http" in src or "assumption" in src, (chain, src)
    figures = default_scenario.figures
    assert len(figures) >= 40
    assert all(f.source for f in figures)


def test_the_rofr_holds_from_the_january_terms_to_the_october_agreement(
    default_scenario: Scenario,
) -> None:
    [contract] = [c for c in default_scenario.contracts if c.id == "microsoft-openai"]
    dates = {a.id: a.date for a in contract.agreements}
    assert dates == {
        "microsoft-openai-2025-01": date(2025, 1, 21),
        "microsoft-openai-2025-10": date(2025, 10, 28),
        "microsoft-openai-2026-04": date(2026, 4, 27),
    }
    january, october, april = contract.agreements
    assert "azure-rofr" in {cl.id for cl in january.adds}
    assert ("azure-exclusivity", "terminate") in {(c.clause, c.action) for c in january.changes}
    assert ("azure-rofr", "terminate") in {(c.clause, c.action) for c in october.changes}
    assert len(october.changes) + len(october.adds) >= 5
    [commitment] = [cl for cl in october.adds if cl.id == "azure-incremental-commitment"]
    assert isinstance(commitment, CommittedSpend)
    assert commitment.amount_usd == Decimal(250_000_000_000)
    assert ("api-exclusivity", "terminate") in {(c.clause, c.action) for c in april.changes}
    clauses = {cl.id: cl for _, cl in default_scenario.clauses()}
    rofr, excl = clauses["azure-rofr"], clauses["azure-exclusivity"]
    assert isinstance(rofr, RightOfFirstRefusal)
    assert excl.in_force(date(2025, 1, 20))
    assert not excl.in_force(date(2025, 1, 21))
    assert not rofr.in_force(date(2025, 1, 20))
    assert rofr.in_force(date(2025, 1, 21))
    assert rofr.in_force(date(2025, 10, 27))
    assert not rofr.in_force(date(2025, 10, 28))
    # without the October agreement, the January terms hold: the ROFR runs on
    held = resolve_without(default_scenario, ["microsoft-openai-2025-10"])
    assert held.voided == ("microsoft-openai-2025-10",)
    after = {cl.id: cl for _, cl in held.scenario.clauses()}
    assert after["azure-rofr"].in_force(date(2026, 6, 1))
    assert "azure-incremental-commitment" not in after


def test_show_on_2024_2025_2026_and_2031(default_scenario: Scenario) -> None:
    """The terms in force on each side of each agreement, on the Python API."""

    def terms(day: date) -> tuple[set[str], dict[str, str]]:
        snap = snapshot(default_scenario, day)
        off = {c.id: str(c.status) for c in snap.clauses_not_in_force}
        return {c.id for c in snap.clauses_in_force}, off

    on, off = terms(date(2024, 6, 1))
    assert "azure-exclusivity" in on
    assert off["azure-rofr"] == "not_yet"
    on, off = terms(date(2025, 6, 1))
    assert {"azure-rofr", "api-exclusivity"} <= on
    assert off["azure-exclusivity"] == "terminated"
    on, off = terms(date(2026, 1, 1))
    assert {"api-exclusivity", "azure-incremental-commitment", "agi-expert-panel"} <= on
    assert off["azure-rofr"] == "terminated"
    on, off = terms(date(2026, 5, 1))
    assert "azure-ship-first" in on
    assert off["api-exclusivity"] == "terminated"
    snap = snapshot(default_scenario, date(2026, 1, 1))
    assert "abilene" in {s.id for s in snap.sites}
    assert "azure" in {p.id for p in snap.providers}
    on, off = terms(date(2031, 1, 1))
    assert "azure-rofr" not in on
    assert off["azure-rofr"] == "terminated"
    assert off["revenue-share-to-microsoft"] == "expired"


def test_capacity_grows_as_phases_come_online(default_scenario: Scenario) -> None:
    def online(day: date, site_id: str = "abilene") -> int:
        [site] = [s for s in snapshot(default_scenario, day).sites if s.id == site_id]
        return site.accelerators_online

    assert online(date(2025, 9, 29)) == 0
    assert online(date(2025, 9, 30)) == 100_000  # the first two buildings, from September 2025
    assert online(date(2026, 3, 31)) == 200_000  # buildings 3-4
    assert online(date(2026, 9, 29)) == 200_000
    assert online(date(2026, 9, 30)) == 400_000  # complete
    # The campuses of OpenAI and SoftBank come later: Lordstown not until 2026-09-30.
    by_provider = snapshot(default_scenario, date(2026, 7, 1)).capacity_by_provider
    assert by_provider["stargate-campuses"] == 0
    assert online(date(2026, 9, 30), "lordstown") == 139_000
    # the dropped Abilene expansion never comes online
    assert online(date(2028, 1, 1), "abilene-expansion") == 0
