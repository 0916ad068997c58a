"""The AGI path as events: a declaration by the party an ``agi_clause`` names
(``declared_by``), then, where the clause names a verifier (``verified_by``), a verification by
it. The events live in the ledger (kinds ``agi_declaration`` and ``agi_verification``); this
module reads them as plain data, checks a new one against the clause, and applies them to a
scenario.

**The one rule** (docs/governance.md): a declaration or verification recorded in the ledger
counts when it names an ``agi_clause`` of the scenario, was made by the party (the verifier)
that clause names, and — for a verification — follows a declaration under the same clause.
The clause's ``declared_on`` (``verified_on``) is then the earliest of the scenario's own date
and the recorded ones: the ledger extends the scenario, it never undoes a date the scenario
states. Events that do not count are returned as ignored, each with its reason.

This module does not import the ledger (engines are independent): callers pass entries that
have ``id``, ``kind``, ``actor``, ``world_time`` and ``body`` (:class:`LedgerEntry`), and write
what :func:`plan_event` returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from stargate.domain.model import AgiClause, ClauseBase, Contract, Scenario
from stargate.errors import InputError, Problem, did_you_mean

EventKind = Literal["declaration", "verification"]

#: Ledger entry kind of each event.
ENTRY_KINDS: dict[EventKind, str] = {
    "declaration": "agi_declaration",
    "verification": "agi_verification",
}
_EVENT_OF_KIND = {v: k for k, v in ENTRY_KINDS.items()}


class LedgerEntry(Protocol):
    """What this module reads of a ledger entry (``stargate.ledger.Entry`` has it)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def world_time(self) -> datetime: ...
    @property
    def body(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class AgiEvent:
    """A declaration or a verification under one AGI clause, by ``by``, on ``day``.
    ``entry_id``: the ledger entry it was read from (None: the scenario's own date)."""

    kind: EventKind
    clause: str
    by: str
    day: date
    entry_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "clause": self.clause,
            "by": self.by,
            "day": self.day.isoformat(),
            "entry_id": self.entry_id,
        }


@dataclass(frozen=True, slots=True)
class Ignored:
    """A recorded event that does not count, and why."""

    event: AgiEvent
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.event.to_dict(), "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Applied:
    """A scenario with the ledger's AGI events applied, the events that counted, and those
    that did not."""

    scenario: Scenario
    counted: tuple[AgiEvent, ...]
    ignored: tuple[Ignored, ...]


def events_from_entries(entries: Iterable[LedgerEntry]) -> list[AgiEvent]:
    """The AGI events among ledger entries (other kinds are skipped). An entry whose body
    lacks a clause id is kept with clause ``""`` so that :func:`apply_events` reports it."""
    out: list[AgiEvent] = []
    for e in entries:
        kind = _EVENT_OF_KIND.get(e.kind)
        if kind is None:
            continue
        clause = e.body.get("clause")
        day = e.world_time.date()
        out.append(AgiEvent(kind, clause if isinstance(clause, str) else "", e.actor, day, e.id))
    return out


def agi_clauses(scenario: Scenario) -> dict[str, tuple[Contract, AgiClause]]:
    """Every AGI clause of the scenario (agreements applied), by id."""
    return {cl.id: (c, cl) for c, cl in scenario.clauses() if isinstance(cl, AgiClause)}


def _text_on(clause: AgiClause, day: date) -> AgiClause | None:
    version = clause.version_at(day)
    return version if isinstance(version, AgiClause) else None


def _dates(clause: AgiClause) -> tuple[date | None, date | None]:
    """The earliest declared_on and verified_on that any text of the clause states."""
    texts: list[ClauseBase] = [clause]
    texts += [clause.amended(am) for am in clause.amendments if am.action == "modify"]
    declared = [t.declared_on for t in texts if isinstance(t, AgiClause) and t.declared_on]
    verified = [t.verified_on for t in texts if isinstance(t, AgiClause) and t.verified_on]
    return min(declared, default=None), min(verified, default=None)


