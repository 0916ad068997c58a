"""`stargate ledger …` end to end: keys, checkpoint, cosign, verify (0, 3, 2), prove, entries."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.ledger import open_ledger
from stargate.ledger.store import SqlStore
from tests.ledger.conftest import sample_entries

runner = CliRunner()


def run(*args: str | Path) -> Any:
    return runner.invoke(
        app, [str(a) for a in args], env={"COLUMNS": "200", "STARGATE_DEBUG": None}
    )


@pytest.fixture
def world(tmp_path: Path, any_url: str) -> dict[str, Any]:
    with open_ledger(any_url) as led:
        led.append(sample_entries(30))
    keys = tmp_path / "keys"
    for party in ("openai", "microsoft"):
        r = run("ledger", "keygen", "--party", party, "--out", keys)
        assert r.exit_code == 0, r.output
    trusted = tmp_path / "trusted.pub"
    trusted.write_text(
        "# the parties' keys\n"
        + (keys / "openai.pub").read_text()
        + (keys / "microsoft.pub").read_text()
    )
    return {"db": any_url, "keys": keys, "trusted": trusted, "dir": tmp_path}


def test_keygen_files(world: dict[str, Any]) -> None:
    key = world["keys"] / "openai.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("PRIVATE+KEY+openai+")
    assert (world["keys"] / "openai.pub").read_text().startswith("openai+")
    again = run("ledger", "keygen", "--party", "openai", "--out", world["keys"])
    assert again.exit_code == 2
    assert "never replaced" in again.output
    assert key.read_text().startswith("PRIVATE+KEY+openai+")
    bad = run("ledger", "keygen", "--party", "a/b", "--out", world["keys"])
    assert bad.exit_code == 2


def test_checkpoint_cosign_verify(world: dict[str, Any]) -> None:
    db, keys, trusted, d = world["db"], world["keys"], world["trusted"], world["dir"]
    cp = d / "ledger.checkpoint"
    r = run("ledger", "checkpoint", "--key", keys / "openai.key", "--db", db, "--out", cp)
    assert r.exit_code == 0, r.output
    r = run(
        "ledger", "cosign", cp, "--key", keys / "microsoft.key",
        "--trusted-keys", keys / "openai.pub", "--db", db, "--out", cp,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    r = run("ledger", "verify", "--db", db, "--checkpoint", cp, "--trusted-keys", trusted)
    assert r.exit_code == 0, r.output
    assert "signed by openai" in r.output
    assert "signed by microsoft" in r.output
    assert "OK" in r.output
    r = run("ledger", "verify", "--db", db, "--checkpoint", cp, "--trusted-keys", trusted, "--json")
    report = json.loads(r.stdout)
    assert [s["status"] for s in report["checkpoint"]["signatures"]] == ["verified", "verified"]

    # tampering: exit 3, the first bad entry named
    store = open_ledger(db).store
    assert isinstance(store, SqlStore)
    if store.dialect == "sqlite":
        store.execute_raw("DROP TRIGGER ledger_entries_no_delete")
    else:
        store.execute_raw("ALTER TABLE ledger_entries DISABLE TRIGGER USER")
    store.execute_raw("DELETE FROM ledger_entries WHERE seq = 12")
    store.close()
    r = run("ledger", "verify", "--db", db, "--checkpoint", cp, "--trusted-keys", trusted)
    assert r.exit_code == 3, r.output
    assert "first bad entry e-000000000012" in r.output

    # a foreign-signed checkpoint, a corrupt one: exit 2
    mallory = d / "mallory"
    assert run("ledger", "keygen", "--party", "openai", "--out", mallory).exit_code == 0
    forged = d / "forged.checkpoint"
    r = run("ledger", "checkpoint", "--key", mallory / "openai.key", "--db", db, "--out", forged)
    assert r.exit_code == 0
    r = run("ledger", "verify", "--db", db, "--checkpoint", forged, "--trusted-keys", trusted)
    assert r.exit_code == 2, r.output
    assert "no signature by a trusted key" in r.output
    corrupt = d / "corrupt.checkpoint"
    corrupt.write_text(cp.read_text().replace("\n30\n", "\n3x\n"))
    r = run("ledger", "verify", "--db", db, "--checkpoint", corrupt)
    assert r.exit_code == 2
    assert "corrupt checkpoint" in r.output
    # cosigning a checkpoint that is not (any more) this ledger's tree is refused
    r = run("ledger", "cosign", cp, "--key", keys / "microsoft.key", "--db", db)
    assert r.exit_code == 2
    assert "not signed" in r.output


def test_unsigned_checkpoint_and_no_trusted_keys(world: dict[str, Any]) -> None:
    r = run("ledger", "checkpoint", "--db", world["db"])
    assert r.exit_code == 0
    assert "unsigned" in r.stderr
    cp = world["dir"] / "u.checkpoint"
    cp.write_text(r.stdout)
    r = run("ledger", "verify", "--db", world["db"], "--checkpoint", cp)
    assert r.exit_code == 0
    assert "NOT checked" in r.output
    r = run("ledger", "verify", "--db", world["db"], "--trusted-keys", world["trusted"])
    assert r.exit_code == 2


def test_prove_and_entries(world: dict[str, Any]) -> None:
    db = world["db"]
    r = run("ledger", "prove", "e-000000000017", "--db", db, "--json")
    assert r.exit_code == 0, r.output
    proof = json.loads(r.stdout)
    assert proof["verified"] is True
    assert proof["tree_size"] == 30
    assert len(proof["path"]) == 5
    r = run("ledger", "prove", "e-000000000017", "--db", db)
    assert "verified" in r.output
    assert run("ledger", "prove", "e-000000000099", "--db", db).exit_code == 2
    r = run("ledger", "entries", "--db", db, "--kind", "charge", "--json")
    rows = json.loads(r.stdout)
    assert [e["seq"] for e in rows] == [2, 18]  # charge is KINDS[2]: every 16th of the 30
    assert rows[0]["body"]["amount_usd"] == "1002.02"
    r = run("ledger", "entries", "--db", db, "--since", "2025-02-15", "--run", "run-1")
    assert r.exit_code == 0
    assert "e-000000000025" in r.output
    assert "e-000000000024" not in r.output
    assert run("ledger", "entries", "--db", db, "--since", "tomorrow").exit_code == 2
    assert run("ledger", "entries", "--db", db, "--kind", "charges").exit_code == 2


def test_unreachable_database() -> None:
    r = run("ledger", "verify", "--db", "postgresql+psycopg://me:pw@127.0.0.1:1/x")
    assert r.exit_code == 2
    assert "me:***@127.0.0.1:1" in r.output
    assert "pw@" not in r.output
    r = run("ledger", "entries", "--db", "nosuch://x")
    assert r.exit_code == 2
