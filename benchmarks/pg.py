"""A scratch PostgreSQL database for a benchmark: made at ``$STARGATE_BENCH_PG_URL``'s server
(default postgresql+psycopg://root@127.0.0.1:5432/postgres), dropped after; the benchmark is
skipped, saying why, when the server does not answer."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_URL = os.environ.get(
    "STARGATE_BENCH_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """The URL of a fresh database named ``PREFIX_<random>``, dropped when the block ends."""
    import sqlalchemy as sa

    try:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure: skip and say why
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
