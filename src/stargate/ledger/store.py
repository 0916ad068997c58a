"""Where the ledger's rows live: a small interface (:class:`LedgerStore`) and its SQLAlchemy 2
implementation (:class:`SqlStore`) for SQLite (the default, a file in the user's data
directory) and PostgreSQL (by URL).

Both databases refuse UPDATE and DELETE on the ledger tables themselves (SQLite triggers that
``RAISE(ABORT, …)``, a PostgreSQL trigger function, which also refuses TRUNCATE), so a bug or
a careless ``psql`` session cannot edit the record; an attacker who drops the triggers is caught
by ``verify`` and a kept checkpoint instead. The schema is created and migrated by the Alembic
revisions in ``migrations/`` (run programmatically on open); a database whose revision or
``schema_version`` is newer than this Stargate's is refused, never written.

SQLite is opened in WAL mode with ``synchronous=FULL`` (a commit survives power loss), and an
append takes the write lock first (``BEGIN IMMEDIATE``) so that sequence numbers are assigned
by one writer at a time; on PostgreSQL an append locks the entries table in EXCLUSIVE mode
(readers go on) for the same reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from stargate.errors import InputError, Problem

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

#: The environment variable every ledger command reads when ``--db`` is not given.
ENV_URL = "STARGATE_DATABASE_URL"
#: Alembic's version table for the ledger (its own name, so other schemas can share a DB).
VERSION_TABLE = "stargate_ledger_version"
#: The ``schema_version`` this Stargate writes and reads; a newer one is refused.
SCHEMA_VERSION = 1
#: Every Alembic revision this Stargate knows, oldest first.
REVISIONS = ("0001", "0002")
#: The execution option of connections that only read, one statement at a time (SQLite: no
#: BEGIN is sent for them; the multi-party service's hot reads).
READ_ONLY = "stargate_read_only"
#: Where a write transaction keeps its next sequence number (``Connection.info``).
NEXT_SEQ = "stargate_ledger_next_seq"

_READ_CHUNK = 20_000


class StoredRow(NamedTuple):
    """One row of ``ledger_entries`` as stored (nothing checked)."""

    seq: int
    id: str
    kind: str
    actor: str
    world_time: str
    appended_at: str
    run_id: str | None
    amount_usd: Decimal | None
    canonical: str
    leaf_hash: bytes


class LedgerStore(Protocol):
    """What the ledger needs from storage: append rows under a lock, read them back."""

    url: str  # for messages, password masked
    dialect: str
    engine: Engine  # the SQLAlchemy engine (the service keeps its tables in the same database)

    def size(self) -> int: ...

    def append(self, build: Callable[[int], Sequence[StoredRow]]) -> list[StoredRow]:
        """In one transaction, holding the append lock: ``build(next_seq)`` makes the rows,
        which are inserted (batched) and returned."""
        ...

    def write(self) -> AbstractContextManager[Connection]:
        """A write transaction holding the append lock from its start."""
        ...

    def append_on(
        self, conn: Connection, build: Callable[[int], Sequence[StoredRow]]
    ) -> list[StoredRow]:
        """:meth:`append` on a connection inside :meth:`write`'s transaction."""
        ...

    def rows(
        self,
        *,
        start: int = 0,
        kind: str | None = None,
        since: str | None = None,
        run_id: str | None = None,
        limit: int | None = None,
    ) -> Iterator[StoredRow]: ...

    def row(self, entry_id: str) -> StoredRow | None: ...

    def scan(self) -> Iterator[tuple[Any, ...]]:
        """Every row in ``seq`` order as a plain tuple in :class:`StoredRow`'s field order
        (amounts as the driver gives them), in one read transaction: ``verify``'s fast path."""
        ...

    def leaf_hashes(self, start: int = 0) -> list[bytes]: ...

    def meta(self) -> dict[str, str]: ...

    def close(self) -> None: ...


def default_url() -> str:
    """The default ledger: ``sqlite:///<user data dir>/stargate/ledger.sqlite3``
    (``platformdirs.user_data_dir("stargate")``: ``~/.local/share/stargate`` on Linux,
    ``~/Library/Application Support/stargate`` on macOS, ``%LOCALAPPDATA%\\stargate`` on
    Windows)."""
    import platformdirs

    return "sqlite:///" + str(Path(platformdirs.user_data_dir("stargate")) / "ledger.sqlite3")


def resolve_url(url: str | None) -> str:
    """``url``, else ``$STARGATE_DATABASE_URL``, else :func:`default_url`."""
    if url is not None and url.strip():
        return url.strip()
    env = os.environ.get(ENV_URL, "").strip()
    return env or default_url()


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages)."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


EXPECTED_URL = (
    "a SQLAlchemy URL such as sqlite:///PATH/ledger.sqlite3 or "
    "postgresql+psycopg://USER@HOST:5432/DB"
)


def _bad_url(url: str, message: str, found: str | None = None) -> InputError:
    return InputError(
        Problem(
            f"{message}: {mask_url(url)}",
            path="--db",
            expected=EXPECTED_URL,
            found=found,
            hint=f"pass --db URL or set {ENV_URL}",
        )
    )


