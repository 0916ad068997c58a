"""`stargate scenario show`: the tables docs/cli.md promises, with pools, prices and budget."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stargate.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
TWO = str(ROOT / "examples" / "two-provider.yaml")
ROFR_REMOVED = str(ROOT / "examples" / "rofr-removed.yaml")
runner = CliRunner()


def show(*args: str) -> str:
    result = runner.invoke(app, ["scenario", "show", *args], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return str(result.output)


def show_json(*args: str) -> Any:
    return json.loads(show(*args, "--json"))


def documented_tables() -> list[str]:
    """The table titles that docs/cli.md's scenario show section lists, in order."""
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text.split("## stargate scenario show", 1)[1].split("\n## ", 1)[0]
    para = section.split("The tables are", 1)[1].split("\n\n", 1)[0]
    return [" ".join(t.split()) for t in re.findall(r"\*\*([^*]+)\*\*", para)]


def shown_tables(text: str) -> list[str]:
    titles = []
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        if lines[i + 1].lstrip().startswith("┏"):
            titles.append(line.strip())
    return titles


def test_tables_are_the_documented_ones_in_order() -> None:
    # On 2028-06-01 both clauses have expired: every table, "Clauses not in force" included.
    assert shown_tables(show(TWO, "--at", "2028-06-01")) == documented_tables()
    # "Clauses not in force" only when there are any.
    shown = shown_tables(show(TWO, "--at", "2027-02-01"))
    assert shown == [t for t in documented_tables() if t != "Clauses not in force"]


def test_text_shows_pools_prices_and_budget() -> None:
    text = show(TWO, "--at", "2027-02-01")
    rows = {line.split("│")[2].strip(): line for line in text.splitlines() if "texas-gb200" in line}
    outage, later = rows["texas-gb200-1"], rows["texas-gb200-2"]
    assert "70,000" in outage
    assert "in outage" in outage
    assert "committed" in outage
    assert "owned cost" in outage
    # The second pool is planned: a candidate the planner may buy, priced at cost with the
    # capital charge at the site's 8% wacc ($1.30 straight-line, $1.64 with it).
    assert "candidate from 2027-07-01" in later
    assert "planned" in later
    assert "$1.64" in later
    nimbus = next(line for line in text.splitlines() if "nimbus-h100 " in line)
    assert "$10.00" in nimbus
    assert "on-demand price" in nimbus
    assert "online" in nimbus
    gb200 = next(line for line in text.splitlines() if "nimbus-gb200 " in line)
    assert "$12.00" in gb200  # Acme's contract price, not the $16.00 list price
    assert "contract price" in gb200
    assert re.search(r"nimbus-cloud\s*│\s*all\s*│\s*h100\s*│\s*\$10\.00\s*│\s*\$6\.00", text)
    assert re.search(r"gb200\s*│\s*\$16\.00\s*│\s*—\s*│\s*acme-ai \$12\.00", text)
    assert re.search(r"phase-1\s*│\s*2026-12-31\s*│\s*\$5,000,000,000", text)
    assert re.search(r"phase-2\s*│\s*2027-12-31\s*│\s*\$10,000,000,000", text)
    assert re.search(r"acme-campus\s*│\s*Acme's own campus\s*│\s*owned\s*│\s*acme-ai", text)


def test_text_shows_the_capital_charge_by_component() -> None:
    text = show(TWO, "--at", "2027-02-01")
    [row] = [line for line in text.splitlines() if line.startswith("│ acme-texas") and "%" in line]
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells == [
        "acme-texas",
        "gb200",
        "8.0% wacc",
        "$1.23",  # accelerator capex: $43,000 at CRF(8%, 5 y) / 8,760
        "$0.22",  # facility capex: $9.3M/MW x 1.68 kW at CRF(8%, 14 y) / 8,760
        "$0.08",
        "$0.11",
        "$1.64",
        "$0.34",  # of which the capital charge: 1.64 - 1.30 straight-line
        "—",  # the lab owns it: nobody sells it to the lab
    ]


