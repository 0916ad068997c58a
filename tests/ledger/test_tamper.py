"""Tampering, on SQLite and PostgreSQL, by an attacker with database access who first gets the
append-only triggers out of the way: ``verify`` catches each change and names the first bad
entry (a rewrite with fresh hashes, and a cut tail, through a kept checkpoint)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stargate.ledger import Ledger, open_ledger
from stargate.ledger.checkpoint import Checkpoint, generate
from stargate.ledger.entry import canonical_json
from stargate.ledger.store import SqlStore
from tests.ledger.conftest import sample_entries

N = 20


@pytest.fixture
def setup(any_url: str) -> Iterator[tuple[Ledger, Checkpoint]]:
    with open_ledger(any_url) as led:
        led.append(sample_entries(N))
        kept = led.checkpoint([generate("openai")])  # kept outside the database
        assert led.verify(kept).ok
        yield led, kept


def attacker(led: Ledger, *statements: str) -> None:
    """Drop the guards, then run the statements, as someone with database access would."""
    store = led.store
    assert isinstance(store, SqlStore)
    if store.dialect == "sqlite":
        for verb in ("update", "delete"):
            store.execute_raw(f"DROP TRIGGER IF EXISTS ledger_entries_no_{verb}")
    else:
        store.execute_raw("ALTER TABLE ledger_entries DISABLE TRIGGER USER")
    for sql in statements:
        store.execute_raw(sql)


def first_bad(led: Ledger, kept: Checkpoint | None = None) -> tuple[str, str]:
    report = led.verify(kept)
    assert not report.ok
    assert report.exit_code == 3
    assert report.first_bad is not None
    return report.first_bad.entry_id, report.first_bad.problem


def test_guards_refuse_update_and_delete(setup: tuple[Ledger, Checkpoint]) -> None:
    led, _ = setup
    store = led.store
    assert isinstance(store, SqlStore)
    import sqlalchemy.exc

    for sql in (
        "UPDATE ledger_entries SET actor = 'mallory' WHERE seq = 3",
        "DELETE FROM ledger_entries WHERE seq = 3",
        "UPDATE ledger_meta SET value = 'x' WHERE key = 'ledger_id'",
        "DELETE FROM ledger_meta",
    ):
        with pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only"):
            store.execute_raw(sql)
    if store.dialect == "postgresql":
        with pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only"):
            store.execute_raw("TRUNCATE ledger_entries")
    assert led.verify().ok
    assert led.size() == N


def test_one_byte_of_a_body(setup: tuple[Ledger, Checkpoint]) -> None:
    led, kept = setup
    attacker(
        led,
        "UPDATE ledger_entries SET canonical = replace(canonical, '\"1005.05\"', '\"9005.05\"') "
        "WHERE seq = 5",
    )
    eid, problem = first_bad(led)
    assert eid == "e-000000000005"
    assert "leaf hash" in problem
    assert first_bad(led, kept)[0] == "e-000000000005"


def test_one_byte_of_a_column_or_a_hash(setup: tuple[Ledger, Checkpoint]) -> None:
    led, _ = setup
    attacker(led, "UPDATE ledger_entries SET actor = 'openaj' WHERE seq = 7")
    eid, problem = first_bad(led)
    assert eid == "e-000000000007"
    assert "column actor" in problem
    attacker(led, "UPDATE ledger_entries SET amount_usd = '1.00' WHERE seq = 4")
    assert first_bad(led) == (
        "e-000000000004",
        "column amount_usd is 1.00, the record says 1004.04",
    )


def test_delete_one(setup: tuple[Ledger, Checkpoint]) -> None:
    led, kept = setup
    attacker(led, "DELETE FROM ledger_entries WHERE seq = 5")
    eid, problem = first_bad(led)
    assert eid == "e-000000000005"
    assert problem.startswith("missing")
    assert first_bad(led, kept)[0] == "e-000000000005"


def test_reorder_two(setup: tuple[Ledger, Checkpoint]) -> None:
    led, kept = setup
    attacker(
        led,
        "UPDATE ledger_entries SET seq = -1 WHERE seq = 3",
        "UPDATE ledger_entries SET seq = 3 WHERE seq = 8",
        "UPDATE ledger_entries SET seq = 8 WHERE seq = -1",
    )
    eid, problem = first_bad(led)
    assert eid == "e-000000000003"
    assert "moved" in problem
    report = led.verify(kept)
    assert [f.entry_id for f in report.findings] == ["e-000000000003", "e-000000000008"]


def test_truncate_the_tail(setup: tuple[Ledger, Checkpoint]) -> None:
    led, kept = setup
    attacker(led, "DELETE FROM ledger_entries WHERE seq >= 15")
    assert led.verify().ok  # consistent in itself: only a kept checkpoint shows the cut
    eid, problem = first_bad(led, kept)
    assert eid == "e-000000000015"
    assert "the tail was cut" in problem


def _rewrite(led: Ledger, seq: int) -> None:
    """Change entry ``seq``'s body and give it a fresh, correct hash."""
    row = next(led.store.rows(start=seq, limit=1))
    record = json.loads(row.canonical)
    record["body"]["amount_usd"] = record["amount_usd"] = "1.00"
    canonical = canonical_json(record)
    leaf = hashlib.sha256(b"\x00" + canonical.encode()).digest()
    store = led.store
    assert isinstance(store, SqlStore)
    store.execute_raw(
        "UPDATE ledger_entries SET canonical = :c, leaf_hash = :h, amount_usd = NULL "
        "WHERE seq = :s",
        {"c": canonical, "h": leaf, "s": seq},
    )
    store.execute_raw(
        "UPDATE ledger_entries SET amount_usd = :a WHERE seq = :s",
        {"a": "1.00" if store.dialect == "sqlite" else 1, "s": seq},
    )


