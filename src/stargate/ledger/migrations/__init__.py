"""The ledger's Alembic migrations, shipped in the package and run by
:func:`stargate.ledger.store.migrate` (never by an ``alembic.ini``)."""