def test_text_shows_procurement_tables() -> None:
    text = show(TWO, "--at", "2026-01-01")
    assert re.search(
        r"nimbus-cloud\s*│\s*gb200\s*│\s*nimbus-east\s*│\s*2025-06-01\s*│\s*open", text
    )
    assert re.search(r"nimbus-h100-2024\s*│\s*acme-ai\s*│\s*nimbus-cloud/nimbus-east", text)
    held = next(line for line in text.splitlines() if "nimbus-h100-2024" in line)
    assert "$6.00 reserved" in held  # no price of its own: the reserved list price
    assert "yes" in held
    request = next(line for line in text.splitlines() if line.startswith("│ gb200-2025"))
    assert "10,000 accelerators (gb200)" in request
    assert "2025-06-01..2027-12-31" in request


def test_json_has_pool_prices_and_price_list() -> None:
    snap = show_json(TWO, "--at", "2027-02-01")
    pools = {p["id"]: p for s in snap["sites"] for p in s["pools"]}
    assert pools["nimbus-h100"]["price_usd_per_accelerator_hour"] == "10.00"
    assert pools["nimbus-h100"]["price_basis"] == "on_demand"
    assert pools["nimbus-gb200"]["price_usd_per_accelerator_hour"] == "12.00"
    assert pools["nimbus-gb200"]["price_basis"] == "contract"
    assert pools["texas-gb200-1"]["price_basis"] == "owned_cost"
    assert pools["texas-gb200-2"]["status"] == "planned"
    assert pools["texas-gb200-2"]["online"] is False  # a candidate is never capacity
    assert snap["prices"][0] == {
        "provider": "nimbus-cloud",
        "site": None,
        "accelerator": "h100",
        "on_demand_usd_per_accelerator_hour": "10.0",
        "reserved_usd_per_accelerator_hour": "6.0",
        "contract_prices": [],
    }
    assert snap["prices"][1]["contract_prices"] == [
        {"party": "acme-ai", "usd_per_accelerator_hour": "12.0"}
    ]
    assert snap["lab"] == "acme-ai"
    assert snap["reference_class"] == "training"


def test_json_owned_cost_components_add_up() -> None:
    snap = show_json(TWO)
    [row] = snap["owned_costs"]
    parts = ("accelerator_capex_usd", "facility_capex_usd", "opex_usd", "energy_usd")
    total = sum(Decimal(row[p]) for p in parts)
    assert abs(total - Decimal(row["total_usd"])) <= Decimal("0.02")  # each rounded alone
    assert row["straight_line_usd"] == "1.30"
    assert row["total_usd"] == "1.64"
    assert row["capital_charge_usd"] == "0.34"
    assert row["cost_of_capital"] == 0.08
    assert row["cost_of_capital_from"] == "wacc"


def test_default_abilene_at_the_oci_contract_price() -> None:
    """Abilene is OCI capacity leased from Crusoe: every pool at Oracle's $4.34 contract rate,
    no cost basis of its own. Only the campuses of OpenAI and SoftBank are priced at cost."""
    snap = show_json("--at", "2026-01-01")
    assert "abilene" not in {r["site"] for r in snap["owned_costs"]}
    owned = {r["site"]: r for r in snap["owned_costs"]}
    assert set(owned) == {"lordstown", "milam"}
    assert {r["provider"] for r in owned.values()} == {"stargate-campuses"}
    assert (owned["lordstown"]["accelerator"], owned["lordstown"]["total_usd"]) == (
        "openai-xpu",
        "0.89",
    )
    assert (owned["milam"]["accelerator"], owned["milam"]["total_usd"]) == ("vr200", "2.33")
    for row in owned.values():
        assert row["cost_of_capital_from"] == "discount_rate"
        assert row["lab_price_basis"] is None  # OpenAI's own chips: no price but their cost
    [abilene] = [s for s in snap["sites"] if s["id"] == "abilene"]
    assert abilene["provider"] == "oci"
    assert abilene["developer"] == "crusoe"
    assert abilene["lease"] == {
        "developer": "crusoe",
        "lessee": "oci",
        "start": "2024-06-01",
        "term_years": 15.0,
        "end": "2039-06-01",
    }
    assert [p["status"] for p in abilene["phases"]] == [
        "operational",
        "operational",
        "under_construction",
    ]
    assert [p["online_on_day"] for p in abilene["phases"]] == [True, False, False]
    assert abilene["online_power_mw"] == 240.0
    assert abilene["accelerators_online"] == 100_000
    assert {p["price_usd_per_accelerator_hour"] for p in abilene["pools"]} == {"4.34"}
    assert {p["price_basis"] for p in abilene["pools"]} == {"contract"}