def test_rewrite_with_fresh_hashes(setup: tuple[Ledger, Checkpoint]) -> None:
    led, kept = setup
    attacker(led)
    _rewrite(led, 9)
    assert led.verify().ok  # every row consistent in itself
    report = led.verify(kept)
    assert not report.ok
    assert report.checkpoint is not None
    assert not report.checkpoint.root_matches
    assert report.first_bad is not None
    assert report.first_bad.entry_id == "e-000000000000..e-000000000019"
    assert "rewritten" in report.first_bad.problem


def test_rewrite_of_the_whole_log(setup: tuple[Ledger, Checkpoint]) -> None:
    led, kept = setup
    attacker(led, "DELETE FROM ledger_entries")
    led.append(sample_entries(N, run_id="forged"))  # a whole new history, every hash fresh
    assert led.verify().ok
    report = led.verify(kept)
    assert not report.ok
    assert report.first_bad is not None
    assert "rewritten" in report.first_bad.problem


def test_appends_after_the_checkpoint_are_fine(setup: tuple[Ledger, Checkpoint]) -> None:
    led, kept = setup
    led.append(sample_entries(5))
    report = led.verify(kept)
    assert report.ok
    assert report.size == N + 5


def test_awkward_text_and_amounts_verify(any_url: str) -> None:
    """verify's text checks agree with the record for escapes, non-ASCII and odd decimals."""
    from datetime import datetime
    from decimal import Decimal

    from stargate.ledger import EntryIn

    with open_ledger(any_url) as led:
        led.append(
            [
                EntryIn(
                    "charge",
                    'o"p\\en\u2028ai\x01 ü',
                    datetime(2025, 1, 1),
                    {"z": 1, "amount_usd": amount, "nested": {"amount_usd": "9"}},
                    run_id=run,
                )
                for amount, run in [
                    (Decimal("1E+3"), "r/ü\t"),
                    (Decimal("-0.000"), None),
                    (12, "x"),
                    ("0.10", "y"),
                    (None, "z"),
                ]
            ]
        )
        report = led.verify()
        assert report.ok, report.render()


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_any_changed_character_is_named(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """One character of one record changed, anywhere: verify names that entry."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'l.sqlite3'}"
    with open_ledger(url) as led:
        entries = led.append(sample_entries(12))
        attacker(led)
        seq = data.draw(st.integers(0, 11), label="seq")
        text = entries[seq].canonical
        pos = data.draw(st.integers(0, len(text) - 1), label="position")
        new = data.draw(st.characters(codec="utf-8").filter(lambda c: c != text[pos]))
        forged = text[:pos] + new + text[pos + 1 :]
        store = led.store
        assert isinstance(store, SqlStore)
        store.execute_raw(
            "UPDATE ledger_entries SET canonical = :c WHERE seq = :s", {"c": forged, "s": seq}
        )
        report = led.verify()
        assert report.first_bad is not None
        assert report.first_bad.entry_id == entries[seq].id
        assert report.bad_rows == 1
