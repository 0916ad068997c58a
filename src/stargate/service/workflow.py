"""The request workflow as a state machine whose deadlines are kept in the database
(docs/service.md has the table).

::

    requested → offered (respond_by) → accepted → placed | unplaceable
                offered → declined | expired → released → placed | unplaceable
    requested → placed | unplaceable          (not in any ROFR's scope, or released at once)
    requested | offered → cancelled            (by the requester, until it is placed)

A request is decided by the same broker as ``stargate place``: a job request at once; a
capacity request by :func:`~stargate.broker.capacity.decide_capacity`. When the right of first
refusal applies and the holder can meet some of it, the decision is tried (to learn what to
offer) and undone, and the request waits in ``offered`` until the holder answers, the requester
cancels, or ``respond_by`` passes on the service's clock; then it is decided again with that
answer (``accept``, ``decline`` or no answer) on the capacity book as it is then.

Every transition appends one ledger entry in the same database transaction as the change of
state (:meth:`~stargate.ledger.core.Ledger.write`), so the record and the state cannot part.
Writes go through one writer thread (:class:`Writer`) that commits concurrent submits and
answers together (a group commit: one fsync for many, each acknowledged only after its
commit), each in its own savepoint so that one refused change does not undo the others.
"""

from __future__ import annotations

import functools
import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

import sqlalchemy as sa

from stargate.broker import Broker, CapacityBook, CapacityDecision, Decision, Request
from stargate.broker.capacity import decide_capacity
from stargate.broker.request import parse_requests
from stargate.broker.responders import Answer, Offer
from stargate.domain.model import CapacityRequest, Reservation, Scenario
from stargate.domain.provenance import for_scenario
from stargate.errors import InputError
from stargate.ledger import EntryIn, Ledger
from stargate.ledger.entry import format_time, parse_time
from stargate.ledger.store import NEXT_SEQ, READ_ONLY
from stargate.service import sql, tables
from stargate.service.clock import Clock
from stargate.service.tokens import Caller

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

State = Literal[
    "requested",
    "offered",
    "accepted",
    "declined",
    "expired",
    "released",
    "placed",
    "unplaceable",
    "cancelled",
]
STATES: tuple[State, ...] = get_args(State)
FINAL: frozenset[str] = frozenset({"placed", "unplaceable", "cancelled"})

#: Every transition: (from, to) → (who makes it, the kind of its ledger entry). ``None`` is
#: the start. docs/service.md prints this table (a test keeps the two equal).
TRANSITIONS: dict[tuple[State | None, State], tuple[str, str]] = {
    (None, "requested"): ("requester", "request"),
    ("requested", "offered"): ("service", "offer"),
    ("requested", "placed"): ("service", "decision"),
    ("requested", "unplaceable"): ("service", "decision"),
    ("offered", "accepted"): ("holder", "answer"),
    ("offered", "declined"): ("holder", "answer"),
    ("offered", "expired"): ("clock", "expiry"),
    ("accepted", "placed"): ("service", "decision"),
    ("accepted", "unplaceable"): ("service", "decision"),
    ("declined", "released"): ("service", "release"),
    ("expired", "released"): ("service", "release"),
    ("released", "placed"): ("service", "decision"),
    ("released", "unplaceable"): ("service", "decision"),
    ("requested", "cancelled"): ("requester", "cancellation"),
    ("offered", "cancelled"): ("requester", "cancellation"),
}

#: The actor of the entries the service itself makes (decisions, releases, expiries).
SERVICE_ACTOR = "stargate-service"
RUN_ID = "service"

T = TypeVar("T")