def _check(
    event: AgiEvent, clauses: dict[str, tuple[Contract, AgiClause]], declared: date | None
) -> str | None:
    """Why ``event`` does not count (None: it counts). ``declared``: the earliest declaration
    under its clause so far."""
    found = clauses.get(event.clause)
    if found is None:
        return f"no agi_clause '{event.clause}' in the scenario"
    text = _text_on(found[1], event.day)
    if text is None:
        return f"'{event.clause}' is not in force on {event.day.isoformat()}"
    if event.kind == "declaration":
        if event.by != text.declared_by:
            return f"'{event.clause}' names {text.declared_by} to declare AGI, not {event.by}"
        return None
    if text.verified_by is None:
        return f"'{event.clause}' requires no verification"
    if event.by != text.verified_by:
        return f"'{event.clause}' names {text.verified_by} to verify AGI, not {event.by}"
    if declared is None or declared > event.day:
        return f"no declaration under '{event.clause}' on or before {event.day.isoformat()}"
    return None


def apply_events(scenario: Scenario, events: Iterable[AgiEvent]) -> Applied:
    """The scenario with recorded AGI events applied by the one rule of the module docstring.
    Returned as is (the same object) when no event counts."""
    clauses = agi_clauses(scenario)
    ordered = sorted(events, key=lambda e: (e.day, e.kind != "declaration", e.entry_id or ""))
    declared: dict[str, date] = {}
    verified: dict[str, date] = {}
    for cid, (_, cl) in clauses.items():
        d, v = _dates(cl)
        if d is not None:
            declared[cid] = d
        if v is not None:
            verified[cid] = v
    counted: list[AgiEvent] = []
    ignored: list[Ignored] = []
    changed: dict[str, dict[str, date]] = {}
    for ev in ordered:
        reason = _check(ev, clauses, declared.get(ev.clause))
        if reason is not None:
            ignored.append(Ignored(ev, reason))
            continue
        counted.append(ev)
        field = "declared_on" if ev.kind == "declaration" else "verified_on"
        book = declared if ev.kind == "declaration" else verified
        if ev.clause not in book or ev.day < book[ev.clause]:
            book[ev.clause] = ev.day
            changed.setdefault(ev.clause, {})[field] = ev.day
    if not changed:
        return Applied(scenario, tuple(counted), tuple(ignored))
    return Applied(_with_dates(scenario, changed), tuple(counted), tuple(ignored))


def _set(clause: ClauseBase, changed: dict[str, dict[str, date]]) -> ClauseBase:
    update = changed.get(clause.id)
    if update is None or not isinstance(clause, AgiClause):
        return clause
    copy = clause.model_copy(update=update)
    copy._amended = {}
    return copy


def _with_dates(scenario: Scenario, changed: dict[str, dict[str, date]]) -> Scenario:
    contracts = []
    for c in scenario.contracts:
        clauses = [_set(cl, changed) for cl in c.clauses]
        agreements = [
            ag.model_copy(update={"adds": [_set(cl, changed) for cl in ag.adds]})
            for ag in c.agreements
        ]
        contracts.append(c.model_copy(update={"clauses": clauses, "agreements": agreements}))
    derived = scenario.model_copy(update={"contracts": contracts})
    for c in derived.contracts:
        c._terms = None
    return derived


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    """A new declaration or verification, checked against the clause: what to append."""

    event: AgiEvent
    contract: str
    entry_kind: str

    def body(self) -> dict[str, Any]:
        """The ledger entry's body."""
        return {
            "clause": self.event.clause,
            "contract": self.contract,
            "event": self.event.kind,
            "by": self.event.by,
            "day": self.event.day.isoformat(),
        }


