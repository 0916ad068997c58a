"""Ledger entries: what a caller appends (:class:`EntryIn`), what the ledger holds
(:class:`Entry`), and the canonical record hashed into each leaf.

The record of entry ``seq`` is the JSON object::

    {"actor", "amount_usd", "appended_at", "body", "format": 1, "id", "kind", "provenance",
     "run_id", "seq", "world_time"}

serialised as RFC 8785 (JSON Canonicalization Scheme) text by the ``rfc8785`` package; its
UTF-8 bytes are the leaf's data, so the leaf hash is ``SHA-256(0x00 ‖ canonical)``. Because
``seq`` and ``id`` are inside the hashed record, moving a row to another position is caught
even when every hash is recomputed (and a kept checkpoint catches the rest).

Values in ``body`` and ``provenance``: strings, booleans, None, integers (within ±2^53, as
RFC 8785 requires), finite floats, lists, mappings with string keys; ``Decimal`` becomes its
decimal string (``Decimal("12.50")`` → ``"12.50"``, exactly as written), ``datetime`` and
``date`` their ISO form (datetimes in UTC with ``Z``). Money is never a float: a float under a
key that ends in ``_usd`` or contains ``_usd_`` (``amount_usd``, ``price_usd_per_hour``) is
refused, at any depth.

``amount_usd`` is the body's top-level ``amount_usd`` (a decimal string, or null), repeated at
the top of the record because the ``amount_usd`` column (NUMERIC) holds it: ``verify`` compares
the column with it without parsing the body.

Times: ``world_time`` is when the event happened in the scenario's world, ``appended_at`` the
wall clock (UTC) when the ledger appended it. Both are returned as naive datetimes meaning UTC
(Stargate's convention, domain/units.py); an aware ``world_time`` is converted to UTC.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from stargate.errors import InputError, Problem, did_you_mean

#: Every kind of entry the ledger accepts.
KINDS: tuple[str, ...] = (
    "decision",
    "reservation",
    "charge",
    "revenue_share",
    "commitment_drawdown",
    "offer",
    "answer",
    "access_grant",
    "access_revocation",
    "agi_declaration",
    "agi_verification",
    "contract_event",
    # the multi-party service's workflow (docs/service.md): one entry per transition
    "request",
    "expiry",
    "release",
    "cancellation",
)
_KIND_SET = frozenset(KINDS)

#: The version of the hashed record's layout (the ``format`` field of every record).
RECORD_FORMAT = 1

#: Integers RFC 8785 represents exactly (IEEE 754 doubles): ±(2^53 - 1).
_MAX_SAFE_INT = 2**53 - 1

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_time(moment: datetime) -> str:
    """A UTC instant as fixed-width RFC 3339 text (``2025-01-21T00:00:00.000000Z``), which
    sorts as the instants do (the ledger's time columns are this text)."""
    return naive_utc(moment).strftime(_TIME_FORMAT)


def naive_utc(moment: datetime) -> datetime:
    """``moment`` as a naive datetime meaning UTC (an aware one converted)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def parse_time(text: str) -> datetime:
    """The inverse of :func:`format_time`: a naive datetime meaning UTC."""
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=None)  # noqa: DTZ007 (UTC by format)


def entry_id(seq: int) -> str:
    """The id of the entry at leaf index ``seq``: ``e-000000000042``."""
    return f"e-{seq:012d}"


def _money_key(key: str) -> bool:
    return key.endswith("_usd") or "_usd_" in key


def to_json_value(
    value: Any, path: str, money: bool = False, fancy: list[bool] | None = None
) -> Any:
    """``value`` as plain JSON data (see the module docstring), or an :class:`InputError`
    naming the field ``path``. ``fancy`` (when given) is set to ``[True]`` on a float or a
    non-ASCII key: what :func:`canonical_json`'s fast path does not cover."""
    t = type(value)
    if t is str or t is bool or value is None:  # the common cases first, by exact type
        return value
    if t is dict:
        out: dict[str, Any] = {}
        for k, v in value.items():
            if type(k) is not str:
                break  # the general path below says what is wrong
            if fancy is not None and not k.isascii():
                fancy[0] = True
            out[k] = to_json_value(v, f"{path}.{k}", money or _money_key(k), fancy)
        else:
            return out
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INT:
            raise InputError(
                Problem(
                    "integer too large for canonical JSON",
                    path=path,
                    expected="an integer within ±(2^53 - 1), or a decimal string",
                    found=str(value),
                )
            )
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InputError(Problem("money must be a finite decimal", path=path, found=str(value)))
        return str(value)
    if isinstance(value, float):
        if money:
            raise InputError(
                Problem(
                    "money is never a float in the ledger",
                    path=path,
                    expected="a Decimal or a decimal string such as '12.50'",
                    found=repr(value),
                )
            )
        if not math.isfinite(value):
            raise InputError(Problem("not a finite number", path=path, found=repr(value)))
        if fancy is not None:
            fancy[0] = True
        return value
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise InputError(
                    Problem("keys must be strings", path=path, found=f"{type(k).__name__} {k!r}")
                )
            if fancy is not None and not k.isascii():
                fancy[0] = True
            out[k] = to_json_value(v, f"{path}.{k}", money or _money_key(k), fancy)
        return out
    if isinstance(value, list | tuple):
        return [to_json_value(v, f"{path}[{i}]", money, fancy) for i, v in enumerate(value)]
    raise InputError(
        Problem(
            "a value the ledger cannot record",
            path=path,
            expected="str, int, bool, None, Decimal, finite float, date, datetime, list or mapping",
            found=type(value).__name__,
        )
    )


def _check_money(value: Any, path: str) -> Decimal | None:
    """The top-level ``amount_usd`` of a body as a Decimal (stored in a NUMERIC column)."""
    if value is None:
        return None
    try:
        amount = Decimal(str(value)) if isinstance(value, str | int | Decimal) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise InputError(
            Problem(
                "not an amount",
                path=path,
                expected="a decimal string such as '12.50'",
                found=repr(value),
            )
        )
    return amount


@dataclass(frozen=True, slots=True)
class EntryIn:
    """An entry to append. ``body`` is the entry's content (money as ``Decimal`` or decimal
    strings); ``provenance`` says where it came from (scenario hash, Stargate version, seed);
    ``run_id`` groups the entries of one simulated run or one live service."""

    kind: str
    actor: str
    world_time: datetime
    body: Mapping[str, Any]
    run_id: str | None = None
    provenance: Mapping[str, Any] | None = None

    def check(self, where: str = "entry") -> None:
        """Refuse what the ledger cannot record, naming the field (``entry[3].kind``)."""
        if self.kind not in _KIND_SET:
            raise InputError(
                Problem(
                    f"unknown entry kind '{self.kind}'",
                    path=f"{where}.kind",
                    hint=did_you_mean(str(self.kind), KINDS),
                )
            )
        if not isinstance(self.actor, str) or not self.actor.strip():
            raise InputError(
                Problem("an entry needs an actor", path=f"{where}.actor", expected="a party id")
            )
        if not isinstance(self.world_time, datetime):
            raise InputError(
                Problem(
                    "world_time must be a datetime",
                    path=f"{where}.world_time",
                    found=type(self.world_time).__name__,
                )
            )
        if not isinstance(self.body, Mapping):
            raise InputError(
                Problem(
                    "body must be a mapping",
                    path=f"{where}.body",
                    found=type(self.body).__name__,
                )
            )
        if self.run_id is not None and (not isinstance(self.run_id, str) or not self.run_id):
            raise InputError(
                Problem("run_id must be a non-empty string or None", path=f"{where}.run_id")
            )


@dataclass(frozen=True, slots=True)
class Entry:
    """An entry as the ledger holds it. ``canonical`` is the RFC 8785 text of the whole record
    (the leaf's data); every other field is read back from it."""

    seq: int
    id: str
    kind: str
    actor: str
    world_time: datetime
    appended_at: datetime
    run_id: str | None
    provenance: dict[str, Any]
    body: dict[str, Any]
    canonical: str
    leaf_hash: bytes = field(repr=False)

    @property
    def amount_usd(self) -> Decimal | None:
        """The body's top-level ``amount_usd`` as a Decimal, if it has one."""
        value = self.body.get("amount_usd")
        return None if value is None else Decimal(str(value))

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON data (times as RFC 3339 text, the leaf hash as hex)."""
        return {
            "seq": self.seq,
            "id": self.id,
            "kind": self.kind,
            "actor": self.actor,
            "world_time": format_time(self.world_time),
            "appended_at": format_time(self.appended_at),
            "run_id": self.run_id,
            "provenance": self.provenance,
            "body": self.body,
            "leaf_hash": self.leaf_hash.hex(),
        }


def make_record(
    entry: EntryIn, seq: int, appended_at: str, where: str, default_provenance: dict[str, Any]
) -> tuple[dict[str, Any], Decimal | None, bool]:
    """The record of ``entry`` at ``seq`` (JSON data; ``appended_at`` already formatted), its
    ``amount_usd`` if any, and whether it is plain (the fast path of :func:`canonical_json`)."""
    entry.check(where)
    fancy = [False]
    body = to_json_value(entry.body, f"{where}.body", fancy=fancy)
    provenance = dict(default_provenance)
    if entry.provenance is not None:
        provenance.update(to_json_value(entry.provenance, f"{where}.provenance", fancy=fancy))
    amount = _check_money(body.get("amount_usd"), f"{where}.body.amount_usd")
    record = {
        "actor": entry.actor,
        "amount_usd": None if amount is None else str(amount),
        "appended_at": appended_at,
        "body": body,
        "format": RECORD_FORMAT,
        "id": entry_id(seq),
        "kind": entry.kind,
        "provenance": provenance,
        "run_id": entry.run_id,
        "seq": seq,
        "world_time": format_time(entry.world_time),
    }
    return record, amount, not fancy[0]


def canonical_json(record: Mapping[str, Any], plain: bool | None = None) -> str:
    """RFC 8785 canonical JSON of plain JSON data (as :func:`to_json_value` makes it).

    The ``rfc8785`` package is the definition. Records without floats and with ASCII-only keys
    (nearly all: money is decimal strings) take a fast path, ``json.dumps`` with sorted keys,
    no spaces and no ASCII escaping, which is byte-for-byte the same there: RFC 8785 sorts keys
    by UTF-16 code units (for ASCII keys, Python's order), escapes strings as ECMAScript's
    ``JSON.stringify`` does (quote, backslash, the five short control escapes, other controls
    as lowercase ``u00xx`` escapes, everything else raw: what ``json`` does with
    ``ensure_ascii=False``), and writes integers within ±2^53 in decimal. Floats (ECMAScript
    number formatting) and non-ASCII keys go to ``rfc8785``. tests/ledger/test_entry.py checks
    the fast path against ``rfc8785`` on generated records. ``plain``: already known (by
    :func:`make_record`) whether the record takes the fast path."""
    try:
        if _plain(record) if plain is None else plain:
            text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            text.encode("utf-8")  # refuse lone surrogates, as rfc8785 does
            return text
        import rfc8785

        return rfc8785.dumps(record).decode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(Problem(f"text that is not valid Unicode: {exc.reason}")) from None
    except ValueError as exc:  # rfc8785.CanonicalizationError is a ValueError
        raise InputError(Problem(f"cannot canonicalise the entry: {exc}")) from None


def _plain(value: Any) -> bool:
    """No floats anywhere and only ASCII keys: the fast path of :func:`canonical_json`."""
    if isinstance(value, dict):
        return all(k.isascii() and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return not isinstance(value, float)


def entry_from_record(record: Mapping[str, Any], canonical: str, leaf: bytes) -> Entry:
    """An :class:`Entry` from its parsed record (raises KeyError/ValueError when malformed)."""
    return Entry(
        seq=int(record["seq"]),
        id=str(record["id"]),
        kind=str(record["kind"]),
        actor=str(record["actor"]),
        world_time=parse_time(record["world_time"]),
        appended_at=parse_time(record["appended_at"]),
        run_id=record["run_id"],
        provenance=dict(record["provenance"]),
        body=dict(record["body"]),
        canonical=canonical,
        leaf_hash=leaf,
    )