class ServiceError(Exception):
    """A refusal with an HTTP status and an RFC 9457 problem (``type`` is a slug under
    ``https://stargate.dev/problems/``)."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.field = field
        self.extra = extra or {}

    def problem(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": f"https://stargate.dev/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field is not None:
            doc["field"] = self.field
        doc.update(self.extra)
        return doc


def input_problem(err: InputError, status: int = 422) -> ServiceError:
    """An :class:`InputError` (from the request parser) as a problem naming the field."""
    problems = list(err.problems)
    first = problems[0] if problems else None
    field = None
    if first is not None:
        field = first.path or None
    errors = [
        {
            "field": p.path or None,
            "detail": p.message,
            "expected": p.expected,
        }
        for p in problems
    ]
    return ServiceError(
        status,
        "invalid-request",
        "The request is not valid",
        first.message if first is not None else str(err),
        field,
        {"errors": errors},
    )


# --------------------------------------------------------------------------- the writer


class Writer:
    """One thread that makes every change, in batches: each call runs in a savepoint of the
    batch's transaction, and every caller gets its answer only once the batch has committed."""

    def __init__(self, ledger: Ledger, on_failure: Callable[[], None], max_batch: int = 64) -> None:
        self.ledger = ledger
        self.on_failure = on_failure
        self.max_batch = max_batch
        self._q: queue.Queue[tuple[Callable[[Connection], Any], Future[Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.start()

    def start(self) -> None:
        """Start the thread (again, after :meth:`close`: an app whose lifespan ended and
        began again, as a test client does)."""
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._q = queue.Queue()
            self._thread = threading.Thread(
                target=self._run, args=(self._q,), name="stargate-writer", daemon=True
            )
            self._thread.start()

    def submit(self, fn: Callable[[Connection], T]) -> Future[T]:
        """Queue ``fn``; its future is done once the batch it ran in has committed."""
        if self._thread is None or not self._thread.is_alive():
            self.start()
        fut: Future[T] = Future()
        self._q.put((fn, fut))
        return fut

    def call(self, fn: Callable[[Connection], T], timeout_s: float = 60.0) -> T:
        return self.submit(fn).result(timeout_s)

    def close(self) -> None:
        with self._start_lock:
            thread = self._thread
            if thread is None:
                return
            self._q.put(None)
        thread.join(10)

    def _run(self, q: queue.Queue[tuple[Callable[[Connection], Any], Future[Any]] | None]) -> None:
        while True:
            item = q.get()
            if item is None:
                return
            batch = [item]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    nxt = q.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[Callable[[Connection], Any], Future[Any]]]) -> None:
        done: list[tuple[Future[Any], Any, BaseException | None]] = []
        try:
            with self.ledger.write() as conn:
                for fn, fut in batch:
                    # a savepoint per call, as plain SQL (the same on SQLite and PostgreSQL;
                    # SQLAlchemy's nested-transaction objects cost more than the statements)
                    conn.exec_driver_sql("SAVEPOINT stargate_call")
                    try:
                        res = fn(conn)
                    except BaseException as e:  # noqa: BLE001 - handed to the caller
                        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT stargate_call")
                        conn.exec_driver_sql("RELEASE SAVEPOINT stargate_call")
                        conn.info.pop(NEXT_SEQ, None)  # its entries are gone: read it again
                        done.append((fut, None, e))
                    else:
                        conn.exec_driver_sql("RELEASE SAVEPOINT stargate_call")
                        done.append((fut, res, None))
        except BaseException as e:  # noqa: BLE001 - the commit failed: every caller is told
            for _fn, fut in batch:
                if not fut.done():
                    fut.set_exception(e)
            self.on_failure()
            return
        for fut, res, err in done:
            if err is not None:
                fut.set_exception(err)
            else:
                fut.set_result(res)


# --------------------------------------------------------------------------- responders


@dataclass(frozen=True)
class _Probe:
    """Answers nothing and remembers the offers (the decision is tried, then undone)."""

    offers: list[Offer]
    name: str = "service-probe"

    def respond(self, offer: Offer) -> Answer:
        self.offers.append(offer)
        return Answer("none", offer.response_window_h)


@dataclass(frozen=True)
class _Given:
    """The holder's answer as given through the service, after ``after_h`` hours."""

    answer: Literal["accept", "decline", "none"]
    after_h: float
    name: str = "service-party"

    def respond(self, offer: Offer) -> Answer:
        return Answer(self.answer, self.after_h)


# --------------------------------------------------------------------------- the service


def body_sha256(body: Any) -> str:
    """The hash an Idempotency-Key is bound to: of the body's canonical JSON (sorted keys,
    no spaces), so that spacing and key order do not make a retry a different request."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dump(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@functools.cache
def _request_by_id() -> sa.Select[Any]:
    """A request's row by id, built once (building it on every read cost more than the read:
    docs/benchmarks.md, "Service")."""
    t = tables.requests
    return sa.select(*t.c).where(t.c.id == sa.bindparam("request_id"))


def _integral(value: Any) -> Any:
    """``value`` with every float that is a whole number written as an integer (4.0 → 4: the
    same JSON number), so that the entry's canonical JSON takes the ledger's fast path."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def requester_json(row: dict[str, Any]) -> str:
    """:meth:`Workflow.requester_view` as JSON text, spliced from the stored JSON columns
    (no parse and re-dump of the decision: the hot read)."""
    d = json.dumps
    return (
        f'{{"id":{d(row["id"])},"kind":{d(row["kind"])},"requester":{d(row["requester"])},'
        f'"state":{d(row["state"])},"submitted_at":{d(row["submitted_at"])},'
        f'"updated_at":{d(row["updated_at"])},"request":{row["body"]},'
        f'"offer":{row.get("offer") or "null"},"answer":{d(row.get("answer"))},'
        f'"answered_at":{d(row.get("answered_at"))},"decision":{row.get("decision") or "null"},'
        f'"explanation":{d(row.get("explanation"))}}}'
    )


