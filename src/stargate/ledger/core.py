"""The ledger object: append entries, read them back, the tree's root and its proofs.

``open_ledger(url)`` opens (and creates or migrates) the store; :class:`Ledger` turns
:class:`~stargate.ledger.entry.EntryIn` into hashed records, appends them in one transaction,
and answers ``root``/``prove``/``consistency`` from an in-memory :class:`~merkle.Levels` of the
leaf hashes kept in the database (read once, then extended by what was appended since), so a
proof costs O(log n) hash look-ups once the leaf hashes are loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from stargate.errors import InputError, Problem
from stargate.ledger import merkle
from stargate.ledger.entry import (
    Entry,
    EntryIn,
    canonical_json,
    entry_from_record,
    format_time,
    make_record,
    naive_utc,
)
from stargate.ledger.store import LedgerStore, StoredRow, now_utc, open_store

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from stargate.ledger.checkpoint import Checkpoint, Signer, Verifier
    from stargate.ledger.verify import VerifyReport


@dataclass(frozen=True)
class InclusionProof:
    """That entry ``entry_id`` (leaf ``leaf_index``) is in the tree of ``tree_size`` leaves
    whose root is ``root``: RFC 9162 ``PATH``, leaf to root."""

    entry_id: str
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]
    root: bytes

    def verify(self) -> bool:
        """RFC 9162 §2.1.3.2 on this proof (needs nothing but the proof)."""
        return merkle.verify_inclusion(
            self.leaf_hash, self.leaf_index, self.tree_size, self.path, self.root
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "path": [p.hex() for p in self.path],
            "root": self.root.hex(),
            "verified": self.verify(),
        }


def _leaf(canonical: str) -> bytes:
    return hashlib.sha256(b"\x00" + canonical.encode("utf-8")).digest()


def _seq_of(entry_id: str) -> int | None:
    """The leaf index an entry id names, or None for a malformed id."""
    digits = entry_id[2:]
    if entry_id.startswith("e-") and len(digits) == 12 and digits.isdigit():
        return int(digits)
    return None


def default_provenance() -> dict[str, Any]:
    """What every entry's provenance carries unless the caller says otherwise."""
    from stargate.domain.provenance import stargate_version

    return {"stargate_version": stargate_version()}


def row_to_entry(row: StoredRow) -> Entry:
    """An entry read back from its canonical record (the columns only index it)."""
    return entry_from_record(json.loads(row.canonical), row.canonical, row.leaf_hash)


