"""Charges in the ledger: ``stargate simulate --db`` records reservations, monthly charges and
commitment draw-downs that add up to the summary's spend to the cent; ``stargate place --db``
records decisions; each run under its own run id, recorded once."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.ledger import Entry, open_ledger
from stargate.ledger.charges import allocate_cents, run_id_for
from tests.ledger.charges_world import COMMITMENT_USD, scenario_file, simulate_into

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def entries_of(url: str, run_id: str | None = None) -> list[Entry]:
    with open_ledger(url) as led:
        return list(led.entries(run_id=run_id))


@pytest.fixture
def recorded(any_url: str, tmp_path: Path) -> tuple[str, dict[str, Any], list[Entry]]:
    summary = simulate_into(any_url, tmp_path)
    return any_url, summary, entries_of(any_url, summary["ledger"]["run_id"])


# --------------------------------------------------------------------------- allocation


@given(
    st.lists(st.decimals(min_value=0, max_value=10**9, places=6), min_size=1, max_size=30),
    st.data(),
)
def test_allocated_cents_add_up_and_follow_the_weights(
    weights: list[Decimal], data: st.DataObject
) -> None:
    total = data.draw(st.integers(min_value=0, max_value=10**9))
    got = allocate_cents(total, weights)
    assert sum(got) == total
    whole = sum(weights)
    if whole > 0:
        for w, c in zip(weights, got, strict=True):
            assert abs(Decimal(c) - Decimal(total) * w / whole) < 1  # largest remainder
    assert all(c >= 0 for c in got)


@given(
    st.lists(
        st.tuples(st.decimals(min_value=0, max_value=10**6, places=3), st.integers(0, 10**6)),
        min_size=1,
        max_size=30,
    ),
    st.data(),
)
def test_allocated_cents_never_pass_a_cap(
    items: list[tuple[Decimal, int]], data: st.DataObject
) -> None:
    caps = [c for _, c in items]
    total = data.draw(st.integers(min_value=0, max_value=sum(caps)))
    got = allocate_cents(total, [w for w, _ in items], caps)
    assert sum(got) == total
    assert all(0 <= g <= c for g, c in zip(got, caps, strict=True))


def test_allocation_by_hand() -> None:
    # 100 cents over 1:1:1 → 34, 33, 33 (the tie to the earlier item); a cap moves the rest
    assert allocate_cents(100, [Decimal(1)] * 3) == [34, 33, 33]
    assert allocate_cents(100, [Decimal(8), Decimal(1), Decimal(1)], [50, 100, 100]) == [50, 25, 25]


# --------------------------------------------------------------------------- simulate --db


def test_monthly_charges_add_up_to_the_summary_spend_to_the_cent(
    recorded: tuple[str, dict[str, Any], list[Entry]],
) -> None:
    _, summary, entries = recorded
    capacity = [e for e in entries if e.kind == "charge" and e.body["charge_type"] == "capacity"]
    committed: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    used: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    idle: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    by_site: dict[tuple[int, str, str], Decimal] = defaultdict(Decimal)
    for e in capacity:
        b = e.body
        key = (int(b["period_start"][:4]), b["provider"])
        committed[key] += Decimal(b["committed_usd"])
        used[key] += Decimal(b["used_usd"])
        idle[key] += Decimal(b["idle_usd"])
        by_site[(*key, b["site"])] += Decimal(b["committed_usd"])
    spend = summary["spend_by_year"]
    assert {(r["year"], r["provider"]) for r in spend} == set(committed)
    for r in spend:
        key = (r["year"], r["provider"])
        assert committed[key] == Decimal(r["committed_usd"]), key
        assert used[key] == Decimal(r["used_usd"]), key
        assert idle[key] == Decimal(r["idle_usd"]), key
        for site, usd in r["committed_by_site_usd"].items():
            assert by_site[(*key, site)] == Decimal(usd), (key, site)
    assert {r["provider"] for r in spend} >= {"cloud", "own"}  # reservations and own capacity


def test_a_charge_is_a_month_of_one_provider_site_type_and_class(
    recorded: tuple[str, dict[str, Any], list[Entry]],
) -> None:
    _, _, entries = recorded
    seen = set()
    for e in entries:
        if e.kind != "charge" or e.body["charge_type"] != "capacity":
            continue
        b = e.body
        key = (b["period_start"], b["provider"], b["site"], b["accelerator"], b["workload_class"])
        assert key not in seen
        seen.add(key)
        assert e.world_time == datetime.fromisoformat(b["period_start"])  # the period's start
        assert b["period_start"][8:] == "01"
        assert b["period_end_exclusive"] == b["billing_period_end_exclusive"]
        parts = b["parts"]
        for field in ("committed_usd", "used_usd", "idle_usd", "list_cost_usd"):
            assert sum(Decimal(p[field]) for p in parts) == Decimal(b[field]), field
            assert Decimal(b[field]).as_tuple().exponent == -2  # to the cent
        assert Decimal(b["idle_usd"]) >= 0
        assert Decimal(b["committed_usd"]) == Decimal(b["used_usd"]) + Decimal(b["idle_usd"])
        # take-or-pay, billed monthly: billed = effective = contracted = committed
        for field in ("billed_cost_usd", "effective_cost_usd", "contracted_cost_usd", "amount_usd"):
            assert b[field] == b["committed_usd"], field
        # the list (on-demand) price is above the reserved one in this world
        if all(p["held_kind"] == "reservation" for p in parts):
            assert Decimal(b["list_cost_usd"]) > Decimal(b["committed_usd"])
    classes = {k[4] for k in seen}
    assert {"train", "serve"} <= classes  # the reservations dedicated to a class split


def test_reservations_one_per_placed_procurement_row(
    recorded: tuple[str, dict[str, Any], list[Entry]],
) -> None:
    _, summary, entries = recorded
    placed = [r for r in summary["procurement"] if r["placed"]]
    res = [e for e in entries if e.kind == "reservation"]
    assert len(res) == len(placed)
    held = {
        p["held_id"]
        for e in entries
        if e.kind == "charge" and e.body["charge_type"] == "capacity"
        for p in e.body["parts"]
    }
    for e, row in zip(res, placed, strict=True):
        b = e.body
        assert b["request_id"] == row["request"]
        assert b["reservation_id"] in held  # the reservation the charges bill
        assert b["contract_price_usd_per_accelerator_hour"] == row["price_usd_per_accelerator_hour"]
        assert e.world_time == datetime.fromisoformat(row["date"])
        assert b["amount_usd"] is None  # the monthly charges bill it, not the reservation
        assert (b["rofr_offer_id"] is None) == (row["rofr"] == "not_in_scope")
    assert any(e.body["rofr"] == "accepted" for e in res)


def test_commitment_drawdowns_and_the_shortfall(
    recorded: tuple[str, dict[str, Any], list[Entry]],
) -> None:
    _, summary, entries = recorded
    spend_2025 = sum(
        Decimal(r["committed_usd"])
        for r in summary["spend_by_year"]
        if r["year"] == 2025 and r["provider"] == "cloud"
    )
    [draw] = [e for e in entries if e.kind == "commitment_drawdown"]
    assert draw.body["clause_id"] == "cloud-commit"
    assert draw.body["year"] == 2025
    assert Decimal(draw.body["drawn_usd"]) == spend_2025  # all of it, under the $5M
    [short] = [
        e for e in entries if e.kind == "charge" and e.body["charge_type"] == "commitment_shortfall"
    ]
    assert Decimal(short.body["billed_cost_usd"]) == COMMITMENT_USD - spend_2025
    assert short.world_time == datetime(2025, 12, 31)  # billed on the period's last day


def test_every_entry_carries_the_run_and_its_provenance(
    recorded: tuple[str, dict[str, Any], list[Entry]],
) -> None:
    url, summary, entries = recorded
    prov = summary["provenance"]
    run_id = summary["ledger"]["run_id"]
    assert run_id.startswith("sim-")
    assert len(entries) == summary["ledger"]["appended"]
    for e in entries:
        assert e.run_id == run_id
        assert e.provenance["scenario_sha256"] == prov["scenario_sha256"]
        assert e.provenance["stargate_version"] == prov["stargate_version"]
        assert e.provenance["seed"] == prov["seed"]
    with open_ledger(url) as led:
        assert led.verify().ok


def test_the_same_run_is_recorded_once_and_another_seed_is_another_run(
    recorded: tuple[str, dict[str, Any], list[Entry]], tmp_path: Path
) -> None:
    url, summary, entries = recorded
    again = simulate_into(url, tmp_path)
    assert again["ledger"]["already_recorded"] is True
    assert again["ledger"]["appended"] == 0
    assert len(entries_of(url)) == len(entries)
    other = simulate_into(url, tmp_path, "--seed", "1")
    assert other["ledger"]["run_id"] != summary["ledger"]["run_id"]
    assert len(entries_of(url)) == len(entries) + other["ledger"]["appended"]


def test_run_ids_hash_provenance_and_settings() -> None:
    a = run_id_for("sim", {"seed": 0}, {"policy": "greedy"})
    assert a == run_id_for("sim", {"seed": 0}, {"policy": "greedy"})
    assert a != run_id_for("sim", {"seed": 1}, {"policy": "greedy"})
    assert a != run_id_for("sim", {"seed": 0}, {"policy": "easy"})


def test_db_with_a_fleet_or_a_bad_url_is_refused_before_any_work(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    r = runner.invoke(app, ["simulate", "--fleet", "pool:64", "--db", f"sqlite:///{db}"])
    assert r.exit_code == 2
    assert "fleet for experiments" in r.output
    assert not db.exists()  # nothing written
    r = runner.invoke(
        app, ["simulate", "--scenario", str(scenario_file(tmp_path)), "--db", "nosuch://x"]
    )
    assert r.exit_code == 2
    assert "--db" in r.output
    assert "Traceback" not in r.output


def test_a_run_without_db_imports_no_ledger(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from stargate.cli.main import app\n"
        f"r = CliRunner().invoke(app, ['simulate', '--scenario', {str(scenario_file(tmp_path))!r},"
        " '--horizon', '2025..2025', '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.startswith(('stargate.ledger', "
        "'stargate.recording', 'sqlalchemy'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# --------------------------------------------------------------------------- place --db


def test_place_records_one_decision_entry_per_decision(any_url: str) -> None:
    args = ["place", str(ROOT / "examples/requests/stargate-mix.yaml"), "--at", "2026-01-01"]
    r = runner.invoke(app, [*args, "--json", "--db", any_url])
    assert r.exit_code == 0, r.output
    decisions = json.loads(r.stdout)
    entries = entries_of(any_url)
    assert len(entries) == len(decisions) > 1
    for e, d in zip(entries, decisions, strict=True):
        assert e.kind == "decision"
        assert e.run_id is not None
        assert e.run_id.startswith("place-")
        assert e.world_time == datetime(2026, 1, 1)
        assert e.provenance["scenario_sha256"]
        b = e.body
        assert b["request_id"] == d["request_id"]
        assert b["decided_by"] == d["decided_by"]
        assert b["explanation"] == d["explanation"]
        assert len(b["candidates"]) == len(d["candidates"])
        # money as decimal strings, to the cent; never a float
        if d["cost_usd"] is not None:
            assert b["cost_usd"] == f"{Decimal(repr(d['cost_usd'])):.2f}"
        assert b["amount_usd"] is None
    again = runner.invoke(app, [*args, "--db", any_url])
    assert again.exit_code == 0
    assert "nothing appended" in again.output
    assert len(entries_of(any_url)) == len(entries)


# --------------------------------------------------------------------------- by hand


def _inputs(**over: Any) -> Any:
    from datetime import date

    from stargate.ledger.charges import ChargeInputs, HeldItem

    res = HeldItem(
        "r1", "reservation", "cloud", "east", "a", 10, date(2025, 1, 16), None,
        Decimal("2.00"), Decimal("3.00"), ("train",),
    )  # fmt: skip
    own = HeldItem("p1", "own", "own", "campus", "a", 4, date(2024, 1, 1), None, Decimal("1.25"))
    base: dict[str, Any] = dict(
        run_id="sim-test",
        provenance={"seed": 0},
        scenario_id="w",
        lab="lab",
        first=date(2025, 1, 1),
        last=date(2025, 2, 28),
        held=[res, own],
        # r1: 10 × (16 days × 24 h = 384 h) × $2 = 7,680.00 in January, 10 × 672 h × $2 =
        # 13,440.00 in February; p1: 4 × 1,416 h × $1.25 = 7,080.00
        committed_by_site_usd={
            (2025, "cloud", "east"): Decimal("21120.00"),
            (2025, "own", "campus"): Decimal("7080.00"),
        },
        used_usd={(2025, "cloud"): Decimal("10000.00"), (2025, "own"): Decimal("0.00")},
        busy_usd_by_held={
            (date(2025, 1, 20), "r1"): Decimal("2500"),
            (date(2025, 2, 3), "r1"): Decimal("7500"),
        },
        owners={"cloud": "cloudco", "own": "lab"},
    )
    base.update(over)
    return ChargeInputs(**base)


def test_charges_of_a_run_by_hand() -> None:
    from stargate.ledger.charges import run_entries

    run = run_entries(_inputs())
    charges = {(e.body["period_start"], e.body["provider"]): e for e in run.entries}
    jan = charges[(datetime(2025, 1, 1).date(), "cloud")].body
    assert jan["period_start"].isoformat() == "2025-01-01"  # the month, cut to the run
    assert jan["committed_usd"] == "7680.00"
    assert jan["used_usd"] == "2500.00"
    assert jan["idle_usd"] == "5180.00"
    assert jan["list_cost_usd"] == "11520.00"  # 3,840 accelerator-hours × $3 on demand
    assert jan["accelerator_hours_committed"] == 3840
    assert jan["accelerator_hours_used"] == "1250.000000"
    assert jan["workload_class"] == "train"
    assert jan["parts"][0]["period_start"].isoformat() == "2025-01-16"
    feb = charges[(datetime(2025, 2, 1).date(), "cloud")].body
    assert feb["committed_usd"] == "13440.00"
    assert feb["used_usd"] == "7500.00"
    own_jan = charges[(datetime(2025, 1, 1).date(), "own")].body
    assert own_jan["committed_usd"] == "3720.00"  # 4 × 744 h × $1.25
    assert own_jan["seller"] == "lab"
    assert own_jan["list_cost_usd"] == own_jan["committed_usd"]  # no list price: at cost


def test_a_run_is_recorded_whole_or_not_at_all(sqlite_url: str) -> None:
    from stargate.errors import InputError
    from stargate.ledger import EntryIn
    from stargate.ledger.charges import RunRecord, record, run_entries

    good = run_entries(_inputs())
    bad = RunRecord(
        good.run_id,
        good.provenance,
        [*good.entries, EntryIn("charge", "lab", datetime(2025, 3, 1), {"amount_usd": 1.5})],
    )
    with open_ledger(sqlite_url) as led:
        with pytest.raises(InputError, match="money is never a float"):
            record(led, bad)
        assert led.size() == 0  # nothing of the run
        done = record(led, good)  # so it is not taken for recorded
        assert not done.already
        assert led.size() == len(good.entries) == done.appended


def test_db_default_is_the_environment_s_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    monkeypatch.setenv("STARGATE_DATABASE_URL", url)
    summary = simulate_into("default", tmp_path)
    assert summary["ledger"]["url"] == url
    assert len(entries_of(url)) == summary["ledger"]["appended"] > 0