def plan_event(
    scenario: Scenario,
    kind: EventKind,
    by: str,
    day: date,
    *,
    clause: str | None = None,
    recorded: Iterable[AgiEvent] = (),
) -> PlannedEvent:
    """Check a new declaration (verification) by ``by`` on ``day`` against the AGI clauses in
    force that day, with the events already ``recorded``; an :class:`InputError` (its path
    ``by``, ``day`` or ``clause``: the CLI names its own flags) when the clause does not name
    ``by``, requires no verification, has no declaration to verify, or already has this
    event."""
    applied = apply_events(scenario, recorded)
    clauses = agi_clauses(applied.scenario)
    in_force = {cid: t for cid, (_, cl) in clauses.items() if (t := _text_on(cl, day))}
    if clause is not None:
        if clause not in clauses:
            raise InputError(
                Problem(
                    f"no agi_clause '{clause}' in scenario '{scenario.id}'",
                    path="clause",
                    hint=did_you_mean(clause, clauses),
                )
            )
        if clause not in in_force:
            raise InputError(
                Problem(
                    f"agi_clause '{clause}' is not in force on {day.isoformat()}",
                    path="day",
                    hint=_in_force_hint(in_force, day),
                )
            )
        candidates = {clause: in_force[clause]}
    else:
        candidates = in_force
    if not candidates:
        raise InputError(
            Problem(
                f"no agi_clause is in force on {day.isoformat()}",
                path="day",
                hint="AGI clauses: "
                + (
                    ", ".join(
                        f"{cid} (from {cl.effective.start})" for cid, (_, cl) in clauses.items()
                    )
                    or "none in the scenario"
                ),
            )
        )
    role = "declared_by" if kind == "declaration" else "verified_by"
    named = {cid: t for cid, t in candidates.items() if getattr(t, role) == by}
    if not named:
        who = "; ".join(
            f"{cid} names {getattr(t, role) or 'no verifier'} ({role})"
            for cid, t in candidates.items()
        )
        if kind == "verification" and all(t.verified_by is None for t in candidates.values()):
            message = f"no AGI clause in force on {day.isoformat()} requires verification"
        else:
            message = f"'{by}' is not named to {_verb(kind)} AGI on {day.isoformat()}"
        raise InputError(Problem(message, path="by", found=by, hint=who))
    if len(named) > 1:
        raise InputError(
            Problem(
                f"'{by}' may {_verb(kind)} AGI under several clauses on {day.isoformat()}",
                path="clause",
                expected="one of " + ", ".join(sorted(named)),
            )
        )
    ((cid, text),) = named.items()
    contract = clauses[cid][0].id
    declared, verified = text.declared_on, text.verified_on
    if kind == "declaration" and declared is not None:
        raise InputError(
            Problem(
                f"AGI is already declared under '{cid}' (on {declared.isoformat()})",
                path="day",
                hint=_source(applied.counted, cid, "declaration"),
            )
        )
    if kind == "verification":
        if declared is None or declared > day:
            raise InputError(
                Problem(
                    f"nothing to verify: no declaration under '{cid}' on or before "
                    f"{day.isoformat()}",
                    path="day",
                    hint=f"declare first: stargate agi declare --by {text.declared_by} "
                    f"--at {day.isoformat()}",
                )
            )
        if verified is not None:
            raise InputError(
                Problem(
                    f"AGI is already verified under '{cid}' (on {verified.isoformat()})",
                    path="day",
                    hint=_source(applied.counted, cid, "verification"),
                )
            )
    return PlannedEvent(AgiEvent(kind, cid, by, day), contract, ENTRY_KINDS[kind])


def _verb(kind: EventKind) -> str:
    return "declare" if kind == "declaration" else "verify"


def _in_force_hint(in_force: Mapping[str, AgiClause], day: date) -> str:
    if not in_force:
        return f"no AGI clause is in force on {day.isoformat()}"
    return "in force that day: " + ", ".join(sorted(in_force))


def _source(counted: Iterable[AgiEvent], clause: str, kind: EventKind) -> str:
    for ev in counted:
        if ev.clause == clause and ev.kind == kind:
            return f"recorded in the ledger as {ev.entry_id}"
    return "the scenario states it"
