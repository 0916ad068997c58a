"""A run recorded with `simulate --db` carries its revenue-share transfers (one entry per clause
and year, the money report's amounts) and its contract events (each contract signed and each
agreement dated in the run); a run `--without` an agreement records neither that agreement nor
what it changed, and records at all (its scenario has the agreement voided already)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from stargate import load_scenario
from stargate.cli.main import app
from stargate.ledger import open_ledger
from stargate.money import revenue_shares

runner = CliRunner()


def _record(url: str, *extra: str) -> None:
    r = runner.invoke(app, ["simulate", "--horizon", "2025..2025", "--db", url, "--json", *extra])
    assert r.exit_code == 0, r.output


def test_transfers_and_agreements_of_the_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    _record(url)
    led = open_ledger(url)
    try:
        shares = [e.body for e in led.entries(kind="revenue_share")]
        events = [e.body for e in led.entries(kind="contract_event")]
    finally:
        led.close()
    want = revenue_shares(load_scenario(), [2025])
    quantified = [t for t in want.transfers if t.transfer_usd]
    assert {(b["clause_id"], b["year"]) for b in shares} == {
        (t.clause_id, t.year) for t in quantified
    }
    for b in shares:
        t = want.transfer(str(b["clause_id"]), int(b["year"]))
        assert Decimal(str(b["transfer_usd"])) == t.transfer_usd
    agreements = {b.get("agreement_id") for b in events if b["event"] == "agreement"}
    assert {"microsoft-openai-2025-01", "microsoft-openai-2025-10"} <= agreements
    assert "microsoft-openai-2026-04" not in agreements  # after the run


def test_without_an_agreement_the_run_records_without_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    _record(url, "--without", "microsoft-openai-2025-10")
    led = open_ledger(url)
    try:
        events = [e.body for e in led.entries(kind="contract_event")]
        charges = sum(1 for _ in led.entries(kind="charge"))
    finally:
        led.close()
    assert charges > 0
    agreements = {b.get("agreement_id") for b in events if b["event"] == "agreement"}
    assert "microsoft-openai-2025-01" in agreements
    assert "microsoft-openai-2025-10" not in agreements


def test_offers_answers_and_access_of_the_run(tmp_path: Path) -> None:
    """2025: Azure's ROFR offers (five accepted on 2025-01-21, Microsoft's CoreWeave option
    declined on 2025-03-10), each answer after its offer; the October 2025 agreement changes
    Microsoft's IP rights (a grant with the new terms: until 2032)."""
    url = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    _record(url)
    led = open_ledger(url)
    try:
        offers = {e.body["offer_id"]: e for e in led.entries(kind="offer")}
        answers = {e.body["offer_id"]: e for e in led.entries(kind="answer")}
        grants = [e.body for e in led.entries(kind="access_grant")]
    finally:
        led.close()
    assert set(offers) == set(answers)
    assert len(offers) == 6
    for oid, o in offers.items():
        assert o.body["holder"] == "microsoft"
        assert answers[oid].actor == "microsoft"
        assert answers[oid].seq > o.seq
    assert answers["offer-coreweave-2025-03"].body["answer"] == "decline"
    assert sum(1 for a in answers.values() if a.body["answer"] == "accept") == 5
    ip = [g for g in grants if g["clause_id"] == "microsoft-ip-rights"]
    assert ip
    assert ip[0]["change"] == "terms changed"
    assert str(ip[0]["until"]).startswith("2032-12-31")