def open_store(url: str | None = None) -> SqlStore:
    """The store at ``url`` (see :func:`resolve_url`), created or migrated to this Stargate's
    schema; an :class:`InputError` (exit 2) for a bad or unreachable URL or a newer schema."""
    return SqlStore(resolve_url(url))


class SqlStore:
    """:class:`LedgerStore` on SQLAlchemy 2 (SQLite or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa
        from sqlalchemy import event, exc

        self.url = mask_url(url)
        try:
            parsed = sa.engine.make_url(url)
        except exc.ArgumentError:
            raise _bad_url(url, "not a database URL") from None
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise _bad_url(url, "the ledger runs on SQLite or PostgreSQL", found=backend)
        self.dialect = backend
        kwargs: dict[str, Any] = {}
        if backend == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                path = Path(database).expanduser()
                if url == default_url():
                    path.parent.mkdir(parents=True, exist_ok=True)
                elif not path.parent.is_dir():
                    raise _bad_url(url, f"no directory {path.parent} for the SQLite file")
        else:
            kwargs["connect_args"] = {"connect_timeout": 5}
        try:
            engine = sa.create_engine(parsed, **kwargs)
        except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as e:
            raise _bad_url(url, f"cannot use the database URL ({e})") from None
        if backend == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        self.engine: Engine = engine
        self._t = _tables()
        try:
            with engine.connect() as conn:
                _migrate(conn, url)
        except exc.OperationalError as e:
            engine.dispose()
            reason = str(e.orig).strip().splitlines()[0] if e.orig is not None else str(e)
            raise _bad_url(url, "cannot open the ledger database", found=reason) from None
        except exc.DBAPIError as e:
            engine.dispose()
            raise InputError(
                Problem(
                    f"not a usable ledger database: {mask_url(url)}",
                    path="--db",
                    expected="a SQLite or PostgreSQL database the ledger may create its "
                    "tables in, or an existing Stargate ledger",
                    found=str(e.orig).strip().splitlines()[0] if e.orig is not None else str(e),
                )
            ) from None

    # ----------------------------------------------------------------------- reads

    def size(self) -> int:
        with self.engine.connect() as conn:
            n = conn.exec_driver_sql("SELECT max(seq) FROM ledger_entries").scalar()
        return 0 if n is None else int(n) + 1

    def rows(
        self,
        *,
        start: int = 0,
        kind: str | None = None,
        since: str | None = None,
        run_id: str | None = None,
        limit: int | None = None,
    ) -> Iterator[StoredRow]:
        import sqlalchemy as sa

        t = self._t
        q = sa.select(*t.c).where(t.c.seq >= start).order_by(t.c.seq)
        if kind is not None:
            q = q.where(t.c.kind == kind)
        if since is not None:
            q = q.where(t.c.world_time >= since)
        if run_id is not None:
            q = q.where(t.c.run_id == run_id)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            for r in conn.execution_options(yield_per=_READ_CHUNK).execute(q):
                yield _stored(tuple(r))

    def row(self, entry_id: str) -> StoredRow | None:
        import sqlalchemy as sa

        t = self._t
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(*t.c).where(t.c.id == entry_id)).first()
        return None if r is None else _stored(tuple(r))

    def scan(self) -> Iterator[tuple[Any, ...]]:
        sql = (
            "SELECT seq, id, kind, actor, world_time, appended_at, run_id, amount_usd, "
            "canonical, leaf_hash FROM ledger_entries ORDER BY seq"
        )
        with self.engine.connect() as conn, conn.begin():
            raw: Any = conn.connection.dbapi_connection
            # PostgreSQL: a server-side (named) cursor, so that rows stream, not all at once
            cur = raw.cursor("ledger_scan") if self.dialect == "postgresql" else raw.cursor()
            try:
                cur.execute(sql)
                while True:
                    chunk = cur.fetchmany(_READ_CHUNK)
                    if not chunk:
                        break
                    yield from chunk
            finally:
                cur.close()

    def leaf_hashes(self, start: int = 0) -> list[bytes]:
        import sqlalchemy as sa

        t = self._t
        q = sa.select(t.c.leaf_hash).where(t.c.seq >= start).order_by(t.c.seq)
        with self.engine.connect() as conn:
            return [bytes(h) for (h,) in conn.execution_options(yield_per=_READ_CHUNK).execute(q)]

    def meta(self) -> dict[str, str]:
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT key, value FROM ledger_meta")).all()
        return {str(k): str(v) for k, v in rows}

    # ----------------------------------------------------------------------- writes

    def append(self, build: Callable[[int], Sequence[StoredRow]]) -> list[StoredRow]:
        with self.write() as conn:
            return self.append_on(conn, build)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a write transaction that holds the ledger's write lock from its start
        (SQLite ``BEGIN IMMEDIATE``; PostgreSQL an exclusive lock on the entries), committed
        when the block ends and rolled back when it raises. The multi-party service changes its
        own tables and appends the ledger entry of the change in one such transaction."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.info["sqlite_begin"] = "BEGIN IMMEDIATE"
            conn.info.pop(NEXT_SEQ, None)
            try:
                with conn.begin():
                    if self.dialect == "postgresql":
                        conn.exec_driver_sql("LOCK TABLE ledger_entries IN EXCLUSIVE MODE")
                    yield conn
            finally:
                conn.info.pop(NEXT_SEQ, None)

    def append_on(
        self, conn: Connection, build: Callable[[int], Sequence[StoredRow]]
    ) -> list[StoredRow]:
        """Insert the rows ``build`` makes from the next sequence number, on ``conn`` (inside
        a transaction begun by :meth:`write`)."""
        import sqlalchemy as sa

        t = self._t
        first = conn.info.get(NEXT_SEQ)
        if first is None:
            top = conn.execute(sa.select(sa.func.max(t.c.seq))).scalar()
            first = 0 if top is None else int(top) + 1
        rows = list(build(first))
        # the next sequence number, kept for this transaction's next append (a caller that
        # rolls a savepoint back must drop it: forget_next_seq)
        conn.info[NEXT_SEQ] = first + len(rows)
        if rows and self.dialect == "sqlite":
            # the driver's executemany on tuples: the batched insert, without
            # SQLAlchemy's per-row parameter processing (amounts as decimal text)
            conn.exec_driver_sql(
                "INSERT INTO ledger_entries (seq, id, kind, actor, world_time, "
                "appended_at, run_id, amount_usd, canonical, leaf_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (*r[:7], None if r.amount_usd is None else str(r.amount_usd), *r[8:])
                    for r in rows
                ],
            )
        elif rows:
            conn.execute(t.insert(), [r._asdict() for r in rows])
        return rows

    @staticmethod
    def forget_next_seq(conn: Connection) -> None:
        """After a savepoint that appended is rolled back: read the next number again."""
        conn.info.pop(NEXT_SEQ, None)

    def execute_raw(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Run one statement in its own transaction (tests: play the attacker)."""
        import sqlalchemy as sa

        with self.engine.begin() as conn:
            conn.execute(sa.text(sql), params or {})

    def close(self) -> None:
        self.engine.dispose()


