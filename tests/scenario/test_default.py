"""The embedded stargate-2025 scenario: valid, sourced, and saying what was announced."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from stargate.domain.model import ProviderKind, RightOfFirstRefusal, Scenario
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


def test_abilene_site(default_scenario: Scenario) -> None:
    abilene = default_scenario.site("abilene")
    assert abilene.location.city == "Abilene"
    assert abilene.location.region == "TX"
    assert abilene.power_capacity_mw == 1200
    assert {p.accelerator for p in abilene.pools} == {"gb200"}
    assert sum(p.count for p in abilene.pools) == 400_000
    # Crusoe develops it, Oracle leases it for 15 years and sells it to OpenAI as OCI capacity.
    oci = default_scenario.provider(abilene.provider)
    assert oci.kind == ProviderKind.cloud
    assert oci.owner == "oracle"
    assert abilene.developer == "crusoe"
    assert abilene.lease is not None
    assert abilene.lease.term_years == 15
    [row] = [p for p in abilene.prices if p.accelerator == "gb200"]
    contract = row.contract_price_for("openai")
    assert contract is not None
    assert contract.usd_per_accelerator_hour == Decimal("3.07")
    assert abilene.costs is not None  # its cost basis stays, for the capital-charge comparison


def test_abilene_capacity_is_on_the_record(default_scenario: Scenario) -> None:
    """The 400,000 GB200 are dated capacity requests at Abilene, not a fleet OpenAI holds."""
    requests = {r.id: r for r in default_scenario.capacity_requests}
    assert set(requests) == {"abilene-phase-1", "abilene-phase-2"}
    total = 0
    for req in requests.values():
        assert req.sites == ["abilene"]
        assert req.providers == ["oci"]
        assert req.accelerators is not None
        total += req.accelerators.count
    assert total == 400_000
    held = {r.id: (r.provider, r.accelerator) for r in default_scenario.reservations}
    assert held == {"azure-a100-2023": ("azure", "a100-80gb"), "azure-h100-2024": ("azure", "h100")}


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


def test_every_figure_has_a_source(default_scenario: Scenario) -> None:
    s = default_scenario
    items: list[Any] = [*s.accelerators, *s.sites, *s.figures, *s.budget.milestones]
    items += [p for site in s.sites for p in site.pools]
    items += [ph for site in s.sites for ph in site.phases]
    items += [pr for prov in s.providers for pr in prov.prices]
    items += [cl for _, cl in s.clauses()]
    missing = [getattr(i, "id", i) for i in items if not i.source]
    assert missing == []
    for src in (i.source or "" for i in items):
        assert src.startswith(("http", "announcement", "assumption", "fitted")) or (
            "http" in src or "assumption" in src
        ), src


def test_show_on_2026_and_2031(default_scenario: Scenario) -> None:
    """The acceptance check of the foundation issue, on the Python API."""
    snap = snapshot(default_scenario, date(2026, 1, 1))
    assert "abilene" in {s.id for s in snap.sites}
    assert "azure" in {p.id for p in snap.providers}
    in_force = {c.id for c in snap.clauses_in_force}
    assert {"azure-rofr", "api-exclusivity"} <= in_force
    later = snapshot(default_scenario, date(2031, 1, 1))
    assert "azure-rofr" not in {c.id for c in later.clauses_in_force}
    off = {c.id: c for c in later.clauses_not_in_force}
    assert off["azure-rofr"].status == "expired"


def test_capacity_grows_as_phases_come_online(default_scenario: Scenario) -> None:
    def abilene(day: date) -> int:
        [site] = [s for s in snapshot(default_scenario, day).sites if s.id == "abilene"]
        return site.accelerators_online

    assert abilene(date(2025, 9, 29)) == 0
    assert abilene(date(2025, 9, 30)) == 100_000  # the first buildings, from September 2025
    assert abilene(date(2026, 7, 1)) == 400_000  # complete
    # The joint venture's own campuses come later: Lordstown not until 2026-09-30.
    assert snapshot(default_scenario, date(2026, 7, 1)).capacity_by_provider["stargate"] == 0
