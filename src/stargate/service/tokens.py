"""Parties' bearer tokens: made by ``stargate party add``, printed once, stored only as their
SHA-256, with an expiry, revoked by ``stargate party revoke``.

A token is ``sgt_`` + 43 URL-safe characters of :func:`secrets.token_urlsafe` (256 random
bits), so a SHA-256 of it (no salt, no slow hash) is safe to keep: there is nothing to guess.
Its first 12 characters after the prefix are its public ``token_id`` (shown by ``party list``
and in the service's logs instead of the token).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from stargate.errors import InputError, Problem, did_you_mean
from stargate.ledger.entry import format_time, parse_time
from stargate.service import tables
from stargate.service.sql import Reader

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

Role = Literal["lab", "holder", "provider", "observer", "admin"]
#: The service permissions a token carries (docs/service.md has what each may do).
ROLES: tuple[Role, ...] = ("lab", "holder", "provider", "observer", "admin")
PREFIX = "sgt_"
DEFAULT_DAYS = 90


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Caller:
    """The party and role a valid token stands for."""

    party: str
    role: Role
    token_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Issued:
    token: str
    token_id: str
    party: str
    role: Role
    expires_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "token_id": self.token_id,
            "party": self.party,
            "role": self.role,
            "expires_at": format_time(self.expires_at),
        }


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise InputError(
            Problem(
                f"unknown role '{role}'",
                path="--role",
                expected=", ".join(ROLES),
                hint=did_you_mean(role, ROLES, list_valid=False),
            )
        )
    return role


def issue(
    engine: Engine, party: str, role: str, *, now: datetime, days: float = DEFAULT_DAYS
) -> Issued:
    """Make a token for ``party`` with ``role``, store its hash, return it (the only time the
    token itself exists outside the caller's hands)."""
    r = check_role(role)
    if not 0 < days <= 3650:
        raise InputError(
            Problem(f"expiry of {days:g} days", path="--days", expected="1 to 3650 days")
        )
    token = PREFIX + secrets.token_urlsafe(32)
    token_id = token[len(PREFIX) : len(PREFIX) + 12]
    expires = now + timedelta(days=days)
    with engine.begin() as conn:
        conn.execute(
            tables.tokens.insert().values(
                token_sha256=token_sha256(token),
                token_id=token_id,
                party=party,
                role=r,
                created_at=format_time(now),
                expires_at=format_time(expires),
                revoked_at=None,
            )
        )
    return Issued(token, token_id, party, r, expires)


def revoke(engine: Engine, party: str, token_id: str | None, *, now: datetime) -> int:
    """Revoke one token of ``party`` (by its id) or all of them; how many were revoked."""
    t = tables.tokens
    q = t.update().where(t.c.party == party, t.c.revoked_at.is_(None))
    if token_id is not None:
        q = q.where(t.c.token_id == token_id)
    with engine.begin() as conn:
        n = conn.execute(q.values(revoked_at=format_time(now))).rowcount
    return int(n)


def listing(engine: Engine) -> list[dict[str, Any]]:
    """Every token's id, party, role, times and state (never the token or its hash)."""
    t = tables.tokens
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                t.c.token_id, t.c.party, t.c.role, t.c.created_at, t.c.expires_at, t.c.revoked_at
            ).order_by(t.c.created_at, t.c.token_id)
        ).all()
    return [
        {
            "token_id": r[0],
            "party": r[1],
            "role": r[2],
            "created_at": r[3],
            "expires_at": r[4],
            "revoked_at": r[5],
        }
        for r in rows
    ]


@functools.cache
def _by_hash() -> sa.Select[Any]:
    """The look-up of an active token by its hash, built once: building the ``select`` on
    every request cost more than running it (docs/benchmarks.md, "Service")."""
    t = tables.tokens
    return sa.select(t.c.token_sha256, t.c.party, t.c.role, t.c.token_id, t.c.expires_at).where(
        t.c.token_sha256 == sa.bindparam("digest"), t.c.revoked_at.is_(None)
    )


def authenticate(source: Engine | Reader, token: str, now: datetime) -> Caller | None:
    """The caller a token stands for, or None (unknown, malformed, revoked or expired). The
    look-up is by the token's hash, on every call (a revocation counts at once); the stored
    hash is compared in constant time."""
    if not token.startswith(PREFIX) or len(token) > 128:
        return None
    digest = token_sha256(token)
    row: Any
    if isinstance(source, Reader):
        row = source.one("token", (digest,))
    else:
        with source.connect() as conn:
            row = conn.execute(_by_hash(), {"digest": digest}).first()
    if row is None or not hmac.compare_digest(str(row[0]), digest):
        return None
    expires = parse_time(str(row[4]))
    if expires <= now:
        return None
    return Caller(str(row[1]), row[2], str(row[3]), expires)
