"""Alembic's environment for the ledger: run on the connection the ledger hands in
(``config.attributes["connection"]``), inside its transaction; no ini file, no logging set-up."""

from __future__ import annotations

from alembic import context

from stargate.ledger.store import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