class Ledger:
    """An append-only, Merkle-hashed log of entries (see docs/ledger.md)."""

    def __init__(self, store: LedgerStore) -> None:
        self.store = store
        self._levels: merkle.Levels | None = None
        self._provenance = default_provenance()

    @property
    def url(self) -> str:
        """The database URL, password masked."""
        return self.store.url

    @property
    def origin(self) -> str:
        """The checkpoint origin of this ledger: ``stargate.ledger/<ledger id>``."""
        return f"stargate.ledger/{self.store.meta()['ledger_id']}"

    # ----------------------------------------------------------------------- writing

    def append(self, entries: Sequence[EntryIn]) -> list[Entry]:
        """Append ``entries`` in one transaction (a batched insert) and return them as stored.
        Nothing is written when any of them is refused (an :class:`InputError` naming it)."""
        items = list(entries)
        if not items:
            return []
        build, built = self._builder(items)
        rows = self.store.append(build)
        if self._levels is not None and self._levels.size == rows[0].seq:
            self._levels.extend(r.leaf_hash for r in rows)
        return built

    def append_on(self, conn: Connection, entries: Sequence[EntryIn]) -> list[Entry]:
        """Append ``entries`` on ``conn``, a connection inside :meth:`write`'s transaction,
        so that they commit (or roll back) with whatever else that transaction changes. The
        tree held in memory catches up on its next read."""
        items = list(entries)
        if not items:
            return []
        build, built = self._builder(items)
        self.store.append_on(conn, build)
        return built

    def write(self) -> AbstractContextManager[Connection]:
        """A write transaction holding the ledger's write lock (see
        :meth:`~stargate.ledger.store.SqlStore.write`), for :meth:`append_on`."""
        return self.store.write()

    def _builder(
        self, items: list[EntryIn]
    ) -> tuple[Callable[[int], list[StoredRow]], list[Entry]]:
        for i, e in enumerate(items):
            if not isinstance(e, EntryIn):
                raise InputError(
                    Problem(
                        "not an EntryIn",
                        path=f"entries[{i}]",
                        found=type(e).__name__,
                    )
                )
        built: list[Entry] = []

        def build(first_seq: int) -> list[StoredRow]:
            appended_at = now_utc()
            appended_text = format_time(appended_at)
            rows: list[StoredRow] = []
            built.clear()
            for i, e in enumerate(items):
                seq = first_seq + i
                record, amount, plain = make_record(
                    e, seq, appended_text, f"entries[{i}]", self._provenance
                )
                canonical = canonical_json(record, plain)
                leaf = _leaf(canonical)
                rows.append(
                    StoredRow(
                        seq,
                        record["id"],
                        e.kind,
                        e.actor,
                        record["world_time"],
                        record["appended_at"],
                        e.run_id,
                        amount,
                        canonical,
                        leaf,
                    )
                )
                built.append(
                    Entry(
                        seq,
                        record["id"],
                        e.kind,
                        e.actor,
                        naive_utc(e.world_time),
                        appended_at,
                        e.run_id,
                        record["provenance"],
                        record["body"],
                        canonical,
                        leaf,
                    )
                )
            return rows

        return build, built

    # ----------------------------------------------------------------------- reading

    def entries(
        self,
        kind: str | None = None,
        since: datetime | None = None,
        run_id: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Entry]:
        """Entries in order, optionally of one ``kind``, with ``world_time`` ≥ ``since``, of
        one run, at most ``limit``. Each is read back from its canonical record."""
        since_text = None if since is None else format_time(since)
        for row in self.store.rows(kind=kind, since=since_text, run_id=run_id, limit=limit):
            yield row_to_entry(row)

    def get(self, entry_id: str) -> Entry:
        """The entry with this id, or an :class:`InputError`."""
        row = self.store.row(entry_id)
        if row is None:
            raise InputError(
                Problem(
                    f"no entry '{entry_id}' in the ledger at {self.url}",
                    path="ENTRY_ID",
                    expected=f"an id such as e-000000000000 (the ledger has {self.size()} entries)",
                )
            )
        return row_to_entry(row)

    def size(self) -> int:
        """How many entries the ledger holds (the tree size)."""
        return self.store.size()

    # ----------------------------------------------------------------------- the tree

    def levels(self) -> merkle.Levels:
        """The tree of the stored leaf hashes, brought up to date with the store."""
        if self._levels is None:
            self._levels = merkle.Levels(self.store.leaf_hashes())
        else:
            n = self._levels.size
            if self.store.size() > n:
                self._levels.extend(self.store.leaf_hashes(start=n))
        return self._levels

    def _check_size(self, size: int, what: str) -> int:
        levels = self.levels()
        if not 0 <= size <= levels.size:
            raise InputError(
                Problem(
                    f"{what} {size} is outside the ledger's 0..{levels.size}",
                    path=what,
                )
            )
        return size

    def root(self, size: int | None = None) -> bytes:
        """The Merkle tree head of the first ``size`` entries (default: all)."""
        levels = self.levels()
        return levels.root(levels.size if size is None else self._check_size(size, "size"))

    def prove(self, entry_id: str, size: int | None = None) -> InclusionProof:
        """An inclusion proof of ``entry_id`` in the tree of ``size`` entries (default: all).
        The id names its leaf (``e-000000000042`` is leaf 42), so a proof reads nothing but
        the leaf hashes held in memory (and the store's size, to catch up with appends)."""
        seq = _seq_of(entry_id)
        levels = self.levels()
        n = levels.size if size is None else self._check_size(size, "size")
        if seq is None or seq >= levels.size:
            self.get(entry_id)  # raises the located error
        if seq is None or seq >= n:
            raise InputError(
                Problem(f"entry '{entry_id}' is not in the first {n} entries", path="size")
            )
        path = merkle.inclusion_proof(levels, seq, n)
        return InclusionProof(entry_id, seq, n, levels.levels[0][seq], tuple(path), levels.root(n))

    def consistency(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162 ``PROOF(old_size, D[new_size])`` (default new size: all)."""
        levels = self.levels()
        new = levels.size if new_size is None else self._check_size(new_size, "new_size")
        if not 0 <= old_size <= new:
            raise InputError(
                Problem(f"old size {old_size} must be within 0..{new}", path="old_size")
            )
        return merkle.consistency_proof(levels, old_size, new)

    # ----------------------------------------------------------------------- checking

    def checkpoint(
        self, signers: Sequence[Signer] = (), time: datetime | None = None
    ) -> Checkpoint:
        """A checkpoint of the current tree, signed by ``signers`` (none: unsigned)."""
        from stargate.ledger.checkpoint import Checkpoint

        levels = self.levels()
        return Checkpoint.of(self.origin, levels.size, levels.root(), time or now_utc()).signed(
            signers
        )

    def verify(
        self,
        checkpoint: Checkpoint | str | None = None,
        trusted_keys: Sequence[Verifier] | None = None,
    ) -> VerifyReport:
        """Recompute every leaf from its canonical record and check order, columns, and the
        root against ``checkpoint`` (its signatures against ``trusted_keys``, never keys from
        the database). See :func:`stargate.ledger.verify.verify_ledger`."""
        from stargate.ledger.verify import verify_ledger

        return verify_ledger(self, checkpoint, trusted_keys)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_ledger(url: str | None = None) -> Ledger:
    """Open the ledger at ``url`` (None: ``$STARGATE_DATABASE_URL``, else
    :func:`~stargate.ledger.store.default_url`), creating or migrating its schema. A bad or
    unreachable URL, or a ledger written by a newer Stargate, is an :class:`InputError`."""
    return Ledger(open_store(url))