def test_json_procurement_of_the_default() -> None:
    snap = show_json("--at", "2026-01-01")
    held = {r["id"]: r for r in snap["reservations"]}
    assert set(held) == {"azure-a100-2022"}  # what OpenAI held on 2023-01-01
    a100 = held["azure-a100-2022"]
    assert a100["price_usd_per_accelerator_hour"] == "1.30"  # Azure's reported A100 rate
    assert a100["price_basis"] == "contract"
    assert a100["reference_accelerators"] == 18000.0  # 60,000 x 0.3
    assert a100["held"] is True
    assert show_json("--at", "2027-01-01")["reservations"][0]["held"] is False  # term to 2026
    models = {
        (m["provider"], m["site"], m["accelerator"], m["start"]): m for m in snap["capacity_models"]
    }
    gb200_2026 = models[("azure", "azure-us", "gb200", "2026-01-01")]
    assert gb200_2026["in_force"] is True
    assert gb200_2026["offered_in_period"] == 240000.0
    assert gb200_2026["reference_accelerators"] == 600000.0  # x 2.5
    assert models[("azure", "azure-us", "gb200", "2025-01-01")]["in_force"] is False
    assert models[("aws", "aws-us", "gb200", "2026-01-01")]["offered_in_period"] == 154400.0
    in_force = {m["provider"] for m in snap["capacity_models"] if m["in_force"]}
    assert in_force == {"azure", "coreweave", "aws"}
    requests = {r["id"]: r for r in snap["capacity_requests"]}
    assert requests["abilene-phase-2"]["accelerators"] == 100000
    assert requests["abilene-phase-2"]["sites"] == ["abilene"]
    assert requests["abilene-phase-2"]["date_reached"] is True
    assert requests["aws-2026-02-trainium-a"]["date_reached"] is False  # dated 2026-02-27
    before = show_json("--at", "2025-01-20")
    reached = {r["id"] for r in before["capacity_requests"] if r["date_reached"]}
    assert reached == {
        "azure-2023-a100",
        "azure-2023-h100",
        "azure-2024-a100",
        "azure-2024-h100",
        "azure-2024-h100-partner",
    }
    first = show_json("--at", "2023-01-01")
    assert {r["date_reached"] for r in first["capacity_requests"]} == {False}


def test_pool_price_is_what_the_lab_pays_by_the_price_rule() -> None:
    from stargate.domain.costs import hourly_cost
    from stargate.scenario.loader import load_scenario
    from stargate.scenario.snapshot import snapshot

    sc = load_scenario(None)
    snap = snapshot(sc)
    for site, view in zip(sc.sites, snap.sites, strict=True):
        provider = sc.provider(site.provider)
        for pool, pv in zip(site.pools, view.pools, strict=True):
            acc = sc.accelerator(pool.accelerator)
            cost = hourly_cost(sc, provider, site, acc, requester=sc.lab_id())
            if cost is None:
                assert pv.price_usd_per_accelerator_hour is None
                assert pv.price_basis is None
            else:
                assert pv.price_usd_per_accelerator_hour == str(round(cost.total_usd, 2))


def test_no_budget_says_so(tmp_path: Path) -> None:
    from tests.conftest import minimal, write_scenario

    data = minimal()
    data.pop("budget", None)
    path = write_scenario(tmp_path, data)
    text = show(str(path))
    assert "Budget: none" in text


@pytest.mark.parametrize(
    ("day", "status", "until"),
    [
        ("2031-06-01", "in_force", "2032-12-31"),
        ("2033-02-01", "expired", "2032-12-31"),  # expired, and says what it read, as amended
    ],
)
def test_amended_ip_rights_after_2030(day: str, status: str, until: str) -> None:
    snap = show_json(ROFR_REMOVED, "--at", day)
    ip = next(
        c
        for c in snap["clauses_in_force"] + snap["clauses_not_in_force"]
        if c["id"] == "microsoft-ip-rights"
    )
    assert ip["status"] == status
    assert f"until {until}" in ip["summary"]
