"""The service's tables (created by the ledger's Alembic revision 0002, in the same
database), as SQLAlchemy Core objects."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

tokens = sa.Table(
    "service_tokens",
    metadata,
    sa.Column("token_sha256", sa.String(64), primary_key=True),
    sa.Column("token_id", sa.String(32), nullable=False, unique=True),
    sa.Column("party", sa.String(128), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.String(27), nullable=False),
    sa.Column("expires_at", sa.String(27), nullable=False),
    sa.Column("revoked_at", sa.String(27), nullable=True),
)

requests = sa.Table(
    "service_requests",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("requester", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("submitted_at", sa.String(27), nullable=False),
    sa.Column("updated_at", sa.String(27), nullable=False),
    sa.Column("holder", sa.String(128), nullable=True),
    sa.Column("respond_by", sa.String(27), nullable=True),
    sa.Column("offer", sa.Text, nullable=True),
    sa.Column("answer", sa.String(16), nullable=True),
    sa.Column("answered_at", sa.String(27), nullable=True),
    sa.Column("decision", sa.Text, nullable=True),
    sa.Column("explanation", sa.Text, nullable=True),
    sa.Column("placed_with", sa.Text, nullable=True),
    sa.Column("effects", sa.Text, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
)

idempotency = sa.Table(
    "service_idempotency",
    metadata,
    sa.Column("party", sa.String(128), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("response", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(27), nullable=False),
)
