"""How one capacity request is placed (docs/concepts.md#the-rofr-on-capacity), step by step.

1. **The term** is the request's ``term`` (or ``term_years`` from the decision day); capacity
   cannot be reserved for days already past, so a term that started before the decision day
   starts on it.
2. **Candidates** are every (provider, site, type) with capacity in the book — capacity model
   rows, or pools that are not ``planned`` — priced by :func:`~stargate.broker.capacity.
   capacity_price` (tier ``reserved``, contract prices for the requester). A candidate is out
   when its type is not among the request's ``accelerators.types`` or cannot run every class
   the request serves, when it has no price, when it is above the request's own price caps
   (per accelerator-hour, or per reference-accelerator-hour of work: price ÷ the type's
   throughput for the request's first class), when it is not among the request's
   ``providers`` / ``sites`` (these say where the requester means to go *if the ROFR releases
   it*: they do not bind the holder, unless the clause lists the ``site`` requirement: then
   the holder can meet a request that names sites only at those sites), or when exclusivity
   sends it elsewhere.
3. **Exclusivity** (hard): a class exclusive to a provider can be placed only there, so the
   whole request goes only to the providers every exclusive class allows. A request whose
   classes are exclusive to different providers cannot be placed anywhere: it is refused
   (one row, not placed) — request those classes separately.
4. **The right of first refusal**, when a clause in force on the decision day (and not
   switched off) has the requester as beneficiary and one of the request's classes in scope.
   Each of the holder's candidates is judged on the requirements: ``accelerator_type`` (a type
   the request takes), ``capacity`` (its capacity model offers some for the term:
   :meth:`CapacityBook.offerable`), ``deadline`` (online by the request's deadline, which
   defaults to the term's start), ``price`` (the request's caps, and the clause's caps per
   accelerator-hour and per reference-accelerator-hour). Capacity, type, deadline and the
   request's caps bound what the holder can be offered whatever the clause lists (it cannot
   sell what it does not have, and the lab will not take what it did not ask for); the
   clause's cap releases only where ``price`` is among its requirements (otherwise the holder
   is offered capacity above the cap and its responder decides).

   * The holder can meet none of it: one part, released at once, ``released_unmet``, its
     ``reason`` naming the requirements the holder's closest candidate failed.
   * It can meet all or part: the part it can meet is **offered**, cheapest per unit of work
     first; the rest is released at once as its own part (``released_unmet``, capacity). The
     holder's responder answers each offered part: accept within the response window →
     reserved with the holder (``accepted``, decided by the clause); decline → released from
     the answer on (``declined``); no answer, or an answer after the window → released when
     the window closes (``expired``).
5. **The objective** places each released part (and a request out of any ROFR's scope,
   ``not_in_scope``) among the other providers: ``cost`` — cheapest per unit of work (price ÷
   throughput for the request's first class); ``time`` — the fastest type first, then cost;
   ``mix:W`` — W × unit cost / best unit cost + (1 − W) × (1 / throughput) / (1 / best
   throughput). Ties go by price, then provider, site and type ids. A part released later
   starts its term on its release day. A part no provider can take is a row with ``placed``
   False (the simulator counts it as unmet demand).

Capacity is consumed in order: every part reserved is taken from the book before the next.

One module over 600 lines because it is one decision: every step reads and writes the same
per-decision candidates (their static facts, what the book still offers them, what they were
given) and the same decision record; the book and the records are in
:mod:`stargate.broker.capacity`, the paragraph in :mod:`stargate.broker.explain`.
Amounts are in the request's measure: physical accelerators (``unit: accelerators``, any mix
of the allowed types), reference accelerators (``unit: reference``: each type weighted by its
throughput for the scenario's reference class) or facility power (``power_mw``: each
accelerator's IT load × the site's PUE; whole accelerators within the power).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from stargate.broker.capacity import (
    CapacityBook,
    CapacityCandidate,
    CapacityDecision,
    CapacityOffer,
    CapacityRofr,
    ProcurementRow,
    RequestSource,
    RofrVerdict,
    Source,
    term_hours,
)
from stargate.broker.money import price_usd
from stargate.broker.objective import Objective, parse_objective
from stargate.broker.responders import CapacityLimited, Offer, OnRecord, Responder
from stargate.contracts.state import resolve_without
from stargate.domain.costs import facility_load_mw, hourly_cost
from stargate.domain.model import (
    CapacityRequest,
    Exclusivity,
    Requirement,
    Reservation,
    RightOfFirstRefusal,
    Scenario,
    Term,
)
from stargate.domain.provenance import Provenance

Measure = Literal["accelerators", "reference", "power"]
_EPS = 1e-9


@dataclass(slots=True)
class _Cand:
    """A candidate during one decision: static facts and what it was given."""

    provider: str
    site: str
    accelerator: str
    holder: bool
    price: Decimal | None
    basis: str | None
    thr: float  # throughput for the request's work (its first class); 0: cannot serve it
    ref_thr: float  # throughput for the scenario's reference class
    load_mw: float  # facility power of one accelerator at the site
    unit: Decimal | None  # price per reference-accelerator-hour of the request's work
    # static: why it can never take a part (shared with the cached template: never mutated)
    reasons: list[str] = field(default_factory=list)
    taken: int = 0
    offerable: int = 0  # on the decision day, for the term
    late: bool = False  # has capacity for the term, but not online by the deadline

    @property
    def ids(self) -> tuple[str, str, str]:
        return self.provider, self.site, self.accelerator


@dataclass(slots=True)
class _Part:
    """A part of the request on its way to the objective: how much (in the request's
    measure), from which day, and with which ROFR verdict."""

    amount: float
    day: date
    verdict: RofrVerdict
    reason: str


class Procurement:
    """One capacity request placed on one day (the steps of this module's docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        request: CapacityRequest,
        at: date,
        book: CapacityBook,
        *,
        without: Iterable[str] = (),
        voided: Iterable[str] = (),
        source: RequestSource = "request",
        responder: Responder | None = None,
        objective: str | Objective = "cost",
        provenance: Provenance | None = None,
    ) -> None:
        resolved = resolve_without(scenario, without)
        self.sc = resolved.scenario
        self.req = request
        self.at = at
        self.book = book
        self.without = resolved.clause_ids
        off_names = sorted(set(resolved.names) | set(voided))
        self.source: RequestSource = source
        recorded = getattr(request, "holder_answer", None)
        self.responder: Responder = (
            responder
            if responder is not None
            else OnRecord(recorded.answer, recorded.after_h or 0.0)
            if recorded is not None
            else CapacityLimited()
        )
        self.objective = (
            objective if isinstance(objective, Objective) else parse_objective(objective)
        )
        self.tag = f"objective:{self.objective.label}"
        self.provenance = provenance
        term = request.term_from(at)
        self.term = Term(start=max(term.start, at), end=term.end) if term.end >= at else term
        self.work_class = request.workload_classes[0]
        self.ref_class = scenario.reference_class_id()
        self.measure: Measure
        if request.power_mw is not None:
            self.measure, self.need = "power", float(request.power_mw)
        else:
            assert request.accelerators is not None
            unit = request.accelerators.unit
            self.measure = "reference" if unit == "reference" else "accelerators"
            self.need = float(request.accelerators.count)
        self.decision = CapacityDecision(
            request,
            at,
            source=source,
            term=self.term,
            objective=self.objective.label,
            without=off_names,
            reference_class=self.ref_class,
            provenance=provenance,
        )

    # -- the clauses -----------------------------------------------------------------------
    def _clauses(self) -> tuple[list[Exclusivity], RightOfFirstRefusal | None]:
        classes = set(self.req.workload_classes)
        excl: list[Exclusivity] = []
        rofr: RightOfFirstRefusal | None = None
        for _, clause in self.sc.clauses():
            if clause.id in self.without:
                continue
            v = clause.version_at(self.at)
            if isinstance(v, Exclusivity):
                if v.party == self.req.requester and classes & set(v.workload_classes):
                    excl.append(v)
            elif (
                isinstance(v, RightOfFirstRefusal)
                and rofr is None
                and v.beneficiary == self.req.requester
                and classes & set(v.workload_classes)
            ):
                rofr = v
        return excl, rofr

    def _exclusive_to(self, excl: list[Exclusivity]) -> set[str] | None:
        """The providers every exclusive class allows (None: no class is exclusive)."""
        allowed: set[str] | None = None
        for cls in self.req.workload_classes:
            for e in excl:
                if cls in e.workload_classes:
                    allowed = {e.provider} if allowed is None else allowed & {e.provider}
        return allowed

    # -- candidates ------------------------------------------------------------------------
    def _measure_of(self, c: _Cand) -> float:
        if self.measure == "accelerators":
            return 1.0
        if self.measure == "reference":
            return c.ref_thr
        return c.load_mw

    def _candidates(
        self, holders: set[str], allowed: set[str] | None, in_scope: bool
    ) -> list[_Cand]:
        """The candidates of this request: built from templates cached in the book for
        requests of the same shape (the simulator's top-ups share one)."""
        book, req = self.book, self.req
        sources = book.sources()
        offers = tuple(
            book.offer_price(src.provider, src.site, src.accelerator, self.term.start)
            for src in sources
        )
        types = None if req.accelerators is None else req.accelerators.types
        shape = (
            "shape",
            req.requester,
            tuple(req.workload_classes),
            None if types is None or types == "any" else tuple(types),
            self.measure,
            tuple(req.providers),
            tuple(req.sites),
            req.price_cap_usd_per_accelerator_hour,
            req.price_cap_usd_per_reference_hour,
            frozenset(holders),
            None if allowed is None else frozenset(allowed),
            in_scope,
            offers,
        )
        templates: list[_Cand] | None = book.cache.get(shape)
        if templates is None:
            templates = [
                self._template(src, offer, holders, allowed, in_scope)
                for src, offer in zip(sources, offers, strict=True)
            ]
            if len(book.cache) > 10_000:
                book.cache.clear()
            book.cache[shape] = templates
        return [
            _Cand(
                t.provider,
                t.site,
                t.accelerator,
                t.holder,
                t.price,
                t.basis,
                t.thr,
                t.ref_thr,
                t.load_mw,
                t.unit,
                t.reasons,
            )
            for t in templates
        ]

    def _template(
        self,
        src: Source,
        offer: Decimal | None,
        holders: set[str],
        allowed: set[str] | None,
        in_scope: bool,
    ) -> _Cand:
        sc, req, book = self.sc, self.req, self.book
        types = None if req.accelerators is None else req.accelerators.types
        provider = book.provider(src.provider)
        acc = book.accelerators_by_id[src.accelerator]
        site = book.sites_by_id[src.site]
        hc = hourly_cost(
            sc, provider, site, acc, "reserved", requester=req.requester, offer_price=offer
        )
        load = float(facility_load_mw(sc, site, acc))
        ref_thr = acc.throughput_for(self.ref_class)
        can_run = all(acc.throughput_for(c) > 0 for c in req.workload_classes)
        thr = acc.throughput_for(self.work_class) if can_run else 0.0
        price = None if hc is None else hc.total_usd
        unit = None if price is None or thr <= 0 else price / Decimal(str(thr))
        c = _Cand(
            src.provider,
            src.site,
            src.accelerator,
            src.provider in holders,
            price,
            None if hc is None else hc.basis,
            thr,
            ref_thr,
            load,
            unit,
        )
        if types not in (None, "any") and src.accelerator not in types:
            c.reasons.append(
                f"accelerator_type: {src.accelerator} is not among the requested types "
                f"{', '.join(types or [])}"
            )
        elif thr <= 0:
            cannot = next(k for k in req.workload_classes if acc.throughput_for(k) <= 0)
            c.reasons.append(
                f"accelerator_type: {src.accelerator} cannot run {cannot} (throughput 0)"
            )
        elif self.measure == "reference" and ref_thr <= 0:
            c.reasons.append(
                f"accelerator_type: {src.accelerator} has no throughput for the reference "
                f"class {self.ref_class}, in which the request counts"
            )
        free_choice = not (in_scope and c.holder)
        if free_choice and req.providers and src.provider not in req.providers:
            c.reasons.append(f"provider: {src.provider} is not among the request's providers")
        if free_choice and req.sites and src.site not in req.sites:
            c.reasons.append(f"site: {src.site} is not among the request's sites")
        if allowed is not None and src.provider not in allowed:
            c.reasons.append(
                f"exclusivity: the request's classes are exclusive to {', '.join(sorted(allowed))}"
            )
        if price is None:
            c.reasons.append(f"no_price: {src.provider} has no price for {src.accelerator}")
        else:
            over = self._over_caps(
                price,
                unit,
                req.price_cap_usd_per_accelerator_hour,
                req.price_cap_usd_per_reference_hour,
            )
            if over:
                c.reasons.append(f"price_cap: {over}, above the request's cap")
        return c

    @staticmethod
    def _over_caps(
        price: Decimal, unit: Decimal | None, cap: Decimal | None, ref_cap: Decimal | None
    ) -> str:
        """How a price is above a cap (empty when within every cap)."""
        if cap is not None and price > cap:
            return f"${price:,.2f}/accelerator-hour > ${cap:,.2f}"
        if ref_cap is not None and (unit is None or unit > ref_cap):
            shown = "no throughput" if unit is None else f"${unit:,.2f}"
            return f"{shown} per reference-accelerator-hour of work > ${ref_cap:,.2f}"
        return ""

    def _offerable(self, c: _Cand, term: Term) -> tuple[int, bool]:
        """What a candidate can offer for a term online by the deadline, and whether it has
        capacity for the term that comes only after the deadline."""
        deadline = self.req.deadline
        by = deadline if deadline is not None and deadline < term.start else None
        n = self.book.offerable(c.provider, c.accelerator, term, site=c.site, online_by=by)
        late = False
        if n == 0 and by is not None:
            late = self.book.offerable(c.provider, c.accelerator, term, site=c.site) > 0
        return n, late

    def _ranked(self, cands: list[_Cand]) -> list[_Cand]:
        """Candidates best first under the objective (ties: price, provider, site, type)."""
        if not cands:
            return []
        kind = self.objective.kind

        def unit(c: _Cand) -> Decimal:
            return c.unit if c.unit is not None else Decimal("Infinity")

        if kind == "time":
            return sorted(cands, key=lambda c: (-c.thr, unit(c), c.ids))
        if kind == "mix":
            w = self.objective.weight
            best_unit = min(float(unit(c)) for c in cands) or 1e-9
            best_thr = max(c.thr for c in cands) or 1.0

            def score(c: _Cand) -> float:
                return w * float(unit(c)) / best_unit + (1.0 - w) * best_thr / max(c.thr, 1e-9)

            return sorted(cands, key=lambda c: (score(c), unit(c), c.ids))
        return sorted(cands, key=lambda c: (unit(c), c.ids))

    def _take(self, c: _Cand, left: float, available: int) -> int:
        m = self._measure_of(c)
        if m <= 0 or available <= 0 or left <= _EPS:
            return 0
        n = math.floor(left / m + _EPS) if self.measure == "power" else math.ceil(left / m - _EPS)
        return max(0, min(n, available))

    # -- rows ------------------------------------------------------------------------------
    def _reserve(
        self,
        c: _Cand,
        n: int,
        term: Term,
        day: date,
        verdict: RofrVerdict,
        decided_by: str,
        reason: str,
    ) -> None:
        d = self.decision
        assert c.price is not None
        price = price_usd(c.price)
        res = Reservation(
            id=f"{self.req.id}-{len(d.reservations) + 1}",
            holder=self.req.requester,
            provider=c.provider,
            site=c.site,
            accelerator=c.accelerator,
            accelerators=n,
            term=term,
            price_usd_per_accelerator_hour=price,
            workload_classes=list(self.req.workload_classes),
            source=f"capacity request '{self.req.id}' placed on {day.isoformat()}",
        )
        self.book.reserve(res)
        c.taken += n
        d.reservations.append(res)
        d.rows.append(
            ProcurementRow(
                self.req.id,
                day,
                c.provider,
                c.site,
                c.accelerator,
                n,
                n * c.ref_thr,
                n * c.load_mw,
                term.start,
                term.end,
                price,
                verdict,
                decided_by,
                self.source,
                True,
                reason,
            )
        )

    def _unplaced(
        self,
        amount: float,
        term: Term,
        day: date,
        verdict: RofrVerdict,
        decided_by: str,
        reason: str,
        nominal: _Cand | None,
    ) -> None:
        """A row for a part nobody could take, its amount in every measure (through the
        best candidate's type, when there is one)."""
        accs = 0
        ref = power = 0.0
        if self.measure == "accelerators":
            accs = math.ceil(amount - _EPS)
            if nominal is not None:
                ref, power = accs * nominal.ref_thr, accs * nominal.load_mw
        elif self.measure == "reference":
            ref = amount
            if nominal is not None and nominal.ref_thr > 0:
                accs = math.ceil(amount / nominal.ref_thr - _EPS)
                power = accs * nominal.load_mw
        else:
            power = amount
            if nominal is not None and nominal.load_mw > 0:
                accs = math.floor(amount / nominal.load_mw + _EPS)
                ref = accs * nominal.ref_thr
        types = None if self.req.accelerators is None else self.req.accelerators.types
        single = types[0] if isinstance(types, list) and len(types) == 1 else None
        self.decision.rows.append(
            ProcurementRow(
                self.req.id,
                day,
                None,
                None,
                single or (nominal.accelerator if nominal is not None else None),
                accs,
                ref,
                power,
                term.start,
                term.end,
                None,
                verdict,
                decided_by,
                self.source,
                False,
                reason,
            )
        )

    # -- the steps -------------------------------------------------------------------------
    def run(self) -> CapacityDecision:
        d = self.decision
        excl, rofr = self._clauses()
        allowed = self._exclusive_to(excl)
        if excl:
            d.exclusivity = [e.id for e in excl]
            d.exclusive_to = None if allowed is None else sorted(allowed)
        holders: set[str] = set()
        if rofr is not None:
            holders = set(rofr.holder_providers) or {
                p.id for p in self.sc.providers if p.owner == rofr.holder
            }
        in_scope = rofr is not None
        cands = self._candidates(holders, allowed, in_scope)
        for c in cands:
            c.offerable, c.late = self._offerable(c, self.term)
        free_tag = excl[0].id if excl else self.tag
        stuck_tag = excl[0].id if excl else "infeasible"
        verdict0: RofrVerdict = "released_unmet" if in_scope else "not_in_scope"
        if self.term.end < self.at:
            self._unplaced(
                self.need,
                self.term,
                self.at,
                verdict0,
                "infeasible",
                f"the term ended on {self.term.end.isoformat()}, before the decision day",
                None,
            )
        elif allowed is not None and not allowed:
            bound = "; ".join(
                f"{', '.join(e.workload_classes)} exclusive to {e.provider} ({e.id})" for e in excl
            )
            self._unplaced(
                self.need,
                self.term,
                self.at,
                verdict0,
                stuck_tag,
                f"exclusivity: the request's classes straddle exclusivity ({bound}); no "
                "provider may host them all: request them separately",
                None,
            )
        elif rofr is None:
            self._objective(
                cands, _Part(self.need, self.at, "not_in_scope", ""), free_tag, stuck_tag
            )
        else:
            self._rofr(rofr, holders, cands, free_tag, stuck_tag)
        d.candidates_from = lambda: self._explained(cands, in_scope)
        from stargate.broker.explain import explain_capacity

        d.explanation = explain_capacity(d, self.measure)
        return d

    def _rofr(
        self,
        rofr: RightOfFirstRefusal,
        holders: set[str],
        cands: list[_Cand],
        free_tag: str,
        stuck_tag: str,
    ) -> None:
        d = self.decision
        mine = [c for c in cands if c.holder]
        fails: dict[int, list[str]] = {}
        qualified: list[_Cand] = []
        listed = {str(r) for r in rofr.requirements}
        for k, c in enumerate(mine):
            failed = self._holder_fails(c, rofr, listed)
            fails[k] = failed
            if not failed:
                qualified.append(c)
        info = CapacityRofr(rofr.id, rofr.holder, sorted(holders), rofr.response_window_h, "none")
        d.rofr = info
        left = self.need
        offered: list[tuple[_Cand, int]] = []
        for c in self._ranked(qualified):
            n = self._take(c, left, c.offerable)
            if n:
                offered.append((c, n))
                left -= n * self._measure_of(c)
        if not offered:
            info.unmet_requirements = self._closest(mine, fails)
            why = ", ".join(info.unmet_requirements)
            self._objective(
                cands,
                _Part(
                    self.need,
                    self.at,
                    "released_unmet",
                    f"released at once: {rofr.holder} cannot meet it ({why})",
                ),
                free_tag,
                stuck_tag,
            )
            return
        done = left <= _EPS or (self.measure == "power" and left < self._min_measure(cands))
        info.can_meet = "all" if done else "part"
        if not done:
            info.unmet_requirements = ["capacity"]
        later: list[_Part] = []
        start = datetime(self.at.year, self.at.month, self.at.day)
        for c, n in offered:
            assert c.price is not None
            term_h = float(term_hours(self.term.start, self.term.end))
            offer = Offer(
                self.req.id,
                rofr.holder,
                rofr.id,
                price_usd(c.price),
                n,
                term_h,
                rofr.response_window_h,
                kind="capacity",
                accelerator=c.accelerator,
                price_usd_per_reference_hour=c.unit,
                price_cap_usd_per_accelerator_hour=rofr.price_cap_usd_per_accelerator_hour,
                price_cap_usd_per_reference_hour=rofr.price_cap_usd_per_reference_hour,
            )
            ans = self.responder.respond(offer)
            expired = ans.answer == "none" or ans.after_h > rofr.response_window_h
            wait_h = rofr.response_window_h if expired else max(0.0, ans.after_h)
            day = (start + timedelta(hours=wait_h)).date()
            info.offers.append(
                CapacityOffer(
                    c.provider,
                    c.site,
                    c.accelerator,
                    n,
                    n * c.ref_thr,
                    n * c.load_mw,
                    price_usd(c.price),
                    c.unit,
                    "none" if expired else ans.answer,
                    None if expired else day,
                    expired,
                )
            )
            if not expired and ans.answer == "accept":
                self._reserve(
                    c,
                    n,
                    self.term,
                    day,
                    "accepted",
                    rofr.id,
                    f"offered to {rofr.holder} under {rofr.id}, accepted",
                )
            elif expired:
                later.append(
                    _Part(
                        n * self._measure_of(c),
                        day,
                        "expired",
                        f"offered to {rofr.holder}, no answer within "
                        f"{rofr.response_window_h:g} h: released on {day.isoformat()}",
                    )
                )
            else:
                later.append(
                    _Part(
                        n * self._measure_of(c),
                        day,
                        "declined",
                        f"offered to {rofr.holder}, declined: released on {day.isoformat()}",
                    )
                )
        if not done:
            can = self.need - left
            self._objective(
                cands,
                _Part(
                    left,
                    self.at,
                    "released_unmet",
                    f"released at once: {rofr.holder} can meet {self._amount(can)} of "
                    f"{self._amount(self.need)} (capacity)",
                ),
                free_tag,
                stuck_tag,
            )
        for part in sorted(later, key=lambda p: p.day):
            self._objective(cands, part, free_tag, stuck_tag)

    def _holder_fails(self, c: _Cand, rofr: RightOfFirstRefusal, listed: set[str]) -> list[str]:
        """The requirements a holder's candidate fails, in the order they are named:
        exclusivity, capacity, accelerator_type, deadline, price, site (only where the clause
        lists ``site`` and the request names sites)."""
        price_listed = "price" in listed
        codes = {r.partition(":")[0] for r in c.reasons}
        failed: list[str] = []
        if "exclusivity" in codes:
            failed.append("exclusivity")
        if c.offerable <= 0 and not c.late:
            failed.append("capacity")
        if "accelerator_type" in codes:
            failed.append("accelerator_type")
        if c.late:
            failed.append("deadline")
        price_bad = "no_price" in codes or "price_cap" in codes
        if not price_bad and price_listed and c.price is not None:
            price_bad = bool(
                self._over_caps(
                    c.price,
                    c.unit,
                    rofr.price_cap_usd_per_accelerator_hour,
                    rofr.price_cap_usd_per_reference_hour,
                )
            )
        if price_bad:
            failed.append("price")
        if "site" in listed and self.req.sites and c.site not in self.req.sites:
            failed.append("site")
        return failed

    @staticmethod
    def _closest(mine: list[_Cand], fails: dict[int, list[str]]) -> list[str]:
        """The requirements failed by the holder's closest candidate (fewest failures, a type
        the request takes first); ``capacity`` when the holder has no capacity at all."""
        if not mine:
            return [str(Requirement.capacity)]
        order = sorted(
            range(len(mine)),
            key=lambda k: ("accelerator_type" in fails[k], len(fails[k]), k),
        )
        return fails[order[0]]

    def _min_measure(self, cands: list[_Cand]) -> float:
        ms = [self._measure_of(c) for c in cands if not c.reasons and self._measure_of(c) > 0]
        return min(ms) if ms else 0.0

    def _amount(self, amount: float) -> str:
        if self.measure == "power":
            return f"{amount:,.1f} MW"
        unit = "reference accelerators" if self.measure == "reference" else "accelerators"
        return f"{amount:,.0f} {unit}"

    def _objective(self, cands: list[_Cand], part: _Part, free_tag: str, stuck_tag: str) -> None:
        """Place a part among the candidates free to take it (not the ROFR holder's, when the
        part was released by it), best first under the objective."""
        term = self.term
        if part.day > term.start:
            if part.day > term.end:
                self._unplaced(
                    part.amount,
                    term,
                    part.day,
                    part.verdict,
                    stuck_tag,
                    f"{part.reason}; the term ends before the release",
                    None,
                )
                return
            term = Term(start=part.day, end=term.end)
        free = [
            c for c in cands if not c.reasons and not (c.holder and part.verdict != "not_in_scope")
        ]
        left = part.amount
        ranked = self._ranked(free)
        min_m = self._min_measure(free)
        for c in ranked:
            if left <= _EPS:
                break
            n = self._take(c, left, self._offerable(c, term)[0])  # the book as it is now
            if n <= 0:
                continue
            self._reserve(c, n, term, part.day, part.verdict, free_tag, part.reason)
            left -= n * self._measure_of(c)
        if left > _EPS and not (self.measure == "power" and left < min_m - _EPS):
            nominal = ranked[0] if ranked else None
            why = "no provider can offer the rest" if ranked else "no provider can offer it"
            self._unplaced(
                left,
                term,
                part.day,
                part.verdict,
                stuck_tag,
                f"{part.reason}; {why}" if part.reason else why,
                nominal,
            )

    # -- the explanation -------------------------------------------------------------------
    def _explained(self, cands: list[_Cand], in_scope: bool) -> list[CapacityCandidate]:
        d = self.decision
        rofr = d.rofr
        answers = {(o.provider, o.site, o.accelerator): o for o in rofr.offers} if rofr else {}
        all_to_holder = bool(rofr and rofr.can_meet == "all") and all(
            o.answer == "accept" for o in answers.values()
        )
        feasible = [c for c in cands if not c.reasons and (c.offerable > 0 or c.taken > 0)]
        rank = {id(c): k + 1 for k, c in enumerate(self._ranked(feasible))}
        out: list[CapacityCandidate] = []
        for c in sorted(cands, key=lambda c: (rank.get(id(c), 10**9), c.ids)):
            reasons = list(c.reasons)
            if c.late:
                reasons.append(
                    "deadline: its capacity for the term comes online after the deadline"
                )
            elif c.offerable <= 0 and c.taken == 0 and not c.reasons:
                reasons.append(
                    f"capacity: nothing left to offer for a term from {self.term.start.isoformat()}"
                )
            if in_scope and c.holder:
                o = answers.get(c.ids)
                if o is not None and o.answer != "accept":
                    how = "let the offer expire" if o.expired else "declined"
                    reasons.append(f"rofr_declined: the ROFR holder {how}")
                elif o is None and not reasons and rofr is not None:
                    reasons.append("rofr: not needed for the part offered to the ROFR holder")
            elif in_scope and all_to_holder and not reasons and c.taken == 0:
                reasons.append("rofr_holder_first: the ROFR holder accepted the request")
            out.append(
                CapacityCandidate(
                    rank.get(id(c)),
                    c.taken > 0,
                    c.provider,
                    c.site,
                    c.accelerator,
                    c.holder,
                    c.offerable,
                    c.taken,
                    c.price,
                    c.unit,
                    c.basis,
                    c.thr,
                    id(c) in rank,
                    reasons,
                )
            )
        return out


__all__ = ["Measure", "Procurement"]
