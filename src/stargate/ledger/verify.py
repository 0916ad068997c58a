"""``verify``: recompute the ledger from its canonical records and compare it with a kept
checkpoint.

For each stored row, in order: the position is its ``seq`` (a gap is a deleted entry, a step
back a moved one); the leaf hash is recomputed from the canonical record and compared with the
stored one; the record's own ``seq``, ``id``, kind, actor, times, run and amount are compared
with the row's columns (so a row moved to another position, or a column edited, is named). The
recomputed leaves give the root at the checkpoint's size, which must be the checkpoint's root
(a rewrite of the whole log with fresh hashes is consistent in itself and only this catches it),
and a checkpoint larger than the ledger means its tail was cut.

What can be named: the first bad row for anything a row betrays; for a rewrite that only the
checkpoint's root betrays, the range of entries it covers (a root says that something in it
changed, not which entry). Exit codes of ``stargate ledger verify``: 0 intact, 3
(:data:`EXIT_TAMPERED`) tampering found, 2 bad input (an unreadable, corrupt or foreign-signed
checkpoint, a checkpoint of another ledger, an unreachable database).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from stargate.errors import InputError, Problem
from stargate.ledger import checkpoint as cpmod
from stargate.ledger.entry import RECORD_FORMAT, entry_id
from stargate.ledger.merkle import RootStack

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stargate.ledger.core import Ledger

EXIT_TAMPERED = 3
#: Findings kept in a report (the count of bad rows is always exact).
MAX_FINDINGS = 100


@dataclass(frozen=True)
class Finding:
    """One thing wrong: the entry (or range of entries) and what."""

    entry_id: str
    seq: int | None
    problem: str

    def to_dict(self) -> dict[str, Any]:
        return {"entry_id": self.entry_id, "seq": self.seq, "problem": self.problem}


@dataclass
class CheckpointResult:
    origin: str
    size: int
    root: str
    time: str | None
    root_matches: bool
    signatures: list[cpmod.SignatureCheck]
    signatures_checked: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.size,
            "root": self.root,
            "time": self.time,
            "root_matches": self.root_matches,
            "signatures_checked": self.signatures_checked,
            "signatures": [s.to_dict() for s in self.signatures],
        }


@dataclass
class VerifyReport:
    url: str
    origin: str
    size: int
    root: bytes
    findings: list[Finding] = field(default_factory=list)
    bad_rows: int = 0
    checkpoint: CheckpointResult | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_bad(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else EXIT_TAMPERED

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "url": self.url,
            "origin": self.origin,
            "size": self.size,
            "root": self.root.hex(),
            "bad_rows": self.bad_rows,
            "first_bad": None if self.first_bad is None else self.first_bad.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "checkpoint": None if self.checkpoint is None else self.checkpoint.to_dict(),
        }

    def render(self) -> list[str]:
        lines = [f"ledger {self.url}: {self.size} entries, root {self.root.hex()}"]
        cp = self.checkpoint
        if cp is not None:
            lines.append(
                f"checkpoint {cp.origin} size {cp.size}"
                + (f" at {cp.time}" if cp.time else "")
                + (": root matches" if cp.root_matches else ": ROOT DOES NOT MATCH")
            )
            if not cp.signatures_checked:
                lines.append(
                    "  signatures NOT checked (give --trusted-keys FILE): "
                    + (", ".join(s.name for s in cp.signatures) or "none")
                )
            for s in cp.signatures:
                if cp.signatures_checked:
                    lines.append(f"  signed by {s.name} ({s.key_id}): {s.status}")
        if self.ok:
            lines.append("OK: every entry recomputes to its stored hash, in order")
        else:
            first = self.findings[0]
            lines.append(f"TAMPERED: first bad entry {first.entry_id}: {first.problem}")
            lines.append(f"  {self.bad_rows} bad row(s); findings:")
            lines.extend(f"  {f.entry_id}: {f.problem}" for f in self.findings)
        return lines


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal("NaN")


_COLUMNS = ("kind", "actor", "world_time", "appended_at", "run_id")


def _explain(canonical: str, row: tuple[Any, ...]) -> str | None:
    """The record parsed and compared with the row's columns field by field (amounts as
    numbers): what disagrees, or None when all agree (the text checks are stricter than
    needed, e.g. ``1E+3`` written and ``1000`` read back from NUMERIC)."""
    try:
        rec = json.loads(canonical)
    except ValueError:
        return "its canonical record is not JSON"
    if not isinstance(rec, dict):
        return "its canonical record is not a JSON object"
    if rec.get("seq") != row[0] or rec.get("id") != row[1]:
        return (
            f"position {row[0]} holds the record of seq {rec.get('seq')} "
            f"(id {rec.get('id')}): entries were moved"
        )
    if rec.get("format") != RECORD_FORMAT:
        return f"unknown record format {rec.get('format')!r}"
    for i, name in enumerate(_COLUMNS, start=2):
        if rec.get(name) != row[i]:
            return f"column {name} is {row[i]!r}, the record says {rec.get(name)!r}"
    written, stored = _amount(rec.get("amount_usd")), _amount(row[7])
    if written != stored:
        return f"column amount_usd is {stored}, the record says {written}"
    body = rec.get("body")
    in_body = _amount(body.get("amount_usd")) if isinstance(body, dict) else None
    if in_body != written:
        return f"the record's amount_usd {written} is not its body's {in_body}"
    return None


def verify_ledger(
    led: Ledger,
    checkpoint: cpmod.Checkpoint | str | None,
    trusted_keys: Sequence[cpmod.Verifier] | None,
) -> VerifyReport:
    """See the module docstring. Bad input raises :class:`InputError`; tampering is in the
    report (``ok`` False, ``first_bad``)."""
    cp = cpmod.parse(checkpoint) if isinstance(checkpoint, str) else checkpoint
    origin = led.origin
    sig_checks: list[cpmod.SignatureCheck] = []
    if cp is not None:
        if cp.origin != origin:
            raise InputError(
                Problem(
                    f"the checkpoint is of ledger '{cp.origin}', the database holds '{origin}'",
                    path="--checkpoint",
                    hint="give the checkpoint kept for this ledger, or the --db it was made from",
                )
            )
        if trusted_keys is not None:
            sig_checks = cpmod.check_signatures(cp, trusted_keys)
        else:
            sig_checks = [
                cpmod.SignatureCheck(s.name, s.key_id.hex(), "not checked") for s in cp.signatures
            ]

    findings: list[Finding] = []
    bad = 0

    def note(seq: int | None, eid: str, problem: str) -> None:
        nonlocal bad
        bad += 1
        if len(findings) < MAX_FINDINGS:
            findings.append(Finding(eid, seq, problem))

    acc = RootStack()
    stack = acc._stack
    cp_root: bytes | None = None
    cp_size = cp.size if cp is not None else -1
    if cp_size == 0:
        cp_root = acc.root()
    sha = hashlib.sha256
    enc = encode_basestring
    pos = 0
    for row in led.store.scan():
        seq, rid, canonical, stored_leaf = row[0], row[1], row[8], bytes(row[9])
        if seq != pos:
            if seq > pos:
                missing = f"{entry_id(pos)}..{entry_id(seq - 1)}" if seq - pos > 1 else ""
                note(
                    pos,
                    entry_id(pos),
                    f"missing: the ledger jumps from seq {pos - 1} to {seq}"
                    + (f" ({seq - pos} entries gone: {missing})" if missing else ""),
                )
            else:
                note(seq, rid, f"out of order: seq {seq} stored after seq {pos - 1}")
        pos = seq + 1
        leaf = sha(b"\x00" + canonical.encode("utf-8")).digest()
        # RootStack.push, inlined (a million calls)
        stack.append(leaf)
        acc.size += 1
        c = acc.size
        while c & 1 == 0:
            right = stack.pop()
            stack[-1] = sha(b"\x01" + stack[-1] + right).digest()
            c >>= 1
        if acc.size == cp_size:
            cp_root = acc.root()
        problem = None
        if leaf != stored_leaf:
            problem = "its stored leaf hash is not the hash of its canonical record"
        elif rid != f"e-{seq:012d}":
            problem = f"position {seq} holds a row with id {rid}: entries were moved"
        else:
            # The record's top level, in RFC 8785 key order, is: actor, appended_at, body,
            # format, id, kind, provenance, run_id, seq, world_time. Its start and end are
            # fixed text around the row's columns; checked as text, not parsed (a million
            # json.loads would be most of the time). See docs/ledger.md, "What verify checks".
            run, amount = row[6], row[7]
            head = (
                f'{{"actor":{enc(row[3])},"amount_usd":'
                f"{'null' if amount is None else enc(str(amount))},"
                f'"appended_at":"{row[5]}","body":{{'
            )
            tail = (
                f',"run_id":{"null" if run is None else enc(run)},"seq":{seq},'
                f'"world_time":"{row[4]}"}}'
            )
            middle = f',"format":{RECORD_FORMAT},"id":"{rid}","kind":{enc(row[2])},"provenance":{{'
            if (
                not canonical.endswith(tail)
                or not canonical.startswith(head)
                or middle not in canonical
            ):
                problem = _explain(canonical, row)
        if problem is not None:
            note(seq, entry_id(seq), problem)

    root_matches = True
    if cp is not None:
        if cp.size > acc.size:
            root_matches = False
            note(
                acc.size,
                entry_id(acc.size),
                f"missing: the checkpoint covers {cp.size} entries, the ledger holds "
                f"{acc.size} (the tail was cut)",
            )
        elif cp_root != cp.root:
            root_matches = False
            if not findings:
                last = entry_id(cp.size - 1)
                note(
                    None,
                    f"{entry_id(0)}..{last}",
                    f"the first {cp.size} entries do not hash to the checkpoint's root: the log "
                    f"was rewritten somewhere in {entry_id(0)}..{last} (every row is consistent "
                    "in itself, so only the kept checkpoint shows it)",
                )
    report = VerifyReport(led.url, origin, acc.size, acc.root(), findings, bad)
    if cp is not None:
        report.checkpoint = CheckpointResult(
            cp.origin,
            cp.size,
            cp.root.hex(),
            None if cp.time is None else cp.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            root_matches,
            sig_checks,
            trusted_keys is not None,
        )
    return report
