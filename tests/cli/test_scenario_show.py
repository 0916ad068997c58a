"""`stargate scenario show`: the tables docs/cli.md promises, with pools, prices and budget."""

from __future__ import annotations

import json
import re
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
    assert "owned cost" in outage
    assert "from 2027-07-01" in later
    assert "$1.30" in later
    nimbus = next(line for line in text.splitlines() if "nimbus-h100" in line)
    assert "$10.00" in nimbus
    assert "on-demand price" in nimbus
    assert "online" in nimbus
    assert re.search(r"nimbus-cloud\s*│\s*all\s*│\s*h100\s*│\s*\$10\.00\s*│\s*\$6\.00", text)
    assert re.search(r"phase-1\s*│\s*2026-12-31\s*│\s*\$5,000,000,000", text)
    assert re.search(r"phase-2\s*│\s*2027-12-31\s*│\s*\$10,000,000,000", text)
    assert re.search(r"acme-campus\s*│\s*Acme's own campus\s*│\s*owned\s*│\s*acme-ai", text)


def test_json_has_pool_prices_and_price_list() -> None:
    snap = show_json(TWO, "--at", "2027-02-01")
    pools = {p["id"]: p for s in snap["sites"] for p in s["pools"]}
    assert pools["nimbus-h100"]["price_usd_per_accelerator_hour"] == "10.00"
    assert pools["nimbus-h100"]["price_basis"] == "on_demand"
    assert pools["texas-gb200-1"]["price_basis"] == "owned_cost"
    assert snap["prices"][0] == {
        "provider": "nimbus-cloud",
        "site": None,
        "accelerator": "h100",
        "on_demand_usd_per_accelerator_hour": "10.0",
        "reserved_usd_per_accelerator_hour": "6.0",
    }


def test_pool_price_is_what_the_broker_charges() -> None:
    from stargate.domain.costs import hourly_cost
    from stargate.scenario.loader import load_scenario
    from stargate.scenario.snapshot import snapshot

    sc = load_scenario(None)
    snap = snapshot(sc)
    for site, view in zip(sc.sites, snap.sites, strict=True):
        provider = sc.provider(site.provider)
        for pool, pv in zip(site.pools, view.pools, strict=True):
            cost = hourly_cost(sc, provider, site, sc.accelerator(pool.accelerator))
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
