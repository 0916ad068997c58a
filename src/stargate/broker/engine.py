"""The broker: place one request at a moment, given the free capacity of every pool.

How a decision is made (see docs/concepts.md for the clause semantics):

1. Every pool of the scenario is a candidate. Each is checked, vectorised over all pools at
   once with numpy: accelerator type (allowed and throughput > 0 for the class), online at the
   start, not in a scripted outage, free capacity, deadline, the request's price caps (per
   accelerator-hour, and per reference-accelerator-hour of work: price ÷ the type's
   throughput for the class), a price. Prices are the requester's (its contract prices where
   a price row carries them, else the list price of the tier: on-demand for jobs).
2. **Exclusivity** (hard): if a clause in force makes the class exclusive to a provider, every
   pool elsewhere is rejected, whatever happens next.
3. **Right of first refusal**: if a clause in force puts the request in scope, the holder's
   pools are checked against the requirements the clause lists (capacity, accelerator_type,
   deadline, price — the price against the clause's caps, per accelerator-hour and per
   reference-accelerator-hour of work). If some holder pool meets all of them,
   the request is *offered* to the holder, whose responder answers. Accept: placed with the
   holder (starting no earlier than the answer). Decline, or no answer within the response
   window: released to the other providers, starting no earlier than the release. If no holder
   pool meets them, the request is released at once, and the decision names the requirements
   that the holder's closest pool failed.
4. **Objective** among what remains: ``cost`` (default), ``time`` (earliest finish) or
   ``mix:W`` (W × normalised cost + (1 − W) × normalised time). Ties are broken by cost or
   finish, then by (provider, site, pool) id, so equal inputs give equal decisions.

Capacity is consumed when a decision is committed (``decide_many`` consumes in order).
Capacity requests (for a term) are decided by :meth:`Broker.decide_capacity`, the steps of
:mod:`stargate.broker.procure`: this per-job ROFR is the one ``stargate place`` applies to a
single job request; at the procurement level the clause acts on capacity requests.

This module is the evaluation and the choice, one concept although it is over 600 lines: the
vectorised evaluation of every pool, the clause steps (exclusivity, ROFR offer and answer) and
the move to a later start all read and write the same per-request masks, and splitting them
would pass a dozen arrays between modules on the simulator's hot path. The objectives are in
:mod:`stargate.broker.objective`, the per-pool arrays in :mod:`stargate.broker.fleet`, the
explanation of a choice (candidates, reasons, the paragraph) in :mod:`stargate.broker.explain`,
and the Decimal arithmetic of money in :mod:`stargate.broker.money`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, overload

import numpy as np

from stargate.broker.capacity import (
    CapacityBook,
    CapacityDecision,
    RequestSource,
    decide_capacity,
)
from stargate.broker.clock import day_ts as _day_ts
from stargate.broker.clock import from_ts, ts
from stargate.broker.decision import Decision, Placement, RofrInfo
from stargate.broker.fleet import BArray, ClassArrays, FArray, FleetIndex, IArray, PriceArrays
from stargate.broker.money import CENT, cost_usd
from stargate.broker.objective import Objective, parse_objective
from stargate.broker.request import Request
from stargate.broker.responders import AcceptWhenAble, Offer, Responder
from stargate.contracts.state import resolve_without
from stargate.domain.costs import Pricing
from stargate.domain.limits import LATEST_DAY, LATEST_INSTANT
from stargate.domain.model import (
    CapacityRequest,
    Exclusivity,
    Requirement,
    RightOfFirstRefusal,
    Scenario,
    WorkloadKind,
)
from stargate.domain.provenance import Provenance, for_scenario
from stargate.errors import InputError, Problem, did_you_mean

__all__ = [
    "CENT",
    "DETAILS",
    "Broker",
    "Choice",
    "ClassArrays",
    "FleetIndex",
    "Objective",
    "RofrOutcome",
    "from_ts",
    "parse_objective",
    "place",
    "ts",
]

#: The detail levels of an explained decision (see :class:`Broker`).
DETAILS = ("full", "summary", "chosen")


class _Eval:
    """Every pool evaluated for one request at one start time. Masks left as None hold for
    every pool (no deadline, no price cap, no exclusivity, no outage). Costs and finish times
    are computed for a subset of pools (:meth:`cost_of`, :meth:`finish_of`) on the fast path,
    and for all pools only when an explanation needs them."""

    __slots__ = (
        "_cost",
        "_finish",
        "cap_ok",
        "deadline_ok",
        "duration_h",
        "excl_ok",
        "feasible",
        "needed",
        "needed_const",
        "online",
        "outage",
        "price",
        "price_ok",
        "prices",
        "start_s",
        "static_ok",
    )

    def __init__(
        self,
        start_s: float,
        needed: IArray,
        duration_h: FArray,
        price: FArray,
        static_ok: BArray,
        online: BArray,
        cap_ok: BArray,
        deadline_ok: BArray | None,
        price_ok: BArray | None,
        excl_ok: BArray | None,
        outage: BArray | None,
        feasible: BArray,
        finish: FArray | None,
        prices: PriceArrays,
    ) -> None:
        self.prices = prices
        self.start_s = start_s
        self.needed = needed
        self.duration_h = duration_h
        self.price = price
        self.static_ok = static_ok
        self.online = online
        self.cap_ok = cap_ok
        self.deadline_ok = deadline_ok
        self.price_ok = price_ok
        self.excl_ok = excl_ok
        self.outage = outage
        self.feasible = feasible
        self._finish = finish
        self._cost: FArray | None = None
        self.needed_const = False

    def cost_of(self, pos: IArray) -> FArray:
        """Cost (float USD) of the pools at ``pos``, for ranking; with the same number of
        accelerators everywhere (training) it is left as cost per accelerator."""
        if self.needed_const:
            return self.price[pos] * self.duration_h[pos]
        return self.price[pos] * self.needed[pos] * self.duration_h[pos]

    def finish_of(self, pos: IArray) -> FArray:
        return self.duration_h[pos] * 3600.0 + self.start_s

    @property
    def cost(self) -> FArray:
        if self._cost is None:
            with np.errstate(invalid="ignore"):
                self._cost = self.price * self.needed * self.duration_h
        return self._cost

    @property
    def finish_s(self) -> FArray:
        if self._finish is None:
            self._finish = self.duration_h * 3600.0 + self.start_s
        return self._finish


@dataclass(slots=True)
class RofrOutcome:
    """What happened under a right of first refusal (the fast path's RofrInfo)."""

    clause: str
    holder: str
    holder_can_meet: bool
    unmet: Callable[[], list[str]] | list[str]  # computed on first use (not on the fast path)
    response_window_h: float
    offered: bool = False
    answer: str | None = None
    answered_s: float | None = None
    expired: bool = False

    @property
    def unmet_requirements(self) -> list[str]:
        if callable(self.unmet):
            self.unmet = self.unmet()
        return self.unmet

    def info(self, trusted: bool = False) -> RofrInfo:
        make = RofrInfo.model_construct if trusted else RofrInfo
        return make(
            applies=True,
            clause=self.clause,
            holder=self.holder,
            holder_can_meet=self.holder_can_meet,
            unmet_requirements=self.unmet_requirements,
            offered=self.offered,
            answer=self.answer,
            answered_at=None if self.answered_s is None else from_ts(self.answered_s),
            expired=self.expired,
            response_window_h=self.response_window_h,
        )


@dataclass(slots=True)
class Choice:
    """The outcome of a decision before it is explained: what the simulator needs."""

    request: Request
    at: datetime
    pool: int | None
    decided_by: str
    ev: _Eval
    eligible: BArray
    holder_mask: BArray | None = None
    holder_mode: str = ""  # "first" (holder accepted) | "declined" | ""
    rofr: RofrOutcome | None = None
    excl: Exclusivity | None = None
    requested_start_s: float = float("nan")  # the earliest start the request asked for
    moved: str = ""  # why the start moved later (empty when it did not)
    too_late: str = ""  # why waiting for capacity could not help (empty when it was not tried)

    @property
    def placed(self) -> bool:
        return self.pool is not None

    @property
    def needed(self) -> int:
        return int(self.ev.needed[self.pool]) if self.pool is not None else 0

    @property
    def start_s(self) -> float:
        return self.ev.start_s

    @property
    def finish_s(self) -> float:
        return float(self.ev.finish_s[self.pool]) if self.pool is not None else float("nan")


@dataclass(frozen=True)
class _ClauseSet:
    exclusivities: list[Exclusivity]
    rofrs: list[RightOfFirstRefusal]


def _and(mask: BArray, other: BArray | None) -> BArray:
    return mask if other is None else mask & other


class Broker:
    """Places requests on a scenario's fleet under the clauses in force.

    ``free`` maps pool ids to free accelerators (default: every pool's full count); the
    simulator and the service pass their own. ``without`` switches clauses off (ids, kinds such
    as ``rofr``, or contract ids). ``detail="full"`` lists every candidate in a decision;
    ``"summary"`` lists the best ten (for speed on fleets of thousands of pools); ``"chosen"``
    only the chosen pool (for batches of many requests: ``stargate place --detail summary``).
    ``wait_for_capacity`` (default on): when nothing that fits is available at the requested
    start, the start moves later, up to the deadline (the period's end for inference, the
    horizon's end otherwise), to the first moment a pool that fits is online and out of any
    outage; clauses are still judged on the decision day. ``seed`` (the responder's seed) is
    recorded in each decision's ``provenance``.
    :meth:`choose` is the fast path (no explanation objects) that the simulator uses.

    Capacity requests (:class:`~stargate.domain.model.CapacityRequest`) are decided by
    :meth:`decide_capacity` against a :class:`~stargate.broker.capacity.CapacityBook` (the
    broker keeps its own, from the scenario's starting reservations, unless one is given);
    :meth:`decide_many` takes both kinds in one list. ``responder`` answers both kinds of
    offer; when it is None, job offers get ``accept-when-able`` and capacity offers
    ``capacity-limited`` (see :mod:`stargate.broker.responders`). Job requests are priced on
    ``pricing`` (on-demand by default), capacity requests on the reserved tier; both with the
    requester's contract prices.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        objective: str | Objective = "cost",
        responder: Responder | None = None,
        without: Iterable[str] = (),
        free: Mapping[str, int] | None = None,
        detail: str = "full",
        pricing: Pricing = "on_demand",
        index: FleetIndex | None = None,
        wait_for_capacity: bool = True,
        seed: int | None = None,
        recorded_as: Scenario | None = None,
    ) -> None:
        resolved = resolve_without(scenario, without)
        scenario = resolved.scenario
        self.scenario = scenario
        #: the scenario the decisions' provenance names (``stargate place`` decides on the
        #: user's scenario with the lab's held capacity added, and records the user's)
        self._recorded_as = (
            scenario if recorded_as is None else resolve_without(recorded_as, without).scenario
        )
        self.index = index or FleetIndex(scenario, pricing)
        self.objective = (
            objective if isinstance(objective, Objective) else parse_objective(objective)
        )
        self.responder: Responder = responder or AcceptWhenAble()
        # None: capacity-limited, or the holder's answer on the record for a dated request
        self.capacity_responder: Responder | None = responder
        self._book: CapacityBook | None = None
        self.without_ids = resolved.clause_ids
        #: Everything switched off, agreements and amendments voided included (for reports).
        self.without_names = resolved.names
        if detail not in DETAILS:
            raise InputError(
                Problem(
                    f"unknown detail '{detail}'",
                    path="detail",
                    expected=", ".join(DETAILS),
                    hint=did_you_mean(detail, DETAILS, list_valid=False),
                )
            )
        self.detail = detail
        self.wait_for_capacity = wait_for_capacity
        self.free = self.index.count.copy()
        if free is not None:
            self.set_free(free)
        self._clause_cache: dict[date, _ClauseSet] = {}
        self._match_cache: dict[
            tuple[date, str, str], tuple[Exclusivity | None, RightOfFirstRefusal | None]
        ] = {}
        self._objective_tag = f"objective:{self.objective.label}"
        self.seed = seed  # the responder's seed, recorded in the decisions' provenance
        self._provenance: Provenance | None = None

    # -- capacity -----------------------------------------------------------------------
    def set_free(self, free: Mapping[str, int]) -> None:
        """Set the free accelerators of some pools (the others keep theirs)."""
        for pid, n in free.items():
            pos = self.index.pool_pos.get(pid)
            if pos is None:
                raise InputError(
                    Problem(
                        f"unknown pool '{pid}' in free capacity",
                        hint=did_you_mean(pid, self.index.pool_ids),
                    )
                )
            if n < 0:
                raise InputError(Problem(f"negative free capacity for pool '{pid}'", found=str(n)))
            self.free[pos] = n

    def free_capacity(self) -> dict[str, int]:
        return {pid: int(n) for pid, n in zip(self.index.pool_ids, self.free, strict=True)}

    # -- clauses ------------------------------------------------------------------------
    def _clauses(self, day: date) -> _ClauseSet:
        cs = self._clause_cache.get(day)
        if cs is None:
            ex: list[Exclusivity] = []
            ro: list[RightOfFirstRefusal] = []
            for _, clause in self.scenario.clauses():
                if clause.id in self.without_ids:
                    continue
                v = clause.version_at(day)
                if isinstance(v, Exclusivity):
                    ex.append(v)
                elif isinstance(v, RightOfFirstRefusal):
                    ro.append(v)
            cs = _ClauseSet(ex, ro)
            self._clause_cache[day] = cs
        return cs

    def _match(
        self, day: date, requester: str, workload_class: str
    ) -> tuple[Exclusivity | None, RightOfFirstRefusal | None]:
        """The exclusivity and ROFR clauses (if any) that apply to a requester's class."""
        key = (day, requester, workload_class)
        hit = self._match_cache.get(key)
        if hit is None:
            cs = self._clauses(day)
            excl = next(
                (
                    c
                    for c in cs.exclusivities
                    if c.party == requester and workload_class in c.workload_classes
                ),
                None,
            )
            rofr = next(
                (
                    c
                    for c in cs.rofrs
                    if c.beneficiary == requester and workload_class in c.workload_classes
                ),
                None,
            )
            hit = (excl, rofr)
            if len(self._match_cache) > 100_000:
                self._match_cache.clear()
            self._match_cache[key] = hit
        return hit

    # -- evaluation ---------------------------------------------------------------------
    def _evaluate(self, r: Request, start_s: float, excl_ok: BArray | None) -> _Eval:
        idx = self.index
        prices = idx.priced(r.requester)
        cls = idx.class_arrays(r.workload_class)
        types = r.accelerators.types
        static_ok = idx.static_mask(r.workload_class, None if types == "any" else types)
        count = r.accelerators.count
        if r.kind == WorkloadKind.training:
            assert r.duration_h is not None
            needed = idx.const_int(count)
            duration = cls.inv_thr * r.duration_h
            cap_ok = self.free >= count
        else:
            assert r.period is not None
            needed = idx.inference_needed(r.workload_class, count)
            hours = max(0.0, (ts(r.period.end) - start_s) / 3600.0)
            duration = idx.const_float(hours)
            cap_ok = self.free >= needed
        online = idx.online_at(start_s)
        feasible = static_ok & online
        feasible &= cap_ok
        finish: FArray | None = None
        deadline_ok: BArray | None = None
        if r.deadline is not None:
            finish = duration * 3600.0 + start_s
            deadline_ok = finish <= ts(r.deadline) + 1e-6
            feasible &= deadline_ok
        if r.period is not None and ts(r.period.end) <= start_s:
            deadline_ok = np.zeros(idx.size, dtype=bool)
            feasible &= deadline_ok
        price_ok: BArray | None = None
        ref_cap = r.price_cap_usd_per_reference_hour
        if r.max_price_usd_per_accelerator_hour is not None or ref_cap is not None:
            price_ok = idx.within_caps(
                r.max_price_usd_per_accelerator_hour, ref_cap, r.workload_class, prices
            )
            feasible &= price_ok
        if excl_ok is not None:
            feasible &= excl_ok
        outage = idx.outage_mask(start_s)
        if outage is not None:
            feasible &= ~outage
        return _Eval(
            start_s,
            needed,
            duration,
            prices.price_inf,
            static_ok,
            online,
            cap_ok,
            deadline_ok,
            price_ok,
            excl_ok,
            outage,
            feasible,
            finish,
            prices,
        )

    def _latest_start_s(self, r: Request) -> tuple[float, str]:
        """The latest start a request may be moved to, and what sets it: for training with a
        deadline, the deadline (each pool's duration is checked separately); for inference,
        the end of its period; otherwise the end of the scenario's horizon."""
        if r.period is not None:
            return ts(r.period.end), f"the end of its period {r.period.end.isoformat()}"
        if r.deadline is not None:
            return ts(r.deadline), f"its deadline {r.deadline.isoformat()}"
        end = self.scenario.horizon.end
        if end is None:
            return ts(LATEST_INSTANT), f"the last day Stargate represents ({LATEST_DAY})"
        return _day_ts(end) + 86400.0, f"the end of the scenario's horizon ({end.isoformat()})"

    def _later_start(self, r: Request, ev: _Eval, start_s: float) -> tuple[float | None, str, str]:
        """The first moment after ``start_s`` at which a pool that fits the request (type,
        price, free capacity, exclusivity) is online and out of any outage, in time to meet
        the deadline (or within the period or horizon): capacity is judged on the start day.
        Returns (moment or None, why the start moved, why waiting could not help)."""
        idx = self.index
        fits = ev.static_ok & ev.cap_ok
        if ev.price_ok is not None:
            fits = fits & ev.price_ok
        if ev.excl_ok is not None:
            fits = fits & ev.excl_ok
        pos = np.flatnonzero(fits)
        if pos.size == 0:
            return None, "", ""
        earliest = np.maximum(idx.online_ts[pos], start_s)
        if idx.outages:
            for k, pool in enumerate(pos.tolist()):  # step over outages (back to back too)
                spans = idx.outages.get(pool)
                if spans:
                    t = float(earliest[k])
                    for a, b in sorted(spans):
                        if a <= t < b:
                            t = b
                    earliest[k] = t
        limit_s, limit = self._latest_start_s(r)
        if r.kind == WorkloadKind.training and r.deadline is not None:
            ok = earliest + ev.duration_h[pos] * 3600.0 <= limit_s + 1e-6
        else:
            ok = earliest < limit_s
        if not ok.any():
            first = float(earliest.min())
            return (
                None,
                "",
                f"capacity that fits is online from {from_ts(first).isoformat()}, "
                f"too late for {limit}",
            )
        k = int(np.argmin(np.where(ok, earliest, np.inf)))
        moment = float(earliest[k])
        i = int(pos[k])
        why = "outage" if moment > float(idx.online_ts[i]) and moment > start_s else "not_online"
        reason = (
            f"{why}: no pool that fits is available before {from_ts(moment).isoformat()}, "
            f"when {idx.pool_ids[i]} "
            + ("comes online" if why == "not_online" else "is out of its outage")
        )
        return moment, reason, ""

    def _best(self, ev: _Eval, mask: BArray) -> int | None:
        """The best pool in ``mask`` under the objective (fast path)."""
        pos = np.flatnonzero(mask)
        if pos.size == 0:
            return None
        return self.objective.best(ev, pos)

    def _rank(self, ev: _Eval, mask: BArray) -> list[int]:
        """Pool positions in ``mask`` from best to worst under the objective."""
        pos = np.flatnonzero(mask)
        if pos.size == 0:
            return []
        return [int(p) for p in pos[self.objective.order(ev, pos)]]

    # -- the decision -------------------------------------------------------------------
    def _default_at(self) -> datetime:
        d = self.scenario.as_of
        return datetime(d.year, d.month, d.day)

    def choose(
        self, request: Request, at: datetime | None = None, *, commit: bool = True
    ) -> Choice:
        """Decide without building the explanation (the fast path)."""
        at = at or self._default_at()
        r = request
        idx = self.index
        at_s = ts(at)
        base_start = at_s
        if r.earliest_start is not None:
            base_start = max(base_start, ts(r.earliest_start))
        if r.period is not None:
            base_start = max(base_start, ts(r.period.start))
        excl, rofr = self._match(at.date(), r.requester, r.workload_class)

        # (1) exclusivity: a hard constraint
        excl_ok = idx.provider_mask([excl.provider]) if excl is not None else None
        requested_start = base_start
        ev = self._evaluate(r, base_start, excl_ok)
        moved = too_late = ""
        if self.wait_for_capacity and not ev.feasible.any():
            later, moved, too_late = self._later_start(r, ev, base_start)
            if later is not None:
                base_start = later
                ev = self._evaluate(r, base_start, excl_ok)
        eligible = ev.feasible
        choice = Choice(r, at, None, self._objective_tag, ev, eligible, excl=excl)
        choice.requested_start_s = requested_start
        choice.moved = moved if base_start != requested_start else ""
        choice.too_late = too_late

        # (2) right of first refusal
        if rofr is not None:
            hmask = idx.holder_mask(rofr)
            req_ok: dict[str, BArray] | None = None
            if idx.all_requirements(rofr):
                # every requirement counts: the holder's feasible pools within the clause's cap
                meets = ev.feasible & idx.holder_priced(rofr, r.workload_class, ev.prices)
            else:
                req_ok = self._requirements(ev, rofr, r.workload_class)
                meets = hmask if excl_ok is None else hmask & excl_ok
                for req in rofr.requirements:
                    meets = meets & req_ok[req]
            meets_pos = np.flatnonzero(meets)
            can_meet = meets_pos.size > 0
            unmet: Callable[[], list[str]] | list[str] = []
            if not can_meet:
                unmet = partial(self._unmet, rofr, hmask, excl_ok, req_ok, ev, r.workload_class)
            info = RofrOutcome(rofr.id, rofr.holder, can_meet, unmet, rofr.response_window_h)
            choice.rofr = info
            if can_meet:
                ev_offer = ev
                physical_pos = meets_pos if req_ok is None else np.flatnonzero(meets & ev.feasible)
                offer_pool = self.objective.best(
                    ev, physical_pos if physical_pos.size else meets_pos
                )
                offer_price = ev.prices.price_dec[offer_pool] or Decimal(0)
                thr = float(idx.thr(r.workload_class)[offer_pool])
                offer = Offer(
                    r.id,
                    rofr.holder,
                    rofr.id,
                    offer_price,
                    int(ev.needed[offer_pool]),
                    float(ev.duration_h[offer_pool]),
                    rofr.response_window_h,
                    accelerator=idx.acc_ids[int(idx.acc_idx[offer_pool])],
                    price_usd_per_reference_hour=offer_price / Decimal(repr(thr))
                    if thr > 0
                    else None,
                    price_cap_usd_per_accelerator_hour=rofr.price_cap_usd_per_accelerator_hour,
                    price_cap_usd_per_reference_hour=rofr.price_cap_usd_per_reference_hour,
                )
                ans = self.responder.respond(offer)
                expired = ans.answer == "none" or ans.after_h > rofr.response_window_h
                wait_h = rofr.response_window_h if expired else max(0.0, ans.after_h)
                answered_s = at_s + wait_h * 3600.0
                info.offered = True
                info.answer = "none" if expired else ans.answer
                info.answered_s = None if expired else answered_s
                info.expired = expired
                if answered_s > base_start:
                    ev = self._evaluate(r, answered_s, excl_ok)
                    choice.ev = ev
                choice.holder_mask = hmask
                if not expired and ans.answer == "accept":
                    choice.eligible = ev.feasible & meets
                    choice.holder_mode = "first"
                    choice.decided_by = rofr.id
                    if choice.ev is ev_offer and physical_pos.size:
                        choice.pool = offer_pool  # the offer stands as made
                else:
                    choice.eligible = ev.feasible & ~hmask
                    choice.holder_mode = "declined"
        if excl is not None and choice.decided_by.startswith("objective"):
            choice.decided_by = excl.id
        if choice.pool is None:
            choice.pool = self._best(choice.ev, choice.eligible)
        if choice.pool is None and excl is None and choice.holder_mode != "first":
            choice.decided_by = "infeasible"
        if commit and choice.pool is not None:
            self.free[choice.pool] -= int(choice.ev.needed[choice.pool])
        return choice

    def decide(
        self, request: Request, at: datetime | None = None, *, commit: bool = True
    ) -> Decision:
        """Decide where ``request`` goes at ``at`` (default: the scenario's as_of), and
        explain it: every candidate considered, why each was rejected, which clause decided."""
        free_before = self.free.copy() if commit else self.free
        choice = self.choose(request, at, commit=commit)
        return self.explain(choice, free_before)

    @overload
    def decide_many(
        self, requests: Iterable[Request], at: datetime | None = None
    ) -> Placement[Decision]: ...

    @overload
    def decide_many(
        self, requests: Iterable[Request | CapacityRequest], at: datetime | None = None
    ) -> Placement[Decision | CapacityDecision]: ...

    def decide_many(
        self, requests: Iterable[Request | CapacityRequest], at: datetime | None = None
    ) -> Placement[Decision] | Placement[Decision | CapacityDecision]:
        """One decision per request, in order, each consuming capacity for the next (job
        requests the pools' free accelerators, capacity requests the broker's book)."""
        return Placement(self.decide_any(r, at) for r in requests)

    def decide_any(
        self, request: Request | CapacityRequest, at: datetime | None = None
    ) -> Decision | CapacityDecision:
        """:meth:`decide` for a job request, :meth:`decide_capacity` for a capacity one."""
        if isinstance(request, CapacityRequest):
            return self.decide_capacity(request, at)
        return self.decide(request, at)

    # -- capacity requests --------------------------------------------------------------
    @property
    def book(self) -> CapacityBook:
        """The broker's capacity book (the scenario's starting reservations, then what its
        capacity decisions reserved), made on first use."""
        if self._book is None:
            self._book = CapacityBook(self.scenario)
        return self._book

    def decide_capacity(
        self,
        request: CapacityRequest,
        at: date | datetime | None = None,
        book: CapacityBook | None = None,
        *,
        source: RequestSource = "request",
    ) -> CapacityDecision:
        """Place a capacity request on day ``at`` (default: the scenario's as_of) under the
        clauses in force that day (less ``without``): exclusivity, the ROFR at the
        procurement level, then the objective; it reserves from ``book`` (default: the
        broker's own). See :func:`stargate.broker.capacity.decide_capacity`."""
        day = self.scenario.as_of if at is None else at
        if isinstance(day, datetime):
            day = day.date()
        return decide_capacity(
            self.scenario,
            request,
            day,
            self.book if book is None else book,
            without=sorted(self.without_ids),
            voided=[n for n in self.without_names if n not in self.without_ids],
            source=source,
            responder=self.capacity_responder,
            objective=self.objective,
            provenance=self.provenance,
        )

    # -- helpers ------------------------------------------------------------------------
    def _requirements(
        self, ev: _Eval, rofr: RightOfFirstRefusal, class_id: str
    ) -> dict[str, BArray]:
        """Per pool, whether it meets each requirement a ROFR clause can list (the price within
        the request's caps and the clause's, per accelerator-hour and per unit of work)."""
        idx = self.index
        price_ok = idx.has_price if ev.price_ok is None else ev.price_ok
        price_ok = price_ok & idx.within_caps(
            rofr.price_cap_usd_per_accelerator_hour,
            rofr.price_cap_usd_per_reference_hour,
            class_id,
            ev.prices,
        )
        return {
            Requirement.capacity: _and(
                ev.online & ev.cap_ok, None if ev.outage is None else ~ev.outage
            ),
            Requirement.accelerator_type: ev.static_ok,
            Requirement.deadline: idx.all_true if ev.deadline_ok is None else ev.deadline_ok,
            Requirement.price: price_ok,
            Requirement.site: idx.all_true,  # a job request names no sites
        }

    def _unmet(
        self,
        rofr: RightOfFirstRefusal,
        hmask: BArray,
        excl_ok: BArray | None,
        req_ok: dict[str, BArray] | None,
        ev: _Eval,
        class_id: str,
    ) -> list[str]:
        """The requirements failed by the holder's closest pool (fewest failures)."""
        req_ok = req_ok or self._requirements(ev, rofr, class_id)
        pos = np.flatnonzero(hmask)
        if pos.size == 0:
            return ["capacity"]  # the holder has no pools at all
        if excl_ok is not None:
            if not excl_ok[pos].any():
                return ["exclusivity"]
            pos = pos[excl_ok[pos]]
        typed = pos[req_ok[Requirement.accelerator_type][pos]]
        if typed.size:  # prefer a pool of a type the request can use
            pos = typed
        reqs = list(rofr.requirements)
        fails = np.zeros(pos.size, dtype=np.int64)
        for req in reqs:
            fails += ~req_ok[req][pos]
        best = int(pos[int(np.argmin(fails))])
        return [str(req) for req in reqs if not req_ok[req][best]]

    def _cost(self, i: int, ev: _Eval) -> Decimal:
        """The cost of pool ``i`` for this evaluation, in Decimal to the cent (see money)."""
        price = ev.prices.price_dec[i]
        if price is None or not np.isfinite(ev.duration_h[i]):
            return Decimal(0)
        return cost_usd(price, int(ev.needed[i]), float(ev.duration_h[i]))

    # -- explanation (the slow path: stargate.broker.explain) ---------------------------
    def explain(self, choice: Choice, free_before: IArray | None = None) -> Decision:
        """The full Decision for a choice: ranked candidates with reasons and a paragraph."""
        from stargate.broker.explain import explain_choice

        return explain_choice(self, choice, free_before)

    @property
    def provenance(self) -> Provenance:
        """Where this broker's decisions come from: the scenario (id and content hash), the
        seed and the clauses switched off (computed once, on first use)."""
        if self._provenance is None:
            self._provenance = for_scenario(
                self._recorded_as, seed=self.seed, clauses_off=self.without_names
            )
        return self._provenance


@overload
def place(
    scenario: Scenario,
    requests: Request | Sequence[Request],
    at: datetime | None = None,
    **options: Any,
) -> Placement[Decision]: ...


@overload
def place(
    scenario: Scenario,
    requests: Request | CapacityRequest | Sequence[Request | CapacityRequest],
    at: datetime | None = None,
    **options: Any,
) -> Placement[Decision | CapacityDecision]: ...


def place(
    scenario: Scenario,
    requests: Request | CapacityRequest | Sequence[Request | CapacityRequest],
    at: datetime | None = None,
    **options: Any,
) -> Placement[Decision] | Placement[Decision | CapacityDecision]:
    """Decide a list of requests in order (capacity consumed as they are placed): job
    requests and capacity requests alike (``options`` are the :class:`Broker`'s)."""
    broker = Broker(scenario, **options)
    reqs = [requests] if isinstance(requests, Request | CapacityRequest) else list(requests)
    return broker.decide_many(reqs, at)
