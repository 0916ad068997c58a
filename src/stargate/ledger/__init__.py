"""The ledger: an append-only record of costs, revenue shares and access rights that no party
can quietly rewrite (docs/ledger.md).

Entries are RFC 8785 canonical JSON records (money as decimal strings), hashed into an
RFC 9162 Merkle tree whose leaf hashes live in the database (SQLite by default, PostgreSQL by
URL; UPDATE and DELETE refused by the database). Signed checkpoints (C2SP signed notes,
Ed25519), kept by the parties outside the database, catch a rewrite by anyone with database
access; ``verify`` names the first bad entry.

::

    from stargate.ledger import open_ledger, EntryIn
    led = open_ledger("sqlite:///ledger.sqlite3")
    [e] = led.append([EntryIn("charge", "openai", world_time, {"amount_usd": "12.50"})])
    proof = led.prove(e.id)
"""

from __future__ import annotations

from stargate.ledger.core import InclusionProof, Ledger, open_ledger
from stargate.ledger.entry import KINDS, Entry, EntryIn
from stargate.ledger.store import ENV_URL, default_url

__all__ = [
    "ENV_URL",
    "KINDS",
    "Entry",
    "EntryIn",
    "InclusionProof",
    "Ledger",
    "default_url",
    "open_ledger",
]