class Workflow:
    """The service's state: the scenario, the capacity book and the job broker in memory
    (rebuilt from the database at start), the requests in the database."""

    def __init__(
        self, scenario: Scenario, ledger: Ledger, clock: Clock, *, objective: str = "cost"
    ) -> None:
        self.sc = scenario
        self.ledger = ledger
        self.engine = ledger.store.engine
        self.clock = clock
        self.objective = objective
        self.started_at = clock.now()
        self.owner = {p.id: p.owner for p in scenario.providers}
        self.party_ids = {p.id for p in scenario.parties}
        self._state_lock = threading.Lock()
        self.history_decisions = 0
        self.dialect = ledger.store.dialect
        # reads run one statement each, with no transaction around them (SQLite: no BEGIN)
        self.read_engine = self.engine.execution_options(**{READ_ONLY: True})
        self.reader = sql.Reader(self.engine, self.dialect)
        self._ids: set[str] = set()
        self._next_seq = 0
        self._rebuild()
        self.writer = Writer(ledger, self._rebuild)

    def close(self) -> None:
        self.writer.close()

    # -- in-memory state --------------------------------------------------------------
    def _rebuild(self) -> None:
        """The book and the job broker: the scenario's record before the service started
        (its dated capacity requests, each with the holder's answer on the record), then every
        placement the service has made, in the order it made them."""
        from stargate.sim.procure import place_view

        with self._state_lock:
            sc = self.sc
            start = self.started_at
            book = CapacityBook(sc)
            n = 0
            for req in sorted(sc.capacity_requests, key=lambda r: (r.date, r.id)):
                if req.date < start.date():
                    decide_capacity(sc, req, req.date, book, source="scheduled")
                    n += 1
            self.history_decisions = n
            self.book = book
            # the ten best candidates with their reasons, as `place --detail summary` keeps
            self.broker = Broker(
                place_view(sc, start), recorded_as=sc, objective=self.objective, detail="summary"
            )
            self.provenance = for_scenario(sc)
            t = tables.requests
            with self.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(t.c.effects)
                    .where(t.c.effects.is_not(None))
                    .order_by(t.c.updated_at, t.c.seq)
                ).all()
            for (effects,) in rows:
                self._apply(json.loads(effects))
            with self.engine.connect() as conn:
                self._ids = {str(r[0]) for r in conn.execute(sa.select(t.c.id))}
                top = conn.execute(sa.select(sa.func.max(t.c.seq))).scalar()
            self._next_seq = 0 if top is None else int(top) + 1

    def _apply(self, effects: dict[str, Any]) -> None:
        for r in effects.get("reservations", []):
            self.book.reserve(Reservation.model_validate(r))
        job = effects.get("job")
        if job:
            pos = self.broker.index.pool_pos.get(job["pool"])
            if pos is not None:
                self.broker.free[pos] -= int(job["count"])

    # -- parsing ------------------------------------------------------------------------
    def parse(self, body: Any) -> Request | CapacityRequest:
        if not isinstance(body, dict):
            raise ServiceError(
                422,
                "invalid-request",
                "The request is not valid",
                "the body must be one request: a JSON object (the fields of a request file)",
                None,
            )
        if "requests" in body:
            raise ServiceError(
                422,
                "invalid-request",
                "The request is not valid",
                "submit one request per call, not {requests: [...]}",
                "requests",
            )
        try:
            reqs, _single = parse_requests(body, self.sc, label="request body")
        except InputError as e:
            raise input_problem(e) from None
        return reqs[0]

    # -- submitting -----------------------------------------------------------------------
    def submit(
        self, caller: Caller, body: Any, key: str, in_flight: set[tuple[str, str]]
    ) -> tuple[int, dict[str, Any]]:
        """Submit a request under an Idempotency-Key: the saved response for a retry, 422
        for the key with another body, 409 while the first is in flight."""
        status, text = self.writer_result(self.submit_future(caller, body, key, in_flight))
        data: dict[str, Any] = json.loads(text)
        return status, data

    @staticmethod
    def writer_result(fut: Future[tuple[int, str]] | tuple[int, str]) -> tuple[int, str]:
        return fut if isinstance(fut, tuple) else fut.result(60.0)

    def submit_future(
        self, caller: Caller, body: Any, key: str, in_flight: set[tuple[str, str]]
    ) -> Future[tuple[int, str]] | tuple[int, str]:
        """:meth:`submit`'s work up to the writer: the saved response (a tuple) for a retry,
        else the writer's future of (status, response JSON text); the slot is in
        ``in_flight`` until that future is done."""
        digest = body_sha256(body)
        slot = (caller.party, key)
        try:
            req = self.parse(body)
        except ServiceError:
            # a retry of a saved request is answered with the saved response even if the
            # scenario's names changed since; a new key with a bad body is refused
            saved = self._saved(slot)
            if saved is not None:
                return self._replay_text(saved, digest)
            raise
        # a retry of a request already answered is answered from the saved response by the
        # writer (the same check, inside the transaction): no read here on the hot path
        _check_requester(req, caller)
        with self._state_lock:
            if slot in in_flight:
                raise ServiceError(
                    409,
                    "in-flight",
                    "A request with this Idempotency-Key is in flight",
                    "retry once the first attempt has been answered",
                    "Idempotency-Key",
                )
            in_flight.add(slot)
        try:
            fut = self.writer.submit(lambda conn: self._submit(conn, caller, req, slot, digest))
        except BaseException:
            with self._state_lock:
                in_flight.discard(slot)
            raise

        def done(_f: Future[tuple[int, str]]) -> None:
            with self._state_lock:
                in_flight.discard(slot)

        fut.add_done_callback(done)
        return fut

    def _saved(self, slot: tuple[str, str]) -> tuple[str, int, str] | None:
        with self.read_engine.connect() as conn:
            row = sql.run(conn, self.dialect, "saved", slot).first()
        return None if row is None else (str(row[0]), int(row[1]), str(row[2]))

    @staticmethod
    def _replay_text(saved: tuple[str, int, str], digest: str) -> tuple[int, str]:
        if saved[0] != digest:
            raise ServiceError(
                422,
                "idempotency-key-reused",
                "The Idempotency-Key was used with another body",
                "this key was first used with a different request body; use a new key for a "
                "new request",
                "Idempotency-Key",
            )
        return saved[1], saved[2]

    def _submit(
        self,
        conn: Connection,
        caller: Caller,
        req: Request | CapacityRequest,
        slot: tuple[str, str],
        digest: str,
    ) -> tuple[int, str]:
        saved = sql.run(conn, self.dialect, "saved", slot).first()
        if saved is not None:  # a retry that raced the first attempt's commit
            return self._replay_text((str(saved[0]), int(saved[1]), str(saved[2])), digest)
        if req.id in self._ids:
            raise ServiceError(
                409,
                "request-exists",
                "A request with this id exists",
                f"request '{req.id}' was submitted before (under another Idempotency-Key)",
                "id",
            )
        now = self.clock.now()
        seq = self._next_seq
        body = req.model_dump(mode="json", by_alias=True, exclude_none=True)
        row: dict[str, Any] = {
            "id": req.id,
            "seq": seq,
            "requester": req.requester,
            "kind": "capacity" if isinstance(req, CapacityRequest) else "job",
            "state": "requested",
            "body": _dump(body),
            "submitted_at": format_time(now),
            "updated_at": format_time(now),
            "holder": None,
            "respond_by": None,
            "offer": None,
            "answer": None,
            "answered_at": None,
            "decision": None,
            "explanation": None,
            "placed_with": None,
            "effects": None,
            "version": 0,
        }
        entries = [
            self._entry(row, None, "requested", caller.party, now, {"request": _integral(body)})
        ]
        snap_book = self.book.snapshot()
        snap_free = self.broker.free.copy()
        try:
            if isinstance(req, CapacityRequest):
                probe = _Probe([])
                d = decide_capacity(
                    self.sc,
                    req,
                    now.date(),
                    self.book,
                    source="request",
                    responder=probe,
                    objective=self.objective,
                    provenance=self.provenance,
                )
                if probe.offers:
                    self.book.restore(snap_book)
                    entries.append(self._offer(row, req, probe.offers, d, now))
                else:
                    entries.extend(self._decided(row, "requested", d, now))
            else:
                dj = self.broker.decide(req, now)
                entries.extend(self._decided(row, "requested", dj, now))
            sql.run(conn, self.dialect, "insert_request", [row[c] for c in sql.REQUEST_COLUMNS])
            self.ledger.append_on(conn, entries)
            status, text = 201, requester_json(row)
            sql.run(
                conn,
                self.dialect,
                "insert_saved",
                (slot[0], slot[1], digest, status, text, format_time(now)),
            )
        except BaseException:
            self.book.restore(snap_book)
            self.broker.free = snap_free
            raise
        self._next_seq = seq + 1
        self._ids.add(req.id)
        return status, text

    # -- the entries ------------------------------------------------------------------------
    def _parties(self, row: dict[str, Any], kind: str) -> list[str]:
        """The parties an entry names (and so may read): the requester always; the holder
        for the offer's entries (offer, answer, expiry, release, cancellation); the owners of
        the providers it was placed with for the decision (not the holder: where the lab went
        after the holder declined is not the holder's business)."""
        names = {row["requester"]}
        if kind == "decision":
            for pid in json.loads(row["placed_with"] or "[]"):
                owner = self.owner.get(pid)
                if owner:
                    names.add(owner)
        elif kind != "request" and row.get("holder"):
            names.add(row["holder"])
        return sorted(names)

    def _entry(
        self,
        row: dict[str, Any],
        frm: State | None,
        to: State,
        actor: str,
        now: datetime,
        extra: dict[str, Any] | None = None,
    ) -> EntryIn:
        _who, kind = TRANSITIONS[(frm, to)]
        row["state"] = to
        body: dict[str, Any] = {
            "request_id": row["id"],
            "from": frm,
            "to": to,
            "parties": self._parties(row, kind),
        }
        if extra:
            body.update(extra)
        return EntryIn(kind, actor, now, body, run_id=RUN_ID)

    def _offer(
        self,
        row: dict[str, Any],
        req: CapacityRequest,
        offers: list[Offer],
        d: CapacityDecision,
        now: datetime,
    ) -> EntryIn:
        assert d.rofr is not None
        window = d.rofr.response_window_h
        respond_by = now + timedelta(hours=window)
        term = d.term or req.term_from(now.date())
        parts = [
            {
                "provider": o.provider,
                "site": o.site,
                "accelerator": o.accelerator,
                "accelerators": o.accelerators,
                "price_usd_per_accelerator_hour": str(o.price_usd_per_accelerator_hour),
            }
            for o in d.rofr.offers
        ]
        offer = {
            "clause": d.rofr.clause,
            "holder": d.rofr.holder,
            "can_meet": d.rofr.can_meet,
            "response_window_h": window,
            "workload_classes": list(req.workload_classes),
            "count": sum(o.accelerators for o in offers),
            "types": sorted({o.accelerator or "" for o in offers}),
            "term": {"start": term.start.isoformat(), "end": term.end.isoformat()},
            "deadline": (req.deadline or term.start).isoformat(),
            "offered_at": format_time(now),
            "respond_by": format_time(respond_by),
            "parts": parts,
        }
        row["holder"] = d.rofr.holder
        row["respond_by"] = format_time(respond_by)
        row["offer"] = _dump(offer)
        return self._entry(
            row,
            "requested",
            "offered",
            SERVICE_ACTOR,
            now,
            {
                "holder": d.rofr.holder,
                "clause": d.rofr.clause,
                "respond_by": format_time(respond_by),
                "count": offer["count"],
                "types": offer["types"],
            },
        )

    def _decided(
        self, row: dict[str, Any], frm: State, d: CapacityDecision | Decision, now: datetime
    ) -> list[EntryIn]:
        """The decision's entries: ``frm`` → placed | unplaceable, and its effects recorded
        (the reservations, or the job's pool) so that a restart can rebuild the book."""
        if isinstance(d, CapacityDecision):
            data = d.to_dict()
            placed = d.placed
            with_ = sorted({r.provider for r in d.rows if r.placed and r.provider})
            effects: dict[str, Any] = {
                "reservations": [r.model_dump(mode="json") for r in d.reservations]
            }
            summary: dict[str, Any] = {
                "placed": placed,
                "decided_by": d.decided_by,
                "committed_usd": str(d.cost_usd),
                "rows": [
                    {
                        "provider": r.provider,
                        "site": r.site,
                        "accelerator": r.accelerator,
                        "accelerators": r.accelerators,
                        "rofr": r.rofr,
                        "placed": r.placed,
                    }
                    for r in d.rows
                ],
            }
        else:
            data = d.to_dict()
            placed = d.placed
            with_ = [d.provider] if d.placed and d.provider else []
            effects = (
                {"job": {"pool": d.pool, "count": d.count or 0}}
                if d.placed and d.pool is not None
                else {}
            )
            summary = {
                "placed": placed,
                "decided_by": d.decided_by,
                "cost_usd": _money(d.cost_usd),
                "provider": d.provider,
                "pool": d.pool,
                "accelerators": d.count,
            }
        row["decision"] = _dump(data)
        row["explanation"] = data.get("explanation")
        row["placed_with"] = _dump(with_)
        row["effects"] = _dump(effects)
        to: State = "placed" if placed else "unplaceable"
        return [self._entry(row, frm, to, SERVICE_ACTOR, now, summary)]

    # -- answering, expiring, cancelling ---------------------------------------------------
    def _load(self, conn: Connection, request_id: str) -> dict[str, Any] | None:
        t = tables.requests
        r = conn.execute(sa.select(*t.c).where(t.c.id == request_id)).first()
        return None if r is None else dict(r._mapping)

    def _save(self, conn: Connection, row: dict[str, Any], version: int) -> None:
        t = tables.requests
        values = {k: v for k, v in row.items() if k not in ("id", "seq", "version")}
        n = conn.execute(
            t.update()
            .where(t.c.id == row["id"], t.c.version == version)
            .values(**values, version=version + 1)
        ).rowcount
        if n != 1:  # another writer changed it first (a second server on the same database)
            raise ServiceError(
                409, "conflict", "The request changed meanwhile", "retry the call", None
            )

    def answer(
        self, caller: Caller, request_id: str, answer: Literal["accept", "decline"]
    ) -> tuple[int, dict[str, Any]]:
        return self.writer.call(lambda conn: self._answer(conn, caller, request_id, answer))

    def _answer(
        self,
        conn: Connection,
        caller: Caller,
        request_id: str,
        answer: Literal["accept", "decline"],
    ) -> tuple[int, dict[str, Any]]:
        row = self._load(conn, request_id)
        if row is None or row["holder"] != caller.party:
            raise _not_found(request_id, "offer")
        now = self.clock.now()
        if row["state"] == "offered" and parse_time(row["respond_by"]) <= now:
            self._close_offer(conn, row, "none", now)
            return 409, _expired(row).problem()
        if row["state"] != "offered":
            raise _not_open(row)
        self._close_offer(conn, row, answer, now, caller.party)
        return 200, self.holder_view(row)

    def _close_offer(
        self,
        conn: Connection,
        row: dict[str, Any],
        answer: Literal["accept", "decline", "none"],
        now: datetime,
        actor: str = SERVICE_ACTOR,
    ) -> None:
        """The offer's end: the answer (or the expiry) and the decision, in one transaction."""
        version = int(row["version"])
        req = self._request_of(row)
        assert isinstance(req, CapacityRequest)
        submitted = parse_time(row["submitted_at"])
        after_h = (now - submitted).total_seconds() / 3600.0
        entries: list[EntryIn] = []
        if answer == "none":
            entries.append(
                self._entry(
                    row, "offered", "expired", SERVICE_ACTOR, now, {"respond_by": row["respond_by"]}
                )
            )
            entries.append(self._entry(row, "expired", "released", SERVICE_ACTOR, now))
            frm: State = "released"
        elif answer == "accept":
            entries.append(self._entry(row, "offered", "accepted", actor, now, {"answer": answer}))
            frm = "accepted"
        else:
            entries.append(self._entry(row, "offered", "declined", actor, now, {"answer": answer}))
            entries.append(self._entry(row, "declined", "released", SERVICE_ACTOR, now))
            frm = "released"
        row["answer"] = answer
        row["answered_at"] = format_time(now)
        snap = self.book.snapshot()
        try:
            d = decide_capacity(
                self.sc,
                req,
                submitted.date(),
                self.book,
                source="request",
                responder=_Given(answer, max(0.0, after_h)),
                objective=self.objective,
                provenance=self.provenance,
            )
            entries.extend(self._decided(row, frm, d, now))
            row["updated_at"] = format_time(now)
            self._save(conn, row, version)
            self.ledger.append_on(conn, entries)
        except BaseException:
            self.book.restore(snap)
            raise

    def _request_of(self, row: dict[str, Any]) -> Request | CapacityRequest:
        reqs, _ = parse_requests(json.loads(row["body"]), self.sc, label="stored request")
        return reqs[0]

    def expire_due(self, request_id: str | None = None) -> int:
        """Expire every offer whose ``respond_by`` has passed on the clock (or only that
        request's); how many were expired. Each is recorded once: the state is read and
        changed inside the writer's transaction."""
        now = self.clock.now()
        t = tables.requests
        q = sa.select(t.c.id).where(t.c.state == "offered", t.c.respond_by <= format_time(now))
        if request_id is not None:
            q = q.where(t.c.id == request_id)
        with self.engine.connect() as conn:
            due = [str(r[0]) for r in conn.execute(q)]
        if not due:
            return 0
        return self.writer.call(lambda conn: self._expire(conn, due))

    def _expire(self, conn: Connection, ids: Sequence[str]) -> int:
        now = self.clock.now()
        n = 0
        for rid in ids:
            row = self._load(conn, rid)
            if row is None or row["state"] != "offered":
                continue
            if parse_time(row["respond_by"]) > now:
                continue
            self._close_offer(conn, row, "none", now)
            n += 1
        return n

    def cancel(self, caller: Caller, request_id: str) -> tuple[int, dict[str, Any]]:
        return self.writer.call(lambda conn: self._cancel(conn, caller, request_id))

    def _cancel(
        self, conn: Connection, caller: Caller, request_id: str
    ) -> tuple[int, dict[str, Any]]:
        row = self._load(conn, request_id)
        if row is None or row["requester"] != caller.party:
            raise _not_found(request_id, "request")
        now = self.clock.now()
        if row["state"] == "offered" and parse_time(row["respond_by"]) <= now:
            self._close_offer(conn, row, "none", now)
        if row["state"] not in ("requested", "offered"):
            raise ServiceError(
                409,
                "not-cancellable",
                "The request can no longer be cancelled",
                f"request '{request_id}' is {row['state']}: a request can be cancelled until "
                "it is placed",
                None,
                {"state": row["state"]},
            )
        version = int(row["version"])
        entry = self._entry(row, row["state"], "cancelled", caller.party, now)
        row["updated_at"] = format_time(now)
        self._save(conn, row, version)
        self.ledger.append_on(conn, [entry])
        return 200, self.requester_view(row)

    # -- what if -----------------------------------------------------------------------
    def whatif(self, caller: Caller, body: Any, without: list[str]) -> dict[str, Any]:
        """The same request decided with and without clauses or agreements, on the book as
        it is now; nothing is kept."""
        req = self.parse(body)
        _check_requester(req, caller)
        from stargate.contracts.state import resolve_without

        try:
            resolve_without(self.sc, without)
        except InputError as e:
            err = input_problem(e)
            err.field = "without"
            raise err from None
        return self.writer.call(lambda _conn: self._whatif(req, without))

    def _whatif(self, req: Request | CapacityRequest, without: list[str]) -> dict[str, Any]:
        now = self.clock.now()
        out: dict[str, Any] = {"request_id": req.id, "at": format_time(now), "without": without}
        for label, off in (("with", []), ("without", without)):
            snap = self.book.snapshot()
            free = self.broker.free.copy()
            try:
                if isinstance(req, CapacityRequest):
                    d: CapacityDecision | Decision = decide_capacity(
                        self.sc,
                        req,
                        now.date(),
                        self.book,
                        without=off,
                        objective=self.objective,
                        provenance=self.provenance,
                    )
                else:
                    from stargate.sim.procure import place_view

                    b = Broker(
                        place_view(self.sc, now, off),
                        recorded_as=self.sc,
                        without=off,
                        objective=self.objective,
                    )
                    b.free = self.broker.free.copy() if not off else b.free
                    d = b.decide(req, now)
                out[label] = d.to_dict()
            finally:
                self.book.restore(snap)
                self.broker.free = free
        a, b_ = out["with"], out["without"]
        cost_key = "committed_usd" if "committed_usd" in a else "cost_usd"
        ca = Decimal(a.get(cost_key) or 0)
        cb = Decimal(b_.get(cost_key) or 0)
        out["difference"] = {
            "cost_usd": str(cb - ca),
            "placed": [a["placed"], b_["placed"]],
            "decided_by": [a["decided_by"], b_["decided_by"]],
        }
        return out

    # -- reading ------------------------------------------------------------------------
    def get(self, request_id: str) -> dict[str, Any] | None:
        """A request's row (an offer past ``respond_by`` is expired first)."""
        r = self.reader.one("request", (request_id,))
        if r is None:
            return None
        row = dict(zip(sql.REQUEST_COLUMNS, r, strict=True))
        if row["state"] == "offered" and parse_time(row["respond_by"]) <= self.clock.now():
            self.expire_due(request_id)
            return self.get(request_id)
        return row

    def rows(
        self,
        *,
        holder: str | None = None,
        requester: str | None = None,
        state: str | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        t = tables.requests
        q = sa.select(*t.c).order_by(t.c.seq.desc()).limit(limit)
        if holder is not None:
            q = q.where(t.c.holder == holder)
        if requester is not None:
            q = q.where(t.c.requester == requester)
        if state is not None:
            q = q.where(t.c.state == state)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def concerns(self, row: dict[str, Any], caller: Caller) -> str | None:
        """How a request concerns the caller: ``requester`` (everything), ``holder`` (what it
        needs to answer the offer), ``provider`` (the placement), or None (not at all)."""
        if caller.party == row["requester"] and caller.role == "lab":
            return "requester"
        if row["holder"] == caller.party and caller.role == "holder":
            return "holder"
        if caller.role in ("provider", "holder"):
            for pid in json.loads(row["placed_with"] or "[]"):
                if self.owner.get(pid) == caller.party:
                    return "provider"
        return None

    def view(self, row: dict[str, Any], how: str) -> dict[str, Any]:
        if how == "requester":
            return self.requester_view(row)
        if how == "holder":
            return self.holder_view(row)
        return self.provider_view(row, self._provider_party(row))

    def _provider_party(self, row: dict[str, Any]) -> str:
        for pid in json.loads(row["placed_with"] or "[]"):
            return self.owner.get(pid) or ""
        return ""

    @staticmethod
    def requester_view(row: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(requester_json(row))
        return data

    @staticmethod
    def holder_view(row: dict[str, Any]) -> dict[str, Any]:
        offer = json.loads(row["offer"]) if row.get("offer") else {}
        return {
            "id": row["id"],
            "kind": row["kind"],
            "requester": row["requester"],
            "state": row["state"],
            "holder": row["holder"],
            "clause": offer.get("clause"),
            "workload_classes": offer.get("workload_classes"),
            "count": offer.get("count"),
            "types": offer.get("types"),
            "term": offer.get("term"),
            "deadline": offer.get("deadline"),
            "offered_at": offer.get("offered_at"),
            "respond_by": row["respond_by"],
            "parts": offer.get("parts"),
            "answer": row.get("answer"),
            "answered_at": row.get("answered_at"),
        }

    def provider_view(self, row: dict[str, Any], party: str) -> dict[str, Any]:
        decision = json.loads(row["decision"]) if row.get("decision") else {}
        if row["kind"] == "capacity":
            placement = [
                {
                    k: r.get(k)
                    for k in (
                        "provider",
                        "site",
                        "accelerator",
                        "accelerators",
                        "term_start",
                        "term_end",
                        "price_usd_per_accelerator_hour",
                    )
                }
                for r in decision.get("rows", [])
                if r.get("placed") and self.owner.get(r.get("provider") or "") == party
            ]
        else:
            placement = [
                {
                    k: decision.get(k)
                    for k in (
                        "provider",
                        "site",
                        "pool",
                        "accelerator",
                        "count",
                        "start",
                        "finish",
                        "cost_usd",
                    )
                }
            ]
        return {
            "id": row["id"],
            "kind": row["kind"],
            "requester": row["requester"],
            "state": row["state"],
            "placement": placement,
        }

    # -- the fleet ------------------------------------------------------------------------
    def fleet(self, caller: Caller) -> dict[str, Any]:
        """Capacity and commitments now, by provider, site and accelerator: what the lab
        holds (reservations in force today) and its pools. A provider or holder sees the rows
        of its own providers; the lab, an observer and the admin see all."""
        day = self.clock.now().date()
        with self._state_lock:
            held = [r for r in self.book.reservations if r.term.contains(day)]
        rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        for r in held:
            site = r.site or ""
            key = (r.holder, r.provider, site, r.accelerator)
            item = rows.setdefault(
                key,
                {
                    "holder": r.holder,
                    "provider": r.provider,
                    "site": site,
                    "accelerator": r.accelerator,
                    "accelerators": 0,
                    "committed_usd_per_hour": Decimal(0),
                },
            )
            item["accelerators"] += r.accelerators
            price = r.price_usd_per_accelerator_hour
            if price is not None:
                item["committed_usd_per_hour"] += price * r.accelerators
        mine = caller.role in ("provider", "holder")
        out = []
        order = sorted(rows.values(), key=lambda x: (x["provider"], x["site"], x["accelerator"]))
        for item in order:
            if mine and self.owner.get(item["provider"]) != caller.party:
                continue
            out.append({**item, "committed_usd_per_hour": str(item["committed_usd_per_hour"])})
        by_provider: dict[str, int] = {}
        for item in out:
            pid = item["provider"]
            by_provider[pid] = by_provider.get(pid, 0) + item["accelerators"]
        return {
            "at": format_time(self.clock.now()),
            "scenario": self.sc.id,
            "reservations": out,
            "accelerators_by_provider": by_provider,
        }

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._state_lock:
            yield


def _check_requester(req: Request | CapacityRequest, caller: Caller) -> None:
    """A request (or a what-if) is made by its requester only."""
    if req.requester != caller.party:
        raise ServiceError(
            403,
            "not-your-request",
            "A request must be made by its requester",
            f"the request names requester '{req.requester}', but the token is {caller.party}'s",
            "requester",
        )


def _not_found(request_id: str, what: str) -> ServiceError:
    return ServiceError(
        404,
        "not-found",
        f"No such {what}",
        f"no {what} '{request_id}' concerns you",
        None,
    )


def _expired(row: dict[str, Any]) -> ServiceError:
    return ServiceError(
        409,
        "expired",
        "The offer has expired",
        f"the offer of request '{row['id']}' had to be answered by {row['respond_by']}",
        None,
        {"state": row["state"], "respond_by": row["respond_by"]},
    )


def _not_open(row: dict[str, Any]) -> ServiceError:
    if row.get("answer") == "none":
        return _expired(row)
    return ServiceError(
        409,
        "already-answered" if row.get("answer") else "not-open",
        "The offer is no longer open",
        f"the offer of request '{row['id']}' is {row['state']}"
        + (f" (answered {row['answer']})" if row.get("answer") else ""),
        None,
        {"state": row["state"]},
    )


def day_of(moment: datetime) -> date:
    return moment.date()
