"""The multi-party service's tables, in the ledger's database (docs/service.md): parties'
tokens, requests and their workflow state, idempotency keys. Unlike the ledger's own tables
these change (a request moves through its states), so they carry no append-only guard; every
change of state appends a ledger entry in the same transaction, and that record is the one
that cannot be rewritten.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_tokens",
        # SHA-256 of the token (hex): the token itself is printed once and never stored
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("token_id", sa.String(32), nullable=False, unique=True),
        sa.Column("party", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("expires_at", sa.String(27), nullable=False),
        sa.Column("revoked_at", sa.String(27), nullable=True),
    )
    op.create_index("service_tokens_party", "service_tokens", ["party"])
    op.create_table(
        "service_requests",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("requester", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.String(27), nullable=False),
        sa.Column("updated_at", sa.String(27), nullable=False),
        sa.Column("holder", sa.String(128), nullable=True),
        sa.Column("respond_by", sa.String(27), nullable=True),
        sa.Column("offer", sa.Text(), nullable=True),
        sa.Column("answer", sa.String(16), nullable=True),
        sa.Column("answered_at", sa.String(27), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("placed_with", sa.Text(), nullable=True),
        sa.Column("effects", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("service_requests_state", "service_requests", ["state", "respond_by"])
    op.create_index("service_requests_holder", "service_requests", ["holder", "state"])
    op.create_table(
        "service_idempotency",
        sa.Column("party", sa.String(128), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
    )


def downgrade() -> None:
    raise RuntimeError("the ledger's schema is never downgraded: a ledger is append-only")
