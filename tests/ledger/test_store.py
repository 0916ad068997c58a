"""Storage: refused URLs (exit 2, password masked), a newer schema refused, concurrent writers
given contiguous sequence numbers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from stargate.errors import InputError
from stargate.ledger import open_ledger
from stargate.ledger.store import SqlStore, mask_url
from tests.ledger.conftest import sample_entries


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("not a url", "not a database URL"),
        ("mysql://u@h/db", "SQLite or PostgreSQL"),
        ("sqlite:////nonexistent-dir/x/ledger.sqlite3", "no directory"),
        ("postgresql+psycopg://u:s3cret@127.0.0.1:1/db", "cannot open the ledger database"),
    ],
)
def test_bad_urls(url: str, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        open_ledger(url)
    text = str(info.value)
    assert "s3cret" not in text
    assert "--db" in text
    assert "expected a SQLAlchemy URL" in text


def test_mask_url() -> None:
    assert mask_url("postgresql://me:pw@h/db") == "postgresql://me:***@h/db"
    assert mask_url("sqlite:///a/b") == "sqlite:///a/b"


def test_a_newer_schema_revision_is_refused(any_url: str) -> None:
    with open_ledger(any_url) as led:
        led.append(sample_entries(3))
        store = led.store
        assert isinstance(store, SqlStore)
        store.execute_raw("UPDATE stargate_ledger_version SET version_num = '0042'")
    with pytest.raises(InputError, match=r"newer Stargate \(schema revision '0042'\)"):
        open_ledger(any_url)


def test_a_newer_schema_version_row_is_refused(sqlite_url: str) -> None:
    with open_ledger(sqlite_url) as led:
        store = led.store
        assert isinstance(store, SqlStore)
        store.execute_raw("DROP TRIGGER ledger_meta_no_update")
        store.execute_raw("UPDATE ledger_meta SET value = '2' WHERE key = 'schema_version'")
    with pytest.raises(InputError, match=r"newer Stargate \(schema_version 2\)"):
        open_ledger(sqlite_url)


def test_not_a_ledger(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match=r"not a usable ledger database.*file is not a database"):
        open_ledger(f"sqlite:///{junk}")


def test_concurrent_writers_get_contiguous_seqs(any_url: str) -> None:
    ledgers = [open_ledger(any_url) for _ in range(3)]
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for _ in range(10):
                ledgers[k].append(sample_entries(4, run_id=f"w{k}"))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    led = ledgers[0]
    assert [e.seq for e in led.entries()] == list(range(120))
    assert led.verify().ok
    for x in ledgers:
        x.close()
