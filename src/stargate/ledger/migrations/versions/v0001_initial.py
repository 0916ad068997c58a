"""The first ledger schema: entries, meta, and the triggers that refuse UPDATE and DELETE.

Revision ID: 0001
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

SQLITE_GUARDS = [
    f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
    BEGIN SELECT RAISE(ABORT, 'stargate ledger: {table} is append-only ({verb} refused)'); END"""
    for table in ("ledger_entries", "ledger_meta")
    for verb in ("UPDATE", "DELETE")
]

PG_FUNCTION = """
CREATE FUNCTION stargate_ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stargate ledger: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$"""

PG_GUARDS = [
    stmt
    for table in ("ledger_entries", "ledger_meta")
    for stmt in (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION stargate_ledger_refuse()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION stargate_ledger_refuse()",
    )
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # Money: NUMERIC on PostgreSQL (exact, unbounded scale); SQLite has no exact decimal type,
    # so there the amount is its decimal string (the ledger converts both to Decimal).
    money: sa.types.TypeEngine[Any] = sa.Numeric() if dialect != "sqlite" else sa.Text()
    op.create_table(
        "ledger_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("world_time", sa.String(27), nullable=False),
        sa.Column("appended_at", sa.String(27), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=True),
        sa.Column("amount_usd", money, nullable=True),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_index("ledger_entries_kind", "ledger_entries", ["kind", "seq"])
    op.create_index("ledger_entries_run", "ledger_entries", ["run_id", "seq"])
    op.create_index("ledger_entries_world_time", "ledger_entries", ["world_time"])
    meta = sa.table("ledger_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.bulk_insert(
        meta,
        [
            {"key": "schema_version", "value": "1"},
            {"key": "ledger_id", "value": str(uuid.uuid4())},
            {"key": "created_at", "value": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        ],
    )
    if dialect == "sqlite":
        for stmt in SQLITE_GUARDS:
            op.execute(stmt)
    elif dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for stmt in PG_GUARDS:
            op.execute(stmt)
    else:  # pragma: no cover - open_ledger refuses other databases first
        raise RuntimeError(f"the ledger supports SQLite and PostgreSQL, not {dialect}")


def downgrade() -> None:
    raise RuntimeError("the ledger's schema is never downgraded: a ledger is append-only")
