"""The public API others code against: append, read back, sizes, roots, proofs, refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest

from stargate.errors import InputError
from stargate.ledger import KINDS, EntryIn, Ledger, default_url, merkle, open_ledger
from tests.ledger.conftest import sample_entries


def test_kinds_are_the_issues_list() -> None:
    assert KINDS == (
        "decision",
        "reservation",
        "charge",
        "revenue_share",
        "commitment_drawdown",
        "offer",
        "answer",
        "access_grant",
        "access_revocation",
        "agi_declaration",
        "agi_verification",
        "contract_event",
        "request",
        "expiry",
        "release",
        "cancellation",
    )


def test_append_returns_what_is_stored(any_url: str) -> None:
    with open_ledger(any_url) as led:
        written = led.append(sample_entries(30))
        assert [e.seq for e in written] == list(range(30))
        assert [e.id for e in written] == [f"e-{i:012d}" for i in range(30)]
        read = list(led.entries())
        assert read == written
        assert led.size() == 30


def test_entry_fields_and_canonical_record(led: Ledger) -> None:
    before = datetime.now(UTC).replace(tzinfo=None)
    [e] = led.append(
        [
            EntryIn(
                "charge",
                "openai",
                datetime(2025, 3, 1, 12, tzinfo=timezone(timedelta(hours=2))),
                {"amount_usd": Decimal("12.50"), "hours": 3, "utilization": 0.75},
                run_id="sim-1",
                provenance={"seed": 42},
            )
        ]
    )
    assert e.world_time == datetime(2025, 3, 1, 10)  # converted to naive UTC
    assert before <= e.appended_at <= datetime.now(UTC).replace(tzinfo=None)
    assert e.body == {"amount_usd": "12.50", "hours": 3, "utilization": 0.75}
    assert e.amount_usd == Decimal("12.50")
    assert e.provenance["seed"] == 42
    assert "stargate_version" in e.provenance
    record = json.loads(e.canonical)
    assert record["seq"] == 0
    assert record["id"] == e.id
    assert record["world_time"] == "2025-03-01T10:00:00.000000Z"
    assert list(record) == sorted(record)  # canonical: keys sorted
    assert " " not in e.canonical.replace("ünïcode", "")
    assert e.leaf_hash == merkle.leaf_hash(e.canonical.encode())


def test_money_is_never_a_float(led: Ledger) -> None:
    with pytest.raises(InputError, match=r"entries\[1\]\.body\.lines\[0\]\.price_usd_per_hour"):
        led.append(
            [
                EntryIn("charge", "a", datetime(2025, 1, 1), {"amount_usd": "1"}),
                EntryIn(
                    "charge", "a", datetime(2025, 1, 1), {"lines": [{"price_usd_per_hour": 2.5}]}
                ),
            ]
        )
    with pytest.raises(InputError, match="money is never a float"):
        led.append([EntryIn("charge", "a", datetime(2025, 1, 1), {"amount_usd": 0.1})])
    assert led.size() == 0  # nothing of a refused batch is written


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        (EntryIn("charges", "a", datetime(2025, 1, 1), {}), "did you mean 'charge'"),
        (EntryIn("charge", " ", datetime(2025, 1, 1), {}), "needs an actor"),
        (EntryIn("charge", "a", datetime(2025, 1, 1), {"x": float("nan")}), "finite"),
        (EntryIn("charge", "a", datetime(2025, 1, 1), {"x": 2**60}), "too large"),
        (EntryIn("charge", "a", datetime(2025, 1, 1), {"x": object()}), "cannot record"),
        (EntryIn("charge", "a", datetime(2025, 1, 1), {"amount_usd": "ten"}), "not an amount"),
        (EntryIn("charge", "a", datetime(2025, 1, 1), cast(Any, {1: "x"})), "keys must be strings"),
        (EntryIn("charge", "a", datetime(2025, 1, 1), {"s": "\ud800"}), "Unicode"),
    ],
)
def test_refusals_name_the_field(led: Ledger, entry: EntryIn, match: str) -> None:
    with pytest.raises(InputError, match=match):
        led.append([entry])
    assert led.size() == 0


def test_filters(led: Ledger) -> None:
    led.append(sample_entries(24, run_id="a"))
    led.append(sample_entries(12, run_id="b"))
    charges = list(led.entries(kind="charge"))
    assert [e.seq for e in charges] == [2, 18, 26]  # charge is KINDS[2]: every 16th of each batch
    assert {e.run_id for e in led.entries(run_id="b")} == {"b"}
    assert len(list(led.entries(run_id="b"))) == 12
    since = list(led.entries(since=datetime(2025, 2, 1)))
    assert all(e.world_time >= datetime(2025, 2, 1) for e in since)
    assert len(since) == 36 - 11 - 11  # days 11.. of run a and of run b
    assert len(list(led.entries(limit=5))) == 5


def test_roots_proofs_and_reopen(sqlite_url: str) -> None:
    with open_ledger(sqlite_url) as led:
        entries = led.append(sample_entries(37))
        leaves = [e.leaf_hash for e in entries]
        assert led.root() == merkle.root(leaves)
        assert led.root(10) == merkle.root(leaves[:10])
        proof = led.prove(entries[20].id)
        assert proof.verify()
        assert proof.tree_size == 37
        old_root = led.root(11)
        more = led.append(sample_entries(5))
        assert led.size() == 42
        new_root = led.root()
        assert new_root == merkle.root(leaves + [e.leaf_hash for e in more])
        assert merkle.verify_consistency(11, 42, old_root, new_root, led.consistency(11, 42))
    with open_ledger(sqlite_url) as again:
        assert again.size() == 42
        assert again.root() == new_root
        assert again.get(entries[3].id) == entries[3]


def test_unknown_entry_and_sizes(led: Ledger) -> None:
    led.append(sample_entries(3))
    with pytest.raises(InputError, match="no entry 'e-000000000009'"):
        led.prove("e-000000000009")
    with pytest.raises(InputError, match="outside"):
        led.root(4)
    with pytest.raises(InputError, match="old size"):
        led.consistency(3, 2)


def test_default_url_is_in_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("STARGATE_DATABASE_URL", raising=False)
    url = default_url()
    assert url == f"sqlite:///{tmp_path / 'data' / 'stargate' / 'ledger.sqlite3'}"
    with open_ledger() as led:  # None: the default, its directory created
        assert led.size() == 0
    assert (tmp_path / "data" / "stargate" / "ledger.sqlite3").exists()
    monkeypatch.setenv("STARGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    with open_ledger() as led:
        led.append(sample_entries(1))
    assert (tmp_path / "env.sqlite3").exists()


def test_sqlite_is_wal_and_full_sync(led: Ledger) -> None:
    import sqlalchemy as sa

    engine = led.store.engine
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 2  # FULL
