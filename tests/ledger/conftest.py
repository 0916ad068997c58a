"""Ledgers for the tests: a fresh SQLite file per test, and (where PostgreSQL answers at
127.0.0.1:5432, or ``$STARGATE_TEST_PG_URL``) a fresh schema per test in a database made for
this test run and dropped after it. Without PostgreSQL its tests are skipped, saying why;
with ``STARGATE_REQUIRE_POSTGRES=1`` (.ci/run's integration stage) they fail instead."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from stargate.ledger import EntryIn, Ledger, open_ledger

PG_ADMIN_URL = os.environ.get(
    "STARGATE_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres"
)


def sample_entries(n: int, run_id: str | None = "run-1") -> list[EntryIn]:
    """``n`` varied entries (every kind in turn, money as decimal strings)."""
    from stargate.ledger import KINDS

    start = datetime(2025, 1, 21)
    return [
        EntryIn(
            kind=KINDS[i % len(KINDS)],
            actor=("openai", "microsoft", "oracle")[i % 3],
            world_time=start + timedelta(days=i),
            body={
                "amount_usd": Decimal(f"{1000 + i}.{i % 100:02d}"),
                "provider": "azure",
                "note": f"entry {i} — ünïcode ok",
                "hours": i,
            },
            run_id=run_id,
            provenance={"seed": 7, "scenario_sha256": "ab" * 32},
        )
        for i in range(n)
    ]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"


@pytest.fixture
def led(sqlite_url: str) -> Iterator[Ledger]:
    ledger = open_ledger(sqlite_url)
    yield ledger
    ledger.close()


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import sqlalchemy as sa
    except ImportError as exc:  # pragma: no cover
        return f"sqlalchemy missing: {exc}"
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, and say why
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return None


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database made for this test run (dropped at the end): its URL."""
    why = _pg_available()
    if why is not None:
        if os.environ.get("STARGATE_REQUIRE_POSTGRES"):  # .ci/run's integration stage
            pytest.fail(f"{why} (STARGATE_REQUIRE_POSTGRES is set)")
        pytest.skip(why)
    import sqlalchemy as sa

    name = f"stargate_ledger_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """A fresh schema in the test run's database: a URL whose search_path is it."""
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{pg_database}?options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite and on PostgreSQL (skipped, saying so, without it)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return str(request.getfixturevalue("pg_url"))