def _stored(r: tuple[Any, ...]) -> StoredRow:
    """A row as read (SQLite's amounts are decimal text, PostgreSQL's Decimal)."""
    amount = r[7]
    if amount is not None and not isinstance(amount, Decimal):
        amount = Decimal(str(amount))
    return StoredRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], amount, r[8], bytes(r[9]))


def _tables() -> Any:
    import sqlalchemy as sa

    md = sa.MetaData()
    return sa.Table(
        "ledger_entries",
        md,
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(40)),
        sa.Column("kind", sa.String(40)),
        sa.Column("actor", sa.Text),
        sa.Column("world_time", sa.String(27)),
        sa.Column("appended_at", sa.String(27)),
        sa.Column("run_id", sa.Text),
        # Numeric(asdecimal) on PostgreSQL; on SQLite the column holds decimal text (above)
        sa.Column("amount_usd", sa.Numeric(asdecimal=True).with_variant(sa.Text(), "sqlite")),
        sa.Column("canonical", sa.Text),
        sa.Column("leaf_hash", sa.LargeBinary(32)),
    )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's recipe for SQLite transactions: let SQLAlchemy emit BEGIN itself, so that
    # an append can take the write lock up front (BEGIN IMMEDIATE).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    try:
        cur.execute("PRAGMA busy_timeout = 10000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
    finally:
        cur.close()


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(READ_ONLY):
        return  # a single read: the statement is its own transaction (no BEGIN, no ROLLBACK)
    conn.exec_driver_sql(conn.info.pop("sqlite_begin", "BEGIN"))


def _migrate(conn: Connection, url: str) -> None:
    """Create or upgrade the schema (Alembic, in one transaction); refuse a newer one."""
    import sqlalchemy as sa
    from alembic.runtime.migration import MigrationContext

    with conn.begin():
        current = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()
    if current is not None and current not in REVISIONS:
        raise _newer(url, f"schema revision '{current}'")
    if current != REVISIONS[-1]:
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with conn.begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    with conn.begin():
        row = conn.execute(
            sa.text("SELECT value FROM ledger_meta WHERE key = 'schema_version'")
        ).first()
    version = int(row[0]) if row is not None and str(row[0]).isdigit() else None
    if version is None:
        raise InputError(
            Problem(
                f"{mask_url(url)}: the ledger has no schema_version row",
                path="--db",
                expected="a Stargate ledger (ledger_meta.schema_version)",
            )
        )
    if version > SCHEMA_VERSION:
        raise _newer(url, f"schema_version {version}")


def _newer(url: str, what: str) -> InputError:
    return InputError(
        Problem(
            f"{mask_url(url)}: this ledger was written by a newer Stargate ({what}); "
            "nothing was read or written",
            path="--db",
            expected=f"schema_version ≤ {SCHEMA_VERSION} (revisions {', '.join(REVISIONS)})",
            hint="upgrade Stargate to open it",
        )
    )


def now_utc() -> datetime:
    """The wall clock, naive UTC (the ledger's ``appended_at``)."""
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)
