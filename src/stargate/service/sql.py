"""The service's hot statements as plain SQL on the driver (SQLite's ``?`` placeholders,
psycopg's ``%s``): building and compiling a SQLAlchemy construct per request cost more than
running it (docs/benchmarks.md, "Service"). Everything else uses SQLAlchemy Core."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

REQUEST_COLUMNS = (
    "id", "seq", "requester", "kind", "state", "body", "submitted_at", "updated_at", "holder",
    "respond_by", "offer", "answer", "answered_at", "decision", "explanation", "placed_with",
    "effects", "version",
)  # fmt: skip

STATEMENTS = {
    "token": "SELECT token_sha256, party, role, token_id, expires_at FROM service_tokens "
    "WHERE token_sha256 = ? AND revoked_at IS NULL",
    "saved": "SELECT body_sha256, status_code, response FROM service_idempotency "
    "WHERE party = ? AND key = ?",
    "request": f"SELECT {', '.join(REQUEST_COLUMNS)} FROM service_requests WHERE id = ?",
    "insert_request": f"INSERT INTO service_requests ({', '.join(REQUEST_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in REQUEST_COLUMNS)})",
    "insert_saved": "INSERT INTO service_idempotency (party, key, body_sha256, status_code, "
    "response, created_at) VALUES (?, ?, ?, ?, ?, ?)",
}


def statement(dialect: str, name: str) -> str:
    sql = STATEMENTS[name]
    return sql.replace("?", "%s") if dialect == "postgresql" else sql


def run(conn: Connection, dialect: str, name: str, params: Sequence[Any]) -> Any:
    """Execute statement ``name`` with positional ``params`` on the driver."""
    return conn.exec_driver_sql(statement(dialect, name), tuple(params))


class Reader:
    """One-row reads on a DBAPI connection kept per thread, outside any transaction (SQLite
    in autocommit, as the ledger opens it; PostgreSQL with ``autocommit``): a hot read costs
    the query, not a pool checkout, a BEGIN and a ROLLBACK. Only reads go through it."""

    def __init__(self, engine: Engine, dialect: str) -> None:
        self.engine = engine
        self.dialect = dialect
        self._local = threading.local()

    def one(self, name: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        sql = statement(self.dialect, name)
        for attempt in (0, 1):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._connect()
            try:
                cur = conn[1].cursor()
                try:
                    cur.execute(sql, tuple(params))
                    row = cur.fetchone()
                finally:
                    cur.close()
            except Exception:
                # a broken connection (a restarted database): drop it, try once on a new one
                self._local.conn = None
                if attempt:
                    raise
                continue
            return None if row is None else tuple(row)
        return None  # pragma: no cover - the loop returns or raises

    def _connect(self) -> tuple[Any, Any]:
        proxied = self.engine.raw_connection()  # kept checked out for this thread
        dbapi: Any = proxied.driver_connection
        if self.dialect == "postgresql":
            dbapi.autocommit = True
        self._local.conn = (proxied, dbapi)
        return self._local.conn  # type: ignore[no-any-return]
